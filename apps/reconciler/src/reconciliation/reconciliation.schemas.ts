import { decimalSchema, discrepancyFields } from '@hub/contracts';
import { z } from 'zod';

const businessDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD');
const instant = z.string().datetime({ offset: true });
const count = z.number().int().nullable();

/**
 * A reconciliation run as the admin API answers it. The type of the repository's rows
 * and the OpenAPI document (admin-openapi.ts) are both made from it, and the API's
 * tests parse its answers with it strictly: a field the API returns and the document
 * lacks fails a test instead of going undocumented.
 */
export const runSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    businessDate,
    /** The tenant's zone the business day is cut in. */
    timeZone: z.string(),
    /** What started the run: the schedule, a catch-up, a recheck after the schedule's run, the admin API or the CLI. */
    trigger: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']),
    startedAt: instant,
    finishedAt: instant.nullable(),
    newstoreOrders: count,
    hubOrders: count,
    /** Hub orders of the day created within the settle window, left to the next run. */
    hubOrdersUnsettled: count,
    hubDocuments: count,
    erpTransactions: count,
    openDiscrepancies: count,
    resolvedDiscrepancies: count,
    /** Orders without a discrepancy over orders considered, 0..1. */
    parityRatio: z.number().min(0).max(1).nullable(),
    /** The open amount mismatches' absolute deltas summed, exactly (a decimal string). */
    amountDelta: decimalSchema.nullable(),
    error: z.string().nullable(),
  })
  .strict();
export type RunRow = z.infer<typeof runSchema>;

/** A discrepancy as the admin API answers it (open or resolved). */
export const discrepancySchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    businessDate,
    ...discrepancyFields,
    firstSeenAt: instant,
    lastSeenAt: instant,
    resolvedAt: instant.nullable(),
    resyncRequestedAt: instant.nullable(),
  })
  .strict();
export type DiscrepancyRow = z.infer<typeof discrepancySchema>;
