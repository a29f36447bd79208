import { Inject, Injectable } from '@nestjs/common';
import { DISCREPANCY_KINDS, DiscrepancyKind } from '@hub/reconciliation';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Business dates kept as label values; older ones are removed, so series stay bounded. */
const DAYS_KEPT = 7;

export interface RunFigures {
  tenant: string;
  businessDate: string;
  newstoreOrders: number;
  hubOrders: number;
  erpTransactions: number;
  open: Record<DiscrepancyKind, number>;
  resolved: Record<DiscrepancyKind, number>;
  parityRatio: number;
  /** Exact (a decimal string); the gauge holds it as Prometheus's float. */
  amountDelta: string;
}

/**
 * The reconciler's Prometheus series. Labels are bounded: tenants come from
 * configuration, kinds and topics are enums, and only the last seven business
 * dates of each tenant are kept.
 */
@Injectable()
export class ReconcilerMetrics {
  readonly ordersSeen: Gauge<'tenant' | 'business_date' | 'system'>;
  readonly discrepancies: Gauge<'tenant' | 'business_date' | 'kind' | 'state'>;
  readonly parityRatio: Gauge<'tenant' | 'business_date'>;
  readonly dayKnown: Gauge<'tenant' | 'business_date'>;
  readonly amountDelta: Gauge<'tenant' | 'business_date'>;
  readonly lastRun: Gauge<'tenant' | 'outcome'>;
  readonly lastRunSuccess: Gauge<'tenant'>;
  readonly runDuration: Histogram<'outcome'>;
  readonly projectionLag: Gauge<'topic'>;
  readonly projected: Counter<'topic'>;
  readonly skipped: Counter<'topic'>;
  readonly replayProgress: Gauge<'operation'>;
  readonly resynced: Counter<'action'>;
  private readonly dates = new Map<string, string[]>();

  constructor(@Inject(Registry) registry: Registry) {
    const registers = [registry];
    this.ordersSeen = new Gauge({
      name: 'parity_reconciliation_orders',
      help: 'Orders (NewStore, hub) and transactions (ERP) seen by the last run of a business day',
      labelNames: ['tenant', 'business_date', 'system'],
      registers,
    });
    this.discrepancies = new Gauge({
      name: 'parity_reconciliation_discrepancies',
      help: 'Discrepancies of a business day by kind, open or resolved, after its last run',
      labelNames: ['tenant', 'business_date', 'kind', 'state'],
      registers,
    });
    this.dayKnown = new Gauge({
      name: 'parity_reconciliation_day_known',
      help: 'Whether a business day has a successful reconciliation (1); 0: every run of it failed, its parity is unknown',
      labelNames: ['tenant', 'business_date'],
      registers,
    });
    this.parityRatio = new Gauge({
      name: 'parity_reconciliation_parity_ratio',
      help: "Share of a business day's orders with no open discrepancy (1 = full parity)",
      labelNames: ['tenant', 'business_date'],
      registers,
    });
    this.amountDelta = new Gauge({
      name: 'parity_reconciliation_amount_delta',
      help: 'Sum of absolute amount differences of open amount mismatches, in the documents currency units',
      labelNames: ['tenant', 'business_date'],
      registers,
    });
    this.lastRun = new Gauge({
      name: 'parity_reconciliation_last_run_timestamp_seconds',
      help: 'When the last reconciliation run of a tenant ended, by outcome',
      labelNames: ['tenant', 'outcome'],
      registers,
    });
    this.lastRunSuccess = new Gauge({
      name: 'parity_reconciliation_last_run_success',
      help: '1 when the last reconciliation run of a tenant succeeded, 0 when it failed',
      labelNames: ['tenant'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'parity_reconciliation_run_duration_seconds',
      help: 'Duration of reconciliation runs',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers,
    });
    this.projectionLag = new Gauge({
      name: 'parity_projection_lag_messages',
      help: 'Messages of a topic not yet applied to the projections',
      labelNames: ['topic'],
      registers,
    });
    this.projected = new Counter({
      name: 'parity_projection_messages_applied_total',
      help: 'Messages applied to the projections, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.skipped = new Counter({
      name: 'parity_projection_messages_skipped_total',
      help: 'Unreadable messages skipped by the projections, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.replayProgress = new Gauge({
      name: 'parity_replay_progress_ratio',
      help: 'Progress of the running replay (rebuild of the projections) from 0 to 1',
      labelNames: ['operation'],
      registers,
    });
    this.resynced = new Counter({
      name: 'parity_resync_actions_total',
      help: 'Resync actions: events replayed, documents re-posted as built, orders injected from NewStore or not found there, ERP duplicates deleted or left to a person, failed',
      labelNames: ['action'],
      registers,
    });
    // Present at 0 from the start, so the first failure is an increase an alert sees.
    this.resynced.inc({ action: 'failed' }, 0);
  }

  recordRun(figures: RunFigures): void {
    const { tenant, businessDate } = figures;
    this.keepDate(tenant, businessDate);
    const labels = { tenant, business_date: businessDate };
    this.ordersSeen.set({ ...labels, system: 'newstore' }, figures.newstoreOrders);
    this.ordersSeen.set({ ...labels, system: 'hub' }, figures.hubOrders);
    this.ordersSeen.set({ ...labels, system: 'erp' }, figures.erpTransactions);
    for (const kind of DISCREPANCY_KINDS) {
      this.discrepancies.set({ ...labels, kind, state: 'open' }, figures.open[kind]);
      this.discrepancies.set({ ...labels, kind, state: 'resolved' }, figures.resolved[kind]);
    }
    this.parityRatio.set(labels, figures.parityRatio);
    this.amountDelta.set(labels, Number(figures.amountDelta));
    this.dayKnown.set(labels, 1);
  }

  /**
   * A day whose runs all failed: its parity is unknown. The ratio and the counts
   * are removed (absent, never a stale or a perfect 1) and `day_known` says 0.
   */
  recordUnknownDay(tenant: string, businessDate: string): void {
    this.keepDate(tenant, businessDate);
    const labels = { tenant, business_date: businessDate };
    this.removeFigures(labels);
    this.dayKnown.set(labels, 0);
  }

  private removeFigures(labels: { tenant: string; business_date: string }): void {
    for (const system of ['newstore', 'hub', 'erp']) this.ordersSeen.remove({ ...labels, system });
    for (const kind of DISCREPANCY_KINDS)
      for (const state of ['open', 'resolved']) this.discrepancies.remove({ ...labels, kind, state });
    this.parityRatio.remove(labels);
    this.amountDelta.remove(labels);
  }

  recordOutcome(tenant: string, outcome: 'succeeded' | 'failed', seconds: number): void {
    this.lastRun.set({ tenant, outcome }, Date.now() / 1000);
    this.lastRunSuccess.set({ tenant }, outcome === 'succeeded' ? 1 : 0);
    this.runDuration.observe({ outcome }, seconds);
  }

  private keepDate(tenant: string, businessDate: string): void {
    const dates = this.dates.get(tenant) ?? [];
    if (!dates.includes(businessDate)) dates.push(businessDate);
    dates.sort();
    while (dates.length > DAYS_KEPT) {
      const old = dates.shift()!;
      const labels = { tenant, business_date: old };
      this.removeFigures(labels);
      this.dayKnown.remove(labels);
    }
    this.dates.set(tenant, dates);
  }
}
