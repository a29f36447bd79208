import { DiscrepancyKind, ErpDocumentType } from '@hub/contracts';
import { ErpTransaction } from '@hub/erp';
import { EXTERNAL_ID_PREFIXES, OrderSummary } from '@hub/newstore';
import {
  classifyOrphan,
  Discrepancy,
  DISCREPANCY_KINDS,
  DocumentComparison,
  OrderComparison,
  ProjectedLine,
  ReturnComparison,
} from '@hub/reconciliation';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';
import type { DiscrepancyRow, RunRow } from './reconciliation.schemas';

export type { DiscrepancyRow, RunRow } from './reconciliation.schemas';

/** An order's path through the hub, as the projections know it. */
/** The columns a discrepancy is read with ({@link toDiscrepancy}), in every query that returns one. */
const DISCREPANCY_COLUMNS = `id::text, tenant, to_char(business_date, 'YYYY-MM-DD') AS business_date, kind, subject,
  order_id, document_type, external_id, expected::float8, found::float8, delta::float8, erp_internal_ids, detail,
  first_seen_at, last_seen_at, resolved_at, resync_requested_at`;

export interface OrderPath {
  orderId: string;
  /** Null when no event of the order reached the hub. */
  events: { status: string; count: number; partition: number; offsets: string[]; currency: string | null } | null;
  documents: {
    documentType: string;
    externalId: string | null;
    sourceEvent: string | null;
    status: string | null;
    erpInternalId: string | null;
    attempts: number | null;
    error: string | null;
  }[];
  deadLetters: { eventName: string | null; reason: string | null }[];
}

export interface DayStatus {
  lastRun: RunRow | null;
  lastSuccessfulRun: RunRow | null;
}

const RUN_COLUMNS = `id::text, tenant, to_char(business_date, 'YYYY-MM-DD') AS business_date, time_zone, trigger, status,
  started_at, finished_at, newstore_orders, hub_orders, hub_orders_unsettled, hub_documents, erp_transactions, open_discrepancies,
  resolved_discrepancies, parity_ratio, amount_delta::float8 AS amount_delta, error`;

type Raw = Record<string, unknown>;
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
const iso = (value: unknown) =>
  value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : text(value);
const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function toRun(row: Raw): RunRow {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    businessDate: String(row.business_date),
    timeZone: String(row.time_zone),
    trigger: String(row.trigger),
    status: row.status as RunRow['status'],
    startedAt: iso(row.started_at)!,
    finishedAt: iso(row.finished_at),
    newstoreOrders: numberOrNull(row.newstore_orders),
    hubOrders: numberOrNull(row.hub_orders),
    hubOrdersUnsettled: numberOrNull(row.hub_orders_unsettled),
    hubDocuments: numberOrNull(row.hub_documents),
    erpTransactions: numberOrNull(row.erp_transactions),
    openDiscrepancies: numberOrNull(row.open_discrepancies),
    resolvedDiscrepancies: numberOrNull(row.resolved_discrepancies),
    parityRatio: numberOrNull(row.parity_ratio),
    amountDelta: numberOrNull(row.amount_delta),
    error: row.error === null ? null : text(row.error),
  };
}

function toDiscrepancy(row: Raw): DiscrepancyRow {
  return {
    id: String(row.id),
    tenant: String(row.tenant),
    businessDate: String(row.business_date),
    kind: row.kind as DiscrepancyKind,
    orderId: String(row.order_id),
    subject: String(row.subject),
    documentType: (row.document_type as ErpDocumentType | null) ?? null,
    externalId: (row.external_id as string | null) ?? null,
    expected: numberOrNull(row.expected),
    found: numberOrNull(row.found),
    delta: numberOrNull(row.delta),
    erpInternalIds: (row.erp_internal_ids as string[]) ?? [],
    detail: String(row.detail),
    firstSeenAt: iso(row.first_seen_at)!,
    lastSeenAt: iso(row.last_seen_at)!,
    resolvedAt: iso(row.resolved_at),
    resyncRequestedAt: iso(row.resync_requested_at),
  };
}

/** The external ids the hub gives records other than sales (POSIX regex, a tenant's token allowed first). */
const HUB_EXTERNAL_ID_PATTERN = `^([A-Za-z0-9_-]+-)?(${Object.values(EXTERNAL_ID_PREFIXES).join('|')})-`;

/**
 * Runs, staging and discrepancies of the daily reconciliation. The sides are
 * compared by streaming joins (server-side cursors), so memory stays flat
 * whatever the size of the day.
 */
@Injectable()
export class ReconciliationRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async startRun(tenant: string, businessDate: string, timeZone: string, trigger: string): Promise<string> {
    const [row] = await this.dataSource.query<{ id: string }[]>(
      `INSERT INTO reconciliation_runs (tenant, business_date, time_zone, trigger, status) VALUES ($1, $2, $3, $4, 'running') RETURNING id::text`,
      [tenant, businessDate, timeZone, trigger],
    );
    return row.id;
  }

  async stageNewStoreOrders(runId: string, orders: OrderSummary[]): Promise<void> {
    if (orders.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO run_newstore_orders (run_id, order_id, external_id, total, item_count, is_historical, cancelled_items)
       SELECT $1, o.order_id, o.external_id, o.total, o.item_count, o.is_historical,
         coalesce(ARRAY(SELECT jsonb_array_elements_text(o.cancelled)), '{}'::text[])
       FROM unnest($2::text[], $3::text[], $4::numeric[], $5::int[], $6::boolean[], $7::jsonb[])
         AS o(order_id, external_id, total, item_count, is_historical, cancelled)
       ON CONFLICT DO NOTHING`,
      [
        runId,
        orders.map((order) => order.id),
        orders.map((order) => order.externalId),
        orders.map((order) => order.grandTotal),
        orders.map((order) => order.itemCount),
        orders.map((order) => order.isHistorical),
        orders.map((order) => JSON.stringify(order.cancelledItemIds ?? [])),
      ],
    );
  }

  /** NewStore's returns of the day, each with the external ids the hub gives its refund records. */
  async stageNewStoreReturns(
    runId: string,
    returns: { id: string; orderId: string | null; totalRefund: string | null; externalIds: string[] }[],
  ): Promise<void> {
    if (returns.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO run_newstore_returns (run_id, return_id, order_id, total, external_ids)
       SELECT $1, r.return_id, r.order_id, r.total, ARRAY(SELECT jsonb_array_elements_text(r.external_ids))
       FROM unnest($2::text[], $3::text[], $4::numeric[], $5::jsonb[]) AS r(return_id, order_id, total, external_ids)
       ON CONFLICT DO NOTHING`,
      [
        runId,
        returns.map((item) => item.id),
        returns.map((item) => item.orderId),
        returns.map((item) => item.totalRefund),
        returns.map((item) => JSON.stringify(item.externalIds)),
      ],
    );
  }

  async stageErpTransactions(runId: string, transactions: ErpTransaction[]): Promise<void> {
    const known = transactions.filter((transaction) => transaction.documentType !== 'other');
    if (known.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO run_erp_transactions (run_id, internal_id, external_id, document_type, total, lines_listed)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::boolean[])
       ON CONFLICT DO NOTHING`,
      [
        runId,
        known.map((transaction) => transaction.internalId),
        known.map((transaction) => transaction.externalId),
        known.map((transaction) => transaction.documentType),
        known.map((transaction) => transaction.total),
        known.map((transaction) => transaction.lines !== undefined),
      ],
    );
    const lines = known.flatMap((transaction) =>
      (transaction.lines ?? []).map((line) => ({ internalId: transaction.internalId, ...line })),
    );
    if (lines.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO run_erp_lines (run_id, internal_id, line, item, item_names, item_type, quantity, amount, is_closed)
       SELECT $1, l.internal_id, l.line, l.item, CASE WHEN l.names IS NULL THEN NULL
         ELSE ARRAY(SELECT jsonb_array_elements_text(l.names)) END, l.item_type, l.quantity, l.amount, l.is_closed
       FROM unnest($2::text[], $3::int[], $4::text[], $5::jsonb[], $6::text[], $7::numeric[], $8::numeric[], $9::boolean[])
         AS l(internal_id, line, item, names, item_type, quantity, amount, is_closed)
       ON CONFLICT DO NOTHING`,
      [
        runId,
        lines.map((line) => line.internalId),
        lines.map((line) => line.line),
        lines.map((line) => line.item),
        lines.map((line) => (line.itemNames ? JSON.stringify(line.itemNames) : null)),
        lines.map((line) => line.itemType),
        lines.map((line) => line.quantity),
        lines.map((line) => line.amount),
        lines.map((line) => line.isClosed),
      ],
    );
  }

  async clearStagedErp(runId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM run_erp_transactions WHERE run_id = $1`, [runId]);
    await this.dataSource.query(`DELETE FROM run_erp_lines WHERE run_id = $1`, [runId]);
  }

  /**
   * Fresh planner statistics for the comparison: the staging tables were just filled
   * (and a rebuild may have just filled the projections); with stale ones Postgres
   * plans a day of a million orders as if it had a few thousand. ANALYZE samples a
   * fixed number of rows, so it costs well under a second whatever the size.
   */
  async analyzeForComparison(): Promise<void> {
    await this.dataSource.query(
      `ANALYZE run_newstore_orders, run_newstore_returns, run_erp_transactions, run_erp_lines, orders, erp_documents`,
    );
  }

  async clearStaging(runId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM run_newstore_orders WHERE run_id = $1`, [runId]);
    await this.dataSource.query(`DELETE FROM run_newstore_returns WHERE run_id = $1`, [runId]);
    await this.clearStagedErp(runId);
  }

  /**
   * Streams the order-level join (NewStore ∪ hub orders of the day) in pages to
   * `onPage`, inside one read transaction with a server-side cursor.
   */
  async streamOrders(
    runId: string,
    tenant: string,
    businessDate: string,
    /** Hub orders created later are left to the next run, as NewStore's are. */
    settledBefore: Date,
    pageSize: number,
    onPage: (rows: OrderComparison[]) => Promise<void>,
  ): Promise<void> {
    await this.withCursor(
      `SELECT k.order_id, ns.external_id AS ns_external_id, ns.total::text AS ns_total, ns.item_count AS ns_item_count,
         ns.is_historical AS ns_historical, h.external_id AS hub_external_id, h.total::text AS hub_total,
         h.item_count AS hub_item_count, h.is_historical AS hub_historical, h.opened AS hub_opened,
         EXISTS (SELECT 1 FROM erp_documents d WHERE d.tenant = $2 AND d.order_id = k.order_id
           AND d.document_type IN ('salesOrder', 'cashSale') AND d.tran_date IS NOT NULL) AS has_sale,
         ARRAY(SELECT coalesce(dl.event_name, 'event') || ': ' || coalesce(dl.reason, 'no reason') FROM dead_letters dl
           WHERE dl.tenant = $2 AND dl.order_id = k.order_id
           AND NOT EXISTS (SELECT 1 FROM erp_documents d2 WHERE d2.source_event_id = dl.event_id)
           ORDER BY dl.topic_partition, dl.topic_offset) AS dead_letters
       FROM (SELECT order_id FROM run_newstore_orders WHERE run_id = $1
             UNION SELECT order_id FROM orders WHERE tenant = $2 AND business_date = $3 AND created_at < $4) k
       LEFT JOIN run_newstore_orders ns ON ns.run_id = $1 AND ns.order_id = k.order_id
       LEFT JOIN orders h ON h.tenant = $2 AND h.order_id = k.order_id
       ORDER BY k.order_id`,
      [runId, tenant, businessDate, settledBefore],
      pageSize,
      async (rows) =>
        onPage(
          rows.map((row) => ({
            orderId: String(row.order_id),
            newstore:
              row.ns_external_id === null
                ? null
                : {
                    externalId: text(row.ns_external_id),
                    total: row.ns_total as string,
                    itemCount: Number(row.ns_item_count),
                    isHistorical: Boolean(row.ns_historical),
                  },
            hub:
              row.hub_opened === null
                ? null
                : {
                    externalId: (row.hub_external_id as string | null) ?? null,
                    total: (row.hub_total as string | null) ?? null,
                    itemCount: numberOrNull(row.hub_item_count),
                    isHistorical: Boolean(row.hub_historical),
                    opened: Boolean(row.hub_opened),
                  },
            hasSaleDocument: Boolean(row.has_sale),
            deadLetters: row.dead_letters as string[],
          })),
        ),
    );
  }

  /** Streams the hub's documents of the day, each with the ERP's records of the same type and external id. */
  async streamDocuments(
    runId: string,
    tenant: string,
    businessDate: string,
    pageSize: number,
    onPage: (rows: DocumentComparison[]) => Promise<void>,
  ): Promise<void> {
    await this.withCursor(
      // A cancellation's closing is a change to its sale, not a record: the sale is compared with what the
      // ERP books once every closing the hub made is applied (docs/domain.md section 3), whatever their day.
      `SELECT d.idempotency_key, d.order_id, d.document_type, d.external_id,
         (d.amount + coalesce((SELECT sum(c.amount) FROM erp_documents c WHERE c.closes_lines AND c.tenant = d.tenant
           AND c.document_type = d.document_type AND c.external_id = d.external_id), 0))::text AS amount, d.status,
         d.erp_internal_id, d.error, d.lines,
         coalesce((SELECT json_agg(c.lines ORDER BY c.document_partition, c.document_offset) FROM erp_documents c
           WHERE c.closes_lines AND c.lines IS NOT NULL AND c.tenant = d.tenant AND c.document_type = d.document_type
           AND c.external_id = d.external_id), '[]'::json) AS closings,
         CASE WHEN d.document_type = 'salesOrder' THEN coalesce((SELECT ns.cancelled_items FROM run_newstore_orders ns
           WHERE ns.run_id = $1 AND ns.order_id = d.order_id), '{}'::text[]) ELSE '{}'::text[] END AS cancelled,
         CASE WHEN d.document_type = 'salesOrder' THEN ARRAY(SELECT DISTINCT x.line->>'itemId' FROM erp_documents cm
           CROSS JOIN LATERAL jsonb_array_elements(cm.lines) AS x(line)
           WHERE cm.tenant = d.tenant AND cm.order_id = d.order_id AND cm.document_type = 'creditMemo'
           AND cm.lines IS NOT NULL AND cm.source_event_name IN ('order.items_cancelled', 'order.cancelled'))
           ELSE '{}'::text[] END AS credited,
         coalesce((SELECT json_agg(json_build_object('internalId', e.internal_id, 'total', e.total::text,
             'lines', CASE WHEN e.lines_listed THEN coalesce((SELECT json_agg(json_build_object('line', l.line,
               'item', l.item, 'itemNames', l.item_names, 'itemType', l.item_type, 'quantity', l.quantity::text,
               'amount', l.amount::text, 'isClosed', l.is_closed) ORDER BY l.line)
               FROM run_erp_lines l WHERE l.run_id = $1 AND l.internal_id = e.internal_id), '[]'::json) END)
             ORDER BY e.internal_id)
           FROM run_erp_transactions e WHERE e.run_id = $1 AND e.document_type = d.document_type
           AND e.external_id = d.external_id), '[]'::json) AS erp
       FROM erp_documents d
       WHERE d.tenant = $2 AND d.tran_date = $3 AND NOT d.closes_lines
       ORDER BY d.idempotency_key`,
      [runId, tenant, businessDate],
      pageSize,
      async (rows) =>
        onPage(
          rows.map((row) => ({
            hub: {
              idempotencyKey: String(row.idempotency_key),
              orderId: String(row.order_id),
              documentType: row.document_type as ErpDocumentType,
              externalId: String(row.external_id),
              total: String(row.amount),
              status: (row.status as 'posted' | 'failed' | null) ?? null,
              erpInternalId: (row.erp_internal_id as string | null) ?? null,
              error: (row.error as string | null) ?? null,
              lines: (row.lines as ProjectedLine[] | null) ?? null,
              closings: row.closings as ProjectedLine[][],
              cancelledInNewStore: row.cancelled as string[],
              creditedCancellations: row.credited as string[],
            },
            erp: row.erp as DocumentComparison['erp'],
          })),
        ),
    );
  }

  /** Streams NewStore's returns of the day, each with the ERP's records and the hub's documents of it. */
  async streamReturns(
    runId: string,
    tenant: string,
    pageSize: number,
    onPage: (rows: ReturnComparison[]) => Promise<void>,
  ): Promise<void> {
    await this.withCursor(
      `SELECT r.return_id, r.order_id, r.total::text AS total,
         coalesce((SELECT json_agg(json_build_object('internalId', e.internal_id, 'externalId', e.external_id,
             'documentType', e.document_type, 'total', e.total::text) ORDER BY e.internal_id)
           FROM run_erp_transactions e WHERE e.run_id = $1 AND e.document_type IN ('cashRefund', 'creditMemo', 'customerRefund')
           AND e.external_id = ANY(r.external_ids)), '[]'::json) AS erp,
         (SELECT count(*) FROM erp_documents d WHERE d.tenant = $2 AND d.external_id = ANY(r.external_ids))::int AS hub
       FROM run_newstore_returns r WHERE r.run_id = $1
       ORDER BY r.return_id`,
      [runId, tenant],
      pageSize,
      async (rows) =>
        onPage(
          rows.map((row) => ({
            returnId: String(row.return_id),
            orderId: (row.order_id as string | null) ?? null,
            totalRefund: (row.total as string | null) ?? null,
            erp: row.erp as ReturnComparison['erp'],
            hubDocuments: Number(row.hub),
          })),
        ),
    );
  }

  /**
   * ERP records of the day that carry an external id of the hub's making (one of
   * {@link EXTERNAL_ID_PREFIXES}, after a tenant where the tenant is in external ids, or
   * the order number of one of the day's orders) and match no hub document of any tenant.
   */
  async streamOrphans(
    runId: string,
    tenant: string,
    businessDate: string,
    pageSize: number,
    onPage: (rows: Parameters<typeof classifyOrphan>[0][]) => Promise<void>,
  ): Promise<void> {
    await this.withCursor(
      // The ERP records no hub document explains come first (a hash anti-join); only those few
      // are then looked up by external id, each lookup a hash join: linear in the day's size.
      `WITH unexplained AS MATERIALIZED (
         SELECT e.internal_id, e.external_id, e.document_type, e.total FROM run_erp_transactions e
         WHERE e.run_id = $1 AND e.external_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM erp_documents d WHERE d.document_type = e.document_type AND d.external_id = e.external_id)
       ),
       newstore AS (
         SELECT n.external_id, min(n.order_id) AS order_id FROM run_newstore_orders n
         WHERE n.run_id = $1 AND n.external_id IN (SELECT external_id FROM unexplained) GROUP BY n.external_id
       ),
       hub AS (
         SELECT o.external_id, min(o.order_id) AS order_id, bool_or(o.business_date = $3) AS of_the_day FROM orders o
         WHERE o.tenant = $2 AND o.external_id IN (SELECT external_id FROM unexplained) GROUP BY o.external_id
       )
       SELECT e.internal_id, e.external_id, e.document_type, e.total::text AS total,
         coalesce(n.order_id, h.order_id) AS order_id
       FROM unexplained e
       LEFT JOIN newstore n ON n.external_id = e.external_id
       LEFT JOIN hub h ON h.external_id = e.external_id
       WHERE e.external_id ~ $4 OR n.order_id IS NOT NULL OR coalesce(h.of_the_day, false)
       ORDER BY e.internal_id`,
      [runId, tenant, businessDate, HUB_EXTERNAL_ID_PATTERN],
      pageSize,
      async (rows) =>
        onPage(
          rows.map((row) => ({
            internalId: String(row.internal_id),
            externalId: String(row.external_id),
            documentType: row.document_type as ErpDocumentType,
            total: String(row.total),
            orderId: (row.order_id as string | null) ?? null,
          })),
        ),
    );
  }

  private async withCursor(
    sql: string,
    parameters: unknown[],
    pageSize: number,
    onRows: (rows: Raw[]) => Promise<void>,
  ): Promise<void> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query(`DECLARE comparison NO SCROLL CURSOR FOR ${sql}`, parameters);
      for (;;) {
        const rows = (await runner.query(`FETCH ${pageSize} FROM comparison`)) as Raw[];
        if (rows.length === 0) break;
        await onRows(rows);
        if (rows.length < pageSize) break;
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Records what a run found: new ones are inserted, known ones marked seen again (and reopened). */
  async recordDiscrepancies(
    runId: string,
    tenant: string,
    businessDate: string,
    found: Discrepancy[],
  ): Promise<DiscrepancyRow[]> {
    if (found.length === 0) return [];
    // One row per (kind, subject) within a page.
    const unique = [...new Map(found.map((item) => [`${item.kind}\u0000${item.subject}`, item])).values()];
    const column = <T>(pick: (item: Discrepancy) => T) => unique.map(pick);
    const rows = await this.dataSource.query<Raw[]>(
      `INSERT INTO discrepancies AS x (tenant, business_date, kind, subject, order_id, document_type, external_id, expected,
         found, delta, erp_internal_ids, detail, first_seen_run, last_seen_run)
       SELECT $1, $2, t.kind, t.subject, t.order_id, t.document_type, t.external_id, t.expected, t.found, t.delta,
         CASE WHEN t.erp_ids = '' THEN '{}'::text[] ELSE string_to_array(t.erp_ids, ',') END, t.detail, $3, $3
       FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::numeric[], $10::numeric[],
         $11::numeric[], $12::text[], $13::text[])
         AS t(kind, subject, order_id, document_type, external_id, expected, found, delta, erp_ids, detail)
       ON CONFLICT (tenant, business_date, kind, subject) DO UPDATE SET
         order_id = EXCLUDED.order_id, document_type = EXCLUDED.document_type, external_id = EXCLUDED.external_id,
         expected = EXCLUDED.expected, found = EXCLUDED.found, delta = EXCLUDED.delta,
         erp_internal_ids = EXCLUDED.erp_internal_ids, detail = EXCLUDED.detail, last_seen_run = EXCLUDED.last_seen_run,
         last_seen_at = now(), resolved_at = NULL
       RETURNING ${DISCREPANCY_COLUMNS}`,
      [
        tenant,
        businessDate,
        runId,
        column((item) => item.kind),
        column((item) => item.subject),
        column((item) => item.orderId),
        column((item) => item.documentType),
        column((item) => item.externalId),
        column((item) => item.expected),
        column((item) => item.found),
        column((item) => item.delta),
        column((item) => item.erpInternalIds.join(',')),
        column((item) => item.detail),
      ],
    );
    return rows.map(toDiscrepancy);
  }

  /** Discrepancies of the day not seen by this run are resolved now. */
  async resolveUnseen(runId: string, tenant: string, businessDate: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE discrepancies SET resolved_at = now()
       WHERE tenant = $1 AND business_date = $2 AND resolved_at IS NULL AND last_seen_run <> $3`,
      [tenant, businessDate, runId],
    );
  }

  /** Counts and parity figures of a finished comparison. */
  async figures(runId: string, tenant: string, businessDate: string, settledBefore: Date) {
    const [row] = await this.dataSource.query<Raw[]>(
      `SELECT
         (SELECT count(*) FROM run_newstore_orders WHERE run_id = $1)::int AS newstore_orders,
         (SELECT count(*) FROM orders WHERE tenant = $2 AND business_date = $3 AND created_at < $4)::int AS hub_orders,
         (SELECT count(*) FROM orders WHERE tenant = $2 AND business_date = $3 AND NOT (created_at < $4))::int
           AS hub_orders_unsettled,
         (SELECT count(*) FROM erp_documents WHERE tenant = $2 AND tran_date = $3)::int AS hub_documents,
         (SELECT count(*) FROM run_erp_transactions WHERE run_id = $1)::int AS erp_transactions,
         (SELECT count(*) FROM (SELECT order_id FROM run_newstore_orders WHERE run_id = $1
            UNION SELECT order_id FROM orders WHERE tenant = $2 AND business_date = $3 AND created_at < $4
            UNION SELECT order_id FROM erp_documents WHERE tenant = $2 AND tran_date = $3
            UNION SELECT order_id FROM discrepancies WHERE tenant = $2 AND business_date = $3 AND resolved_at IS NULL) u)::int
           AS orders_considered,
         (SELECT count(DISTINCT order_id) FROM discrepancies
            WHERE tenant = $2 AND business_date = $3 AND resolved_at IS NULL)::int AS orders_with_discrepancy,
         (SELECT coalesce(sum(abs(delta)), 0)::float8 FROM discrepancies
            WHERE tenant = $2 AND business_date = $3 AND resolved_at IS NULL AND kind = 'amount_mismatch') AS amount_delta`,
      [runId, tenant, businessDate, settledBefore],
    );
    const { open, resolved } = await this.kindCounts(tenant, businessDate);
    return {
      newstoreOrders: Number(row.newstore_orders),
      hubOrders: Number(row.hub_orders),
      /** Hub orders created within the settle window: left to the next run, like NewStore's. */
      hubOrdersUnsettled: Number(row.hub_orders_unsettled),
      hubDocuments: Number(row.hub_documents),
      erpTransactions: Number(row.erp_transactions),
      ordersConsidered: Number(row.orders_considered),
      ordersWithDiscrepancy: Number(row.orders_with_discrepancy),
      amountDelta: Number(row.amount_delta),
      open,
      resolved,
    };
  }

  async finishRun(
    runId: string,
    outcome:
      | { status: 'succeeded'; figures: Awaited<ReturnType<ReconciliationRepository['figures']>>; parityRatio: number }
      | { status: 'failed'; error: string },
  ): Promise<RunRow> {
    const figures = outcome.status === 'succeeded' ? outcome.figures : undefined;
    const sum = (counts: Record<string, number> | undefined) =>
      counts ? Object.values(counts).reduce((total, count) => total + count, 0) : null;
    const [row] = await this.dataSource.query<Raw[][]>(
      `UPDATE reconciliation_runs SET status = $2, finished_at = now(), newstore_orders = $3, hub_orders = $4,
         hub_documents = $5, erp_transactions = $6, open_discrepancies = $7, resolved_discrepancies = $8,
         parity_ratio = $9, amount_delta = $10, error = $11, hub_orders_unsettled = $12
       WHERE id = $1 RETURNING ${RUN_COLUMNS}`,
      [
        runId,
        outcome.status,
        figures?.newstoreOrders ?? null,
        figures?.hubOrders ?? null,
        figures?.hubDocuments ?? null,
        figures?.erpTransactions ?? null,
        sum(figures?.open),
        sum(figures?.resolved),
        outcome.status === 'succeeded' ? outcome.parityRatio : null,
        figures?.amountDelta ?? null,
        outcome.status === 'failed' ? outcome.error : null,
        figures?.hubOrdersUnsettled ?? null,
      ],
    );
    // TypeORM returns [rows, count] for UPDATE ... RETURNING.
    return toRun(Array.isArray(row) ? row[0] : row);
  }

  async runs(tenant: string | undefined, businessDate: string | undefined, limit = 100): Promise<RunRow[]> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
       WHERE ($1::text IS NULL OR tenant = $1) AND ($2::date IS NULL OR business_date = $2)
       ORDER BY id DESC LIMIT $3`,
      [tenant ?? null, businessDate ?? null, limit],
    );
    return rows.map(toRun);
  }

  /**
   * What is known of a day: its last run, and the last run that succeeded (whose
   * discrepancies are the day's). A day with no successful run has no parity
   * figures at all: it is unknown, never clean.
   */
  async dayStatus(tenant: string, businessDate: string): Promise<DayStatus> {
    const [last] = await this.runs(tenant, businessDate, 1);
    const [succeeded] = await this.dataSource.query<Raw[]>(
      `SELECT ${RUN_COLUMNS} FROM reconciliation_runs
       WHERE tenant = $1 AND business_date = $2 AND status = 'succeeded' ORDER BY id DESC LIMIT 1`,
      [tenant, businessDate],
    );
    return { lastRun: last ?? null, lastSuccessfulRun: succeeded ? toRun(succeeded) : null };
  }

  /** The most recent business days with a run, newest first, each with its last and last successful run. */
  async recentDays(tenant: string, days: number): Promise<(DayStatus & { businessDate: string })[]> {
    const dates = await this.dataSource.query<{ business_date: string }[]>(
      `SELECT DISTINCT to_char(business_date, 'YYYY-MM-DD') AS business_date FROM reconciliation_runs
       WHERE tenant = $1 ORDER BY business_date DESC LIMIT $2`,
      [tenant, days],
    );
    return Promise.all(
      dates.map(async ({ business_date }) => ({
        businessDate: business_date,
        ...(await this.dayStatus(tenant, business_date)),
      })),
    );
  }

  /** Open and resolved discrepancies of a day by kind, as the metrics show them. */
  async kindCounts(
    tenant: string,
    businessDate: string,
  ): Promise<{ open: Record<DiscrepancyKind, number>; resolved: Record<DiscrepancyKind, number> }> {
    const counts = await this.dataSource.query<{ kind: DiscrepancyKind; open: number; resolved: number }[]>(
      `SELECT kind, count(*) FILTER (WHERE resolved_at IS NULL)::int AS open, count(*) FILTER (WHERE resolved_at IS NOT NULL)::int AS resolved
       FROM discrepancies WHERE tenant = $1 AND business_date = $2 GROUP BY kind`,
      [tenant, businessDate],
    );
    const zero = () =>
      Object.fromEntries(DISCREPANCY_KINDS.map((kind) => [kind, 0])) as Record<DiscrepancyKind, number>;
    const open = zero();
    const resolved = zero();
    for (const count of counts) {
      open[count.kind] = count.open;
      resolved[count.kind] = count.resolved;
    }
    return { open, resolved };
  }

  /** Whether a scheduled (or caught-up) run of the day has succeeded. */
  async hasScheduledSuccess(tenant: string, businessDate: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM reconciliation_runs WHERE tenant = $1 AND business_date = $2 AND status = 'succeeded'
         AND trigger IN ('schedule', 'catch-up') LIMIT 1`,
      [tenant, businessDate],
    );
    return rows.length > 0;
  }

  /**
   * Runs `work` while this replica holds the schedule's lock (a Postgres advisory
   * lock, taken without waiting): `acquired` is false when another replica has it.
   */
  async whileScheduling(work: (acquired: boolean) => Promise<void>): Promise<void> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      const [{ acquired }] = (await runner.query(
        // Per schema: reconcilers of other deployments sharing the database keep their own schedule.
        `SELECT pg_try_advisory_lock(hashtext('reconciler-schedule:' || current_schema())) AS acquired`,
      )) as { acquired: boolean }[];
      try {
        await work(acquired);
      } finally {
        if (acquired)
          await runner.query(`SELECT pg_advisory_unlock(hashtext('reconciler-schedule:' || current_schema()))`);
      }
    } finally {
      await runner.release();
    }
  }

  /** The discrepancies of a day, open ones only unless `all`. */
  async discrepancies(
    tenant: string,
    businessDate: string,
    options: { all?: boolean; orderIds?: string[] } = {},
  ): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT ${DISCREPANCY_COLUMNS}
       FROM discrepancies WHERE tenant = $1 AND business_date = $2 AND ($3 OR resolved_at IS NULL)
         AND ($4::text[] IS NULL OR order_id = ANY($4))
       ORDER BY kind, order_id, subject`,
      [tenant, businessDate, options.all ?? false, options.orderIds ?? null],
    );
    return rows.map(toDiscrepancy);
  }

  async markResyncRequested(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(`UPDATE discrepancies SET resync_requested_at = now() WHERE id = ANY($1::bigint[])`, [
      ids,
    ]);
  }

  /** The projection's view of orders: where their events are in newstore.events.v1. */
  async orderEvents(
    tenant: string,
    orderIds: string[],
  ): Promise<{ orderId: string; partition: number; offsets: string[] }[]> {
    if (orderIds.length === 0) return [];
    const rows = await this.dataSource.query<{ order_id: string; event_partition: number; offsets: string[] }[]>(
      `SELECT order_id, event_partition, event_offsets::text[] AS offsets FROM orders WHERE tenant = $1 AND order_id = ANY($2)`,
      [tenant, orderIds],
    );
    return rows.map((row) => ({ orderId: row.order_id, partition: row.event_partition, offsets: row.offsets }));
  }

  /** The ERP id the hub's own record of a document has. */
  async hubErpIds(idempotencyKeys: string[]): Promise<Map<string, string | null>> {
    const rows = await this.dataSource.query<{ idempotency_key: string; erp_internal_id: string | null }[]>(
      `SELECT idempotency_key, erp_internal_id FROM erp_documents WHERE idempotency_key = ANY($1)`,
      [idempotencyKeys],
    );
    return new Map(rows.map((row) => [row.idempotency_key, row.erp_internal_id]));
  }

  /** Each day of a range with its last successful run, oldest first (null: no successful run, parity unknown). */
  async parityHistory(
    tenant: string,
    from: string,
    to: string,
  ): Promise<{ businessDate: string; run: RunRow | null }[]> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day, r.* FROM generate_series($2::date, $3::date, '1 day') d
       LEFT JOIN LATERAL (SELECT ${RUN_COLUMNS} FROM reconciliation_runs
         WHERE tenant = $1 AND business_date = d AND status = 'succeeded' ORDER BY id DESC LIMIT 1) r ON true
       ORDER BY d`,
      [tenant, from, to],
    );
    return rows.map((row) => ({ businessDate: String(row.day), run: row.id === null ? null : toRun(row) }));
  }

  /** The open discrepancies of a range of days. */
  async openDiscrepanciesBetween(tenant: string, from: string, to: string): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT ${DISCREPANCY_COLUMNS}
       FROM discrepancies WHERE tenant = $1 AND business_date BETWEEN $2 AND $3 AND resolved_at IS NULL
       ORDER BY business_date, kind, order_id, subject`,
      [tenant, from, to],
    );
    return rows.map(toDiscrepancy);
  }

  /** Each order's events, documents (with their ERP ids and errors) and dead letters, from the projections. */
  async orderPaths(tenant: string, orderIds: string[]): Promise<Map<string, OrderPath>> {
    const paths = new Map<string, OrderPath>(
      orderIds.map((orderId) => [orderId, { orderId, events: null, documents: [], deadLetters: [] }]),
    );
    if (orderIds.length === 0) return paths;
    const orders = await this.dataSource.query<Raw[]>(
      `SELECT order_id, status, event_count, event_partition, event_offsets::text[] AS offsets, currency
       FROM orders WHERE tenant = $1 AND order_id = ANY($2)`,
      [tenant, orderIds],
    );
    for (const row of orders)
      paths.get(String(row.order_id))!.events = {
        status: String(row.status),
        count: Number(row.event_count),
        partition: Number(row.event_partition),
        offsets: row.offsets as string[],
        currency: (row.currency as string | null) ?? null,
      };
    const documents = await this.dataSource.query<Raw[]>(
      `SELECT order_id, document_type, external_id, source_event_name, status, erp_internal_id, attempts, error
       FROM erp_documents WHERE tenant = $1 AND order_id = ANY($2) ORDER BY order_id, document_offset`,
      [tenant, orderIds],
    );
    for (const row of documents)
      paths.get(String(row.order_id))!.documents.push({
        documentType: String(row.document_type),
        externalId: (row.external_id as string | null) ?? null,
        sourceEvent: (row.source_event_name as string | null) ?? null,
        status: (row.status as string | null) ?? null,
        erpInternalId: (row.erp_internal_id as string | null) ?? null,
        attempts: numberOrNull(row.attempts),
        error: (row.error as string | null) ?? null,
      });
    const deadLetters = await this.dataSource.query<Raw[]>(
      `SELECT order_id, event_name, reason FROM dead_letters WHERE tenant = $1 AND order_id = ANY($2)
       ORDER BY order_id, topic_partition, topic_offset`,
      [tenant, orderIds],
    );
    for (const row of deadLetters)
      paths.get(String(row.order_id))!.deadLetters.push({
        eventName: (row.event_name as string | null) ?? null,
        reason: (row.reason as string | null) ?? null,
      });
    return paths;
  }

  /**
   * The order an operator names: by NewStore order id, by order number, or by the
   * external id of any of its ERP documents. Undefined when the projections do not know it.
   */
  async findOrder(tenant: string, id: string): Promise<ProjectedOrder | undefined> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT o.order_id, o.external_id, o.channel_type, to_char(o.business_date, 'YYYY-MM-DD') AS business_date,
         o.currency, o.total::text AS total, o.item_count, o.is_historical, o.status
       FROM orders o
       WHERE o.tenant = $1 AND o.order_id = (
         SELECT order_id FROM orders WHERE tenant = $1 AND (order_id = $2 OR external_id = $2)
         UNION ALL SELECT order_id FROM erp_documents WHERE tenant = $1 AND external_id = $2
         LIMIT 1)`,
      [tenant, id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      orderId: String(row.order_id),
      orderNumber: (row.external_id as string | null) ?? null,
      channelType: (row.channel_type as string | null) ?? null,
      businessDate: (row.business_date as string | null) ?? null,
      currency: (row.currency as string | null) ?? null,
      total: (row.total as string | null) ?? null,
      itemCount: numberOrNull(row.item_count),
      historical: row.is_historical === true,
      status: String(row.status),
    };
  }

  /** Every discrepancy ever found for one order, open and resolved, oldest day first. */
  async orderDiscrepancies(tenant: string, orderId: string): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<Raw[]>(
      `SELECT ${DISCREPANCY_COLUMNS} FROM discrepancies WHERE tenant = $1 AND order_id = $2
       ORDER BY business_date, kind, subject`,
      [tenant, orderId],
    );
    return rows.map(toDiscrepancy);
  }
}

/** An order as the projection of newstore.events.v1 holds it. */
export interface ProjectedOrder {
  orderId: string;
  orderNumber: string | null;
  channelType: string | null;
  businessDate: string | null;
  currency: string | null;
  /** NewStore's grand total, a decimal string. */
  total: string | null;
  itemCount: number | null;
  historical: boolean;
  status: string;
}
