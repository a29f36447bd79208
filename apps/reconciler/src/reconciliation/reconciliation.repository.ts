import { DiscrepancyKind } from '@hub/contracts';
import { Discrepancy, DISCREPANCY_KINDS } from '@hub/reconciliation';
import { withAdvisoryLockIfFree } from '@hub/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DiscrepancyRow, RunRow } from './reconciliation.schemas';
import {
  DISCREPANCY_COLUMNS,
  DiscrepancyRecord,
  FiguresRecord,
  RUN_COLUMNS,
  RunRecord,
  toDiscrepancy,
  toRun,
} from './reconciliation-rows';

export type { DiscrepancyRow, RunRow } from './reconciliation.schemas';

export interface DayStatus {
  lastRun: RunRow | null;
  lastSuccessfulRun: RunRow | null;
}

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
    const rows = await this.dataSource.query<DiscrepancyRecord[]>(
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
    const [row] = await this.dataSource.query<FiguresRecord[]>(
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
         (SELECT coalesce(sum(abs(delta)), 0)::text FROM discrepancies
            WHERE tenant = $2 AND business_date = $3 AND resolved_at IS NULL AND kind = 'amount_mismatch') AS amount_delta`,
      [runId, tenant, businessDate, settledBefore],
    );
    const { open, resolved } = await this.kindCounts(tenant, businessDate);
    return {
      newstoreOrders: row.newstore_orders,
      hubOrders: row.hub_orders,
      /** Hub orders created within the settle window: left to the next run, like NewStore's. */
      hubOrdersUnsettled: row.hub_orders_unsettled,
      hubDocuments: row.hub_documents,
      erpTransactions: row.erp_transactions,
      ordersConsidered: row.orders_considered,
      ordersWithDiscrepancy: row.orders_with_discrepancy,
      /** Exact: a decimal string. */
      amountDelta: row.amount_delta,
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
    const [row] = await this.dataSource.query<[RunRecord[], number] | RunRecord[]>(
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
    const rows = await this.dataSource.query<RunRecord[]>(
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
    const [succeeded] = await this.dataSource.query<RunRecord[]>(
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
  whileScheduling(work: (acquired: boolean) => Promise<void>): Promise<void> {
    return withAdvisoryLockIfFree(this.dataSource, 'reconciler-schedule:', work);
  }

  /** The discrepancies of a day, open ones only unless `all`. */
  async discrepancies(
    tenant: string,
    businessDate: string,
    options: { all?: boolean; orderIds?: string[] } = {},
  ): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<DiscrepancyRecord[]>(
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

  /** Each day of a range with its last successful run, oldest first (null: no successful run, parity unknown). */
  async parityHistory(
    tenant: string,
    from: string,
    to: string,
  ): Promise<{ businessDate: string; run: RunRow | null }[]> {
    const rows = await this.dataSource.query<(RunRecord & { day: string })[]>(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day, r.* FROM generate_series($2::date, $3::date, '1 day') d
       LEFT JOIN LATERAL (SELECT ${RUN_COLUMNS} FROM reconciliation_runs
         WHERE tenant = $1 AND business_date = d AND status = 'succeeded' ORDER BY id DESC LIMIT 1) r ON true
       ORDER BY d`,
      [tenant, from, to],
    );
    return rows.map((row) => ({ businessDate: row.day, run: row.id === null ? null : toRun(row) }));
  }

  /** The open discrepancies of a range of days. */
  async openDiscrepanciesBetween(tenant: string, from: string, to: string): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<DiscrepancyRecord[]>(
      `SELECT ${DISCREPANCY_COLUMNS}
       FROM discrepancies WHERE tenant = $1 AND business_date BETWEEN $2 AND $3 AND resolved_at IS NULL
       ORDER BY business_date, kind, order_id, subject`,
      [tenant, from, to],
    );
    return rows.map(toDiscrepancy);
  }

  /** Every discrepancy ever found for one order, open and resolved, oldest day first. */
  async orderDiscrepancies(tenant: string, orderId: string): Promise<DiscrepancyRow[]> {
    const rows = await this.dataSource.query<DiscrepancyRecord[]>(
      `SELECT ${DISCREPANCY_COLUMNS} FROM discrepancies WHERE tenant = $1 AND order_id = $2
       ORDER BY business_date, kind, subject`,
      [tenant, orderId],
    );
    return rows.map(toDiscrepancy);
  }
}
