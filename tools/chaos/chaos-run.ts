import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { seededRandom } from '../emulators/shared/random';
import { checkRecords, describeRecordCheck, recordCheckPassed, waitUntilSettled } from './checker';
import { ChaosCluster } from './cluster';
import { chaosDeployment } from './deployment';
import { FaultInjector } from './faults';
import { Fleet } from './fleet';
import { counterByLabel, HubApi } from './hub-api';
import { ChaosReport, Checks } from './report';
import { faultSchedule } from './schedule';
import { auditTopics } from './topic-audit';
import { SECOND_TENANT, TENANT, Workload } from './workload';

export { formatChaosReport } from './report';
export type { ChaosCheck, ChaosReport } from './report';

const ROOT = join(__dirname, '..', '..');
const ADMIN_TOKEN = 'chaos-admin-token';

export interface ChaosOptions {
  orders: number;
  seed: number;
  /** How long NewStore takes to push the day; the faults land inside it. */
  pushSeconds: number;
  erpOutageSeconds: number;
  /** Longest wait for the pipeline to settle after the last event. */
  quietTimeoutSeconds: number;
  /** Where the JSON report and the apps' logs go. */
  reportDir: string;
  /** false: the apps are already built (dist/). */
  build: boolean;
  log: (line: string) => void;
}

/**
 * `npm run chaos`: a generated business day pushed by the NewStore emulator's event
 * stream through the whole hub (3 brokers, two instances of the enricher and of the
 * sink) while faults strike on a seeded schedule; then a checker compares what
 * NewStore sent, what Kafka holds and what the ERP holds, plants one discrepancy of
 * each kind, and proves the reconciler finds and resyncs them. Its parts:
 * - the workload (workload.ts): the tenants' days, their event streams and ERP accounts;
 * - the cluster (cluster.ts) and the hub's processes (deployment.ts, fleet.ts);
 * - the faults (schedule.ts draws them, faults.ts carries them out);
 * - the checker (checker.ts: the ERP's records; topic-audit.ts: Kafka's topics;
 *   hub-api.ts: the reconciler's admin API and the instances' metrics);
 * - the report (report.ts).
 * It reads only the emulators, Kafka and the hub's public APIs (Postgres only to cut
 * connections and drop the run's schemas).
 *
 * `report()` runs it once; `stop()` (Ctrl-C, a test's timeout) stops what it started.
 */
export class ChaosRun {
  private readonly stamp = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${Date.now().toString(36)}`;
  private readonly runDir: string;
  private readonly businessDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  private readonly random: () => number;
  private readonly workload: Workload;
  private readonly cluster = new ChaosCluster();
  private readonly database = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  private readonly checks: Checks;
  private fleet: Fleet | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: ChaosOptions) {
    this.runDir = join(options.reportDir, `chaos-${this.stamp}`);
    this.random = seededRandom(options.seed ^ 0x2545f491);
    this.workload = new Workload({ ...options, businessDate: this.businessDate, random: this.random });
    this.checks = new Checks(options.log);
  }

  private get prefix(): string {
    return `chaos-${this.stamp}.`;
  }

  private schema(app: string): string {
    return `chaos_${this.stamp.replace(/-/g, '_')}_${app}`;
  }

  /** Stops the run's apps, emulators and cluster, and drops its schemas (once, however often it is called). */
  stop(): Promise<void> {
    return (this.stopped ??= (async () => {
      await this.fleet?.stopAll().catch(() => undefined);
      await this.workload.close();
      await this.cluster
        .down()
        .catch((error: unknown) => this.options.log(`cluster not stopped: ${(error as Error).message}`));
      for (const app of ['enricher', 'sink', 'reconciler'])
        await this.database.query(`DROP SCHEMA IF EXISTS "${this.schema(app)}" CASCADE`).catch(() => undefined);
      await this.database.end().catch(() => undefined);
    })());
  }

  async report(): Promise<ChaosReport> {
    try {
      return await this.execute();
    } finally {
      await this.stop();
    }
  }

  private async execute(): Promise<ChaosReport> {
    const { options, workload, checks } = this;
    const { log } = options;
    mkdirSync(this.runDir, { recursive: true });
    const schedule = faultSchedule({
      seed: options.seed,
      windowMs: options.pushSeconds * 1000,
      erpOutageMs: options.erpOutageSeconds * 1000,
    });
    log(
      `chaos run: ${options.orders} orders (${workload.eventsOfTheDay} events) of ${this.businessDate}, seed ${options.seed}, pushed over ${options.pushSeconds} s`,
    );
    workload.describe(log);
    log('fault schedule (seconds after the push starts):');
    for (const fault of schedule)
      log(
        `  ${(fault.atMs / 1000).toFixed(1).padStart(6)} s  ${fault.description}${fault.target ? ` [${fault.target}]` : ''}`,
      );

    if (options.build) {
      log('building the apps...');
      await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    }
    log('starting a 3-broker KRaft cluster and a schema registry...');
    await this.cluster.up();
    const variables = await this.cluster.variables();
    const brokers = variables.KAFKA_BROKERS.split(',');
    const kafka = new Kafka({ clientId: 'chaos-checker', brokers, logLevel: logLevel.NOTHING });
    await this.database.connect();
    const endpoints = await workload.listen(join(this.runDir, 'tenants.json'));
    const applicationPrefix = `chaos-${this.stamp}`;
    const fleet = (this.fleet = new Fleet(
      await chaosDeployment({
        cluster: variables,
        prefix: this.prefix,
        schema: (app) => this.schema(app),
        applicationPrefix,
        workload: endpoints,
        ingestKeys: workload.ingestKeys,
        adminToken: ADMIN_TOKEN,
      }),
      join(this.runDir, 'logs'),
    ));
    log('starting ingest, 2 enrichers, 2 sinks and the reconciler (built apps, one process each)...');
    await fleet.startAll();
    const hub = new HubApi(fleet.url('reconciler-1'), ADMIN_TOKEN);

    // NewStore's event streams push the day to ingest's webhook while the faults strike.
    const pushStarted = Date.now();
    workload.startPush(`${fleet.url('ingest-1')}/webhooks/newstore`, log);
    const faults = new FaultInjector({
      fleet,
      cluster: this.cluster,
      brokers,
      prefix: this.prefix,
      database: this.database,
      applicationPrefix,
      workload,
      erpOutageSeconds: options.erpOutageSeconds,
      random: this.random,
      log,
    });
    await faults.run(schedule, pushStarted);
    const pushed = await workload.pushEnded();
    const lastEventAt = Date.now();
    log(
      `push ended after ${((lastEventAt - pushStarted) / 1000).toFixed(0)} s: ${pushed.first.status}, ${pushed.first.delivered} delivered, ${pushed.first.duplicatesSent} duplicates sent`,
    );
    for (const [day, state] of [
      [workload.first, pushed.first],
      [workload.second, pushed.second],
    ] as const)
      checks.check(
        day === workload.first
          ? 'the integration delivered the day'
          : `the second tenant's integration delivered its day (${SECOND_TENANT}, its own key)`,
        state.status === 'running' && state.dayDelivered,
        `${state.status}${state.stoppedReason ? ` (${state.stoppedReason})` : ''}, ${state.delivered} delivered, ${state.rejected.size} rejected`,
      );

    // Quiet: every expected record of the delivered orders is in each ERP account, and nothing moves.
    const planted = workload.planted;
    const delivered = workload.first.orders.filter((order) => order.id !== planted.neverDelivered.id);
    const second = { orders: workload.second.orders, records: () => workload.records(workload.second) };
    const quietAt = await waitUntilSettled([{ orders: delivered, records: () => workload.records() }, second], {
      timeoutMs: options.quietTimeoutSeconds * 1000,
      progress: log,
    });
    const secondsToQuiet = quietAt === undefined ? null : Math.max(0, (quietAt - lastEventAt) / 1000);
    log(
      secondsToQuiet === null
        ? `not quiet after ${options.quietTimeoutSeconds} s`
        : `quiet ${secondsToQuiet.toFixed(1)} s after the last event`,
    );
    if (quietAt === undefined) {
      // Evidence for whoever investigates (not a check): what the hub says of the orders still missing a record.
      const stuck = [...new Set(checkRecords(delivered, workload.records()).missing.map((item) => item.orderId))].slice(
        0,
        20,
      );
      log(`  the hub's story of the orders still missing a record (${stuck.length}):`);
      for (const orderId of stuck) log(`    ${orderId}: ${await hub.storyOf(TENANT, orderId)}`);
    }
    const firstCheck = checkRecords(delivered, workload.records());
    checks.check(
      'every delivered order holds exactly its ERP records, once each, with NewStore amounts',
      recordCheckPassed(firstCheck),
      describeRecordCheck(firstCheck),
    );
    // Nothing crosses: a record of the other tenant in an account is "unexplained" there, and missing from its own.
    const secondCheck = checkRecords(second.orders, second.records());
    checks.check(
      `every order of ${SECOND_TENANT} holds exactly its records in its own ERP account, and no record crosses`,
      recordCheckPassed(secondCheck) && recordCheckPassed(firstCheck),
      `${SECOND_TENANT}: ${describeRecordCheck(secondCheck)}; ${TENANT}'s account: ${firstCheck.unexplained.length} unexplained`,
    );
    checks.check('no instance crashed on its own', fleet.crashed().length === 0, fleet.crashed().join(', ') || 'none');

    // Kafka: the raw topic holds every event NewStore delivered; the DLQ holds nothing.
    const topics = await auditTopics(kafka, this.prefix);
    const eventsDelivered = pushed.first.delivered + pushed.second.delivered;
    checks.check(
      'no event lost between NewStore and the raw topic',
      topics.distinctEvents >= eventsDelivered,
      `${eventsDelivered} delivered by NewStore (both tenants), ${topics.distinctEvents} distinct events on newstore.events.v1 (${topics.rawMessages} messages)`,
    );
    checks.check(
      'no dead letter (none was planted)',
      Object.values(topics.deadLetters).every((count) => count === 0),
      Object.entries(topics.deadLetters)
        .map(([topic, count]) => `${count} on ${topic}`)
        .join(', '),
    );

    await this.reconcileAndResync(hub);
    const resync1000 = await this.resyncThousand(hub);

    const report: ChaosReport = {
      seed: options.seed,
      businessDate: this.businessDate,
      orders: options.orders,
      ordersPerTenant: Object.fromEntries(workload.tenants.map((day) => [day.tenant, day.orders.length])),
      eventsOfTheDay: workload.eventsOfTheDay,
      eventsDelivered,
      duplicatesSent: pushed.first.duplicatesSent + pushed.second.duplicatesSent,
      rawTopicMessages: topics.rawMessages,
      rawTopicDistinctEvents: topics.distinctEvents,
      duplicatesAbsorbed: topics.rawMessages - topics.distinctEvents,
      topicDuplicates: topics.topicDuplicates,
      retriesPerTier: await counterByLabel(
        fleet.names('enricher').map((name) => fleet.url(name)),
        'parity_enricher_retries_total',
        'tier',
      ),
      erp: {
        records: workload.records().length + second.records().length,
        peakConcurrency: workload.first.erp.peakConcurrency,
        peakAttempted: workload.first.erp.peakAttempted,
        retriesSeenBySinks: await counterByLabel(
          fleet.names('erp-sink').map((name) => fleet.url(name)),
          'parity_erp_retries_total',
          'reason',
        ),
      },
      faults: faults.fired,
      restartsSurvived: faults.restartsSurvived,
      pushSeconds: (lastEventAt - pushStarted) / 1000,
      secondsFromLastEventToQuiet: secondsToQuiet,
      resync1000,
      checks: checks.list,
      passed: false,
      reportFile: join(this.runDir, 'report.json'),
    };
    const failed = faults.fired.filter((fault) => fault.outcome.startsWith('failed'));
    checks.check(
      'every scheduled fault was carried out',
      failed.length === 0,
      failed.map((fault) => `${fault.kind}: ${fault.outcome}`).join('; ') || `${faults.fired.length} faults`,
    );
    report.passed = checks.passed;
    writeFileSync(report.reportFile, `${JSON.stringify(report, null, 2)}\n`);
    return report;
  }

  /**
   * Plants one ERP-side discrepancy of each kind, reconciles (exactly those must be found),
   * resyncs, and reconciles again: none open, full parity, every record once. The second
   * tenant's day is reconciled from its own NewStore and ERP account: nothing to find.
   */
  private async reconcileAndResync(hub: HubApi): Promise<void> {
    const { workload, checks, options, businessDate } = this;
    const plantedKinds = await workload.plantDiscrepancies();
    const firstRun = await hub.reconcile(TENANT, businessDate);
    const found = await hub.discrepancies(TENANT, businessDate);
    checks.check(
      'the reconciliation finds exactly the planted discrepancies, by kind',
      firstRun.status === 'succeeded' && JSON.stringify(found) === JSON.stringify(plantedKinds),
      `${firstRun.status}${firstRun.error ? ` (${firstRun.error})` : ''}; found ${found.join(', ') || 'none'}`,
    );

    const resync = await hub.resync({ tenant: TENANT, date: businessDate });
    options.log(
      `resync: ${resync.ordersInjected.length} injected, ${resync.ordersReplayed.length} replayed, ${resync.duplicatesDeleted.length} duplicates deleted` +
        resync.failed.map((failure) => `; ${failure.orderId} failed (${failure.action}: ${failure.error})`).join(''),
    );
    const account = { orders: workload.first.orders, records: () => workload.records() };
    if ((await waitUntilSettled([account], { timeoutMs: options.quietTimeoutSeconds * 1000 })) === undefined)
      options.log(`resync: not settled after ${options.quietTimeoutSeconds} s`);
    const secondRun = await hub.reconcile(TENANT, businessDate);
    checks.check(
      'a second reconciliation after the resync: succeeded, 0 open, parity 100 %',
      secondRun.status === 'succeeded' && secondRun.openDiscrepancies === 0 && secondRun.parityRatio === 1,
      `${secondRun.status}, ${secondRun.openDiscrepancies} open, parity ${secondRun.parityRatio}`,
    );
    const secondTenantRun = await hub.reconcile(SECOND_TENANT, businessDate);
    checks.check(
      `the reconciliation of ${SECOND_TENANT}'s day: succeeded, 0 open, parity 100 %`,
      secondTenantRun.status === 'succeeded' &&
        secondTenantRun.openDiscrepancies === 0 &&
        secondTenantRun.parityRatio === 1,
      `${secondTenantRun.status}${secondTenantRun.error ? ` (${secondTenantRun.error})` : ''}, ${secondTenantRun.openDiscrepancies} open, parity ${secondTenantRun.parityRatio}`,
    );
    const final = checkRecords(workload.first.orders, workload.records());
    checks.check(
      'after the resync every order of the day holds exactly its ERP records, once each',
      recordCheckPassed(final),
      describeRecordCheck(final),
    );
  }

  /** A resync of 1,000 orders (or the day, if smaller), timed until the ERP has every record written again. */
  private async resyncThousand(hub: HubApi): Promise<ChaosReport['resync1000']> {
    const { workload, checks, options } = this;
    const orders = workload.first.orders.slice(0, 1_000);
    const writes = () => workload.records().reduce((sum, record) => sum + record.writes, 0);
    const writesBefore = writes();
    const expectedWrites = orders.reduce((sum, order) => sum + checkRecords([order], workload.records()).matched, 0);
    const started = Date.now();
    await hub.resync({ tenant: TENANT, orderIds: orders.map((order) => order.id) });
    let seconds: number | null = null;
    while (Date.now() - started < options.quietTimeoutSeconds * 1000) {
      if (writes() - writesBefore >= expectedWrites) {
        seconds = (Date.now() - started) / 1000;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    options.log(
      seconds === null
        ? 'resync of 1,000 orders: not done in time'
        : `resync of ${orders.length} orders: ${expectedWrites} ERP upserts in ${seconds.toFixed(1)} s`,
    );
    checks.check(
      `a resync of ${orders.length} orders re-posts their records`,
      seconds !== null,
      seconds === null ? 'not done in time' : `${seconds.toFixed(1)} s`,
    );
    const afterResync = checkRecords(workload.first.orders, workload.records());
    checks.check(
      'the resync of those orders created nothing twice',
      recordCheckPassed(afterResync),
      describeRecordCheck(afterResync),
    );
    return seconds === null ? null : { orders: orders.length, seconds };
  }
}
