import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ErpDocumentType } from '@hub/contracts';
import { EnrichmentRetry, ProjectedLine } from '@hub/reconciliation';

/** An order's path through the hub, as the projections know it. */
export interface OrderPath {
  orderId: string;
  /** Null when no event of the order reached the hub. */
  events: { status: string; count: number; partition: number; offsets: string[]; currency: string | null } | null;
  documents: {
    documentType: string;
    externalId: string | null;
    sourceEvent: string | null;
    sourceEventId: string | null;
    status: string | null;
    erpInternalId: string | null;
    attempts: number | null;
    error: string | null;
  }[];
  deadLetters: { eventId: string | null; eventName: string | null; reason: string | null }[];
  /** Each move of one of its events to a retry tier, oldest first. */
  retries: EnrichmentRetry[];
}

/** A record-making document of an order with the lines the hub posted and its closings' lines. */
export interface DocumentLines {
  documentType: ErpDocumentType;
  externalId: string;
  lines: ProjectedLine[];
  closings: ProjectedLine[][];
}

/** One order as the projections hold it: found by any of its ids, its path, its events' place on the topic. */
@Injectable()
export class OrderReads {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** The order's documents that are records and carry lines, each with the lines of its closings. */
  async documentLines(tenant: string, orderId: string): Promise<DocumentLines[]> {
    const rows = await this.dataSource.query<
      { document_type: ErpDocumentType; external_id: string; lines: ProjectedLine[]; closings: ProjectedLine[][] }[]
    >(
      `SELECT d.document_type, d.external_id, d.lines,
         coalesce((SELECT json_agg(c.lines ORDER BY c.document_partition, c.document_offset) FROM erp_documents c
           WHERE c.closes_lines AND c.lines IS NOT NULL AND c.tenant = d.tenant AND c.document_type = d.document_type
           AND c.external_id = d.external_id), '[]'::json) AS closings
       FROM erp_documents d
       WHERE d.tenant = $1 AND d.order_id = $2 AND NOT d.closes_lines AND d.lines IS NOT NULL
       ORDER BY d.document_partition, d.document_offset`,
      [tenant, orderId],
    );
    return rows.map((row) => ({
      documentType: row.document_type,
      externalId: row.external_id,
      lines: row.lines,
      closings: row.closings,
    }));
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

  /**
   * Where the orders' documents are on erp.documents.v1, as the enricher built them:
   * one position per document (its latest copy), in the order they were published.
   */
  async documentPositions(
    tenant: string,
    orderIds: string[],
  ): Promise<{ orderId: string; partition: number; offset: string }[]> {
    if (orderIds.length === 0) return [];
    const rows = await this.dataSource.query<{ order_id: string; document_partition: number; offset: string }[]>(
      `SELECT order_id, document_partition, document_offset::text AS offset FROM erp_documents
       WHERE tenant = $1 AND order_id = ANY($2) AND document_partition IS NOT NULL AND document_offset IS NOT NULL
       ORDER BY document_partition, document_offset`,
      [tenant, orderIds],
    );
    return rows.map((row) => ({ orderId: row.order_id, partition: row.document_partition, offset: row.offset }));
  }

  /** The ERP id the hub's own record of a document has. */
  async hubErpIds(idempotencyKeys: string[]): Promise<Map<string, string | null>> {
    const rows = await this.dataSource.query<{ idempotency_key: string; erp_internal_id: string | null }[]>(
      `SELECT idempotency_key, erp_internal_id FROM erp_documents WHERE idempotency_key = ANY($1)`,
      [idempotencyKeys],
    );
    return new Map(rows.map((row) => [row.idempotency_key, row.erp_internal_id]));
  }

  /** Each order's events, documents (with their ERP ids and errors) and dead letters, from the projections. */
  async orderPaths(tenant: string, orderIds: string[]): Promise<Map<string, OrderPath>> {
    const paths = new Map<string, OrderPath>(
      orderIds.map((orderId) => [orderId, { orderId, events: null, documents: [], deadLetters: [], retries: [] }]),
    );
    if (orderIds.length === 0) return paths;
    const orders = await this.dataSource.query<
      {
        order_id: string;
        status: string;
        event_count: number;
        event_partition: number;
        offsets: string[];
        currency: string | null;
      }[]
    >(
      `SELECT order_id, status, event_count, event_partition, event_offsets::text[] AS offsets, currency
       FROM orders WHERE tenant = $1 AND order_id = ANY($2)`,
      [tenant, orderIds],
    );
    for (const row of orders)
      paths.get(row.order_id)!.events = {
        status: row.status,
        count: row.event_count,
        partition: row.event_partition,
        offsets: row.offsets,
        currency: row.currency,
      };
    const documents = await this.dataSource.query<
      {
        order_id: string;
        document_type: string;
        external_id: string | null;
        source_event_name: string | null;
        source_event_id: string | null;
        status: string | null;
        erp_internal_id: string | null;
        attempts: number | null;
        error: string | null;
      }[]
    >(
      `SELECT order_id, document_type, external_id, source_event_name, source_event_id, status, erp_internal_id,
         attempts, error
       FROM erp_documents WHERE tenant = $1 AND order_id = ANY($2) ORDER BY order_id, document_offset`,
      [tenant, orderIds],
    );
    for (const row of documents)
      paths.get(row.order_id)!.documents.push({
        documentType: row.document_type,
        externalId: row.external_id,
        sourceEvent: row.source_event_name,
        sourceEventId: row.source_event_id,
        status: row.status,
        erpInternalId: row.erp_internal_id,
        attempts: row.attempts,
        error: row.error,
      });
    const deadLetters = await this.dataSource.query<
      { order_id: string; event_id: string | null; event_name: string | null; reason: string | null }[]
    >(
      `SELECT order_id, event_id, event_name, reason FROM dead_letters WHERE tenant = $1 AND order_id = ANY($2)
       ORDER BY order_id, topic_partition, topic_offset`,
      [tenant, orderIds],
    );
    for (const row of deadLetters)
      paths
        .get(row.order_id)!
        .deadLetters.push({ eventId: row.event_id, eventName: row.event_name, reason: row.reason });
    const retries = await this.dataSource.query<
      {
        order_id: string;
        event_id: string | null;
        event_name: string | null;
        attempt: number | null;
        tier_delay_ms: number;
        reason: string | null;
        moved_at: Date;
        due_at: Date | null;
      }[]
    >(
      `SELECT order_id, event_id, event_name, attempt, tier_delay_ms, reason, moved_at, due_at FROM enrichment_retries
       WHERE tenant = $1 AND order_id = ANY($2) ORDER BY order_id, moved_at, attempt`,
      [tenant, orderIds],
    );
    for (const row of retries)
      paths.get(row.order_id)!.retries.push({
        eventId: row.event_id,
        eventName: row.event_name,
        attempt: row.attempt,
        delayMs: row.tier_delay_ms,
        reason: row.reason,
        movedAt: row.moved_at.toISOString(),
        dueAt: row.due_at?.toISOString() ?? null,
      });
    return paths;
  }

  /**
   * The order an operator names: by NewStore order id, by order number, or by the
   * external id of any of its ERP documents. Undefined when the projections do not know it.
   */
  async findOrder(tenant: string, id: string): Promise<ProjectedOrder | undefined> {
    const rows = await this.dataSource.query<
      {
        order_id: string;
        external_id: string | null;
        channel_type: string | null;
        business_date: string | null;
        currency: string | null;
        total: string | null;
        item_count: number | null;
        is_historical: boolean;
        status: string;
      }[]
    >(
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
      orderId: row.order_id,
      orderNumber: row.external_id,
      channelType: row.channel_type,
      businessDate: row.business_date,
      currency: row.currency,
      total: row.total,
      itemCount: row.item_count,
      historical: row.is_historical,
      status: row.status,
    };
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
