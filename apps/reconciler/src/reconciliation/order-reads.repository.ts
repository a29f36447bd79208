import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ErpDocumentType } from '@hub/contracts';
import { ProjectedLine } from '@hub/reconciliation';
import { numberOrNull, Raw } from './sql-values';

/** An order's path through the hub, as the projections know it. */
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
