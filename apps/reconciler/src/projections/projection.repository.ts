import { decodeTopicValue, HEADERS, SyncStatus } from '@hub/contracts';
import { ConsumedMessage, DocumentCodec, InvalidDocumentError } from '@hub/kafka';
import { foldOrderEvent, OrderFold, projectedLines } from '@hub/reconciliation';
import { ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ReconcilerConnections } from '../reconciler-connections';
import { ReconcilerMetrics } from '../reconciler.metrics';
import { ERP_DOCUMENT_CODEC } from '../reconciler.tokens';
import { readProjectedEvent } from './projected-event';
import { bookedAmount, columnsOf, copiedEvent, jsonOrNull, orderColumns } from './projected-rows';
import { ProjectedSource } from './projected-sources';
import { DataSource, EntityManager } from 'typeorm';

const PROJECTION = 'hub';

/** A message that cannot be read is skipped (and counted): the projection must not stall on it. */
type SkipInBatch = (message: ConsumedMessage, reason: string) => void;
interface Skip {
  message: ConsumedMessage;
  reason: string;
}

/**
 * The reconciler's projections in Postgres. Each batch of one partition is applied
 * in one transaction together with that partition's next offset, and messages
 * below the stored offset are skipped: a redelivered batch is never applied twice,
 * and a crash never loses an applied one. synchronous_commit is off for these
 * transactions: a commit lost in a Postgres crash loses rows and offset together,
 * and the topic still has the messages.
 */
@Injectable()
export class ProjectionRepository {
  private readonly logger: Logger;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ERP_DOCUMENT_CODEC) private readonly codec: DocumentCodec,
    /** Each tenant's business-day zone: an order is dated in its tenant's. */
    @Inject(ReconcilerConnections) private readonly tenants: Pick<ReconcilerConnections, 'timeZoneOf'>,
    @Inject(ReconcilerMetrics) private readonly metrics: ReconcilerMetrics,
    @Inject(ServiceRuntime) runtime: Pick<ServiceRuntime, 'logger'>,
  ) {
    this.logger = runtime.logger.child({ context: 'reconciler' });
  }

  /** Applies one partition's batch; returns how many messages were new. */
  async applyBatch(source: ProjectedSource, partition: number, messages: ConsumedMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const topic = source.key;
    // What cannot be projected is recorded with its reason, in the batch's transaction, and skipped.
    const skipped: Skip[] = [];
    const skip: SkipInBatch = (message, reason) => skipped.push({ message, reason });
    // Documents are decoded (schema registry) before the transaction opens.
    const documents = source.kind === 'erpDocuments' ? await this.decodeDocuments(messages, skip) : undefined;
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL synchronous_commit = off`);
      await manager.query(
        `INSERT INTO projection_offsets (projection, topic, partition, next_offset) VALUES ($1, $2, $3, 0) ON CONFLICT DO NOTHING`,
        [PROJECTION, topic, partition],
      );
      const [{ next_offset: stored }] = await manager.query<{ next_offset: string }[]>(
        `SELECT next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
        [PROJECTION, topic, partition],
      );
      const from = BigInt(stored);
      const fresh = messages.filter((message) => BigInt(message.offset) >= from);
      if (fresh.length === 0) return 0;
      switch (source.kind) {
        case 'newstoreEvents':
          await this.applyEvents(manager, fresh, skip);
          break;
        case 'erpDocuments':
          await this.applyDocuments(
            manager,
            documents!.filter((row) => BigInt(row.offset) >= from),
          );
          break;
        case 'erpSyncStatus':
          await this.applyStatuses(manager, fresh, skip);
          break;
        case 'enricherDlq':
          await this.applyDeadLetters(manager, fresh);
          break;
        case 'enricherRetries':
          await this.applyRetries(manager, source.delayMs, fresh);
          break;
      }
      await this.recordUnprojectable(
        manager,
        source,
        skipped.filter(({ message }) => BigInt(message.offset) >= from),
      );
      const next = BigInt(fresh[fresh.length - 1].offset) + 1n;
      await manager.query(
        `UPDATE projection_offsets SET next_offset = $4, updated_at = now() WHERE projection = $1 AND topic = $2 AND partition = $3`,
        [PROJECTION, topic, partition, next.toString()],
      );
      return fresh.length;
    });
  }

  /** Drops every projected row and offset: the next consumption starts from the beginning. */
  async truncate(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`TRUNCATE orders, erp_documents, dead_letters, enrichment_retries, unprojectable_messages`);
      await manager.query(`DELETE FROM projection_offsets WHERE projection = $1`, [PROJECTION]);
    });
  }

  /** Stored next offsets, by topic and partition. */
  async storedOffsets(): Promise<Map<string, bigint>> {
    const rows = await this.dataSource.query<{ topic: string; partition: number; next_offset: string }[]>(
      `SELECT topic, partition, next_offset FROM projection_offsets WHERE projection = $1`,
      [PROJECTION],
    );
    return new Map(rows.map((row) => [`${row.topic}:${row.partition}`, BigInt(row.next_offset)]));
  }

  /** Keeps what could not be projected, and why, where a person can find it (and counts and logs it). */
  private async recordUnprojectable(manager: EntityManager, source: ProjectedSource, skipped: Skip[]): Promise<void> {
    if (skipped.length === 0) return;
    const topic = source.key;
    for (const { message, reason } of skipped) {
      this.metrics.skipped.inc({ topic: source.kind });
      this.logger.warn(
        { topic: source.topic, partition: message.partition, offset: message.offset, reason },
        'unreadable message skipped',
      );
    }
    await manager.query(
      `INSERT INTO unprojectable_messages (topic, topic_partition, topic_offset, message_key, reason)
       SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[]) ON CONFLICT DO NOTHING`,
      [
        topic,
        skipped.map(({ message }) => message.partition),
        skipped.map(({ message }) => message.offset),
        skipped.map(({ message }) => message.key),
        skipped.map(({ reason }) => reason),
      ],
    );
  }

  private async applyEvents(manager: EntityManager, messages: ConsumedMessage[], skip: SkipInBatch): Promise<void> {
    const folds = new Map<string, OrderFold>();
    for (const message of messages) {
      const event = readProjectedEvent(message);
      if ('unreadable' in event) {
        skip(message, event.unreadable);
        continue;
      }
      const { tenant, orderId, name, payload } = event;
      const key = `${tenant}\u0000${orderId}`;
      folds.set(
        key,
        foldOrderEvent(folds.get(key), {
          tenant,
          orderId,
          name,
          payload,
          partition: message.partition,
          offset: message.offset,
        }),
      );
    }
    if (folds.size === 0) return;
    const columns = orderColumns(folds.values(), (tenant) => this.tenants.timeZoneOf(tenant));
    await manager.query(
      `INSERT INTO orders AS o (tenant, order_id, external_id, channel, channel_type, created_at, business_date, currency,
         total, item_count, is_historical, opened, status, status_rank, event_count, event_partition, event_offsets)
       SELECT t.tenant, t.order_id, t.external_id, t.channel, t.channel_type, t.created_at, t.business_date, t.currency,
         t.total, t.item_count, t.is_historical, t.opened, t.status, t.status_rank, t.event_count, t.event_partition,
         t.event_offsets::bigint[]
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::date[], $8::text[],
         $9::numeric[], $10::int[], $11::boolean[], $12::boolean[], $13::text[], $14::smallint[], $15::int[], $16::int[],
         $17::text[])
         AS t(tenant, order_id, external_id, channel, channel_type, created_at, business_date, currency, total, item_count,
           is_historical, opened, status, status_rank, event_count, event_partition, event_offsets)
       ON CONFLICT (tenant, order_id) DO UPDATE SET
         external_id = CASE WHEN o.opened THEN o.external_id ELSE EXCLUDED.external_id END,
         channel = CASE WHEN o.opened THEN o.channel ELSE EXCLUDED.channel END,
         channel_type = CASE WHEN o.opened THEN o.channel_type ELSE EXCLUDED.channel_type END,
         created_at = CASE WHEN o.opened THEN o.created_at ELSE EXCLUDED.created_at END,
         business_date = CASE WHEN o.opened THEN o.business_date ELSE EXCLUDED.business_date END,
         currency = CASE WHEN o.opened THEN o.currency ELSE EXCLUDED.currency END,
         total = CASE WHEN o.opened THEN o.total ELSE EXCLUDED.total END,
         item_count = CASE WHEN o.opened THEN o.item_count ELSE EXCLUDED.item_count END,
         is_historical = CASE WHEN o.opened THEN o.is_historical ELSE EXCLUDED.is_historical END,
         opened = o.opened OR EXCLUDED.opened,
         status = CASE WHEN EXCLUDED.status_rank > o.status_rank THEN EXCLUDED.status ELSE o.status END,
         status_rank = GREATEST(o.status_rank, EXCLUDED.status_rank),
         event_count = o.event_count + EXCLUDED.event_count,
         event_offsets = o.event_offsets || EXCLUDED.event_offsets`,
      columns,
    );
  }

  private async decodeDocuments(messages: ConsumedMessage[], skip: SkipInBatch) {
    const rows: { offset: string; partition: number; values: unknown[] }[] = [];
    for (const message of messages) {
      try {
        const document = await this.codec.decode(message.value);
        rows.push({
          offset: message.offset,
          partition: message.partition,
          values: [
            document.idempotencyKey,
            document.tenant,
            document.orderId,
            document.documentType,
            document.externalId,
            document.tranDate,
            // What the document books besides its payment lines, as the ERP listing reads it (docs/domain.md section 3).
            bookedAmount(document),
            document.lines.length,
            document.source.eventId,
            document.source.eventName,
            message.partition,
            message.offset,
            // A change to its sale (closing, assigning lines), no record of its own.
            document.operation !== undefined,
            jsonOrNull(projectedLines(document)),
          ],
        });
      } catch (error) {
        if (!(error instanceof InvalidDocumentError)) throw error;
        skip(message, error.message);
      }
    }
    return rows;
  }

  private async applyDocuments(manager: EntityManager, rows: { values: unknown[] }[]): Promise<void> {
    // One row per key (the last in offset order), as applying them one by one would leave.
    const latest = new Map<unknown, unknown[]>();
    for (const row of rows) latest.set(row.values[0], row.values);
    if (latest.size === 0) return;
    const columns = columnsOf([...latest.values()]);
    await manager.query(
      `INSERT INTO erp_documents AS d (idempotency_key, tenant, order_id, document_type, external_id, tran_date, amount,
         line_count, source_event_id, source_event_name, document_partition, document_offset, closes_lines, lines)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::numeric[],
         $8::int[], $9::text[], $10::text[], $11::int[], $12::bigint[], $13::boolean[], $14::jsonb[])
       ON CONFLICT (idempotency_key) DO UPDATE SET
         tenant = EXCLUDED.tenant, order_id = EXCLUDED.order_id, document_type = EXCLUDED.document_type,
         external_id = EXCLUDED.external_id, tran_date = EXCLUDED.tran_date, amount = EXCLUDED.amount,
         line_count = EXCLUDED.line_count, source_event_id = EXCLUDED.source_event_id,
         source_event_name = EXCLUDED.source_event_name, document_partition = EXCLUDED.document_partition,
         document_offset = EXCLUDED.document_offset, closes_lines = EXCLUDED.closes_lines, lines = EXCLUDED.lines`,
      columns,
    );
  }

  private async applyStatuses(manager: EntityManager, messages: ConsumedMessage[], skip: SkipInBatch): Promise<void> {
    const latest = new Map<string, SyncStatus>();
    for (const message of messages) {
      // A compacted topic may hold tombstones (null values) for deleted keys.
      if (!message.value) continue;
      const decoded = decodeTopicValue('erpSyncStatus', message.value);
      if (!decoded.ok) {
        skip(message, `not a sync status: ${decoded.problems.join('; ')}`);
        continue;
      }
      const status = decoded.value;
      const seen = latest.get(status.idempotencyKey);
      if (!seen || seen.updatedAt <= status.updatedAt) latest.set(status.idempotencyKey, status);
    }
    if (latest.size === 0) return;
    const columns = columnsOf(
      [...latest.values()].map((status) => [
        status.idempotencyKey,
        status.tenant,
        status.orderId,
        status.documentType,
        status.externalId,
        status.status,
        status.erpInternalId,
        status.attempts,
        status.error,
        status.updatedAt,
      ]),
    );
    await manager.query(
      `INSERT INTO erp_documents AS d (idempotency_key, tenant, order_id, document_type, external_id, status,
         erp_internal_id, attempts, error, status_updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
         $8::int[], $9::text[], $10::timestamptz[])
       ON CONFLICT (idempotency_key) DO UPDATE SET
         tenant = COALESCE(d.tenant, EXCLUDED.tenant), order_id = COALESCE(d.order_id, EXCLUDED.order_id),
         document_type = COALESCE(d.document_type, EXCLUDED.document_type),
         external_id = COALESCE(d.external_id, EXCLUDED.external_id),
         status = EXCLUDED.status, erp_internal_id = EXCLUDED.erp_internal_id, attempts = EXCLUDED.attempts,
         error = EXCLUDED.error, status_updated_at = EXCLUDED.status_updated_at
       WHERE d.status_updated_at IS NULL OR EXCLUDED.status_updated_at >= d.status_updated_at`,
      columns,
    );
  }

  private async applyDeadLetters(manager: EntityManager, messages: ConsumedMessage[]): Promise<void> {
    const columns = columnsOf(
      messages.map((message) => [...copiedEvent(message), message.headers[HEADERS.dlqReason] ?? null]),
    );
    await manager.query(
      `INSERT INTO dead_letters (topic_partition, topic_offset, tenant, order_id, event_id, event_name, reason)
       SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT DO NOTHING`,
      columns,
    );
    this.logger.debug({ count: messages.length }, 'dead letters projected');
  }

  /** Each move to a retry tier, as its headers say (docs/architecture.md, "enricher"): who, which attempt, why, when due. */
  private async applyRetries(manager: EntityManager, delayMs: number, messages: ConsumedMessage[]): Promise<void> {
    const instant = (value: string | undefined) => (value && !Number.isNaN(Date.parse(value)) ? value : null);
    const columns = columnsOf(
      messages.map((message) => {
        const attempt = Number(message.headers[HEADERS.attempt]);
        return [
          delayMs,
          ...copiedEvent(message),
          Number.isInteger(attempt) ? attempt : null,
          message.headers[HEADERS.lastError] ?? null,
          new Date(Number(message.timestamp)).toISOString(),
          instant(message.headers[HEADERS.dueAt]),
          instant(message.headers[HEADERS.firstSeenAt]),
        ];
      }),
    );
    await manager.query(
      `INSERT INTO enrichment_retries (tier_delay_ms, topic_partition, topic_offset, tenant, order_id, event_id, event_name,
         attempt, reason, moved_at, due_at, first_seen_at)
       SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[],
         $9::text[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])
       ON CONFLICT DO NOTHING`,
      columns,
    );
  }
}
