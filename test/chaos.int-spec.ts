import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosRun, formatChaosReport } from '../tools/chaos/chaos-run';
import { FAULT_KINDS } from '../tools/chaos/schedule';

const ROOT = join(__dirname, '..');

/**
 * The chaos run's CI variant (`npm run chaos` runs 10,000 orders): 1,000 orders
 * pushed over 150 s through 3 brokers, two enrichers and two sinks while every
 * fault kind strikes at least once; every check of the run must pass. It runs in
 * its own jest pass (jest.chaos.config.js), after the other suites, so that its
 * load does not slow them down. The run's lines go to the test log file.
 */
describe('chaos: a business day under every fault at once (CI variant)', () => {
  const logFile = process.env.LOG_FILE;
  const run = new ChaosRun({
    orders: Number(process.env.CHAOS_ORDERS ?? 1_000),
    seed: Number(process.env.CHAOS_SEED ?? 20261127),
    pushSeconds: Number(process.env.CHAOS_PUSH_SECONDS ?? 150),
    erpOutageSeconds: Number(process.env.CHAOS_ERP_OUTAGE_SECONDS ?? 120),
    quietTimeoutSeconds: 600,
    reportDir: join(ROOT, 'reports'),
    build: true,
    log: (line) => (logFile ? appendFileSync(logFile, `[chaos] ${line}\n`) : process.stdout.write(`${line}\n`)),
  });
  // A run cut short by jest's timeout still stops its apps, brokers, registry and schemas.
  afterAll(() => run.stop());

  it('keeps parity: every order exactly its ERP records, nothing lost, planted discrepancies found and resynced', async () => {
    const report = await run.report();
    if (logFile) appendFileSync(logFile, formatChaosReport(report));
    expect(FAULT_KINDS.filter((kind) => !report.faults.some((fault) => fault.kind === kind))).toEqual([]);
    expect(report.checks.filter((check) => !check.ok)).toEqual([]);
    expect(report.checks.length).toBeGreaterThanOrEqual(10);
    // The continuous faults struck too: duplicates, and the ERP's concurrency limit.
    expect(report.duplicatesSent).toBeGreaterThan(0);
    // Duplicates are counted per topic (NewStore's resends among them on the raw topic), and absorbed:
    // the records check above finds every ERP record exactly once.
    expect(report.topicDuplicates['newstore.events.v1'].duplicates).toBe(report.duplicatesAbsorbed);
    expect(report.topicDuplicates['newstore.events.v1'].duplicates).toBeGreaterThan(0);
    expect(report.topicDuplicates['erp.documents.v1'].messages).toBeGreaterThan(report.orders);
    expect(report.erp.peakAttempted).toBeGreaterThan(3);
  });
});
