import { decimal, DiscrepancyMessage, encodeTopicValue, HEADERS, retryTemporary } from '@hub/contracts';
import { KafkaInfrastructure } from '@hub/kafka';
import {
  EXTERNAL_ID_PREFIXES,
  NewStoreOrderListing,
  OrderSummary,
  ReturnSummary,
  tenantToken,
  toExternalId,
} from '@hub/newstore';
import {
  businessDateOf,
  businessDayWindow,
  classifyDocument,
  datesBetween,
  classifyOrder,
  classifyOrphan,
  classifyReturn,
  parityRatio,
} from '@hub/reconciliation';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ExtractRepository } from './extract.repository';
import { Projector } from '../projections/projector';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerMetrics } from '../reconciler.metrics';
import { DayComparisonRepository } from './day-comparison.repository';
import { DayStagingRepository } from './day-staging.repository';
import { DiscrepancyRow, ReconciliationRepository, RunRow } from './reconciliation.repository';
import { ERP_PORTS, NEWSTORE_CLIENT } from '../reconciler.tokens';
import { ErpPorts, ReconcilerConnections } from '../reconciler-connections';

const COMPARE_PAGE = 1_000;

/**
 * One tenant's business day, compared across NewStore (GraphQL), the hub (its
 * projections) and the ERP (SuiteQL): each side is staged in Postgres page by
 * page, then joined and classified by the rules of @hub/reconciliation. Every
 * discrepancy is recorded and published to reconciliation.discrepancies.v1.
 */
@Injectable()
export class DailyReconciliation {
  private readonly running = new Map<string, Promise<RunRow>>();

  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: ReconcilerConfig,
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(DayComparisonRepository) private readonly comparison: DayComparisonRepository,
    @Inject(DayStagingRepository) private readonly staging: DayStagingRepository,
    @Inject(ExtractRepository) private readonly extracts: ExtractRepository,
    @Inject(NEWSTORE_CLIENT) private readonly newStore: NewStoreOrderListing,
    @Inject(ERP_PORTS) private readonly erps: ErpPorts,
    /** Each tenant's business-day zone. */
    @Inject(ReconcilerConnections) private readonly tenants: Pick<ReconcilerConnections, 'timeZoneOf'>,
    @Inject(KafkaInfrastructure) private readonly kafka: KafkaInfrastructure,
    @Inject(ReconcilerMetrics) private readonly metrics: ReconcilerMetrics,
    /** While the projections are rebuilt they are incomplete: no run compares against them. */
    @Inject(Projector) private readonly projector: Pick<Projector, 'rebuildRunning'>,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
  ) {
    this.logger = runtime.logger.child({ context: 'reconciler' });
  }

  /** Reconciles each day of a range for a tenant, one after the other. */
  async runRange(tenant: string, from: string, to: string, trigger: string): Promise<RunRow[]> {
    const runs: RunRow[] = [];
    for (const date of datesBetween(from, to)) runs.push(await this.run(tenant, date, trigger));
    return runs;
  }

  /** Reconciles one day of one tenant; a second call for the same day waits for the first. */
  run(tenant: string, businessDate: string, trigger: string): Promise<RunRow> {
    const key = `${tenant}:${businessDate}`;
    let running = this.running.get(key);
    if (!running) {
      // A span of its own (a trace per run), failures recorded on it.
      running = this.runtime.tracing
        .span(
          'reconciliation',
          { attributes: { 'parity.tenant': tenant, 'parity.business_date': businessDate, 'parity.trigger': trigger } },
          async () => {
            const run = await this.execute(tenant, businessDate, trigger);
            this.runtime.tracing.annotate({ 'parity.run_status': run.status });
            return run;
          },
        )
        .finally(() => this.running.delete(key));
      this.running.set(key, running);
    }
    return running;
  }

  private async execute(tenant: string, businessDate: string, trigger: string): Promise<RunRow> {
    const started = performance.now();
    const zone = this.tenants.timeZoneOf(tenant);
    const runId = await this.repository.startRun(tenant, businessDate, zone, trigger);
    const log = this.logger.child({ runId, tenant, businessDate });
    log.info({ trigger }, 'reconciliation started');
    try {
      if (this.projector.rebuildRunning)
        throw new Error(
          'the projections are being rebuilt; run the reconciliation again when GET /admin/rebuild says done',
        );
      // One instant for both sides: NewStore's orders and the hub's are cut at the same point.
      const settledBefore = new Date(Date.now() - this.config.RECONCILER_SETTLE_MINUTES * 60_000);
      await Promise.all([
        this.stageNewStore(runId, tenant, businessDate, settledBefore),
        this.stageErp(runId, tenant, businessDate),
      ]);
      await this.staging.analyzeForComparison();
      let found = 0;
      await this.comparison.streamOrders(runId, tenant, businessDate, settledBefore, COMPARE_PAGE, async (rows) => {
        found += await this.record(runId, tenant, businessDate, rows.flatMap(classifyOrder));
      });
      await this.comparison.streamDocuments(runId, tenant, businessDate, COMPARE_PAGE, async (rows) => {
        found += await this.record(runId, tenant, businessDate, rows.flatMap(classifyDocument));
      });
      await this.comparison.streamOrphans(runId, tenant, businessDate, COMPARE_PAGE, async (rows) => {
        found += await this.record(runId, tenant, businessDate, rows.map(classifyOrphan));
      });
      await this.comparison.streamReturns(runId, tenant, COMPARE_PAGE, async (rows) => {
        found += await this.record(runId, tenant, businessDate, rows.flatMap(classifyReturn));
      });
      await this.repository.resolveUnseen(runId, tenant, businessDate);
      const figures = await this.repository.figures(runId, tenant, businessDate, settledBefore);
      const ratio = parityRatio(figures.ordersConsidered, figures.ordersWithDiscrepancy);
      // A whole day's listings are kept for month and year reports (a day cut at the settle window is not whole).
      if (businessDayWindow(businessDate, zone).to <= settledBefore)
        await this.storeExtract(runId, tenant, businessDate);
      const run = await this.repository.finishRun(runId, { status: 'succeeded', figures, parityRatio: ratio });
      const seconds = (performance.now() - started) / 1000;
      this.metrics.recordRun({ tenant, businessDate, ...figures, parityRatio: ratio });
      this.metrics.recordOutcome(tenant, 'succeeded', seconds);
      log.info(
        { seconds, found, parityRatio: ratio, newstoreOrders: figures.newstoreOrders, erp: figures.erpTransactions },
        'reconciliation finished',
      );
      return run;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, 'reconciliation failed');
      this.metrics.recordOutcome(tenant, 'failed', (performance.now() - started) / 1000);
      const run = await this.repository.finishRun(runId, { status: 'failed', error: message });
      const day = await this.repository.dayStatus(tenant, businessDate);
      if (!day.lastSuccessfulRun) this.metrics.recordUnknownDay(tenant, businessDate);
      return run;
    } finally {
      await this.staging.clearStaging(runId).catch((error: unknown) => log.warn({ err: error }, 'staging not cleared'));
    }
  }

  private async storeExtract(runId: string, tenant: string, businessDate: string): Promise<void> {
    await this.extracts.store(runId, tenant, businessDate);
    const dropped = await this.extracts.dropExpired(
      this.config.RECONCILER_EXTRACT_RETENTION_MONTHS,
      businessDateOf(new Date(), this.tenants.timeZoneOf(tenant)),
    );
    if (dropped.length > 0)
      this.logger.info({ months: dropped }, 'stored extracts older than RECONCILER_EXTRACT_RETENTION_MONTHS dropped');
  }

  /**
   * NewStore's side of the day (seed 000: one day per query, paged, minimal fields): the
   * orders created in it and the returns processed in it, each listing split into time
   * windows paged through in parallel (cursor, `first` ≤ 100), each page retried with back-off.
   */
  private async stageNewStore(runId: string, tenant: string, businessDate: string, settled: Date): Promise<void> {
    const day = businessDayWindow(businessDate, this.tenants.timeZoneOf(tenant));
    const from = day.from;
    const to = day.to < settled ? day.to : settled;
    if (to <= from) return;
    const size = this.config.RECONCILER_NEWSTORE_PAGE_SIZE;
    await this.pageWindows(runId, from, to, async (window, after) => {
      const page = await this.newStore.ordersCreated(tenant, window, after, size);
      await this.staging.stageNewStoreOrders(runId, page.orders.map(checkedAmount));
      return page;
    });
    await this.pageWindows(runId, from, to, async (window, after) => {
      const page = await this.newStore.returnsProcessed(tenant, window, after, size);
      await this.staging.stageNewStoreReturns(
        runId,
        page.returns.map((item) => staged(tenant, item)),
      );
      return page;
    });
  }

  /** [from, to) split into RECONCILER_NEWSTORE_CONCURRENCY windows, each paged through after the last cursor. */
  private async pageWindows(
    runId: string,
    from: Date,
    to: Date,
    readPage: (
      window: { from: Date; to: Date },
      after: string | null,
    ) => Promise<{ endCursor: string | null; hasNextPage: boolean }>,
  ): Promise<void> {
    const windows = this.config.RECONCILER_NEWSTORE_CONCURRENCY;
    const span = (to.getTime() - from.getTime()) / windows;
    await Promise.all(
      Array.from({ length: windows }, async (_, index) => {
        const window = {
          from: new Date(from.getTime() + Math.round(span * index)),
          to: index === windows - 1 ? to : new Date(from.getTime() + Math.round(span * (index + 1))),
        };
        let after: string | null = null;
        for (;;) {
          const page = await retryTemporary(
            () => readPage(window, after),
            this.retries('NewStore page failed; backing off', runId),
          );
          if (!page.hasNextPage || !page.endCursor) break;
          after = page.endCursor;
        }
      }),
    );
  }

  /** The ERP's transactions of the day; a temporary failure re-reads the day from the start. */
  private async stageErp(runId: string, tenant: string, businessDate: string): Promise<void> {
    const erp = this.erps.erpOf(tenant);
    await retryTemporary(
      async () => {
        await this.staging.clearStagedErp(runId);
        for await (const page of erp.listTransactions(businessDate, this.config.RECONCILER_ERP_PAGE_SIZE))
          await this.staging.stageErpTransactions(runId, page);
      },
      this.retries('ERP query failed; backing off', runId),
    );
  }

  /** RECONCILER_READ_ATTEMPTS calls from RECONCILER_RETRY_BASE_MS, each retry logged. */
  private retries(message: string, runId: string) {
    return {
      attempts: this.config.RECONCILER_READ_ATTEMPTS,
      baseMs: this.config.RECONCILER_RETRY_BASE_MS,
      onRetry: (error: unknown, attempt: number, delayMs: number) =>
        this.logger.warn({ err: error, attempt, delayMs, runId }, message),
    };
  }

  /** Records a page of discrepancies and publishes each one (key = order id). */
  private async record(
    runId: string,
    tenant: string,
    businessDate: string,
    found: Parameters<ReconciliationRepository['recordDiscrepancies']>[3],
  ): Promise<number> {
    if (found.length === 0) return 0;
    const rows = await this.repository.recordDiscrepancies(runId, tenant, businessDate, found);
    await this.kafka.producer.send(
      this.kafka.topics.reconciliationDiscrepancies,
      rows.map((row) => ({
        key: row.orderId,
        value: encodeTopicValue('reconciliationDiscrepancies', toMessage(runId, row)),
        headers: { [HEADERS.tenant]: tenant },
      })),
    );
    return rows.length;
  }
}

/** NewStore's grandTotal as an exact decimal; a missing or non-numeric one fails the run with the order named. */
function checkedAmount(order: OrderSummary): OrderSummary & { grandTotal: string } {
  try {
    return { ...order, grandTotal: decimal(order.grandTotal).toString() };
  } catch {
    throw new Error(
      `NewStore order ${order.id} has no readable grandTotal (${JSON.stringify(order.grandTotal) ?? 'missing'}): the day cannot be compared`,
    );
  }
}

/**
 * A NewStore return as the run stages it: its refund exactly, and the external ids the
 * hub gives its refund record and a web return's customer refund (docs/domain.md
 * section 3: the return id), with and without the tenant's token.
 */
function staged(tenant: string, item: ReturnSummary) {
  let totalRefund: string | null = null;
  if (item.totalRefundAmount !== null) {
    try {
      totalRefund = decimal(item.totalRefundAmount).toString();
    } catch {
      throw new Error(
        `NewStore return ${item.id} has no readable totalRefundAmount (${JSON.stringify(item.totalRefundAmount)}): the day cannot be compared`,
      );
    }
  }
  const own = [
    toExternalId(EXTERNAL_ID_PREFIXES.return, item.id),
    toExternalId(EXTERNAL_ID_PREFIXES.return, item.id, 'CR'),
  ];
  return {
    id: item.id,
    orderId: item.orderId,
    totalRefund,
    externalIds: [...own, ...own.map((id) => toExternalId(tenantToken(tenant), id))],
  };
}

function toMessage(runId: string, row: DiscrepancyRow): DiscrepancyMessage {
  return {
    schemaVersion: 2,
    runId,
    tenant: row.tenant,
    businessDate: row.businessDate,
    kind: row.kind,
    orderId: row.orderId,
    subject: row.subject,
    documentType: row.documentType,
    externalId: row.externalId,
    expected: row.expected,
    found: row.found,
    delta: row.delta,
    erpInternalIds: row.erpInternalIds,
    detail: row.detail,
    firstSeenAt: row.firstSeenAt,
  };
}
