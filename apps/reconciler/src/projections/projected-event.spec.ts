import { HEADERS } from '@hub/contracts';
import { ConsumedMessage } from '@hub/kafka';
import { readProjectedEvent } from './projected-event';

const message = (value: string | null, headers: Record<string, string> = {}, key: string | null = null) =>
  ({
    topic: 'raw',
    partition: 0,
    offset: '7',
    key,
    value: value === null ? null : Buffer.from(value),
    headers,
    timestamp: '0',
  }) satisfies ConsumedMessage;

const envelope = (name: string, payload: Record<string, unknown>) => JSON.stringify({ tenant: 'acme', name, payload });

describe('readProjectedEvent', () => {
  it('reads tenant, name and order id from the envelope when ingest gave no headers', () => {
    const read = readProjectedEvent(
      message(envelope('order.created', { id: 'O1', created_at: '2026-12-01T10:00:00Z' })),
    );
    expect(read).toEqual({
      tenant: 'acme',
      name: 'order.created',
      orderId: 'O1',
      payload: { id: 'O1', created_at: '2026-12-01T10:00:00Z' },
    });
  });

  it('reads a UTF-8 BOM-prefixed body as the enricher does', () => {
    const read = readProjectedEvent(message(`\uFEFF${envelope('order.created', { id: 'O2' })}`));
    expect(read).toMatchObject({ orderId: 'O2', tenant: 'acme' });
  });

  it('takes a later event from its headers and key without parsing the body', () => {
    const read = readProjectedEvent(
      message('not json at all', { [HEADERS.tenant]: 'acme', [HEADERS.eventName]: 'order.items_cancelled' }, 'O3'),
    );
    expect(read).toEqual({ tenant: 'acme', name: 'order.items_cancelled', orderId: 'O3', payload: {} });
  });

  it.each([
    ['a body that is not JSON', message('{oops'), 'not JSON'],
    ['an event without an order id', message(envelope('order.created', {})), 'no tenant, name or order id'],
    [
      'an opening event whose creation time is no datetime',
      message(envelope('order.created', { id: 'O4', created_at: 'soon' })),
      'created_at "soon" is not an ISO 8601 datetime',
    ],
    [
      'an opening event whose creation time is a number',
      message(envelope('order.created', { id: 'O5', placed_at: 12345 })),
      'created_at 12345 is not an ISO 8601 datetime',
    ],
  ])('says why %s cannot be projected', (_case, input, reason) => {
    expect(readProjectedEvent(input)).toEqual({ unreadable: reason });
  });
});
