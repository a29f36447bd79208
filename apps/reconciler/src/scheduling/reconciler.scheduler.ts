import { InjectConfig, PeriodicTasks, ServiceRuntime } from '@hub/platform';
import { addDays, datesBetween, nextDailyRun } from '@hub/reconciliation';
import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DailyReconciliation } from '../reconciliation/daily-reconciliation';
import { EventStreamWatchdog } from '../event-stream/event-stream-watchdog';
import { Projector } from '../projections/projector';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerMetrics } from '../reconciler.metrics';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { ReconcilerConnections } from '../reconciler-connections';

/**
 * The reconciler's clock: while serving, the projection lag gauge refreshes, the
 * parity gauges are restored from Postgres, missed days are caught up, the daily
 * run is scheduled (one replica at a time, then the days before it rechecked) and the
 * event-stream watchdog watches.
 */
@Injectable()
export class ReconcilerScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private scheduleTimer: NodeJS.Timeout | undefined;
  private scheduled: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    @InjectConfig() private readonly config: ReconcilerConfig,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(ReconcilerMetrics) private readonly metrics: ReconcilerMetrics,
    @Inject(Projector) private readonly projector: Projector,
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(DailyReconciliation) private readonly reconciliation: DailyReconciliation,
    @Inject(EventStreamWatchdog) private readonly watchdog: EventStreamWatchdog,
    /** The tenants, each with its zone and daily time. */
    @Inject(ReconcilerConnections) private readonly tenants: Pick<ReconcilerConnections, 'tenants' | 'of'>,
    @Inject(PeriodicTasks) private readonly tasks: PeriodicTasks,
  ) {}

  /** Serving: the lag gauge refreshes, the gauges are restored, the daily run is scheduled. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.runtime.mode !== 'serve') return;
    this.runtime.addReadinessCheck({
      name: 'projections',
      check: async () => this.projector.isRunning || this.projector.rebuildRunning,
    });
    // One read at a time, finished at shutdown before Kafka's admin client closes (PeriodicTasks).
    this.tasks.every('projection-lag', 5_000, () => this.projector.updateLag());
    await this.restoreMetrics();
    if (this.watchdog.enabled)
      this.tasks.every('event-stream-watchdog', this.watchdog.intervalMs, () => this.watchdog.poll(), {
        immediate: true,
      });
    if (this.config.RECONCILER_SCHEDULE_ENABLED) {
      this.scheduled = this.catchUp().catch((error: unknown) =>
        this.runtime.logger.error({ err: error }, 'catch-up of missed reconciliations failed'),
      );
      this.scheduleNext();
    }
  }

  /** Resolves once the scheduled work in hand (the start-up catch-up, a day's run) has finished. */
  async settled(): Promise<void> {
    await this.scheduled?.catch(() => undefined);
  }

  /**
   * The parity gauges of the last business days as Postgres has them, so a
   * restarted reconciler shows what it knew (a dashboard is not empty until the
   * next run), and a day whose runs all failed shows as unknown.
   */
  async restoreMetrics(): Promise<void> {
    for (const tenant of this.tenants.tenants) {
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
          amountDelta: run.amountDelta ?? '0',
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
    for (const tenant of this.tenants.tenants) {
      const { timeZone, dailyAt } = this.tenants.of(tenant);
      const { businessDate: next } = nextDailyRun(now, timeZone, dailyAt);
      const lastDue = addDays(next, -1);
      const earliest = addDays(lastDue, -(limit - 1));
      for (const date of datesBetween(earliest, lastDue)) {
        if (this.stopping) return;
        await this.runScheduled(tenant, date, 'catch-up');
      }
    }
  }

  /**
   * A scheduled run, by one replica only: under a Postgres advisory lock, and only
   * when no scheduled run of that day has succeeded yet (a second replica, or a
   * restart, finds it done and leaves it). The daily one is followed by its rechecks.
   */
  async runScheduled(tenant: string, date: string, trigger: 'schedule' | 'catch-up'): Promise<void> {
    await this.repository.whileScheduling(async (acquired) => {
      if (!acquired) {
        this.runtime.logger.info({ tenant, businessDate: date }, 'another replica runs the schedule; skipped');
        return;
      }
      if (await this.repository.hasScheduledSuccess(tenant, date)) return;
      await this.reconciliation.run(tenant, date, trigger);
      if (trigger === 'schedule') await this.recheck(tenant, date);
    });
  }

  /**
   * The RECONCILER_RECHECK_DAYS days before a scheduled day, reconciled again (trigger
   * `recheck`), oldest first, by the replica that ran the day, under the same lock. NewStore
   * lists a day's orders by creation: an item cancelled after its order's day had its run
   * is found when that day is reconciled again, and what a recheck no longer finds (fixed
   * since) is resolved. A failed recheck is recorded as a failed run, and the next goes on.
   */
  async recheck(tenant: string, date: string): Promise<void> {
    const days = this.config.RECONCILER_RECHECK_DAYS;
    if (days === 0) return;
    for (const day of datesBetween(addDays(date, -days), addDays(date, -1))) {
      if (this.stopping) return;
      await this.reconciliation
        .run(tenant, day, 'recheck')
        .catch((error: unknown) =>
          this.runtime.logger.error({ err: error, tenant, businessDate: day }, 'recheck of an earlier day failed'),
        );
    }
  }

  /** Graceful stop: no new run starts, the running one finishes; then the transport stops the projections. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.scheduleTimer);
    await this.scheduled?.catch(() => undefined);
  }

  private scheduleNext(): void {
    if (this.stopping) return;
    // Each tenant's next run in its own zone and time; the soonest are run together.
    const now = new Date();
    const plans = this.tenants.tenants.map((tenant) => {
      const { timeZone, dailyAt } = this.tenants.of(tenant);
      return { tenant, ...nextDailyRun(now, timeZone, dailyAt) };
    });
    if (plans.length === 0) return;
    const at = new Date(Math.min(...plans.map((plan) => plan.at.getTime())));
    const due = plans.filter((plan) => plan.at.getTime() === at.getTime());
    this.runtime.logger.info(
      { at: at.toISOString(), runs: due.map(({ tenant, businessDate }) => ({ tenant, businessDate })) },
      'next daily reconciliation scheduled',
    );
    // Timers cap at about 24.8 days; a day is far below.
    this.scheduleTimer = setTimeout(() => {
      const previous = this.scheduled;
      this.scheduled = (async () => {
        await previous?.catch(() => undefined);
        for (const { tenant, businessDate } of due) {
          if (this.stopping) return;
          await this.runScheduled(tenant, businessDate, 'schedule');
        }
      })()
        .catch((error: unknown) => this.runtime.logger.error({ err: error }, 'daily reconciliation failed'))
        .finally(() => this.scheduleNext());
    }, at.getTime() - Date.now());
  }
}
