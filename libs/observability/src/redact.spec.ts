import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from './logger';
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

describe('redacting errors', () => {
  it('scrubs what an error message quotes, and walks its fields like an object', () => {
    const error = Object.assign(
      new Error(
        'POST https://id.example/token?client_secret=s3cr3t failed for jane.doe@example.com with Authorization: Bearer eyJhbGci.abc and body {"password": "hunter2", "id": "o1"}',
      ),
      { request: { headers: { authorization: 'Bearer xyz', 'x-trace': 't1' } }, status: 401 },
    );
    const redacted = redact({ err: error }) as { err: Record<string, unknown> };
    const text = JSON.stringify(redacted);
    for (const secret of ['s3cr3t', 'jane.doe@example.com', 'eyJhbGci', 'hunter2', 'xyz'])
      expect(text).not.toContain(secret);
    expect(redacted.err).toMatchObject({
      name: 'Error',
      status: 401,
      request: { headers: { authorization: REDACTED, 'x-trace': 't1' } },
    });
    expect(redacted.err.message).toContain('"id": "o1"');
    expect(redacted.err.message).toContain(`client_secret=${REDACTED}`);
  });

  it('follows an error cause', () => {
    const cause = new Error('refused for bob@example.org');
    const redacted = redact(new Error('outer', { cause })) as { cause: { message: string } };
    expect(redacted.cause.message).toBe(`refused for ${REDACTED}`);
  });
});

describe('what the service logger writes', () => {
  it('scrubs credentials and e-mails out of plain strings and the message itself, not only out of sensitive keys', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'log-')), 'service.log');
    const logger = createLogger({ service: 'test', level: 'info', format: 'json', file });
    // Issue 26, item 15: a URL with credentials under an innocent key, and a message quoting an e-mail.
    logger.info(
      { account: 'generic-http:https://hub:s3cr3t-pass@erp.example/api/{documentType}?key=k3y-value&sig=abc123' },
      'posted for jane.doe@example.com with Bearer abc.def.ghi',
    );
    logger.flush();
    const text = readFileSync(file, 'utf8');
    for (const leaked of ['s3cr3t-pass', 'k3y-value', 'abc123', 'jane.doe@example.com', 'abc.def.ghi'])
      expect(text).not.toContain(leaked);
    expect(text).toContain('erp.example');
    expect(text).toContain('posted for');
  });
});
