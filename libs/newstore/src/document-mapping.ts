import {
  decimal,
  documentIdempotencyKey,
  ErpDocument,
  ErpDocumentType,
  InvalidAmountError,
  money,
  sum,
} from '@hub/contracts';
import Big from 'big.js';
import { createHash } from 'node:crypto';
import { NewStoreEnvelope } from './envelope';
import { asUtc, GraphQlOrder } from './graphql-order';

/**
 * What an event implies for the ERP (docs/domain.md section 3), as pure functions of the
 * event and NewStore's present state of its order:
 *  - a document to emit;
 *  - not ready: the data is not there yet (GraphQL lag, payments settling) → retry later;
 *  - skip: the event needs no ERP action (historical order, unhandled event name).
 */
export type MappingOutcome =
  | { kind: 'document'; document: ErpDocument }
  | { kind: 'not-ready'; reason: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface EventToMap {
  envelope: NewStoreEnvelope;
  eventId: string;
  /** Null when the event has no order (blind return) or GraphQL does not have it yet. */
  order: GraphQlOrder | null;
}

const IN_STORE = 'IN_STORE_HANDOVER';
/** A payload field as text, or the fallback when it is missing or not a scalar. */
const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : fallback;

/** Sales order for web and endless-aisle orders (anything shipped), cash sale for in-store purchases. */
export function saleDocumentType(order: Pick<GraphQlOrder, 'channelType' | 'items'>): ErpDocumentType {
  return order.channelType === 'web' || order.items.some((item) => item.shippingServiceLevel !== IN_STORE)
    ? 'salesOrder'
    : 'cashSale';
}

/**
 * An external id NetSuite accepts (letters, digits, _ and -, at most 200 characters;
 * docs/domain.md section 4), derived injectively: an id that needs no change is kept as
 * it is; one whose characters had to be replaced or that had to be cut gets a hash
 * of the original as a suffix, so `1001.1` and `1001-1` never share one ERP record.
 */
export function toExternalId(...parts: string[]): string {
  const joined = parts.join('-');
  const cleaned = joined.replace(/[^A-Za-z0-9_-]/g, '-');
  if (cleaned === joined && cleaned.length <= 200) return cleaned;
  const digest = createHash('sha256').update(joined).digest('hex').slice(0, 12);
  return `${cleaned.slice(0, 200 - digest.length - 2)}__${digest}`;
}

/**
 * The document with the tenant in its external ids (its own and its dependency's),
 * for ERP accounts that several tenants share: `acme-W1001` and `beta-W1001` are
 * two records. Injective like {@link toExternalId}.
 */
export function withTenantInExternalIds(document: ErpDocument): ErpDocument {
  return {
    ...document,
    externalId: toExternalId(document.tenant, document.externalId),
    ...(document.dependsOn
      ? {
          dependsOn: {
            ...document.dependsOn,
            externalId: toExternalId(document.tenant, document.dependsOn.externalId),
          },
        }
      : {}),
  };
}

/** The UTC date of an instant; NewStore's GraphQL datetimes carry no offset and are UTC (seed 003). */
function businessDate(instant: string): string {
  const date = new Date(asUtc(instant));
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`"${instant}" is not a datetime`);
  return date.toISOString().slice(0, 10);
}

/** The event or its order is wrong in itself: no retry can make a document of it. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

function saleReference(order: GraphQlOrder, tenant: string) {
  const documentType = saleDocumentType(order);
  return {
    documentType,
    idempotencyKey: documentIdempotencyKey(documentType, tenant, order.id),
    externalId: toExternalId(order.externalId),
  };
}

/** What each payment instrument paid: its authorized or captured amount (an authorization and its capture are one payment). */
function payments(order: GraphQlOrder) {
  return (order.paymentAccount?.instruments ?? []).map((instrument) => ({
    method: instrument.paymentMethod,
    paid: instrument.paymentAccountTransactions
      .filter((transaction) => transaction.transactionType === 'capture' || transaction.transactionType === 'authorize')
      .map((transaction) => decimal(transaction.amount))
      .reduce((max, amount) => (amount.gt(max) ? amount : max), new Big(0)),
  }));
}

/** An item's line: the price of its quantity less its discounts, and its tax (NetSuite adds them up). */
function lineOf(item: GraphQlOrder['items'][number], currency: string) {
  return {
    itemId: item.id,
    ...(item.sku ? { sku: item.sku } : {}),
    quantity: item.quantity,
    amount: money(
      decimal(item.pricebookPrice).times(item.quantity).minus(item.itemDiscounts).minus(item.orderDiscounts),
      currency,
    ),
    tax: money(item.tax, currency),
  };
}

type Line = ErpDocument['lines'][number];

/** The total NetSuite computes for a body: every line's amount and tax, plus shipping and handling (docs/domain.md section 4). */
export function netSuiteTotal(
  parts: Pick<ErpDocument, 'lines' | 'shippingCost' | 'handlingCost' | 'currency'>,
): string {
  return money(
    sum([
      ...parts.lines.flatMap((line) => [line.amount, line.tax]),
      parts.shippingCost ?? '0',
      parts.handlingCost ?? '0',
    ]),
    parts.currency,
  );
}

/**
 * Cash rounding (seed 004, "Managing payment events"): a cash sale captures the
 * rounded total (AU$233.87 → AU$233.90). The difference is a line of its own, so
 * that the ERP's total equals the cash captured. Only for a cash payment, and
 * only a difference smaller than one major unit: anything larger is not rounding.
 */
function roundingLine(order: GraphQlOrder, paid: ReturnType<typeof payments>, grandTotal: Big): Line | undefined {
  if (!paid.some((payment) => payment.method === 'cash')) return undefined;
  const difference = sum(paid.map((payment) => payment.paid)).minus(grandTotal);
  if (difference.eq(0) || difference.abs().gte(1)) return undefined;
  return {
    kind: 'rounding',
    itemId: 'cash-rounding',
    quantity: 1,
    amount: money(difference, order.currency),
    tax: money(0, order.currency),
  };
}

/**
 * The ways an order's amounts can make NewStore's grandTotal, most usual first.
 * No seed states how NewStore totals an order (assumed, and kept open): prices
 * before tax with the shipping tax in `taxTotal` (a line of its own, since
 * NetSuite has no field for a shipping tax amount), the same without a shipping
 * tax, or prices that include their tax (VAT), where a line's amount is its price
 * less its tax. The first whose NetSuite total is the grandTotal is posted; when
 * none is, the event is dead-lettered with both figures.
 */
function saleParts(order: GraphQlOrder): { lines: Line[]; taxIncluded: boolean }[] {
  const currency = order.currency;
  const exclusive = order.items.map((item) => lineOf(item, currency));
  const inclusive = exclusive.map((line) => ({
    ...line,
    amount: money(decimal(line.amount).minus(line.tax), currency),
  }));
  const shippingTax = decimal(order.shippingTax);
  const shippingTaxLine: Line[] = shippingTax.eq(0)
    ? []
    : [
        {
          kind: 'shippingTax',
          itemId: 'shipping-tax',
          quantity: 1,
          amount: money(0, currency),
          tax: money(shippingTax, currency),
        },
      ];
  return [
    { lines: [...exclusive, ...shippingTaxLine], taxIncluded: false },
    ...(shippingTaxLine.length ? [{ lines: exclusive, taxIncluded: false }] : []),
    { lines: [...inclusive, ...shippingTaxLine], taxIncluded: true },
    ...(shippingTaxLine.length ? [{ lines: inclusive, taxIncluded: true }] : []),
  ];
}

/** Shipping as NetSuite's `shippingCost`, when there is any. */
function shippingCostOf(order: GraphQlOrder): { shippingCost?: string } {
  const shipping = decimal(order.shippingTotal);
  return shipping.eq(0) ? {} : { shippingCost: money(shipping, order.currency) };
}

/** The way the order's amounts make its grandTotal (see {@link saleParts}), or undefined when none does. */
function matchingSaleParts(order: GraphQlOrder): { lines: Line[]; taxIncluded: boolean } | undefined {
  const grandTotal = money(order.grandTotal, order.currency);
  return saleParts(order).find(
    (candidate) => netSuiteTotal({ ...candidate, ...shippingCostOf(order), currency: order.currency }) === grandTotal,
  );
}

function sale({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const expectedItems = Array.isArray(envelope.payload.items) ? envelope.payload.items.length : undefined;
  if (expectedItems !== undefined && order.items.length < expectedItems) {
    return { kind: 'not-ready', reason: `GraphQL has ${order.items.length} of ${expectedItems} items` };
  }
  const currency = order.currency;
  const grandTotal = decimal(order.grandTotal);
  const paid = payments(order);
  const paidTotal = sum(paid.map((payment) => payment.paid));
  // Payments settle after the order (seed 001, "Payment details unavailable"); cash may round either way.
  if (paid.length === 0 || paidTotal.eq(0) || paidTotal.lt(grandTotal.minus(1))) {
    return {
      kind: 'not-ready',
      reason: `payment transactions not settled yet (${money(paidTotal, currency)} of ${money(grandTotal, currency)})`,
    };
  }
  const shippingCost = shippingCostOf(order);
  const found = matchingSaleParts(order);
  if (!found) {
    const computed = netSuiteTotal({ ...saleParts(order)[0], ...shippingCost, currency });
    return {
      kind: 'invalid',
      reason: `lines, taxes and shipping add up to ${computed} ${currency}, NewStore's grandTotal is ${money(grandTotal, currency)}: the ERP would book a different total`,
    };
  }
  const lines = found.lines;
  const parts = { lines, currency, ...shippingCost };
  const rounding = roundingLine(order, paid, grandTotal);
  if (rounding) lines.push(rounding);
  const reference = saleReference(order, envelope.tenant);
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      ...reference,
      tenant: envelope.tenant,
      orderId: order.id,
      tranDate: businessDate(order.createdAt),
      ...parts,
      total: netSuiteTotal(parts),
      // Every item as opened; a later cancellation becomes a credit memo against this sale.
      lines,
      payments: paid.map((payment) => ({ method: payment.method, amount: money(payment.paid, currency) })),
      source: { eventId, eventName: envelope.name },
    },
  };
}

/** The ids of a payload's items; a payload whose `items` is not a list of objects with an id is invalid. */
function payloadItemIds(payload: Record<string, unknown>): string[] {
  const items = payload.items;
  if (!Array.isArray(items)) throw new InvalidInputError('payload.items is not a list');
  return items.map((item, index) => {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' && typeof id !== 'number')
      throw new InvalidInputError(`payload.items[${index}] has no id`);
    return String(id);
  });
}

function cancellation({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const cancelledIds = payloadItemIds(envelope.payload);
  const cancelled = order.items.filter((item) => cancelledIds.includes(item.id));
  if (cancelled.length < cancelledIds.length)
    return { kind: 'not-ready', reason: 'cancelled items not in GraphQL yet' };
  // The cancelled items as the sale booked them: net of their tax when prices include it.
  const taxIncluded = matchingSaleParts(order)?.taxIncluded ?? false;
  const lines = cancelled
    .map((item) => lineOf(item, order.currency))
    .map((line) =>
      taxIncluded ? { ...line, amount: money(decimal(line.amount).minus(line.tax), order.currency) } : line,
    );
  const sale_ = saleReference(order, envelope.tenant);
  const fingerprint = createHash('sha256')
    .update([...cancelledIds].sort().join(','))
    .digest('hex')
    .slice(0, 12);
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey('creditMemo', envelope.tenant, order.id, cancelledIds),
      tenant: envelope.tenant,
      orderId: order.id,
      documentType: 'creditMemo',
      externalId: toExternalId('CM', order.externalId, fingerprint),
      tranDate: businessDate(order.createdAt),
      currency: order.currency,
      total: netSuiteTotal({ lines, currency: order.currency }),
      lines,
      payments: [],
      dependsOn: sale_,
      source: { eventId, eventName: envelope.name },
    },
  };
}

/**
 * The refund of a return (docs/domain.md section 1, `return.processed`): item lines
 * when every item carries its refund amount and they add up to the refund, else
 * one line with the refund's own totals (without and with tax), so that the
 * ERP's total is NewStore's `total_refund_amount` either way.
 */
function refundOfReturn({ envelope, eventId, order }: EventToMap): MappingOutcome {
  const payload = envelope.payload as Record<string, unknown>;
  const orderId = typeof payload.order_id === 'string' ? payload.order_id : undefined;
  if (orderId && !order) return { kind: 'not-ready', reason: 'order of the return not in NewStore GraphQL yet' };
  // docs/domain.md: skip is_historical orders. Their sale is booked outside the hub, so a refund
  // depending on it would wait for a sale the hub never posts.
  if (order?.isHistorical) return { kind: 'skip', reason: 'return of a historical order' };
  payloadItemIds(payload);
  const items = payload.items as {
    id: unknown;
    product_id?: unknown;
    quantity?: unknown;
    refund_amount?: unknown;
    refund_tax?: unknown;
  }[];
  const currency = text(payload.currency, order?.currency ?? '');
  if (!/^[A-Z]{3}$/.test(currency)) return { kind: 'invalid', reason: 'the return has no currency' };
  const refund = decimal(payload.total_refund_amount);
  const refundTax = payload.total_refund_tax === undefined ? new Big(0) : decimal(payload.total_refund_tax);
  const itemLines: Line[] = items.map((item) => ({
    itemId: String(item.id),
    ...(item.product_id === undefined ? {} : { sku: text(item.product_id, '') }),
    quantity: quantityOf(item.quantity),
    amount: money(item.refund_amount ?? 0, currency),
    tax: money(item.refund_tax ?? 0, currency),
  }));
  const itemised =
    items.length > 0 &&
    items.every((item) => item.refund_amount !== undefined) &&
    netSuiteTotal({ lines: itemLines, currency }) === money(refund, currency);
  const lines: Line[] = itemised
    ? itemLines
    : [
        {
          itemId: 'return',
          quantity: 1,
          amount: money(refund.minus(refundTax), currency),
          tax: money(refundTax, currency),
        },
      ];
  // Web returns are refunded to the customer; store and endless-aisle returns as a cash refund.
  const documentType: ErpDocumentType = order?.channelType === 'web' ? 'customerRefund' : 'cashRefund';
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey(documentType, envelope.tenant, envelope.payload.id),
      tenant: envelope.tenant,
      orderId: orderId ?? envelope.payload.id,
      documentType,
      externalId: toExternalId('RT', envelope.payload.id),
      tranDate: businessDate(text(payload.returned_at, envelope.published_at ?? new Date().toISOString())),
      currency,
      total: netSuiteTotal({ lines, currency }),
      lines,
      payments: [],
      // A blind return has no order, and no sale to wait for.
      ...(order ? { dependsOn: saleReference(order, envelope.tenant) } : {}),
      source: { eventId, eventName: envelope.name },
    },
  };
}

function quantityOf(value: unknown): number {
  const quantity = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(quantity) || quantity < 1)
    throw new InvalidInputError(`quantity ${JSON.stringify(value)} is not a whole number above 0`);
  return quantity;
}

function appeasement({ envelope, eventId, order }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order of the refund request not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'appeasement of a historical order' };
  const payload = envelope.payload as Record<string, unknown>;
  const currency = text(payload.currency, order.currency);
  const lines: Line[] = [
    {
      kind: 'appeasement',
      itemId: 'appeasement',
      sku: `appeasement-${text(payload.reason_code, 'other')}`,
      quantity: 1,
      amount: money(decimal(payload.amount), currency),
      tax: money(0, currency),
    },
  ];
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey('cashRefund', envelope.tenant, envelope.payload.id),
      tenant: envelope.tenant,
      orderId: order.id,
      documentType: 'cashRefund',
      externalId: toExternalId('AP', envelope.payload.id),
      tranDate: businessDate(text(payload.requested_at, envelope.published_at ?? order.createdAt)),
      currency,
      total: netSuiteTotal({ lines, currency }),
      lines,
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

/**
 * Maps one event; events that imply no ERP document are skipped. The mapping is a
 * pure function of the event and its order, so whatever it cannot read (an amount
 * that is not a number, a date that is not one, items that are not a list) is
 * wrong in the input itself: `invalid`, never an exception that would retry the
 * same bytes for ever.
 */
export function mapEventToDocument(event: EventToMap): MappingOutcome {
  if (!impliesDocument(event.envelope.name))
    return { kind: 'skip', reason: `${event.envelope.name} implies no ERP document` };
  try {
    return DOCUMENT_MAPPINGS[event.envelope.name](event);
  } catch (error) {
    if (error instanceof InvalidInputError || error instanceof InvalidAmountError)
      return { kind: 'invalid', reason: `${event.envelope.name}: ${error.message}` };
    throw error;
  }
}
