import { createHash } from 'node:crypto';
import { z } from 'zod';
import { decimalSchema } from './money';

/**
 * The ERP-neutral document the enricher emits to erp.documents.v1 and the sink
 * posts (docs/architecture.md). One contract, validated by producer and consumer.
 */
export const ERP_DOCUMENT_TYPES = [
  'salesOrder',
  'cashSale',
  'creditMemo',
  'returnAuthorization',
  'cashRefund',
  'customerRefund',
  'itemFulfillment',
] as const;
export type ErpDocumentType = (typeof ERP_DOCUMENT_TYPES)[number];
/** The records an order's sale is booked as (docs/domain.md section 3): a sales order, or a cash sale handed over in store. */
export const SALE_DOCUMENT_TYPES: readonly ErpDocumentType[] = ['salesOrder', 'cashSale'];
/**
 * Records NetSuite makes itself from a hub record, that a hub record is made from
 * (docs/domain.md section 3): the invoice of a sales order billed before shipping, the
 * return authorization a deployment creates in NetSuite.
 */
export const TRANSFORM_VIA = ['invoice', 'returnAuthorization'] as const;
export type TransformVia = (typeof TRANSFORM_VIA)[number];

/** Amounts are decimal strings in the document's currency (see money.ts): never floats. */
const money = decimalSchema;
/**
 * What a line is (docs/domain.md section 3): an item sold or returned (NetSuite
 * item from its NewStore `productId`), the discount item line that follows a
 * discounted item, a payment (negative: a paid sale totals 0 in NetSuite), a
 * cash-rounding difference, an appeasement. Every kind but `item` names its ERP
 * item by internal id (`erpItem`, from the mapping file). `shippingTax` is the
 * former way of carrying the tax on shipping (documents of schema version 2
 * before `shippingTax` moved to the header); it is still read, never written.
 */
export const LINE_KINDS = ['item', 'shippingTax', 'rounding', 'appeasement', 'discount', 'payment'] as const;
export type LineKind = (typeof LINE_KINDS)[number];
/** NetSuite external ids: letters, digits, _ and - (docs/domain.md section 4). */
const externalId = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'letters, digits, _ and - only, at most 200');

export const erpDocumentSchema = z.object({
  schemaVersion: z.literal(2),
  idempotencyKey: z.string().min(1).max(500),
  tenant: z.string().min(1),
  orderId: z.string().min(1),
  /** NewStore's order number (`external_id`), where the order is known: the memo names it. */
  orderNumber: z.string().optional(),
  documentType: z.enum(ERP_DOCUMENT_TYPES),
  externalId,
  /** Business date, YYYY-MM-DD in the tenant's zone: a real date (2024-02-30 would fail every insert downstream). */
  tranDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .refine(isCalendarDate, 'must be a calendar date'),
  currency: z.string().length(3),
  /**
   * The total as NetSuite computes it from this document: lines (amount + tax) plus
   * shipping and handling. Kept for reconciliation; never sent (NetSuite's `total`
   * is read-only).
   */
  total: money,
  /** Shipping and handling charges, sent as NetSuite's `shippingCost` and `handlingCost`. */
  shippingCost: money.optional(),
  handlingCost: money.optional(),
  /** Tax on shipping as NewStore computed it (docs/domain.md section 4: booked through SuiteTax's tax details). */
  shippingTax: money.optional(),
  /** The order is tax-exempt in NewStore: the ERP books no tax on it. */
  taxExempt: z.boolean().optional(),
  lines: z.array(
    z.object({
      /** Absent: an item. */
      kind: z.enum(LINE_KINDS).optional(),
      /** NewStore's id of the order line (an item), or a name of the line (other kinds). Never an ERP item. */
      itemId: z.string(),
      /** NewStore's product id: the ERP item is found from it (by name or external id, a sink setting). */
      productId: z.string().optional(),
      /** The ERP item's internal id, where the mapping file names it (discount, payment, rounding, gift card…). */
      erpItem: z.string().optional(),
      sku: z.string().optional(),
      quantity: z.number().int(),
      /** The line's amount before discounts (a discount is a line of its own); negative for discounts and payments. */
      amount: money,
      /** The line's tax as NewStore computed it, on the amount after its discount. */
      tax: money,
      giftCard: z.boolean().optional(),
      /** Discount lines: the coupon code NewStore gives, if any. */
      couponCode: z.string().optional(),
      /** Payment lines: NewStore's payment method and provider. */
      paymentMethod: z.string().optional(),
      paymentProvider: z.string().optional(),
      /**
       * A returned item: the NewStore location it was returned to, and whether it can be
       * sold again (docs/domain.md section 3, "Returns"); `erpLocation` is the ERP
       * location it goes back to (the mapping file's, a damage location if it cannot).
       */
      returnedTo: z.object({ locationId: z.string(), sellable: z.boolean() }).optional(),
      erpLocation: z.string().optional(),
      /** A line of a document that changes its sale (`operation`): the place (0-based) of the sale's line it changes. */
      salePosition: z.number().int().min(0).optional(),
    }),
  ),
  payments: z.array(z.object({ method: z.string(), amount: money, erpItem: z.string().optional() })).default([]),
  /**
   * The sale lines' total (items, discounts, tax, shipping, no payment or rounding
   * line): what NewStore's grandTotal is. `total` is what NetSuite computes with the
   * payment lines (0 for a paid sale).
   */
  saleTotal: money.optional(),
  /**
   * The customer the transaction is booked for (docs/domain.md section 3: an
   * `entity` on every transaction). Either the ERP customer itself (a store's
   * placeholder, or the sale's customer for a later document), or who NewStore
   * says bought: the sink finds the ERP customer by e-mail within the subsidiary,
   * or creates one. Personal data: it goes to the ERP, never to logs or metrics.
   */
  customer: z
    .object({
      erpId: z.string().optional(),
      /** The external id the hub gives a customer it creates, derived from NewStore's customer (or e-mail). */
      externalId: externalId.optional(),
      newstoreId: z.string().optional(),
      email: z.string().optional(),
      firstName: z.string().optional(),
      lastName: z.string().optional(),
      phone: z.string().optional(),
    })
    .optional(),
  /** The deployment's ERP ids (mapping file): where and for whom the transaction is booked. */
  erp: z
    .object({
      subsidiary: z.string(),
      location: z.string(),
      channel: z.string().optional(),
      department: z.string().optional(),
      customer: z.string().optional(),
      shippingMethod: z.string().optional(),
      /** The currency's internal id. */
      currency: z.string().optional(),
      /** SuiteTax: the tax type and code the transaction's tax details carry. */
      taxType: z.string().optional(),
      taxCode: z.string().optional(),
    })
    .optional(),
  /**
   * The record this one is made from by NetSuite's transform (docs/domain.md sections 3
   * and 4: a store return's cash refund from its cash sale), when the ERP links them;
   * absent: a standalone record. Always one of `dependsOn`. With `via`, the record is
   * made from the `via` record NetSuite made from the named one, which the sink finds
   * (a bill-before-ship order's invoice, a return authorization made in NetSuite): the
   * hub never knows their external ids.
   */
  transformFrom: z
    .object({
      documentType: z.enum(ERP_DOCUMENT_TYPES),
      externalId,
      via: z.enum(TRANSFORM_VIA).optional(),
    })
    .optional(),
  /** A document that must be posted first (a credit memo's sales order). */
  dependsOn: z.object({ idempotencyKey: z.string(), documentType: z.enum(ERP_DOCUMENT_TYPES), externalId }).optional(),
  /**
   * What the document does to its record (docs/domain.md sections 3 and 4). Absent:
   * it is the record (created, or updated by its external id). `closeLines`: it
   * closes lines of the record with its external id, a posted sales order, by
   * `PATCH` (a cancellation: `isClosed`, quantity and amount 0). Its lines are the
   * changes, signed: the closed lines at minus what they booked (each with
   * `salePosition`, the line's place in the sale's item sublist), a payment line at
   * plus what its payment line is reduced by; `shippingCost`/`shippingTax` at minus
   * the shipping a whole-order cancellation takes off. `total` is then the change
   * of NetSuite's total. `assignLines`: it sets where lines of the posted sales
   * order are fulfilled from (a fulfilment request assigned: each line's location,
   * the order's ship method); its lines name the sale's lines, at amount 0.
   */
  operation: z.enum(['closeLines', 'assignLines']).optional(),
  /**
   * An item fulfilment: the NewStore location that fulfilled it (docs/domain.md section 3:
   * a store's fulfilments are booked, a distribution centre's are made inside NetSuite).
   */
  fulfilledFrom: z.string().optional(),
  /** An item fulfilment: the carrier's tracking numbers of its packages, where NewStore gives them. */
  trackingNumbers: z.array(z.string().min(1).max(200)).optional(),
  source: z.object({ eventId: z.string(), eventName: z.string() }),
});

export type ErpDocument = z.infer<typeof erpDocumentSchema>;
export type ErpDocumentLine = ErpDocument['lines'][number];

/**
 * The lines a document puts on its ERP record's item sublist, in their order: all
 * but the shipping tax, which SuiteTax's tax details carry (docs/domain.md section 4).
 */
export function postedLines(document: Pick<ErpDocument, 'lines'>): ErpDocumentLine[] {
  return document.lines.filter((line) => line.kind !== 'shippingTax');
}

function isCalendarDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(date);
}

/**
 * The idempotency key: document type, tenant, the NewStore entity the document is
 * about, and, when it is about part of that entity (the items of a cancellation),
 * a hash of those parts, sorted so it does not depend on the order they are given
 * in. Its length does not grow with the number of parts.
 */
export function documentIdempotencyKey(
  documentType: ErpDocumentType,
  tenant: string,
  entityId: string,
  parts: string[] = [],
): string {
  const key = [documentType, tenant, entityId].join(':');
  if (parts.length === 0) return key;
  const digest = createHash('sha256')
    .update([...parts].sort().join('\u0000'))
    .digest('hex')
    .slice(0, 24);
  return `${key}:${digest}`;
}

/** The outcome of posting one document, as kept on the compacted erp.sync-status.v1 (key = idempotency key). */
export const syncStatusSchema = z.object({
  idempotencyKey: z.string(),
  tenant: z.string(),
  orderId: z.string(),
  documentType: z.enum(ERP_DOCUMENT_TYPES),
  externalId,
  status: z.enum(['posted', 'failed']),
  erpInternalId: z.string().nullable(),
  attempts: z.number().int(),
  error: z.string().nullable(),
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
  postedAt: z.string().datetime({ offset: true }).nullable(),
  updatedAt: z.string().datetime({ offset: true }),
});

export type SyncStatus = z.infer<typeof syncStatusSchema>;
