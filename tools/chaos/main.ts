import { join } from 'node:path';
import { ChaosRun, formatChaosReport } from './chaos-run';

/**
 * npm run chaos: the parity run under every fault at once (tools/chaos/chaos-run.ts).
 *   CHAOS_ORDERS (10000), CHAOS_SEED (20261127), CHAOS_PUSH_SECONDS (300),
 *   CHAOS_ERP_OUTAGE_SECONDS (120), CHAOS_QUIET_TIMEOUT_SECONDS (1800).
 * Prints the schedule, each fault as it strikes, each check, and the report (also
 * written as JSON under reports/). Exits 1 when a check failed.
 */
async function main(): Promise<void> {
  const number = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name}: a whole number above 0, not "${process.env[name]}"`);
    return value;
  };
  const run = new ChaosRun({
    orders: number('CHAOS_ORDERS', 10_000),
    seed: number('CHAOS_SEED', 20261127),
    pushSeconds: number('CHAOS_PUSH_SECONDS', 300),
    erpOutageSeconds: number('CHAOS_ERP_OUTAGE_SECONDS', 120),
    quietTimeoutSeconds: number('CHAOS_QUIET_TIMEOUT_SECONDS', 1_800),
    reportDir: join(__dirname, '..', '..', 'reports'),
    build: true,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  // Ctrl-C stops the apps, the emulators and the cluster, and drops the run's schemas.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      process.stderr.write(`chaos: ${signal}, stopping the run\n`);
      void run.stop().finally(() => process.exit(130));
    });
  const report = await run.report();
  process.stdout.write(formatChaosReport(report));
  if (!report.passed) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`chaos: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
