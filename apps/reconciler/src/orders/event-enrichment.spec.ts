import type { EnrichmentRetry } from '@hub/reconciliation';
import type { OrderPath } from '../reconciliation/order-reads.repository';
import { eventEnrichments } from './event-enrichment';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const event = (eventId: string, name: string, duplicate = false) => ({ eventId, name, duplicate });
const retry = (eventId: string, attempt: number, delayMs: number, dueAt: string, reason: string): EnrichmentRetry => ({
  eventId,
  eventName: 'order.opened',
  attempt,
  delayMs,
  reason,
  movedAt: new Date(Date.parse(dueAt) - delayMs).toISOString(),
  dueAt,
});
const document = (sourceEventId: string, externalId: string): OrderPath['documents'][number] => ({
  documentType: 'salesOrder',
  externalId,
  sourceEvent: 'order.opened',
  sourceEventId,
  status: 'posted',
  erpInternalId: '7',
  attempts: 1,
  error: null,
});
const path = (parts: Partial<Pick<OrderPath, 'documents' | 'deadLetters' | 'retries'>>) => ({
  documents: [],
  deadLetters: [],
  retries: [],
  ...parts,
});

describe('eventEnrichments', () => {
  it('shows an event in retry with its tier, due time and reason, and the later events parked behind it', () => {
    const retries = [
      retry('e1', 1, 2000, '2026-12-04T09:59:00.000Z', 'payments not settled'),
      retry('e1', 2, 4000, '2026-12-04T10:00:03.000Z', 'payments not settled yet'),
    ];
    const outcomes = eventEnrichments(
      [
        event('e1', 'order.opened'),
        event('e2', 'order.items_cancelled'),
        event('e3', 'return.processed'),
        event('e4', 'order.completed'),
      ],
      path({ retries }),
      NOW,
    );
    expect(outcomes.get('e1')).toEqual({
      state: 'in retry',
      detail: 'tier 2 (4 s), due 2026-12-04T10:00:03.000Z: payments not settled yet',
      retries,
    });
    expect(outcomes.get('e2')).toMatchObject({ state: 'waiting', detail: 'behind order.opened e1, in retry' });
    expect(outcomes.get('e3')).toMatchObject({ state: 'waiting', retries: [] });
    // An event that books nothing is not said to wait: nothing in the ERP waits on it.
    expect(outcomes.get('e4')).toMatchObject({ state: 'needs no document' });
  });

  it('counts the retries of an event enriched in the end, and names what was made from it', () => {
    const retries = [retry('e1', 1, 2000, '2026-12-04T09:59:00.000Z', 'order not found')];
    const outcomes = eventEnrichments(
      [event('e1', 'order.opened')],
      path({ retries, documents: [document('e1', 'SO-1')] }),
      NOW,
    );
    expect(outcomes.get('e1')).toMatchObject({ state: 'enriched', detail: 'salesOrder SO-1, after 1 retry' });
  });

  it('gives the dead letter reason, unless a document was made from the event since (a replay)', () => {
    const deadLetters = [{ eventId: 'e1', eventName: 'order.opened', reason: 'retries exhausted: order not found' }];
    expect(eventEnrichments([event('e1', 'order.opened')], path({ deadLetters }), NOW).get('e1')).toMatchObject({
      state: 'dead-lettered',
      detail: 'retries exhausted: order not found',
    });
    expect(
      eventEnrichments(
        [event('e1', 'order.opened')],
        path({ deadLetters, documents: [document('e1', 'SO-1')] }),
        NOW,
      ).get('e1'),
    ).toMatchObject({ state: 'enriched' });
  });

  it('says an event whose last tier is due is retried, not in retry, and what waits behind it', () => {
    const outcomes = eventEnrichments(
      [event('e1', 'order.opened'), event('e2', 'order.items_cancelled')],
      path({ retries: [retry('e1', 3, 8000, '2026-12-04T09:58:00.000Z', 'HTTP 503')] }),
      NOW,
    );
    expect(outcomes.get('e1')).toMatchObject({
      state: 'retried',
      detail: 'tier 3 (8 s) was due 2026-12-04T09:58:00.000Z (HTTP 503); nothing made from it since',
    });
    expect(outcomes.get('e2')).toMatchObject({
      state: 'waiting',
      detail: 'behind order.opened e1, its last retry due, nothing made from it yet',
    });
  });

  it('tells an event that books nothing from one that needs no document, and leaves copies out', () => {
    const outcomes = eventEnrichments(
      [event('e1', 'order.opened'), event('e1', 'order.opened', true), event('e2', 'fulfillment_request.created')],
      path({}),
      NOW,
    );
    expect([...outcomes.keys()]).toEqual(['e1', 'e2']);
    expect(outcomes.get('e1')?.state).toBe('no document');
    expect(outcomes.get('e2')?.state).toBe('needs no document');
  });
});
