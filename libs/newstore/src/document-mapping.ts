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
  /** `followUps`: records made from this one, in order, each depending on the one before (a web return's chain). */
  | { kind: 'document'; document: ErpDocument; followUps?: ErpDocument[] }
  | { kind: 'not-ready'; reason: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface EventToMap {
  envelope: NewStoreEnvelope;
  eventId: string;
  /** Null when the event has no order (blind return) or GraphQL does not have it yet. */
  order: GraphQlOrder | null;
  /**
   * The IANA time zone of the store (or else the tenant) the document is booked
   * for: `tranDate` is the local date there (docs/domain.md section 3, "Dates").
   * Default UTC.
   */
  timeZone?: string;
  /** How the deployment books what NetSuite holds already (mapping file); default: as the hub's own records. */
  booking?: BookingPolicy;
}

/**
 * The deployment's choices that change which record a later event makes (docs/domain.md
 * section 3; the mapping file's `billing` and `returnAuthorizations`).
 */
export interface BookingPolicy {
  /** `beforeShipping`: sales orders have an invoice, a cancellation credits it instead of closing lines. */
  billing: 'afterFulfilment' | 'beforeShipping';
  /** `find`: a web return's return authorization is made in NetSuite; the hub finds it, never creates it. */
  returnAuthorizations: 'create' | 'find';
}

/**
 * The prefixes of the external ids the hub gives records that are no sale (a sale's is
 * the order number): the reconciler knows a record of the hub's making by them.
 * `CM` is the credit memo cancellations made before they closed lines (still in ERPs).
 */
export const EXTERNAL_ID_PREFIXES = {
  return: 'RT',
  appeasement: 'AP',
  fulfilment: 'FF',
  cancellationCredit: 'CX',
  legacyCancellation: 'CM',
} as const;

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
  const tenant = tenantToken(document.tenant);
  return {
    ...document,
    externalId: toExternalId(tenant, document.externalId),
    ...(document.customer?.externalId
      ? { customer: { ...document.customer, externalId: toExternalId(tenant, document.customer.externalId) } }
      : {}),
    ...(document.dependsOn
      ? { dependsOn: { ...document.dependsOn, externalId: toExternalId(tenant, document.dependsOn.externalId) } }
      : {}),
    ...(document.transformFrom
      ? {
          transformFrom: {
            ...document.transformFrom,
            externalId: toExternalId(tenant, document.transformFrom.externalId),
          },
        }
      : {}),
  };
}

/**
 * The tenant as the first part of an external id, with no `-` in it, so that the
 * first `-` of the id ends it: `acme-eu` + `W1001` and `acme` + `eu-W1001` are two
 * ids. `_` is written `__` and `-` is written `_d` (an injective escape); a tenant
 * of letters and digits, the usual case, is unchanged.
 */
export function tenantToken(tenant: string): string {
  return tenant.replace(/_/g, '__').replace(/-/g, '_d');
}

/**
 * The local date, in `timeZone`, of an instant (docs/domain.md section 3, "Dates":
 * never the UTC date). NewStore's GraphQL datetimes carry no offset and are UTC
 * (seed 003); event payloads carry theirs.
 */
export function localDate(instant: string, timeZone = 'UTC'): string {
  const date = new Date(asUtc(instant));
  if (Number.isNaN(date.getTime())) throw new InvalidInputError(`"${instant}" is not a datetime`);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}`;
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
    provider: instrument.paymentProvider,
    paid: instrument.paymentAccountTransactions
      .filter((transaction) => transaction.transactionType === 'capture' || transaction.transactionType === 'authorize')
      .map((transaction) => decimal(transaction.amount))
      .reduce((max, amount) => (amount.gt(max) ? amount : max), new Big(0)),
  }));
}

type Line = ErpDocument['lines'][number];
type OrderItem = GraphQlOrder['items'][number];

/**
 * An item's lines as the production integration books them (docs/domain.md
 * section 3, "Discounts"): the item at its full price (the price of its quantity;
 * less its tax when prices include it), then, when it is discounted, a discount
 * line at minus the discount, so gross sales and discounts report apart. The tax
 * is NewStore's, on the amount after the discount. The coupon code goes on the
 * discount line of an order discount.
 */
function itemLines(item: OrderItem, currency: string, taxIncluded: boolean, couponCode: string | undefined): Line[] {
  const gross = decimal(item.pricebookPrice).times(item.quantity);
  const tax = decimal(item.tax);
  const discount = decimal(item.itemDiscounts).plus(item.orderDiscounts);
  const line: Line = {
    kind: 'item',
    itemId: item.id,
    productId: item.productId,
    ...(item.sku ? { sku: item.sku } : {}),
    quantity: item.quantity,
    amount: money(taxIncluded ? gross.minus(tax) : gross, currency),
    tax: money(tax, currency),
  };
  if (discount.eq(0)) return [line];
  return [
    line,
    {
      kind: 'discount',
      itemId: `${item.id}-discount`,
      quantity: 1,
      amount: money(discount.neg(), currency),
      tax: money(0, currency),
      ...(couponCode && !decimal(item.orderDiscounts).eq(0) ? { couponCode } : {}),
    },
  ];
}

/** The total NetSuite computes for a body: every line's amount and tax, shipping with its tax, handling (docs/domain.md section 4). */
export function netSuiteTotal(
  parts: Pick<ErpDocument, 'lines' | 'shippingCost' | 'shippingTax' | 'handlingCost' | 'currency'>,
): string {
  return money(
    sum([
      ...parts.lines.flatMap((line) => [line.amount, line.tax]),
      parts.shippingCost ?? '0',
      parts.shippingTax ?? '0',
      parts.handlingCost ?? '0',
    ]),
    parts.currency,
  );
}

/**
 * Cash rounding (seed 004, "Managing payment events"): a cash sale captures the
 * rounded total (AU$233.87 → AU$233.90). The difference is a line of its own, so
 * that the sale lines and the cash payment line balance. Only for a cash payment,
 * and only a difference smaller than one major unit: anything larger is not rounding.
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
 * Payments as item lines (docs/domain.md section 3, "Payments are item lines";
 * seed 001's NetSuite example): one line per instrument that paid, negative, so a
 * paid sale totals 0 in NetSuite. The mapping file picks each line's payment item
 * from method, provider and currency.
 */
function paymentLines(paid: ReturnType<typeof payments>, currency: string): Line[] {
  return paid
    .filter((payment) => payment.paid.gt(0))
    .map((payment, index) => ({
      kind: 'payment' as const,
      itemId: `payment-${index + 1}`,
      quantity: 1,
      amount: money(payment.paid.neg(), currency),
      tax: money(0, currency),
      paymentMethod: payment.method,
      ...(payment.provider ? { paymentProvider: payment.provider } : {}),
    }));
}

/**
 * A refund transaction of NewStore's payment account. Seed 001 shows the types
 * `authorize` and `capture` and no page names the refund's (assumed): a type that
 * reads "refund" (`refund`, `REFUND`, `refunded`).
 */
const isRefundTransaction = (type: string) => /refund/i.test(type);

/**
 * A refund's payment lines (docs/domain.md section 3: "Refunds carry the refund's
 * payment lines"; "Returns are booked once NewStore's refund transactions add up
 * to `total_refund_amount`"): the money goes back through the instruments NewStore
 * refunded, one negative payment line each, so the refund totals 0 in NetSuite as
 * its sale does. An order's refunds share its refund transactions; they are taken
 * last instrument first, as cancellations give back the last payment first. Until
 * the order's refund transactions cover this refund it is not ready (NewStore
 * records them after the return, and a retry tier waits for them). A refund with
 * no order (a blind return) or of a historical order that NewStore holds no payment
 * for has nothing to read: it carries no payment line.
 */
function refundPaymentLines(
  order: GraphQlOrder | null | undefined,
  refund: string,
  currency: string,
): Line[] | Extract<MappingOutcome, { kind: 'not-ready' }> {
  const wanted = decimal(refund);
  const instruments = order?.paymentAccount?.instruments ?? [];
  if (!order || wanted.lte(0) || (order.isHistorical && instruments.length === 0)) return [];
  if (instruments.length === 0) return { kind: 'not-ready', reason: 'payments of the order not in GraphQL yet' };
  const refunded = instruments.map((instrument) => ({
    method: instrument.paymentMethod,
    provider: instrument.paymentProvider,
    amount: sum(
      instrument.paymentAccountTransactions
        .filter((transaction) => isRefundTransaction(transaction.transactionType))
        .map((transaction) => decimal(transaction.amount).abs()),
    ),
  }));
  const total = sum(refunded.map((instrument) => instrument.amount));
  if (total.lt(wanted))
    return {
      kind: 'not-ready',
      reason: `NewStore's refund transactions add up to ${money(total, currency)} of the refund's ${money(wanted, currency)} ${currency}`,
    };
  const lines: Line[] = [];
  let left = wanted;
  for (const instrument of [...refunded].reverse()) {
    if (left.eq(0)) break;
    const share = instrument.amount.lt(left) ? instrument.amount : left;
    if (share.eq(0)) continue;
    lines.unshift({
      kind: 'payment',
      itemId: `refund-payment-${refunded.indexOf(instrument) + 1}`,
      quantity: 1,
      amount: money(share.neg(), currency),
      tax: money(0, currency),
      paymentMethod: instrument.method,
      ...(instrument.provider ? { paymentProvider: instrument.provider } : {}),
    });
    left = left.minus(share);
  }
  return lines;
}

interface SaleParts {
  lines: Line[];
  shippingTax: string;
  taxIncluded: boolean;
}

/**
 * The ways an order's amounts can make NewStore's grandTotal, most usual first.
 * No seed states how NewStore totals an order (assumed, and kept open): prices
 * before tax with the shipping tax in `taxTotal`, the same without a shipping
 * tax, or prices that include their tax (VAT), where an item's amount is its
 * price less its tax. The first whose NetSuite total is the grandTotal is posted;
 * when none is, the event is dead-lettered with both figures.
 */
function saleParts(order: GraphQlOrder, items: OrderItem[] = order.items): SaleParts[] {
  const currency = order.currency;
  const coupon = order.discounts.find((discount) => discount.couponCode)?.couponCode ?? undefined;
  const exclusive = items.flatMap((item) => itemLines(item, currency, false, coupon));
  const inclusive = items.flatMap((item) => itemLines(item, currency, true, coupon));
  const shippingTax = money(order.shippingTax, currency);
  const none = money(0, currency);
  const withoutShippingTax = decimal(shippingTax).eq(0) ? [] : [none];
  return [
    { lines: exclusive, shippingTax, taxIncluded: false },
    ...withoutShippingTax.map((zero) => ({ lines: exclusive, shippingTax: zero, taxIncluded: false })),
    { lines: inclusive, shippingTax, taxIncluded: true },
    ...withoutShippingTax.map((zero) => ({ lines: inclusive, shippingTax: zero, taxIncluded: true })),
  ];
}

/** Shipping as NetSuite's `shippingCost`, when there is any. */
function shippingCostOf(order: GraphQlOrder): { shippingCost?: string } {
  const shipping = decimal(order.shippingTotal);
  return shipping.eq(0) ? {} : { shippingCost: money(shipping, order.currency) };
}

/** The way the order's amounts make its grandTotal (see {@link saleParts}), or undefined when none does. */
function matchingSaleParts(order: GraphQlOrder): SaleParts | undefined {
  const grandTotal = money(order.grandTotal, order.currency);
  return saleParts(order).find(
    (candidate) =>
      netSuiteTotal({
        lines: candidate.lines,
        shippingTax: candidate.shippingTax,
        ...shippingCostOf(order),
        currency: order.currency,
      }) === grandTotal,
  );
}

/** A payload field as text when it is a non-empty string. */
const optionalText = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/**
 * Who bought, as `order.opened` says it (docs/domain.md section 1: `customer_id`,
 * `customer_email`, `billing_address`): the sink finds or creates the ERP customer
 * from it. Undefined for an anonymous sale (a store sale without an e-mail, which
 * goes to the store's placeholder customer).
 */
function customerOf(payload: Record<string, unknown>): ErpDocument['customer'] {
  const email = optionalText(payload.customer_email);
  const newstoreId = optionalText(payload.customer_id);
  if (!email) return newstoreId ? { externalId: customerExternalId(newstoreId, undefined), newstoreId } : undefined;
  const billing = (typeof payload.billing_address === 'object' && payload.billing_address) || {};
  const address = billing as Record<string, unknown>;
  const firstName = optionalText(address.first_name);
  const lastName = optionalText(address.last_name);
  const phone = optionalText(address.phone) ?? optionalText(payload.customer_phone);
  return {
    externalId: customerExternalId(newstoreId, email),
    ...(newstoreId ? { newstoreId } : {}),
    email,
    ...(firstName ? { firstName } : {}),
    ...(lastName ? { lastName } : {}),
    ...(phone ? { phone } : {}),
  };
}

/**
 * The external id of a customer the hub creates: from NewStore's customer id, or a
 * hash of the e-mail when NewStore gives none (never the e-mail itself, which is
 * personal data and would show in every URL of the record).
 */
function customerExternalId(newstoreId: string | undefined, email: string | undefined): string {
  if (newstoreId) return toExternalId('NSC', newstoreId);
  return toExternalId(
    'NSC',
    createHash('sha256')
      .update((email ?? '').toLowerCase())
      .digest('hex')
      .slice(0, 24),
  );
}

/** The sale as the hub books it: its lines in their posted order, its shipping and its payments. */
interface BookedSale {
  lines: Line[];
  /** The sale lines (items, discounts) without rounding and payments. */
  saleLines: Line[];
  shippingCost: { shippingCost?: string };
  shippingTax: { shippingTax?: string };
  paid: ReturnType<typeof payments>;
  taxExempt: boolean;
}

/**
 * The lines of an order's sale, as `order.opened` books them (and as a later
 * cancellation finds them again): every item as opened, its discount after it,
 * cash rounding, then the payment lines. A not-ready or invalid outcome when the
 * order cannot be booked (yet).
 */
function bookedSale(order: GraphQlOrder): BookedSale | Exclude<MappingOutcome, { kind: 'document' }> {
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
    const first = saleParts(order)[0];
    const computed = netSuiteTotal({ lines: first.lines, shippingTax: first.shippingTax, ...shippingCost, currency });
    return {
      kind: 'invalid',
      reason: `lines, taxes and shipping add up to ${computed} ${currency}, NewStore's grandTotal is ${money(grandTotal, currency)}: the ERP would book a different total`,
    };
  }
  const taxExempt = order.taxExempt === true;
  const taxed = [...found.lines.map((line) => line.tax), found.shippingTax].find((tax) => !decimal(tax).eq(0));
  if (taxExempt && taxed !== undefined)
    return {
      kind: 'invalid',
      reason: `the order is tax-exempt in NewStore, yet carries a tax of ${taxed} ${currency}`,
    };
  const rounding = roundingLine(order, paid, grandTotal);
  return {
    lines: [...found.lines, ...(rounding ? [rounding] : []), ...paymentLines(paid, currency)],
    saleLines: found.lines,
    shippingCost,
    shippingTax: decimal(found.shippingTax).eq(0) ? {} : { shippingTax: found.shippingTax },
    paid,
    taxExempt,
  };
}

/** The sale a later document changes, or why that document cannot be booked (yet) either. */
function bookedSaleFor(order: GraphQlOrder, what: string): BookedSale | Exclude<MappingOutcome, { kind: 'document' }> {
  const booked = bookedSale(order);
  if (!('kind' in booked) || booked.kind === 'not-ready') return booked;
  return { kind: 'invalid', reason: `the sale cannot be booked, so neither can its ${what}: ${booked.reason}` };
}

function sale({ envelope, eventId, order, timeZone }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const expectedItems = Array.isArray(envelope.payload.items) ? envelope.payload.items.length : undefined;
  if (expectedItems !== undefined && order.items.length < expectedItems) {
    return { kind: 'not-ready', reason: `GraphQL has ${order.items.length} of ${expectedItems} items` };
  }
  const booked = bookedSale(order);
  if ('kind' in booked) return booked;
  const { lines, saleLines, shippingCost, shippingTax, paid, taxExempt } = booked;
  const currency = order.currency;
  const reference = saleReference(order, envelope.tenant);
  const customer = customerOf(envelope.payload);
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      ...reference,
      tenant: envelope.tenant,
      orderId: order.id,
      orderNumber: order.externalId,
      // The store's local date of the sale (docs/domain.md section 3): an offline POS sale keeps its day.
      tranDate: localDate(order.placedAt || order.createdAt, timeZone),
      currency,
      ...shippingCost,
      ...shippingTax,
      ...(taxExempt ? { taxExempt } : {}),
      total: netSuiteTotal({ lines, currency, ...shippingCost, ...shippingTax }),
      saleTotal: netSuiteTotal({ lines: saleLines, currency, ...shippingCost, ...shippingTax }),
      // Every item as opened; a later cancellation closes its lines.
      lines,
      payments: paid
        .filter((payment) => payment.paid.gt(0))
        .map((payment) => ({ method: payment.method, amount: money(payment.paid, currency) })),
      ...(customer ? { customer } : {}),
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

/** A line's change when it is closed: minus what it booked (docs/domain.md section 4, "Closing lines"). */
const closedLine = (line: Line, salePosition: number, currency: string): Line => ({
  ...line,
  amount: money(decimal(line.amount).neg(), currency),
  tax: money(decimal(line.tax).neg(), currency),
  salePosition,
});

/**
 * A cancellation (docs/domain.md section 3): the sales order's cancelled lines are
 * closed (quantity and amount 0, `isClosed`), each with the discount line after it,
 * and the payment lines reduced by what was closed, tax included; a whole-order
 * cancellation closes every line and the shipping. Nothing for a cash sale (the
 * goods left the store paid), nothing for a historical order (its sale is not the
 * hub's). The document names the sale's lines by their place in its item sublist;
 * the sink closes each once, so closing twice changes nothing.
 */
function cancellation({ envelope, eventId, order, timeZone, booking }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const whole = envelope.name === 'order.cancelled';
  const cancelledIds = whole ? order.items.map((item) => item.id) : payloadItemIds(envelope.payload);
  const cancelled = order.items.filter((item) => cancelledIds.includes(item.id));
  if (cancelled.length < cancelledIds.length)
    return { kind: 'not-ready', reason: 'cancelled items not in GraphQL yet' };
  const sale_ = saleReference(order, envelope.tenant);
  if (sale_.documentType === 'cashSale')
    return { kind: 'skip', reason: 'a cash sale is never changed by a cancellation' };
  const booked = bookedSaleFor(order, 'cancellation');
  if ('kind' in booked) return booked;
  const currency = order.currency;
  const closing = new Set([
    ...cancelledIds,
    ...cancelledIds.map((id) => `${id}-discount`),
    ...(whole ? booked.lines.filter((line) => line.kind === 'rounding').map((line) => line.itemId) : []),
  ]);
  const closed = booked.lines.flatMap((line, position) =>
    closing.has(line.itemId) && line.kind !== 'payment' ? [closedLine(line, position, currency)] : [],
  );
  const shippingCost =
    whole && booked.shippingCost.shippingCost
      ? { shippingCost: money(decimal(booked.shippingCost.shippingCost).neg(), currency) }
      : {};
  const shippingTax =
    whole && booked.shippingTax.shippingTax
      ? { shippingTax: money(decimal(booked.shippingTax.shippingTax).neg(), currency) }
      : {};
  // What the closing takes off, tax and shipping included: the payment lines give it back, the last first.
  let reduction = decimal(netSuiteTotal({ lines: closed, currency, ...shippingCost, ...shippingTax })).neg();
  const paymentChanges = booked.lines
    .map((line, position) => ({ line, position }))
    .filter(({ line }) => line.kind === 'payment')
    .reverse()
    .map(({ line, position }) => {
      const held = decimal(line.amount).neg();
      const share = reduction.lt(held) ? reduction : held;
      reduction = reduction.minus(share);
      return { ...line, amount: money(share, currency), tax: money(0, currency), salePosition: position };
    })
    .reverse();
  const lines = [...closed, ...paymentChanges];
  const total = netSuiteTotal({ lines, currency, ...shippingCost, ...shippingTax });
  const cancelledParts = whole ? ['order.cancelled'] : cancelledIds;
  // The cancellation's own day, never the sale's (docs/domain.md section 3, "Dates").
  const tranDate = localDate(text(envelope.published_at, order.createdAt), timeZone);
  if (booking?.billing === 'beforeShipping')
    return creditOfInvoice({
      envelope,
      eventId,
      order,
      tranDate,
      cancelledParts,
      sale_,
      lines,
      shippingCost,
      shippingTax,
    });
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey('salesOrder', envelope.tenant, order.id, cancelledParts),
      tenant: envelope.tenant,
      orderId: order.id,
      orderNumber: order.externalId,
      documentType: 'salesOrder',
      operation: 'closeLines',
      // The sales order itself: a cancellation makes no record of its own.
      externalId: sale_.externalId,
      tranDate,
      currency,
      ...shippingCost,
      ...shippingTax,
      ...(booked.taxExempt ? { taxExempt: true } : {}),
      total,
      saleTotal: netSuiteTotal({ lines: closed, currency, ...shippingCost, ...shippingTax }),
      lines,
      payments: [],
      dependsOn: sale_,
      source: { eventId, eventName: envelope.name },
    },
  };
}

/**
 * A cancellation where the deployment bills before shipping (docs/domain.md section 3: "A
 * credit memo only where a deployment bills before shipping, and then from the invoice"):
 * a credit memo made by transform from the invoice NetSuite made from the sales order
 * (the sink finds it), crediting what the cancellation takes off as a return credits it
 * (items, discounts, tax and shipping positive; what goes back to the payment
 * instruments as negative payment lines, so a paid order's credit totals 0 as its sale
 * does). Its external id is the order's and the cancelled items' (`CX-`), so a replay
 * makes no second credit.
 */
function creditOfInvoice(cancelled: {
  envelope: NewStoreEnvelope;
  eventId: string;
  order: GraphQlOrder;
  tranDate: string;
  cancelledParts: string[];
  sale_: ReturnType<typeof saleReference>;
  lines: Line[];
  shippingCost: { shippingCost?: string };
  shippingTax: { shippingTax?: string };
}): MappingOutcome {
  const { envelope, order, sale_ } = cancelled;
  const currency = order.currency;
  const negate = (amount: string) => money(decimal(amount).neg(), currency);
  const lines = cancelled.lines.map(({ salePosition: _place, ...line }): Line => ({
    ...line,
    amount: negate(line.amount),
    tax: negate(line.tax),
  }));
  const shippingCost = cancelled.shippingCost.shippingCost
    ? { shippingCost: negate(cancelled.shippingCost.shippingCost) }
    : {};
  const shippingTax = cancelled.shippingTax.shippingTax
    ? { shippingTax: negate(cancelled.shippingTax.shippingTax) }
    : {};
  const credited = lines.filter((line) => line.kind !== 'payment');
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey('creditMemo', envelope.tenant, order.id, cancelled.cancelledParts),
      tenant: envelope.tenant,
      orderId: order.id,
      orderNumber: order.externalId,
      documentType: 'creditMemo',
      // The order and its cancelled items, sorted (toExternalId hashes what is too long for NetSuite).
      externalId: toExternalId(
        EXTERNAL_ID_PREFIXES.cancellationCredit,
        order.id,
        ...[...cancelled.cancelledParts].sort(),
      ),
      tranDate: cancelled.tranDate,
      currency,
      ...shippingCost,
      ...shippingTax,
      total: netSuiteTotal({ lines, currency, ...shippingCost, ...shippingTax }),
      saleTotal: netSuiteTotal({ lines: credited, currency, ...shippingCost, ...shippingTax }),
      lines,
      payments: [],
      dependsOn: sale_,
      transformFrom: { documentType: sale_.documentType, externalId: sale_.externalId, via: 'invoice' },
      source: { eventId: cancelled.eventId, eventName: envelope.name },
    },
  };
}

/**
 * The refund of a return (docs/domain.md section 1, `return.processed`): a line
 * per returned item, at its refund without tax, with the refund's tax. An item's
 * `refund_amount` includes its tax (docs/domain.md section 3, "Returns": 71.62 =
 * 66 + 5.62); a return whose items read that way do not add up to its
 * `total_refund_amount` is read with tax-exclusive item amounts, and one that adds
 * up neither way is not booked (dead-lettered with both figures).
 */
function refundOfReturn({ envelope, eventId, order, timeZone, booking }: EventToMap): MappingOutcome {
  const payload = envelope.payload as Record<string, unknown>;
  const orderId = typeof payload.order_id === 'string' ? payload.order_id : undefined;
  if (orderId && !order) return { kind: 'not-ready', reason: 'order of the return not in NewStore GraphQL yet' };
  // A historical order's sale is in the ERP from before NewStore, but its return is real money:
  // a standalone cash refund that waits for no sale (docs/domain.md section 3, "Historical orders").
  payloadItemIds(payload);
  const items = payload.items as {
    id: unknown;
    product_id?: unknown;
    quantity?: unknown;
    refund_amount?: unknown;
    refund_tax?: unknown;
    item_condition?: unknown;
  }[];
  const returnLocation = optionalText(payload.return_location_id);
  const currency = text(payload.currency, order?.currency ?? '');
  if (!/^[A-Z]{3}$/.test(currency)) return { kind: 'invalid', reason: 'the return has no currency' };
  const tranDate = localDate(text(payload.returned_at, envelope.published_at ?? new Date().toISOString()), timeZone);
  const refund = money(decimal(payload.total_refund_amount), currency);
  if (items.length === 0 || items.some((item) => item.refund_amount === undefined))
    return { kind: 'invalid', reason: 'the return does not give every item its refund_amount' };
  const readings = [true, false].map((taxIncluded) =>
    items.map((item): Line => ({
      kind: 'item',
      itemId: String(item.id),
      ...(item.product_id === undefined ? {} : { productId: text(item.product_id, '') }),
      quantity: quantityOf(item.quantity),
      amount: money(
        taxIncluded ? decimal(item.refund_amount).minus(decimal(item.refund_tax ?? 0)) : decimal(item.refund_amount),
        currency,
      ),
      tax: money(item.refund_tax ?? 0, currency),
      ...(returnLocation
        ? { returnedTo: { locationId: returnLocation, sellable: sellable(item.item_condition) } }
        : {}),
    })),
  );
  const lines = readings.find((reading) => netSuiteTotal({ lines: reading, currency }) === refund);
  if (!lines)
    return {
      kind: 'invalid',
      reason: `the return's items add up to ${netSuiteTotal({ lines: readings[0], currency })} ${currency}, its total_refund_amount is ${refund}`,
    };
  const paid = refundPaymentLines(order, refund, currency);
  if (!Array.isArray(paid)) return paid;
  const common = {
    schemaVersion: 2 as const,
    tenant: envelope.tenant,
    orderId: orderId ?? envelope.payload.id,
    ...(order ? { orderNumber: order.externalId } : {}),
    tranDate,
    currency,
    total: netSuiteTotal({ lines, currency }),
    saleTotal: netSuiteTotal({ lines, currency }),
    lines,
    payments: [],
    source: { eventId, eventName: envelope.name },
  };
  // A web order's return is credited to the customer (docs/domain.md section 3): a return authorization
  // made from the sales order, a credit memo made from it, and a customer refund made from the credit
  // memo, which applies it and has no item lines (docs/domain.md section 4).
  if (order && order.channelType === 'web' && !order.isHistorical)
    return webReturn(common, order, envelope, booking?.returnAuthorizations ?? 'create');
  // Store, endless-aisle, blind and historical returns are a cash refund, paid out by its payment lines.
  return {
    kind: 'document',
    document: {
      ...common,
      total: netSuiteTotal({ lines: [...lines, ...paid], currency }),
      lines: [...lines, ...paid],
      idempotencyKey: documentIdempotencyKey('cashRefund', envelope.tenant, envelope.payload.id),
      documentType: 'cashRefund',
      externalId: toExternalId(EXTERNAL_ID_PREFIXES.return, envelope.payload.id),
      // A blind return has no order, and no sale to wait for.
      ...(order ? linkedToSale(order, envelope.tenant, 'cashRefund') : {}),
    },
  };
}

/**
 * A web return's chain (docs/domain.md sections 3 and 4), each record made by
 * `!transform` from the one before, each with an external id of its own so that a
 * retry or a replay never makes a second one (the return id; `-RA` and `-CR` for the
 * return authorization and the customer refund): sales order → return authorization
 * → credit memo → customer refund. The credit memo keeps the external id web returns
 * always had (`RT-<return id>`). Where the deployment makes return authorizations in
 * NetSuite (`find`), the credit memo is made from the open one NetSuite holds for the
 * sales order, which the sink finds; the hub makes none.
 */
function webReturn(
  common: Omit<ErpDocument, 'idempotencyKey' | 'documentType' | 'externalId'>,
  order: GraphQlOrder,
  envelope: NewStoreEnvelope,
  authorizations: BookingPolicy['returnAuthorizations'],
): MappingOutcome {
  const returnId = envelope.payload.id;
  const record = (
    documentType: ErpDocumentType,
    externalId: string,
    from: { documentType: ErpDocumentType; externalId: string; idempotencyKey: string },
  ): ErpDocument => ({
    ...common,
    idempotencyKey: documentIdempotencyKey(documentType, envelope.tenant, returnId),
    documentType,
    externalId,
    dependsOn: { idempotencyKey: from.idempotencyKey, documentType: from.documentType, externalId: from.externalId },
    transformFrom: { documentType: from.documentType, externalId: from.externalId },
  });
  const sale_ = saleReference(order, envelope.tenant);
  const creditId = toExternalId(EXTERNAL_ID_PREFIXES.return, returnId);
  const refundOf = (credit: ErpDocument): ErpDocument => ({
    // A customer refund has no item lines: it pays out the credit it applies (docs/domain.md section 4).
    ...record('customerRefund', toExternalId(EXTERNAL_ID_PREFIXES.return, returnId, 'CR'), credit),
    lines: [],
  });
  if (authorizations === 'find') {
    const credit: ErpDocument = {
      ...record('creditMemo', creditId, sale_),
      transformFrom: { documentType: sale_.documentType, externalId: sale_.externalId, via: 'returnAuthorization' },
    };
    return { kind: 'document', document: credit, followUps: [refundOf(credit)] };
  }
  const authorization = record('returnAuthorization', toExternalId(EXTERNAL_ID_PREFIXES.return, returnId, 'RA'), sale_);
  const credit = record('creditMemo', creditId, authorization);
  return { kind: 'document', document: authorization, followUps: [credit, refundOf(credit)] };
}

/**
 * Whether a returned item can be sold again, from its `item_condition` (docs/domain.md
 * section 1). No NewStore page lists the values (assumed): a condition that says
 * damaged, defective or unsellable cannot; anything else, or none, can.
 */
function sellable(condition: unknown): boolean {
  return !(typeof condition === 'string' && /damag|defect|unsellable|not[_ -]?sellable|broken/i.test(condition));
}

function quantityOf(value: unknown): number {
  const quantity = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(quantity) || quantity < 1)
    throw new InvalidInputError(`quantity ${JSON.stringify(value)} is not a whole number above 0`);
  return quantity;
}

function appeasement({ envelope, eventId, order, timeZone }: EventToMap): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order of the refund request not in NewStore GraphQL yet' };
  const payload = envelope.payload as Record<string, unknown>;
  const currency = text(payload.currency, order.currency);
  const appeased: Line = {
    kind: 'appeasement',
    itemId: `appeasement-${text(payload.reason_code, 'other')}`,
    quantity: 1,
    amount: money(decimal(payload.amount), currency),
    tax: money(0, currency),
  };
  const tranDate = localDate(text(payload.requested_at, envelope.published_at ?? order.createdAt), timeZone);
  const paid = refundPaymentLines(order, appeased.amount, currency);
  if (!Array.isArray(paid)) return paid;
  const lines = [appeased, ...paid];
  return {
    kind: 'document',
    document: {
      schemaVersion: 2,
      idempotencyKey: documentIdempotencyKey('cashRefund', envelope.tenant, envelope.payload.id),
      tenant: envelope.tenant,
      orderId: order.id,
      orderNumber: order.externalId,
      documentType: 'cashRefund',
      externalId: toExternalId(EXTERNAL_ID_PREFIXES.appeasement, envelope.payload.id),
      tranDate,
      currency,
      total: netSuiteTotal({ lines, currency }),
      saleTotal: netSuiteTotal({ lines: [appeased], currency }),
      lines,
      payments: [],
      ...linkedToSale(order, envelope.tenant, 'cashRefund'),
      source: { eventId, eventName: envelope.name },
    },
  };
}

/**
 * A refund waits for its sale, and a store sale's cash refund is made from the cash
 * sale by transform (docs/domain.md section 3: "Cash Refund transformed from the Cash
 * Sale"); an endless-aisle order's (a sales order) and a historical order's are
 * standalone cash refunds.
 */
function linkedToSale(order: GraphQlOrder, tenant: string, documentType: ErpDocumentType) {
  // A historical order's sale was booked before NewStore, never by the hub: nothing to wait for.
  if (order.isHistorical) return {};
  const sale_ = saleReference(order, tenant);
  return {
    dependsOn: sale_,
    ...(documentType === 'cashRefund' && sale_.documentType === 'cashSale'
      ? { transformFrom: { documentType: sale_.documentType, externalId: sale_.externalId } }
      : {}),
  };
}

/**
 * A fulfilment (docs/domain.md section 3): `fulfillment_request.items_completed` makes an
 * item fulfilment from the sales order by transform, its lines the fulfilled items at
 * their place in the order, its external id the fulfilment request's (`FF-<id>`), so a
 * replay makes no second one. Whether a location's fulfilments are booked is the
 * deployment's (a distribution centre's are made inside NetSuite): the document names
 * the location. A cash sale's goods were handed over in the store: nothing to fulfil.
 */
function fulfilment(event: EventToMap): MappingOutcome {
  return fulfilmentDocument(event, 'itemFulfillment');
}

/**
 * A fulfilment request assigned to a location (docs/domain.md section 3): the sales
 * order's lines get their fulfilment location, the order its ship method (by `PATCH`
 * on the posted order; no record of its own).
 */
function assignment(event: EventToMap): MappingOutcome {
  return fulfilmentDocument(event, 'assignLines');
}

function fulfilmentDocument(
  { envelope, eventId, order, timeZone }: EventToMap,
  what: 'itemFulfillment' | 'assignLines',
): MappingOutcome {
  if (!order) return { kind: 'not-ready', reason: 'order of the fulfilment not in NewStore GraphQL yet' };
  if (order.isHistorical) return { kind: 'skip', reason: 'historical order' };
  const sale_ = saleReference(order, envelope.tenant);
  if (sale_.documentType === 'cashSale')
    return { kind: 'skip', reason: "a cash sale's goods are handed over in the store" };
  const location = optionalText(envelope.payload.fulfillment_location_id);
  if (!location) return { kind: 'invalid', reason: 'the fulfilment names no fulfillment_location_id' };
  const ids = payloadItemIds(envelope.payload);
  const booked = bookedSaleFor(order, 'fulfilment');
  if ('kind' in booked) return booked;
  const currency = order.currency;
  const lines = ids.map((id): Line | undefined => {
    const salePosition = booked.lines.findIndex((line) => line.itemId === id && (line.kind ?? 'item') === 'item');
    const line = booked.lines[salePosition];
    return line
      ? {
          kind: 'item',
          itemId: id,
          ...(line.productId ? { productId: line.productId } : {}),
          quantity: line.quantity,
          amount: money(0, currency),
          tax: money(0, currency),
          salePosition,
        }
      : undefined;
  });
  if (lines.some((line) => !line)) return { kind: 'not-ready', reason: 'fulfilled items not in GraphQL yet' };
  const trackingNumbers = trackingNumbersOf(envelope.payload);
  const common = {
    schemaVersion: 2 as const,
    tenant: envelope.tenant,
    orderId: order.id,
    orderNumber: order.externalId,
    tranDate: localDate(text(envelope.published_at, order.createdAt), timeZone),
    currency,
    total: money(0, currency),
    saleTotal: money(0, currency),
    lines: lines as Line[],
    payments: [],
    fulfilledFrom: location,
    dependsOn: sale_,
    source: { eventId, eventName: envelope.name },
  };
  return {
    kind: 'document',
    document:
      what === 'itemFulfillment'
        ? {
            ...common,
            idempotencyKey: documentIdempotencyKey('itemFulfillment', envelope.tenant, envelope.payload.id),
            documentType: 'itemFulfillment',
            externalId: toExternalId(EXTERNAL_ID_PREFIXES.fulfilment, envelope.payload.id),
            transformFrom: { documentType: sale_.documentType, externalId: sale_.externalId },
            ...(trackingNumbers.length > 0 ? { trackingNumbers } : {}),
          }
        : {
            ...common,
            idempotencyKey: documentIdempotencyKey('salesOrder', envelope.tenant, order.id, [
              'assigned',
              envelope.payload.id,
            ]),
            documentType: 'salesOrder',
            externalId: sale_.externalId,
            operation: 'assignLines',
          },
  };
}

/**
 * The tracking numbers of a fulfilment's packages: each completed item's
 * `tracking_code` (assumed field: no NewStore page in docs/domain.md names the carrier's
 * number on `fulfillment_request.items_completed`), each number once, in their order.
 */
function trackingNumbersOf(payload: Record<string, unknown>): string[] {
  const items = Array.isArray(payload.items) ? (payload.items as Record<string, unknown>[]) : [];
  const codes = items.map((item) => item?.tracking_code).filter((code): code is string => typeof code === 'string');
  return [...new Set(codes.map((code) => code.trim()).filter((code) => code.length > 0))];
}

/**
 * The event names that imply an ERP document, and how. A typed record: a handled
 * name without a mapping does not compile. Every other event is skipped and counted.
 */
export const DOCUMENT_MAPPINGS = {
  'order.opened': sale,
  'order.items_cancelled': cancellation,
  'order.cancelled': cancellation,
  'return.processed': refundOfReturn,
  'refund_request.issued': appeasement,
  'fulfillment_request.items_completed': fulfilment,
  'fulfillment_request.assigned': assignment,
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
