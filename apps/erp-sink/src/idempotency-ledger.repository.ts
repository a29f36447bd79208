import { SALE_DOCUMENT_TYPES } from '@hub/contracts';
import type { ErpDocumentType, SyncStatus } from '@hub/contracts';
import { Coalescer } from '@hub/persistence';
import { InjectConfig } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ErpSinkConfig } from './erp-sink.config';

export interface LedgerEntry {
  idempotencyKey: string;
  status: 'posted' | 'failed';
  erpInternalId: string | null;
  attempts: number;
}

/**
 * Documents others depend on (a refund, a credit memo on its sale): kept in the ledger
 * once posted for as long as the ERP record lives, never by a TTL (issue: a return 120
 * days after its sale was dead-lettered when the sale's row had expired).
 */
export const PARENT_TYPES: readonly ErpDocumentType[] = SALE_DOCUMENT_TYPES;

/** The sink's idempotency ledger (schema erp_sink): derived state, rebuilt from erp.sync-status.v1. */
@Injectable()
export class IdempotencyLedgerRepository {
  private readonly ttlDays: number;
  /** Lookups and writes of documents handled at once share queries (one round trip for many). */
  private readonly lookups = new Coalescer<string, LedgerEntry | undefined>((keys) => this.findMany(keys), {
    maxBatch: 200,
    parallel: 2,
  });
  private readonly writes = new Coalescer<SyncStatus, void>(
    async (statuses) => {
      await this.recordMany(statuses);
      return statuses.map(() => undefined);
    },
    { maxBatch: 200, parallel: 2 },
  );

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @InjectConfig() config: Pick<ErpSinkConfig, 'LEDGER_TTL_DAYS'>,
  ) {
    this.ttlDays = config.LEDGER_TTL_DAYS;
  }

  find(idempotencyKey: string): Promise<LedgerEntry | undefined> {
    return this.lookups.call(idempotencyKey);
  }

  private async findMany(keys: string[]): Promise<(LedgerEntry | undefined)[]> {
    const rows: {
      idempotency_key: string;
      status: 'posted' | 'failed';
      erp_internal_id: string | null;
      attempts: number;
    }[] = await this.dataSource.query(
      `SELECT idempotency_key, status, erp_internal_id, attempts FROM idempotency_ledger WHERE idempotency_key = ANY($1) AND expires_at > now()`,
      [keys],
    );
    const found = new Map(
      rows.map((row) => [
        row.idempotency_key,
        {
          idempotencyKey: row.idempotency_key,
          status: row.status,
          erpInternalId: row.erp_internal_id,
          attempts: row.attempts,
        },
      ]),
    );
    return keys.map((key) => found.get(key));
  }

  /**
   * Records an outcome once it is committed; the newer status replaces the older (a
   * failed document posted after a fix). Outcomes recorded at once share one statement.
   */
  record(status: SyncStatus): Promise<void> {
    return this.writes.call(status);
  }

  async recordMany(batch: SyncStatus[]): Promise<void> {
    // One row per key: a batch replayed from the status topic can hold several outcomes of one document.
    const latest = new Map<string, SyncStatus>();
    for (const status of batch) {
      const seen = latest.get(status.idempotencyKey);
      if (!seen || seen.updatedAt <= status.updatedAt) latest.set(status.idempotencyKey, status);
    }
    const statuses = [...latest.values()];
    if (statuses.length === 0) return;
    const values: unknown[] = [];
    const rows = statuses.map((status, index) => {
      values.push(
        status.idempotencyKey,
        status.tenant,
        status.documentType satisfies ErpDocumentType,
        status.orderId,
        status.erpInternalId,
        status.status,
        status.attempts,
        status.error,
        status.updatedAt,
      );
      const base = index * 9;
      // A posted sale never expires: a return months later must still find it posted (its dependants wait on it).
      const expires =
        PARENT_TYPES.includes(status.documentType) && status.status === 'posted'
          ? `'infinity'::timestamptz`
          : `$${base + 9}::timestamptz + make_interval(days => ${this.ttlDays})`;
      return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7}, $${base + 8}, $${base + 9}::timestamptz, ${expires})`;
    });
    await this.dataSource.query(
      `INSERT INTO idempotency_ledger (idempotency_key, tenant, document_type, order_id, erp_internal_id, status, attempts, last_error, updated_at, expires_at)
       VALUES ${rows.join(', ')}
       ON CONFLICT (idempotency_key) DO UPDATE SET
         erp_internal_id = EXCLUDED.erp_internal_id, status = EXCLUDED.status, attempts = EXCLUDED.attempts,
         last_error = EXCLUDED.last_error, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at
       WHERE idempotency_ledger.updated_at <= EXCLUDED.updated_at`,
      values,
    );
  }

  async isEmpty(): Promise<boolean> {
    const rows: { present: boolean }[] = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM idempotency_ledger) AS present`,
    );
    return !rows[0].present;
  }

  /** The ledger's rows, when the last was written more than `quietMs` ago (see the enricher's processedBefore). */
  async recordedBefore(quietMs: number): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM idempotency_ledger HAVING max(updated_at) < now() - make_interval(secs => $1)`,
      [quietMs / 1000],
    );
    return rows[0]?.n ?? 0;
  }

  async count(): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM idempotency_ledger`);
    return rows[0].n;
  }

  /**
   * Deletes expired entries (TTL, 30 days by default, like NewStore's idempotency
   * records); posted sales never expire (see {@link PARENT_TYPES}).
   */
  async purgeExpired(): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM idempotency_ledger WHERE expires_at <= now()`,
    );
    return result[1];
  }
}
