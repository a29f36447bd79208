import type { ConsumedMessage } from '@hub/kafka';
import { withAdvisoryLock } from '@hub/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface WaitingDocument {
  idempotencyKey: string;
  dependsOn: string;
  firstSeenAt: Date;
  message: ConsumedMessage;
}

interface Row {
  idempotency_key: string;
  depends_on: string;
  message_key: string | null;
  message_value: Buffer;
  message_headers: Record<string, string>;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  first_seen_at: Date;
}

function toWaiting(row: Row): WaitingDocument {
  return {
    idempotencyKey: row.idempotency_key,
    dependsOn: row.depends_on,
    firstSeenAt: row.first_seen_at,
    message: {
      topic: row.source_topic,
      partition: row.source_partition,
      offset: String(row.source_offset),
      key: row.message_key,
      value: row.message_value,
      headers: row.message_headers,
      timestamp: String(row.first_seen_at.getTime()),
    },
  };
}

/** Documents parked until their dependency is posted (schema erp_sink). */
@Injectable()
export class WaitingDocumentsRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Runs the release of an order's parked documents while holding that order's lock,
   * across instances: every sink sweeps and releases, and two releases of one parked
   * document would post it twice, the loser's answer turning into a false failure.
   */
  async whileReleasing<T>(orderKey: string, release: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.dataSource, `sink-release:${orderKey}`, release);
  }

  /** Whether the document is still parked (another release may have handled it meanwhile). */
  async isWaiting(idempotencyKey: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM waiting_documents WHERE idempotency_key = $1`, [
      idempotencyKey,
    ]);
    return rows.length > 0;
  }

  async park(idempotencyKey: string, dependsOn: string, orderId: string, message: ConsumedMessage): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO waiting_documents (idempotency_key, depends_on, order_id, message_key, message_value, message_headers, source_topic, source_partition, source_offset)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (idempotency_key) DO NOTHING`,
      [
        idempotencyKey,
        dependsOn,
        orderId,
        message.key,
        message.value,
        JSON.stringify(message.headers),
        message.topic,
        message.partition,
        message.offset,
      ],
    );
  }

  async waitingOn(dependsOn: string): Promise<WaitingDocument[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM waiting_documents WHERE depends_on = $1 ORDER BY source_offset`,
      [dependsOn],
    );
    return rows.map(toWaiting);
  }

  async all(limit = 500): Promise<WaitingDocument[]> {
    const rows: Row[] = await this.dataSource.query(`SELECT * FROM waiting_documents ORDER BY first_seen_at LIMIT $1`, [
      limit,
    ]);
    return rows.map(toWaiting);
  }

  async firstSeen(idempotencyKey: string): Promise<Date | undefined> {
    const rows: { first_seen_at: Date }[] = await this.dataSource.query(
      `SELECT first_seen_at FROM waiting_documents WHERE idempotency_key = $1`,
      [idempotencyKey],
    );
    return rows[0]?.first_seen_at;
  }

  async release(idempotencyKey: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM waiting_documents WHERE idempotency_key = $1`, [idempotencyKey]);
  }

  async count(): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(`SELECT count(*)::int AS n FROM waiting_documents`);
    return rows[0].n;
  }
}
