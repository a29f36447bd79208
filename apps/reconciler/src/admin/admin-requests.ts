import { assertBusinessDate } from '@hub/reconciliation';
import { z } from 'zod';

/**
 * The admin API's request bodies: validated by the controller (every problem named in
 * the 400), and documented from the same schemas in admin-openapi.ts.
 */
/** A business day, YYYY-MM-DD, a real date. */
export const dateField = z.string().superRefine((value, context) => {
  try {
    assertBusinessDate(value);
  } catch (error) {
    context.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
  }
});

export const reconcileBody = z
  .object({
    tenant: z.string().optional(),
    date: dateField.optional(),
    from: dateField.optional(),
    to: dateField.optional(),
  })
  .strict()
  .refine((body) => Boolean(body.date) !== Boolean(body.from && body.to), 'give either "date" or both "from" and "to"')
  .refine((body) => !body.from || !body.to || body.from <= body.to, '"from" must not be after "to"')
  .refine(
    (body) => !body.from || !body.to || Date.parse(body.to) - Date.parse(body.from) <= 92 * 86_400_000,
    'a range spans at most 93 days',
  );

export const periodBody = z
  .object({
    tenant: z.string().optional(),
    month: z
      .string()
      .regex(/^\d{4}-\d{2}$/, 'a month, YYYY-MM')
      .optional(),
    year: z
      .string()
      .regex(/^\d{4}$/, 'a year, YYYY')
      .optional(),
  })
  .strict()
  .refine((body) => Boolean(body.month) !== Boolean(body.year), 'give either "month" or "year"');

export const resyncBody = z
  .object({
    tenant: z.string().optional(),
    date: dateField.optional(),
    orderIds: z.array(z.string().min(1)).min(1).max(10_000).optional(),
    source: z
      .enum(['newstore', 'stored'])
      .optional()
      .describe(
        "What is written for an order the hub knows: 'newstore' (the default) replays its events, enriched again from NewStore today; 'stored' re-posts its documents from erp.documents.v1 as built",
      ),
  })
  .strict()
  .refine((body) => body.date || body.orderIds, 'give "date" (its open discrepancies) or "orderIds", or both');
