import { impliesDocument } from '@hub/newstore';
import { EnrichmentRetry, retryTier } from '@hub/reconciliation';
import type { OrderPath } from '../reconciliation/order-reads.repository';

/**
 * Where one event of an order is in the enricher, as the topics tell it:
 * - `enriched`: documents were made from it (after retries, if it had some);
 * - `dead-lettered`: the enricher gave up on it (its reason), and nothing was made from it since;
 * - `in retry`: it waits in a retry tier, not due yet;
 * - `retried`: it was in a retry tier, is due, and nothing is made from it yet (being enriched
 *   again, or it booked nothing);
 * - `waiting`: an event that books a document, behind an earlier event of the order in retry
 *   (or whose last tier is due with nothing made yet): the enricher keeps the order's later
 *   events behind it (parked, docs/architecture.md "enricher");
 * - `no document`: an event that books a document, from which none was made: its order booked
 *   nothing (historical, or not booked by the deployment's mapping), or it is not enriched yet;
 * - `needs no document`: a NewStore event that implies no ERP document.
 */
export type EnrichmentState =
  'enriched' | 'dead-lettered' | 'in retry' | 'retried' | 'waiting' | 'no document' | 'needs no document';

export interface EventEnrichment {
  state: EnrichmentState;
  /** What a person reads: the documents made, the reason, the tier and its due time, or what it waits behind. */
  detail: string;
  /** Its moves to a retry tier, oldest first. */
  retries: EnrichmentRetry[];
}

/**
 * Each event's enrichment outcome, by event id, from the order's path: its documents (by
 * source event), dead letters and retries. Events are given in topic order; copies of an
 * event already given are left out (the enricher skips them).
 */
export function eventEnrichments(
  events: readonly { eventId: string | null; name: string | null; duplicate: boolean }[],
  path: Pick<OrderPath, 'documents' | 'deadLetters' | 'retries'>,
  now: Date,
): Map<string, EventEnrichment> {
  const outcomes = new Map<string, EventEnrichment>();
  /** The event in retry that the order's later events wait behind (`due`: its last tier is due, nothing made yet). */
  let head: { eventId: string; name: string | null; due: boolean } | undefined;
  for (const { eventId, name, duplicate } of events) {
    if (!eventId || duplicate || outcomes.has(eventId)) continue;
    const documents = path.documents.filter((document) => document.sourceEventId === eventId);
    const dead = path.deadLetters.filter((letter) => letter.eventId === eventId);
    const retries = path.retries.filter((retry) => retry.eventId === eventId);
    const last = retries[retries.length - 1];
    const after = retries.length > 0 ? `, after ${retries.length} ${retries.length === 1 ? 'retry' : 'retries'}` : '';
    let outcome: Omit<EventEnrichment, 'retries'>;
    if (documents.length > 0)
      outcome = {
        state: 'enriched',
        detail: `${documents.map((document) => `${document.documentType} ${document.externalId ?? ''}`.trim()).join(', ')}${after}`,
      };
    else if (dead.length > 0)
      outcome = { state: 'dead-lettered', detail: dead[dead.length - 1].reason ?? 'no reason given' };
    else if (last && last.dueAt !== null && Date.parse(last.dueAt) > now.getTime()) {
      outcome = {
        state: 'in retry',
        detail: `${retryTier(last)}, due ${last.dueAt}: ${last.reason ?? 'no reason given'}`,
      };
      head ??= { eventId, name, due: false };
    } else if (last) {
      outcome = {
        state: 'retried',
        detail: `${retryTier(last)} was due ${last.dueAt ?? 'at once'} (${last.reason ?? 'no reason given'}); nothing made from it since`,
      };
      head ??= { eventId, name, due: true };
    } else if (head && name !== null && impliesDocument(name))
      // Parked behind the head; an event that books nothing waits too, but nothing in the ERP waits on it.
      outcome = {
        state: 'waiting',
        detail: `behind ${head.name ?? 'event'} ${head.eventId}, ${head.due ? 'its last retry due, nothing made from it yet' : 'in retry'}`,
      };
    else if (name !== null && impliesDocument(name))
      outcome = {
        state: 'no document',
        detail:
          'nothing made from it: its order books nothing (historical, or not booked by the mapping), or it is not enriched yet',
      };
    else outcome = { state: 'needs no document', detail: 'an event that implies no ERP document' };
    outcomes.set(eventId, { ...outcome, retries });
  }
  return outcomes;
}
