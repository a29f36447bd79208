import { documentIdempotencyKey, ErpDocument, ErpDocumentType } from '@hub/contracts';
import { createHash } from 'node:crypto';
import { NewStoreEnvelope } from './envelope';
import { GraphQlOrder } from './graphql-order';

/**
 * What an event implies for the ERP (DOMAIN.md section 3), as pure functions of the
 * event and NewStore's present state of its order:
 *  - a document to emit;
 *  - not ready: the data is not there yet (GraphQL lag, payments settling) → retry later;
 *  - skip: the event needs no ERP action (historical order, unhandled event name).
 */
export type MappingOutcome =
  | { kind: 'document'; document: ErpDocument }
  | { kind: 'not-ready'; reason: string }
  | { kind: 'skip'; reason: string };

export interface EventToMap {
  envelope: NewStoreEnvelope;
  eventId: string;
  /** Null when the event has no order (blind return) or GraphQL does not have it yet. */
  order: GraphQlOrder | null;
}

const IN_STORE = 'IN_STORE_HANDOVER';
const round = (value: number) => Math.round(value * 100) / 100;
/** A payload field as text, or the fallback when it is missing or not a scalar. */
const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;

/** Sales order for web and endless-aisle orders (anything shipped), cash sale for in-store purchases. */
export function saleDocumentType(order: Pick<GraphQlOrder, 'channelType' | 'items'>): ErpDocumentType {
  return order.channelType === 'web' || order.items.some((item) => item.shippingServiceLevel !== IN_STORE)
    ? 'salesOrder'
    : 'cashSale';
}

/** NetSuite external ids allow letters, digits, _ and - only. */
export function toExternalId(...parts: string[]): string {
  return parts
    .join('-')
    .replace(/[^A-Za-z0-9_-]/g, '-')
    .slice(0, 200);
}

function businessDate(createdAt: string): string {
  return new Date(/Z$|[+-]\d\d:\d\d$/.test(createdAt) ? createdAt : `${createdAt}Z`).toISOString().slice(0, 10);
}

function saleReference(order: GraphQlOrder, tenant: string) {
  const documentType = saleDocumentType(order);
  return {
    documentType,
    idempotencyKey: documentIdempotencyKey(documentType, tenant, [order.id]),
    externalId: toExternalId(order.externalId),
  };
}

function payments(order: GraphQlOrder) {
  return (order.paymentAccount?.instruments ?? []).map((instrument) => ({
    method: instrument.paymentMethod,
    amount: round(
      instrument.paymentAccountTransactions
        .filter(
          (transaction) => transaction.transactionType === 'capture' || transaction.transactionType === 'authorize',
        )
        .reduce((max, transaction) => Math.max(max, transaction.amount), 0),
    ),
  }));
}

function lineOf(item: GraphQlOrder['items'][number]) {
  return {
    itemId: item.id,
    sku: item.externalIdentifiers?.sku ?? undefined,
    quantity: item.quantity,
    amount: round(item.pricebookPrice * item.quantity - item.itemDiscounts - item.orderDiscounts),
    tax: item.tax,
  };
}

function sale({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const expectedItems = Array.isArray(envelope.payload.items) ? envelope.payload.items.length : undefined;
  if (expectedItems !== undefined && order.items.length < expectedItems) {
    return { kind: 'not-ready', reason: `GraphQL has ${order.items.length} of ${expectedItems} items` };
  }
  const paid = payments(order);
  if (paid.length === 0 || paid.every((payment) => payment.amount === 0)) {
    return { kind: 'not-ready', reason: 'payment transactions not settled yet' };
  }
  const reference = saleReference(order, envelope.tenant);
  return {
    kind: 'document',
    document: {
      schemaVersion: 1,
      ...reference,
      tenant: envelope.tenant,
      orderId: order.id,
      tranDate: businessDate(order.createdAt),
      currency: order.currency,
      total: order.grandTotal,
      // Every item as opened; a later cancellation becomes a credit memo against this sale.
      lines: order.items.map(lineOf),
      payments: paid,
      source: { eventId, eventName: envelope.name },
    },
  };
}

function cancellation({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const cancelledIds = ((envelope.payload.items as { id?: unknown }[] | undefined) ?? []).map((item) =>
    String(item.id),
  );
  const cancelled = order.items.filter((item) => cancelledIds.includes(item.id));
  if (cancelled.length < cancelledIds.length)
    return { kind: 'not-ready', reason: 'cancelled items not in GraphQL yet' };
  const lines = cancelled.map(lineOf);
  const sale_ = saleReference(order, envelope.tenant);
  const fingerprint = createHash('sha256')
    .update([...cancelledIds].sort().join(','))
    .digest('hex')
    .slice(0, 12);
  return {
    kind: 'document',
    document: {
      schemaVersion: 1,
      idempotencyKey: documentIdempotencyKey('creditMemo', envelope.tenant, [order.id, ...cancelledIds]),
      tenant: envelope.tenant,
      orderId: order.id,
      documentType: 'creditMemo',
      externalId: toExternalId('CM', order.externalId, fingerprint),
      tranDate: businessDate(order.createdAt),
      currency: order.currency,
      total: round(lines.reduce((sum, line) => sum + line.amount + line.tax, 0)),
      lines,
      payments: [],
      dependsOn: sale_,
      source: { eventId, eventName: envelope.name },
    },
  };
}

function refundOfReturn({ envelope, eventId, order }: EventToMap): MappingOutcome {
  const payload = envelope.payload as Record<string, unknown>;
  const items =
    (payload.items as
      | { id?: unknown; product_id?: unknown; quantity?: unknown; refund_amount?: unknown; refund_tax?: unknown }[]
      | undefined) ?? [];
  const orderId = typeof payload.order_id === 'string' ? payload.order_id : undefined;
  if (orderId && !order) return { kind: 'not-ready', reason: 'order of the return not in NewStore GraphQL yet' };
  // Web returns are refunded to the customer; store and endless-aisle returns as a cash refund.
  const documentType: ErpDocumentType = order?.channelType === 'web' ? 'customerRefund' : 'cashRefund';
  return {
    kind: 'document',
    document: {
      schemaVersion: 1,
      idempotencyKey: documentIdempotencyKey(documentType, envelope.tenant, [envelope.payload.id]),
      tenant: envelope.tenant,
      orderId: orderId ?? envelope.payload.id,
      documentType,
      externalId: toExternalId('RT', envelope.payload.id),
      tranDate: businessDate(text(payload.returned_at, envelope.published_at ?? new Date().toISOString())),
      currency: text(payload.currency, order?.currency ?? 'USD'),
      total: Number(payload.total_refund_amount ?? 0),
      lines: items.map((item) => ({
        itemId: String(item.id),
        sku: item.product_id === undefined ? undefined : text(item.product_id, ''),
        quantity: Number(item.quantity ?? 1),
        amount: Number(item.refund_amount ?? 0),
        tax: Number(item.refund_tax ?? 0),
      })),
      payments: [],
      // A blind return has no order, and no sale to wait for.
      ...(order ? { dependsOn: saleReference(order, envelope.tenant) } : {}),
      source: { eventId, eventName: envelope.name },
    },
  };
}

function appeasement({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order of the refund request not in NewStore GraphQL yet' };
  const payload = envelope.payload as Record<string, unknown>;
  const amount = Number(payload.amount ?? 0);
  return {
    kind: 'document',
    document: {
      schemaVersion: 1,
      idempotencyKey: documentIdempotencyKey('cashRefund', envelope.tenant, [envelope.payload.id]),
      tenant: envelope.tenant,
      orderId: order.id,
      documentType: 'cashRefund',
      externalId: toExternalId('AP', envelope.payload.id),
      tranDate: businessDate(text(payload.requested_at, envelope.published_at ?? order.createdAt)),
      currency: text(payload.currency, order.currency),
      total: amount,
      lines: [
        {
          itemId: 'appeasement',
          sku: `appeasement-${text(payload.reason_code, 'other')}`,
          quantity: 1,
          amount,
          tax: 0,
        },
      ],
      payments: [],
      dependsOn: saleReference(order, envelope.tenant),
      source: { eventId, eventName: envelope.name },
    },
  };
}

/**
 * The event names that imply an ERP document, and how. A typed record: a handled
 * name without a mapping does not compile. Every other event is skipped and counted.
 */
export const DOCUMENT_MAPPINGS = {
  'order.opened': sale,
  'order.items_cancelled': cancellation,
  'return.processed': refundOfReturn,
  'refund_request.issued': appeasement,
} as const satisfies Record<string, (event: EventToMap) => MappingOutcome>;

export type DocumentEventName = keyof typeof DOCUMENT_MAPPINGS;

export function impliesDocument(name: string): name is DocumentEventName {
  return Object.prototype.hasOwnProperty.call(DOCUMENT_MAPPINGS, name);
}

/** Maps one event; events that imply no ERP document are skipped. */
export function mapEventToDocument(event: EventToMap): MappingOutcome {
  if (!impliesDocument(event.envelope.name))
    return { kind: 'skip', reason: `${event.envelope.name} implies no ERP document` };
  return DOCUMENT_MAPPINGS[event.envelope.name](event);
}
