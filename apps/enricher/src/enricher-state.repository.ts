import { HEADERS } from '@hub/contracts';
import { Coalescer, withAdvisoryLock } from '@hub/persistence';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export interface ParkedEvent {
  seq: string;
  value: Buffer;
  headers: Record<string, string>;
}

/** Deduplication and ordered-retry state of the enricher (schema enricher). */
@Injectable()
export class EnricherStateRepository {
  /** The per-event reads and writes of events handled at once share statements (one round trip for many). */
  private readonly processedLookups = this.existing('processed_events', 'event_id');
  private readonly processedWrites = new Coalescer<{ eventId: string; orderKey: string; outcome: string }, void>(
    async (records) => {
      await this.dataSource.query(
        `INSERT INTO processed_events (event_id, order_key, outcome)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT (event_id) DO NOTHING`,
        [
          records.map((record) => record.eventId),
          records.map((record) => record.orderKey),
          records.map((record) => record.outcome),
        ],
      );
      return records.map(() => undefined);
    },
    { maxBatch: 200, parallel: 2 },
  );
  private readonly retryingLookups = this.existing('retrying_keys', 'order_key');

  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Whether rows with these values exist, for many callers in one `= ANY($1)` select. */
  private existing(table: 'processed_events' | 'retrying_keys', column: 'event_id' | 'order_key') {
    return new Coalescer<string, boolean>(
      async (values) => {
        const rows: Record<string, string>[] = await this.dataSource.query(
          `SELECT ${column} FROM ${table} WHERE ${column} = ANY($1)`,
          [values],
        );
        const found = new Set(rows.map((row) => row[column]));
        return values.map((value) => found.has(value));
      },
      { maxBatch: 200, parallel: 2 },
    );
  }

  isProcessed(eventId: string): Promise<boolean> {
    return this.processedLookups.call(eventId);
  }

  markProcessed(eventId: string, orderKey: string, outcome: string): Promise<void> {
    return this.processedWrites.call({ eventId, orderKey, outcome });
  }

  /**
   * Whether the order has an event in retry, without its lock: the common answer, no,
   * spares the locked transaction. An order gets a retry mark only from its own events,
   * which one consumer handles in order, so a "no" cannot turn into a "yes" meanwhile.
   */
  hasRetrying(orderKey: string): Promise<boolean> {
    return this.retryingLookups.call(orderKey);
  }

  /**
   * The processed event ids on record, when the last was recorded more than `quietMs`
   * ago: a service that processed events that recently (a crash before its first
   * commit) cannot have had its group's offsets forgotten by the broker.
   */
  async processedBefore(quietMs: number): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM processed_events
        HAVING max(processed_at) < now() - make_interval(secs => $1)`,
      [quietMs / 1000],
    );
    return rows[0]?.n ?? 0;
  }

  /** Forgets processed event ids older than the TTL. */
  async purgeProcessed(ttlDays: number): Promise<number> {
    const result: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM processed_events WHERE processed_at < now() - make_interval(days => $1)`,
      [ttlDays],
    );
    return result[1];
  }

  async startRetrying(orderKey: string, eventId: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO retrying_keys (order_key, event_id) VALUES ($1, $2) ON CONFLICT (order_key) DO NOTHING`,
      [orderKey, eventId],
    );
  }

  /**
   * Parks the event if its order has another event in retry; false when the order has
   * none, or when the event in retry is this one (its message was redelivered after a
   * crash before its offset was committed): the caller handles it now. Serialised per
   * key with the release.
   */
  async parkIfRetrying(
    orderKey: string,
    eventId: string | undefined,
    value: Buffer,
    headers: Record<string, string>,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await this.lock(manager, orderKey);
      const retrying: { event_id: string }[] = await manager.query(
        `SELECT event_id FROM retrying_keys WHERE order_key = $1`,
        [orderKey],
      );
      if (retrying.length === 0 || retrying[0].event_id === eventId) return false;
      // A redelivered copy of an event already parked is parked once: a second row would outlive the
      // first's release and read as a release cut short (mayRelease), letting later events overtake it.
      if (eventId !== undefined) {
        const parked: unknown[] = await manager.query(
          `SELECT 1 FROM parked_events WHERE order_key = $1 AND message_headers ->> $2 = $3 LIMIT 1`,
          [orderKey, HEADERS.eventId, eventId],
        );
        if (parked.length > 0) return true;
      }
      await manager.query(`INSERT INTO parked_events (order_key, message_value, message_headers) VALUES ($1, $2, $3)`, [
        orderKey,
        value,
        JSON.stringify(headers),
      ]);
      return true;
    });
  }

  /**
   * Whether the end of `eventId` may release the order's parked events: the order's
   * retry mark waits for it, or the mark waits for an event that is still parked. That
   * second state exists only inside a release, between making a parked event the new
   * head and removing it from the parked events, so outside the release lock it means
   * the release was cut short (its send to the retry tier failed, or the process died):
   * the new head's retry message may never have been sent, and nothing else would
   * release the order. Any event of the order that ends then finishes that release.
   */
  async mayRelease(orderKey: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM retrying_keys r
        WHERE r.order_key = $1
          AND (r.event_id = $2
               OR EXISTS (SELECT 1 FROM parked_events p
                           WHERE p.order_key = r.order_key AND p.message_headers ->> $3 = r.event_id))`,
      [orderKey, eventId, HEADERS.eventId],
    );
    return rows.length > 0;
  }

  /** A parked event that needs a retry itself becomes the event the order's mark waits for. */
  async setRetryHead(orderKey: string, eventId: string): Promise<void> {
    await this.dataSource.query(`UPDATE retrying_keys SET event_id = $2 WHERE order_key = $1`, [orderKey, eventId]);
  }

  /**
   * Runs `release` while holding the order's release lock: a session-level advisory
   * lock on a connection of its own, in a key space apart from the parking lock, so
   * parking and finishing (which take the parking lock) stay short, and two releasers
   * of one order, in this process or another, run one after the other.
   */
  async whileReleasing<T>(orderKey: string, release: () => Promise<T>): Promise<T> {
    return withAdvisoryLock(this.dataSource, `release:${orderKey}`, release);
  }

  async nextParked(orderKey: string): Promise<ParkedEvent | undefined> {
    const rows: { seq: string; message_value: Buffer; message_headers: Record<string, string> }[] =
      await this.dataSource.query(
        `SELECT seq, message_value, message_headers FROM parked_events WHERE order_key = $1 ORDER BY seq LIMIT 1`,
        [orderKey],
      );
    const row = rows[0];
    return row && { seq: String(row.seq), value: row.message_value, headers: row.message_headers };
  }

  async removeParked(seq: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM parked_events WHERE seq = $1`, [seq]);
  }

  /** Ends the key's retry state unless events were parked meanwhile; true when ended. */
  async finishRetrying(orderKey: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      await this.lock(manager, orderKey);
      const parked: unknown[] = await manager.query(`SELECT 1 FROM parked_events WHERE order_key = $1 LIMIT 1`, [
        orderKey,
      ]);
      if (parked.length > 0) return false;
      await manager.query(`DELETE FROM retrying_keys WHERE order_key = $1`, [orderKey]);
      return true;
    });
  }

  /**
   * Orders whose retry mark waits for an event processed more than `graceMs` ago: its
   * end should have cleared the mark and released what was parked, and did not (a
   * release that failed, a process that died in between). Nothing else would clear it.
   */
  async staleHeads(graceMs: number, limit = 100): Promise<{ orderKey: string; eventId: string }[]> {
    const rows: { order_key: string; event_id: string }[] = await this.dataSource.query(
      `SELECT r.order_key, r.event_id FROM retrying_keys r JOIN processed_events p ON p.event_id = r.event_id
        WHERE p.processed_at < now() - make_interval(secs => $1) ORDER BY r.since LIMIT $2`,
      [graceMs / 1000, limit],
    );
    return rows.map((row) => ({ orderKey: row.order_key, eventId: row.event_id }));
  }

  /** Retry marks older than `ageMs`: longer than every retry tier together, an order stuck. */
  async marksOlderThan(ageMs: number): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM retrying_keys WHERE since < now() - make_interval(secs => $1)`,
      [ageMs / 1000],
    );
    return rows[0].n;
  }

  async counts(): Promise<{ retryingKeys: number; parkedEvents: number }> {
    const rows: { keys: number; parked: number }[] = await this.dataSource.query(
      `SELECT (SELECT count(*)::int FROM retrying_keys) AS keys, (SELECT count(*)::int FROM parked_events) AS parked`,
    );
    return { retryingKeys: rows[0].keys, parkedEvents: rows[0].parked };
  }

  private async lock(manager: EntityManager, orderKey: string): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [orderKey]);
  }
}
