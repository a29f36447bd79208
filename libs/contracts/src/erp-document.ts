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
] as const;
export type ErpDocumentType = (typeof ERP_DOCUMENT_TYPES)[number];

/** Amounts are decimal strings in the document's currency (see money.ts): never floats. */
const money = decimalSchema;
/**
 * What a line is: an item sold or returned, the tax on shipping, a cash-rounding
 * difference, an appeasement. The sink maps each kind to the deployment's ERP item.
 */
export const LINE_KINDS = ['item', 'shippingTax', 'rounding', 'appeasement'] as const;
/** NetSuite external ids: letters, digits, _ and - (docs/domain.md section 4). */
const externalId = z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'letters, digits, _ and - only, at most 200');

export const erpDocumentSchema = z.object({
  schemaVersion: z.literal(2),
  idempotencyKey: z.string().min(1).max(500),
  tenant: z.string().min(1),
  orderId: z.string().min(1),
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
  lines: z.array(
    z.object({
      /** Absent: an item. */
      kind: z.enum(LINE_KINDS).optional(),
      itemId: z.string(),
      sku: z.string().optional(),
      quantity: z.number().int(),
      amount: money,
      tax: money,
      giftCard: z.boolean().optional(),
    }),
  ),
  payments: z.array(z.object({ method: z.string(), amount: money, erpItem: z.string().optional() })).default([]),
  /** The deployment's ERP ids (mapping file): where and for whom the transaction is booked. */
  erp: z
    .object({
      subsidiary: z.string(),
      location: z.string(),
      channel: z.string().optional(),
      customer: z.string().optional(),
      shippingMethod: z.string().optional(),
    })
    .optional(),
  /** A document that must be posted first (a credit memo's sales order). */
  dependsOn: z.object({ idempotencyKey: z.string(), documentType: z.enum(ERP_DOCUMENT_TYPES), externalId }).optional(),
  source: z.object({ eventId: z.string(), eventName: z.string() }),
});

export type ErpDocument = z.infer<typeof erpDocumentSchema>;

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
