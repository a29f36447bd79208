import { redact, REDACTED } from '@hub/observability';
import { Writable } from 'node:stream';
import pino from 'pino';

describe('redact', () => {
  it('hides secrets and customer personal data at any depth, and keeps the rest', () => {
    const value = {
      orderId: 'o1',
      authorization: 'Bearer abc',
      config: { KAFKA_SASL_PASSWORD: 'p', api_key: 'k' },
      payload: {
        customer_email: 'jane@example.com',
        billing_address: { street: '1 Main St' },
        items: [{ id: 'i1', phone_number: '555' }],
        grand_total: 10,
      },
    };
    expect(redact(value)).toEqual({
      orderId: 'o1',
      authorization: REDACTED,
      config: { KAFKA_SASL_PASSWORD: REDACTED, api_key: REDACTED },
      payload: {
        customer_email: REDACTED,
        billing_address: REDACTED,
        items: [{ id: 'i1', phone_number: REDACTED }],
        grand_total: 10,
      },
    });
  });

  it('survives cycles', () => {
    const cyclic: Record<string, unknown> = { id: 1 };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ id: 1, self: '[truncated]' });
  });

  it('is applied to what the logger writes', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ formatters: { log: (object) => redact(object) as Record<string, unknown> } }, sink);
    logger.info({ payload: { customer_email: 'jane@example.com', id: 'o1' } }, 'received');
    expect(lines.join('')).not.toContain('jane@example.com');
    expect(lines.join('')).toContain('o1');
  });
});
