import { DiscrepancyKind } from '@hub/contracts';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

const PARTITIONED = ['extract_newstore_orders', 'extract_erp_transactions'] as const;

/** One day of a period as the stored extracts, the projections and the discrepancies show it. */
export interface PeriodDay {
  businessDate: string;
  /** When the day's listings were stored, by which run; null: not stored. */
  storedAt: string | null;
  runId: string | null;
  newstore: { orders: number; historical: number; total: string };
  hub: { orders: number };
  /** Per document type: the hub's documents and the ERP's transactions, counts and exact totals. */
  documents: Record<string, { hub: { count: number; total: string }; erp: { count: number; total: string } }>;
  open: Partial<Record<DiscrepancyKind, number>>;
}

/** Counts and exact totals of one document type on one side, as the period's queries answer them. */
interface SideTotalRecord {
  document_type: string;
  side: 'hub' | 'erp';
  count: number;
  total: string;
}

/** `YYYY-MM` of a date, and the partition of that month. */
const monthOf = (date: string) => date.slice(0, 7);
const partitionName = (table: string, month: string) => `${table}_${month.replace('-', '_')}`;
function nextMonth(month: string): string {
  const [year, number] = month.split('-').map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}

/**
 * The stored daily extracts (seed 000: "store the responses over time" for monthly
 * reconciliation): each successful run of a whole day copies what it staged from
 * NewStore and the ERP into month partitions; a month or a year is then reported
 * from them and the projections, without NewStore.
 */
@Injectable()
export class ExtractRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Replaces the day's stored listings with what run `runId` staged. */
  async store(runId: string, tenant: string, businessDate: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await this.ensurePartitions(manager, monthOf(businessDate));
      for (const table of [...PARTITIONED, 'extract_days'])
        await manager.query(`DELETE FROM ${table} WHERE tenant = $1 AND business_date = $2`, [tenant, businessDate]);
      await manager.query(
        `INSERT INTO extract_newstore_orders (tenant, business_date, order_id, external_id, total, item_count, is_historical)
         SELECT $2, $3, order_id, external_id, total, item_count, is_historical FROM run_newstore_orders WHERE run_id = $1`,
        [runId, tenant, businessDate],
      );
      await manager.query(
        `INSERT INTO extract_erp_transactions (tenant, business_date, internal_id, external_id, document_type, total)
         SELECT $2, $3, internal_id, external_id, document_type, total FROM run_erp_transactions WHERE run_id = $1`,
        [runId, tenant, businessDate],
      );
      await manager.query(
        `INSERT INTO extract_days (tenant, business_date, run_id, newstore_orders, erp_transactions)
         SELECT $2, $3, $1, (SELECT count(*) FROM run_newstore_orders WHERE run_id = $1),
           (SELECT count(*) FROM run_erp_transactions WHERE run_id = $1)`,
        [runId, tenant, businessDate],
      );
    });
  }

  /** The month's partitions, made once (concurrent stores of one month wait on the lock). */
  private async ensurePartitions(manager: EntityManager, month: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('extract-partitions:' || current_schema()))`);
    for (const table of PARTITIONED)
      await manager.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(table, month)} PARTITION OF ${table}
         FOR VALUES FROM ('${month}-01') TO ('${nextMonth(month)}-01')`,
      );
  }

  /** Drops the month partitions older than `retentionMonths` before `today`'s month; returns the months dropped. */
  async dropExpired(retentionMonths: number, today: string): Promise<string[]> {
    let oldestKept = monthOf(today);
    for (let index = 0; index < retentionMonths; index += 1) {
      const [year, number] = oldestKept.split('-').map(Number);
      oldestKept = number === 1 ? `${year - 1}-12` : `${year}-${String(number - 1).padStart(2, '0')}`;
    }
    const partitions = await this.dataSource.query<{ name: string }[]>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = current_schema() AND p.relname = ANY($1)`,
      [[...PARTITIONED]],
    );
    const dropped = new Set<string>();
    for (const { name } of partitions) {
      const match = /_(\d{4})_(\d{2})$/.exec(name);
      if (!match || `${match[1]}-${match[2]}` >= oldestKept) continue;
      await this.dataSource.query(`DROP TABLE ${name}`);
      dropped.add(`${match[1]}-${match[2]}`);
    }
    if (dropped.size > 0)
      await this.dataSource.query(`DELETE FROM extract_days WHERE business_date < $1`, [`${oldestKept}-01`]);
    return [...dropped].sort();
  }

  /** The days of a range whose listings are stored. */
  async storedDays(tenant: string, from: string, to: string): Promise<Set<string>> {
    const rows = await this.dataSource.query<{ day: string }[]>(
      `SELECT to_char(business_date, 'YYYY-MM-DD') AS day FROM extract_days
       WHERE tenant = $1 AND business_date BETWEEN $2 AND $3`,
      [tenant, from, to],
    );
    return new Set(rows.map((row) => row.day));
  }

  /** Each day of the range: stored NewStore and ERP listings, the hub's projections, the open discrepancies. */
  async periodDays(tenant: string, from: string, to: string): Promise<PeriodDay[]> {
    const range = [tenant, from, to];
    const days = await this.dataSource.query<
      {
        day: string;
        stored_at: Date | null;
        run_id: string | null;
        ns_orders: number;
        ns_historical: number;
        ns_total: string;
        hub_orders: number;
      }[]
    >(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day, x.stored_at, x.run_id::text AS run_id,
         coalesce(ns.orders, 0)::int AS ns_orders, coalesce(ns.historical, 0)::int AS ns_historical,
         coalesce(ns.total, 0)::text AS ns_total, coalesce(h.orders, 0)::int AS hub_orders
       FROM generate_series($2::date, $3::date, '1 day') d
       LEFT JOIN extract_days x ON x.tenant = $1 AND x.business_date = d
       LEFT JOIN (SELECT business_date, count(*) FILTER (WHERE NOT is_historical) AS orders,
                    count(*) FILTER (WHERE is_historical) AS historical,
                    sum(total) FILTER (WHERE NOT is_historical) AS total
                  FROM extract_newstore_orders WHERE tenant = $1 AND business_date BETWEEN $2 AND $3
                  GROUP BY business_date) ns ON ns.business_date = d
       LEFT JOIN (SELECT business_date, count(*) AS orders FROM orders
                  WHERE tenant = $1 AND business_date BETWEEN $2 AND $3 GROUP BY business_date) h ON h.business_date = d
       ORDER BY d`,
      range,
    );
    const documents = await this.dataSource.query<(SideTotalRecord & { day: string })[]>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, document_type, side, count(*)::int AS count, coalesce(sum(total), 0)::text AS total
       FROM (SELECT tran_date AS day, document_type, 'hub' AS side, amount AS total FROM erp_documents
               WHERE tenant = $1 AND tran_date BETWEEN $2 AND $3
             UNION ALL
             SELECT business_date, document_type, 'erp', total FROM extract_erp_transactions
               WHERE tenant = $1 AND business_date BETWEEN $2 AND $3) t
       GROUP BY day, document_type, side`,
      range,
    );
    const open = await this.dataSource.query<{ day: string; kind: DiscrepancyKind; count: number }[]>(
      `SELECT to_char(business_date, 'YYYY-MM-DD') AS day, kind, count(*)::int AS count FROM discrepancies
       WHERE tenant = $1 AND business_date BETWEEN $2 AND $3 AND resolved_at IS NULL GROUP BY business_date, kind`,
      range,
    );
    const byDay = new Map<string, PeriodDay>(
      days.map((row) => [
        row.day,
        {
          businessDate: row.day,
          storedAt: row.stored_at?.toISOString() ?? null,
          runId: row.run_id,
          newstore: { orders: row.ns_orders, historical: row.ns_historical, total: row.ns_total },
          hub: { orders: row.hub_orders },
          documents: {},
          open: {},
        },
      ]),
    );
    for (const row of documents) addSideTotal(byDay.get(row.day)!.documents, row);
    for (const row of open) byDay.get(row.day)!.open[row.kind] = row.count;
    return [...byDay.values()];
  }

  /**
   * Totals of the range in exact decimals: NewStore's orders, documents per type on
   * both sides, open discrepancies per kind, and the open amount delta per currency
   * (the currency of the order as the hub projected it; "unknown" for an order the
   * hub never saw).
   */
  async periodTotals(tenant: string, from: string, to: string) {
    const range = [tenant, from, to];
    const [newstore] = await this.dataSource.query<{ orders: number; historical: number; total: string }[]>(
      `SELECT count(*) FILTER (WHERE NOT is_historical)::int AS orders, count(*) FILTER (WHERE is_historical)::int AS historical,
         coalesce(sum(total) FILTER (WHERE NOT is_historical), 0)::text AS total
       FROM extract_newstore_orders WHERE tenant = $1 AND business_date BETWEEN $2 AND $3`,
      range,
    );
    const documents = await this.dataSource.query<SideTotalRecord[]>(
      `SELECT document_type, side, count(*)::int AS count, coalesce(sum(total), 0)::text AS total
       FROM (SELECT document_type, 'hub' AS side, amount AS total FROM erp_documents
               WHERE tenant = $1 AND tran_date BETWEEN $2 AND $3
             UNION ALL
             SELECT document_type, 'erp', total FROM extract_erp_transactions
               WHERE tenant = $1 AND business_date BETWEEN $2 AND $3) t
       GROUP BY document_type, side ORDER BY document_type, side`,
      range,
    );
    const kinds = await this.dataSource.query<{ kind: DiscrepancyKind; count: number }[]>(
      `SELECT kind, count(*)::int AS count FROM discrepancies
       WHERE tenant = $1 AND business_date BETWEEN $2 AND $3 AND resolved_at IS NULL GROUP BY kind ORDER BY kind`,
      range,
    );
    const deltas = await this.dataSource.query<{ currency: string; delta: string; count: number }[]>(
      `SELECT coalesce(o.currency, 'unknown') AS currency, sum(d.delta)::text AS delta, count(*)::int AS count
       FROM discrepancies d LEFT JOIN orders o ON o.tenant = d.tenant AND o.order_id = d.order_id
       WHERE d.tenant = $1 AND d.business_date BETWEEN $2 AND $3 AND d.resolved_at IS NULL AND d.delta IS NOT NULL
       GROUP BY 1 ORDER BY 1`,
      range,
    );
    const byType: PeriodDay['documents'] = {};
    for (const row of documents) addSideTotal(byType, row);
    return {
      newstore,
      documents: byType,
      open: Object.fromEntries(kinds.map((row) => [row.kind, row.count])) as Partial<Record<DiscrepancyKind, number>>,
      amountDelta: Object.fromEntries(
        deltas.map((row) => [row.currency, { delta: row.delta, discrepancies: row.count }]),
      ),
    };
  }
}

/** One side's count and total of a document type, into the per-type table (the other side 0 until it comes). */
function addSideTotal(documents: PeriodDay['documents'], row: SideTotalRecord): void {
  documents[row.document_type] ??= { hub: { count: 0, total: '0' }, erp: { count: 0, total: '0' } };
  documents[row.document_type][row.side] = { count: row.count, total: row.total };
}
