/** One move of an event to one of the enricher's retry tiers, as the tier's message headers tell it. */
export interface EnrichmentRetry {
  eventId: string | null;
  eventName: string | null;
  /** 1 for the first tier. */
  attempt: number | null;
  /** The tier's delay. */
  delayMs: number;
  /** Why the event could not be enriched then (the enricher's last error). */
  reason: string | null;
  /** When it was moved to the tier (ISO 8601). */
  movedAt: string;
  /** When the tier gives it back to the enricher (ISO 8601). */
  dueAt: string | null;
}

/** The tier a retry is in, as a person reads it: `tier 3 (8 s)`. */
export function retryTier(retry: Pick<EnrichmentRetry, 'attempt' | 'delayMs'>): string {
  const delay = retry.delayMs >= 1000 ? `${retry.delayMs / 1000} s` : `${retry.delayMs} ms`;
  return `tier ${retry.attempt ?? '?'} (${delay})`;
}

/** A retry in one line, wherever it is shown: `order.opened in tier 3 (8 s), due …: reason`. */
export function describeRetry(retry: EnrichmentRetry): string {
  return `${retry.eventName ?? 'event'} in ${retryTier(retry)}, due ${retry.dueAt ?? 'at once'}: ${retry.reason ?? 'no reason given'}`;
}
