import { createErpPort } from '@hub/erp';
import { createSchemaRegistry, DocumentCodec, KafkaInfrastructure } from '@hub/kafka';
import { createEventStreamClient, createNewStoreClient } from '@hub/newstore-graphql';
import { ServiceRuntime } from '@hub/platform';
import { addDays, datesBetween, nextDailyRun } from '@hub/reconciliation';
import { DataSource } from 'typeorm';
import { DailyReconciliation } from './daily-reconciliation';
import { EventStreamWatchdog } from './event-stream-watchdog';
import { ProjectionRepository } from './projection.repository';
import { Projector } from './projector';
import { ReconcilerConfig } from './reconciler.config';
import { ReconcilerMetrics } from './reconciler.metrics';
import { ReconciliationRepository, RunRow } from './reconciliation.repository';
import { Resync } from './resync';

/**
 * The reconciler's parts, wired once: projections (and their rebuild), the daily
 * reconciliation with its schedule, resync. The HTTP admin API and the commands
 * both drive this object.
 */
export class ReconcilerWorker {
  readonly metrics: ReconcilerMetrics;
  readonly projector: Projector;
  readonly reconciliation: DailyReconciliation;
  readonly repository: ReconciliationRepository;
  readonly resync: Resync;
  readonly watchdog: EventStreamWatchdog;
  private scheduleTimer: NodeJS.Timeout | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private scheduled: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    readonly config: ReconcilerConfig,
    private readonly runtime: ServiceRuntime,
    kafka: KafkaInfrastructure,
    dataSource: DataSource,
  ) {
    this.metrics = new ReconcilerMetrics(runtime.metrics);
    const logger = runtime.logger.child({ context: 'reconciler' });
    const codec = new DocumentCodec(createSchemaRegistry(config), `${kafka.topics.erpDocuments}-value`);
    const projections = new ProjectionRepository(
      dataSource,
      codec,
      config.RECONCILER_TIME_ZONE,
      logger,
      (topic, message, reason) => {
        this.metrics.skipped.inc({ topic });
        logger.warn(
          { topic, partition: message.partition, offset: message.offset, reason },
          'unreadable message skipped',
        );
      },
    );
    const newStore = createNewStoreClient(config);
    const [from, to] = config.WATCHDOG_TRADING_HOURS.split('-');
    this.watchdog = new EventStreamWatchdog(
      createEventStreamClient(config, newStore),
      {
        integrations: new Map(
          (config.WATCHDOG_INTEGRATIONS ?? []).map((entry) => [
            entry.slice(0, entry.indexOf(':')),
            entry.slice(entry.indexOf(':') + 1),
          ]),
        ),
        intervalMs: config.WATCHDOG_INTERVAL_MS,
        autoRestart: config.WATCHDOG_AUTO_RESTART,
        ingestReadyUrl: config.WATCHDOG_INGEST_READY_URL,
        silenceMinutes: config.WATCHDOG_SILENCE_MINUTES,
        tradingHours: { from, to },
        timeZone: config.RECONCILER_TIME_ZONE,
      },
      runtime.metrics,
      logger.child({ context: 'event-stream-watchdog' }),
    );
    this.projector = new Projector(
      kafka,
      projections,
      this.metrics,
      logger,
      config.RECONCILER_CONSUMER_GROUP,
      (messages) => this.watchdog.eventsSeen(messages),
    );
    this.repository = new ReconciliationRepository(dataSource);
    const erp = createErpPort(config, 'reconciler');
    this.reconciliation = new DailyReconciliation(
      config,
      this.repository,
      newStore,
      erp,
      kafka,
      this.metrics,
      logger,
      () => this.projector.rebuildRunning,
    );
    this.resync = new Resync(
      this.repository,
      kafka,
      newStore,
      erp,
      config.RECONCILER_RESYNC_DELETE_DUPLICATES,
      this.metrics,
      logger,
    );
  }

  /** Serving: projections consume, the lag gauge refreshes, the daily run is scheduled. */
  async start(): Promise<void> {
    await this.projector.start();
    this.runtime.onShutdown('reconciler', () => this.stop());
    this.runtime.addReadinessCheck({
      name: 'projections',
      check: async () => this.projector.isRunning || this.projector.rebuildRunning,
    });
    this.lagTimer = setInterval(() => {
      this.projector.updateLag().catch((error: unknown) => this.runtime.logger.warn({ err: error }, 'lag not read'));
    }, 5_000);
    await this.restoreMetrics();
    this.watchdog.start();
    if (this.config.RECONCILER_SCHEDULE_ENABLED) {
      this.scheduled = this.catchUp().catch((error: unknown) =>
        this.runtime.logger.error({ err: error }, 'catch-up of missed reconciliations failed'),
      );
      this.scheduleNext();
    }
  }

  /**
   * The parity gauges of the last business days as Postgres has them, so a
   * restarted reconciler shows what it knew (a dashboard is not empty until the
   * next run), and a day whose runs all failed shows as unknown.
   */
  async restoreMetrics(): Promise<void> {
    for (const tenant of this.config.RECONCILER_TENANTS) {
      for (const day of await this.repository.recentDays(tenant, 7)) {
        if (!day.lastSuccessfulRun) {
          this.metrics.recordUnknownDay(tenant, day.businessDate);
          continue;
        }
        const run = day.lastSuccessfulRun;
        this.metrics.recordRun({
          tenant,
          businessDate: day.businessDate,
          newstoreOrders: run.newstoreOrders ?? 0,
          hubOrders: run.hubOrders ?? 0,
          erpTransactions: run.erpTransactions ?? 0,
          ...(await this.repository.kindCounts(tenant, day.businessDate)),
          parityRatio: run.parityRatio ?? 0,
          amountDelta: run.amountDelta ?? 0,
        });
      }
    }
  }

  /**
   * Reconciles the days whose scheduled run did not happen (the service was down
   * at that time), oldest first, at most RECONCILER_CATCH_UP_DAYS of them.
   */
  async catchUp(now = new Date()): Promise<void> {
    const limit = this.config.RECONCILER_CATCH_UP_DAYS;
    if (limit === 0) return;
    const { businessDate: next } = nextDailyRun(now, this.config.RECONCILER_TIME_ZONE, this.config.RECONCILER_DAILY_AT);
    const lastDue = addDays(next, -1);
    const earliest = addDays(lastDue, -(limit - 1));
    for (const tenant of this.config.RECONCILER_TENANTS) {
      for (const date of datesBetween(earliest, lastDue)) {
        if (this.stopping) return;
        await this.runScheduled(tenant, date, 'catch-up');
      }
    }
  }

  /**
   * A scheduled run, by one replica only: under a Postgres advisory lock, and only
   * when no scheduled run of that day has succeeded yet (a second replica, or a
   * restart, finds it done and leaves it).
   */
  private async runScheduled(tenant: string, date: string, trigger: 'schedule' | 'catch-up'): Promise<void> {
    await this.repository.whileScheduling(async (acquired) => {
      if (!acquired) {
        this.runtime.logger.info({ tenant, businessDate: date }, 'another replica runs the schedule; skipped');
        return;
      }
      if (await this.repository.hasScheduledSuccess(tenant, date)) return;
      await this.reconciliation.run(tenant, date, trigger);
    });
  }

  /** Graceful stop: no new run starts, the running one finishes, the projections commit and leave. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.scheduleTimer);
    clearInterval(this.lagTimer);
    await this.watchdog.stop();
    await this.scheduled?.catch(() => undefined);
    await this.projector.stop();
  }

  /** Reconciles each day of a range for a tenant, one after the other. */
  async reconcileRange(tenant: string, from: string, to: string, trigger: string): Promise<RunRow[]> {
    const runs: RunRow[] = [];
    for (const date of datesBetween(from, to)) runs.push(await this.reconciliation.run(tenant, date, trigger));
    return runs;
  }

  private scheduleNext(): void {
    if (this.stopping) return;
    const { at, businessDate } = nextDailyRun(
      new Date(),
      this.config.RECONCILER_TIME_ZONE,
      this.config.RECONCILER_DAILY_AT,
    );
    this.runtime.logger.info({ at: at.toISOString(), businessDate }, 'next daily reconciliation scheduled');
    // Timers cap at about 24.8 days; a day is far below.
    this.scheduleTimer = setTimeout(() => {
      const previous = this.scheduled;
      this.scheduled = (async () => {
        await previous?.catch(() => undefined);
        for (const tenant of this.config.RECONCILER_TENANTS) {
          if (this.stopping) return;
          await this.runScheduled(tenant, businessDate, 'schedule');
        }
      })()
        .catch((error: unknown) => this.runtime.logger.error({ err: error }, 'daily reconciliation failed'))
        .finally(() => this.scheduleNext());
    }, at.getTime() - Date.now());
  }
}
