import { ErpTransaction } from '@hub/erp';
import { OrderSummary } from '@hub/newstore';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * The two outside sides of a run's day, staged in Postgres for the comparison
 * ({@link DayComparisonRepository}): NewStore's orders and returns, the ERP's
 * transactions and their lines, each written page by page as it is listed and
 * deleted with the run's other staging once it is compared.
 */
@Injectable()
export class DayStagingRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

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
}
