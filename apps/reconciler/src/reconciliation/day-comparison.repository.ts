import { ErpDocumentType, SALE_DOCUMENT_TYPES } from '@hub/contracts';
import { EXTERNAL_ID_PREFIXES } from '@hub/newstore';
import {
  classifyOrphan,
  describeRetry,
  DocumentComparison,
  EnrichmentRetry,
  OrderComparison,
  ProjectedLine,
  ReturnComparison,
} from '@hub/reconciliation';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, QueryRunner } from 'typeorm';

/** The external ids the hub gives records other than sales (POSIX regex, a tenant's token allowed first). */
const HUB_EXTERNAL_ID_PATTERN = `^([A-Za-z0-9_-]+-)?(${Object.values(EXTERNAL_ID_PREFIXES).join('|')})-`;

/**
 * A run's comparison of its day: the sides {@link DayStagingRepository} staged
 * (NewStore's orders and returns, the ERP's transactions and their lines) joined with
 * the projections by streaming queries (server-side cursors), so memory stays flat
 * whatever the size of the day.
 */
@Injectable()
export class DayComparisonRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

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
    await this.withCursor<{
      order_id: string;
      ns_external_id: string | null;
      ns_total: string | null;
      ns_item_count: number | null;
      ns_historical: boolean | null;
      hub_external_id: string | null;
      hub_total: string | null;
      hub_item_count: number | null;
      hub_historical: boolean | null;
      hub_opened: boolean | null;
      has_sale: boolean;
      dead_letters: string[];
      last_retry: EnrichmentRetry | null;
    }>(
      `SELECT k.order_id, ns.external_id AS ns_external_id, ns.total::text AS ns_total, ns.item_count AS ns_item_count,
         ns.is_historical AS ns_historical, h.external_id AS hub_external_id, h.total::text AS hub_total,
         h.item_count AS hub_item_count, h.is_historical AS hub_historical, h.opened AS hub_opened,
         EXISTS (SELECT 1 FROM erp_documents d WHERE d.tenant = $2 AND d.order_id = k.order_id
           AND d.document_type = ANY($5) AND d.tran_date IS NOT NULL) AS has_sale,
         ARRAY(SELECT coalesce(dl.event_name, 'event') || ': ' || coalesce(dl.reason, 'no reason') FROM dead_letters dl
           WHERE dl.tenant = $2 AND dl.order_id = k.order_id
           AND NOT EXISTS (SELECT 1 FROM erp_documents d2 WHERE d2.source_event_id = dl.event_id)
           ORDER BY dl.topic_partition, dl.topic_offset) AS dead_letters,
         (SELECT json_build_object('eventId', r.event_id, 'eventName', r.event_name, 'attempt', r.attempt,
             'delayMs', r.tier_delay_ms, 'reason', r.reason,
             -- ISO 8601 in UTC as the order page gives it (toISOString).
             'movedAt', to_char(r.moved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'dueAt', to_char(r.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
           FROM enrichment_retries r WHERE r.tenant = $2 AND r.order_id = k.order_id
           AND NOT EXISTS (SELECT 1 FROM erp_documents d3 WHERE d3.source_event_id = r.event_id)
           ORDER BY r.moved_at DESC LIMIT 1) AS last_retry
       FROM (SELECT order_id FROM run_newstore_orders WHERE run_id = $1
             UNION SELECT order_id FROM orders WHERE tenant = $2 AND business_date = $3 AND created_at < $4) k
       LEFT JOIN run_newstore_orders ns ON ns.run_id = $1 AND ns.order_id = k.order_id
       LEFT JOIN orders h ON h.tenant = $2 AND h.order_id = k.order_id
       ORDER BY k.order_id`,
      [runId, tenant, businessDate, settledBefore, SALE_DOCUMENT_TYPES],
      pageSize,
      async (rows) =>
        onPage(
          rows.map((row) => ({
            orderId: row.order_id,
            // NewStore's side of a row is there when its listing had the order (its external id is never null there).
            newstore:
              row.ns_external_id === null
                ? null
                : {
                    externalId: row.ns_external_id,
                    total: row.ns_total!,
                    itemCount: row.ns_item_count!,
                    isHistorical: row.ns_historical === true,
                  },
            hub:
              row.hub_opened === null
                ? null
                : {
                    externalId: row.hub_external_id,
                    total: row.hub_total,
                    itemCount: row.hub_item_count,
                    isHistorical: row.hub_historical === true,
                    opened: row.hub_opened,
                  },
            hasSaleDocument: row.has_sale,
            deadLetters: row.dead_letters,
            lastRetry: row.last_retry && describeRetry(row.last_retry),
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
    await this.withCursor<{
      idempotency_key: string;
      order_id: string;
      document_type: ErpDocumentType;
      external_id: string;
      amount: string;
      status: 'posted' | 'failed' | null;
      erp_internal_id: string | null;
      error: string | null;
      lines: ProjectedLine[] | null;
      closings: ProjectedLine[][];
      cancelled: string[];
      credited: string[];
      erp: DocumentComparison['erp'];
    }>(
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
              idempotencyKey: row.idempotency_key,
              orderId: row.order_id,
              documentType: row.document_type,
              externalId: row.external_id,
              total: row.amount,
              status: row.status,
              erpInternalId: row.erp_internal_id,
              error: row.error,
              lines: row.lines,
              closings: row.closings,
              cancelledInNewStore: row.cancelled,
              creditedCancellations: row.credited,
            },
            erp: row.erp,
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
    await this.withCursor<{
      return_id: string;
      order_id: string | null;
      total: string | null;
      erp: ReturnComparison['erp'];
      hub: number;
    }>(
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
            returnId: row.return_id,
            orderId: row.order_id,
            totalRefund: row.total,
            erp: row.erp,
            hubDocuments: row.hub,
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
    await this.withCursor<{
      internal_id: string;
      external_id: string;
      document_type: ErpDocumentType;
      total: string;
      order_id: string | null;
    }>(
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
            internalId: row.internal_id,
            externalId: row.external_id,
            documentType: row.document_type,
            total: row.total,
            orderId: row.order_id,
          })),
        ),
    );
  }

  /** Pages of `sql`'s rows (typed `R`, as pg answers the query's columns) through a server-side cursor. */
  private async withCursor<R>(
    sql: string,
    parameters: unknown[],
    pageSize: number,
    onRows: (rows: R[]) => Promise<void>,
  ): Promise<void> {
    const runner: QueryRunner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query(`DECLARE comparison NO SCROLL CURSOR FOR ${sql}`, parameters);
      for (;;) {
        const rows = (await runner.query(`FETCH ${pageSize} FROM comparison`)) as R[];
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
}
