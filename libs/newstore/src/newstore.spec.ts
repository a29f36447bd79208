import {
  canonicalJson,
  computeEventId,
  deriveEventKey,
  NewStoreEnvelope,
  parseEnvelope,
  traceparentFor,
} from '@hub/newstore';

const envelope = (name: string, payload: Record<string, unknown>): NewStoreEnvelope =>
  ({ tenant: 'acme', name, payload }) as NewStoreEnvelope;

describe('deriveEventKey', () => {
  it.each([
    ['order.opened', { id: 'o1', external_id: 'A-1' }, 'o1', 'order-id'],
    ['order.items_cancelled', { id: 'o1' }, 'o1', 'order-id'],
    ['fulfillment_request.items_completed', { id: 'fr1', order_id: 'o1' }, 'o1', 'payload-order-id'],
    ['return.processed', { id: 'r1', order_id: 'o1' }, 'o1', 'payload-order-id'],
    ['return.processed', { id: 'r1' }, 'r1', 'entity-id'],
    ['refund_request.issued', { id: 'rr1', order_id: 'o1' }, 'o1', 'payload-order-id'],
    ['payment_account.amount_refunded', { id: 'pa1', order_id: 'o1' }, 'o1', 'payload-order-id'],
    ['payment_account.amount_authorized', { id: 'o1' }, 'o1', 'payment-account-id'],
    ['inventory_transaction.created', { id: 'it1' }, 'it1', 'entity-id'],
    ['something.new', { id: 'x1', order_id: 'o1' }, 'x1', 'entity-id'],
  ])('%s %j is keyed by %s (%s)', (name, payload, key, source) => {
    expect(deriveEventKey(envelope(name, payload))).toEqual({ key, source });
  });
});

describe('event ids', () => {
  it('do not depend on attribute order at any depth', () => {
    const a = {
      tenant: 't',
      name: 'order.opened',
      payload: { id: '1', items: [{ a: 1, b: 2 }], nested: { x: 1, y: [1, 2] } },
    };
    const b = {
      payload: { nested: { y: [1, 2], x: 1 }, items: [{ b: 2, a: 1 }], id: '1' },
      name: 'order.opened',
      tenant: 't',
    };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(computeEventId(a)).toBe(computeEventId(b));
  });

  it('change when a value or the order of array items changes', () => {
    const base = { tenant: 't', name: 'order.opened', payload: { id: '1', items: [1, 2] } };
    expect(computeEventId(base)).not.toBe(computeEventId({ ...base, payload: { id: '1', items: [2, 1] } }));
    expect(computeEventId(base)).not.toBe(computeEventId({ ...base, tenant: 'u' }));
  });
});

describe('parseEnvelope', () => {
  it('accepts an unknown but well-formed event name', () => {
    expect(parseEnvelope(Buffer.from('{"tenant":"t","name":"loyalty.points_earned","payload":{"id":"1"}}')).ok).toBe(
      true,
    );
  });

  it('lists every problem at once', () => {
    const result = parseEnvelope(Buffer.from('{"name":"Order Opened","payload":[],"published_at":"yesterday"}'));
    expect(result).toEqual({
      ok: false,
      reason: 'invalid-envelope',
      problems: [
        { path: '$.tenant', message: 'is required' },
        { path: '$.name', message: 'must be an event name such as "order.opened"' },
        { path: '$.published_at', message: 'must be an ISO-8601 date-time such as 2020-12-01T18:41:09.571Z' },
        { path: '$.payload', message: 'must be an object, got an array' },
      ],
    });
  });

  it('refuses invalid UTF-8, prototype keys and excessive nesting', () => {
    expect(parseEnvelope(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({ ok: false, reason: 'invalid-utf8' });
    expect(parseEnvelope(Buffer.from('{"tenant":"t","name":"a.b","payload":{"id":"1","__proto__":{}}}'))).toMatchObject(
      {
        ok: false,
        reason: 'malformed-json',
      },
    );
    const deep = `{"tenant":"t","name":"a.b","payload":{"id":"1","x":${'['.repeat(100)}${']'.repeat(100)}}}`;
    expect(parseEnvelope(Buffer.from(deep))).toMatchObject({ ok: false, reason: 'too-deep' });
  });
});

describe('traceparentFor', () => {
  it('keeps a valid W3C traceparent and replaces an invalid one', () => {
    const valid = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceparentFor(valid)).toBe(valid);
    const started = traceparentFor('00-00000000000000000000000000000000-00f067aa0ba902b7-01');
    expect(started).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(started).not.toContain('00000000000000000000000000000000');
  });
});
