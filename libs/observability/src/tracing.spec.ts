import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { HubTracing } from './tracing';

describe('HubTracing', () => {
  it('makes no span and passes the incoming traceparent on when no endpoint is configured', async () => {
    const tracing = new HubTracing('ingest');
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(tracing.enabled).toBe(false);
    await expect(tracing.span('webhook', { parent: incoming }, async (traceparent) => traceparent)).resolves.toBe(
      incoming,
    );
    expect(tracing.traceparent()).toBeUndefined();
  });

  it('sends a child span of the incoming traceparent to the endpoint, failures recorded, on shutdown', async () => {
    const bodies: string[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        bodies.push(`${request.url} ${body}`);
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const tracing = new HubTracing('enricher', {
      endpoint: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      scheduledDelayMs: 10_000,
    });
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const passedOn = await tracing.span(
      'enrich order.opened',
      { parent: incoming },
      async (traceparent) => traceparent,
    );
    // Same trace, a span of its own.
    expect(passedOn).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-(?!b7ad6b7169203331)[0-9a-f]{16}-01$/);
    await expect(
      tracing.span('erp post cashSale', {}, async () => {
        throw new Error('NetSuite refused');
      }),
    ).rejects.toThrow('NetSuite refused');
    await tracing.shutdown();
    await new Promise((resolve) => collector.close(resolve));
    const sent = bodies.join('\n');
    expect(sent).toContain('/v1/traces');
    expect(sent).toContain('"stringValue":"parity-hub-enricher"');
    expect(sent).toContain('"parentSpanId":"b7ad6b7169203331"');
    expect(sent).toContain('NetSuite refused');
  });
});
