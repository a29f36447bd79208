import { z } from 'zod';
import { ERP_DOCUMENT_TYPES } from './erp-document';
import { decimalSchema } from './money';

/** What the daily reconciliation can find (meanings: @hub/reconciliation DISCREPANCY_DESCRIPTIONS). */
export const DISCREPANCY_KINDS = [
  'missing_in_hub',
  'missing_in_erp',
  'amount_mismatch',
  'item_count_mismatch',
  'duplicate_in_erp',
  'stuck_in_retry',
  'stuck_in_dlq',
  'missing_in_newstore',
  'orphan_in_erp',
  'missing_cancellation',
  'missing_return',
  'refund_amount_mismatch',
  'line_mismatch',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** What a discrepancy says, wherever it is told (the topic, the admin API). */
export const discrepancyFields = {
  kind: z.enum(DISCREPANCY_KINDS),
  orderId: z.string(),
  /** The order id, or a document's idempotency key. */
  subject: z.string(),
  documentType: z.enum(ERP_DOCUMENT_TYPES).nullable(),
  externalId: z.string().nullable(),
  /**
   * Exact decimal strings, never floats: an amount in the order's currency for the
   * amount kinds ("49.99"), a count for item_count_mismatch and duplicate_in_erp ("2").
   * delta = found - expected.
   */
  expected: decimalSchema.nullable(),
  found: decimalSchema.nullable(),
  delta: decimalSchema.nullable(),
  erpInternalIds: z.array(z.string()),
  detail: z.string(),
};

/**
 * One discrepancy on reconciliation.discrepancies.v1 (key = order id). Version 2
 * carries expected, found and delta as decimal strings (version 1 had JSON numbers).
 */
export const discrepancyMessageSchema = z.object({
  schemaVersion: z.literal(2),
  runId: z.string(),
  tenant: z.string(),
  businessDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  ...discrepancyFields,
  firstSeenAt: z.string(),
});

export type DiscrepancyMessage = z.infer<typeof discrepancyMessageSchema>;
