import { sampleErpDocument } from '@hub/testing';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ErpError } from './erp-port';
import { GenericHttpAdapter } from './generic-http.adapter';

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A real HTTP server on loopback whose answers each test writes. */
describe('GenericHttpAdapter', () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  const seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, headers: request.headers, body });
        handler(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (seen.length = 0));

  const adapter = (overrides: Partial<ConstructorParameters<typeof GenericHttpAdapter>[0]> = {}) =>
    new GenericHttpAdapter({
      upsertUrlTemplate: `${base}/api/{documentType}/{externalId}`,
      listUrlTemplate: `${base}/api/transactions?date={date}&page={page}`,
      method: 'PUT',
      idempotencyHeader: 'Idempotency-Key',
      bearerToken: 'erp-token',
      requestTimeoutMs: 2_000,
      ...overrides,
    });
  const document = sampleErpDocument('cashSale', 'G 1/2');

  it('upserts by the external id in the URL with the idempotency key and bearer token, reading the id from the body', async () => {
    handler = (_request, _body, response) => response.writeHead(200).end(JSON.stringify({ id: 4711 }));
    await expect(adapter().upsert(document)).resolves.toEqual({ internalId: '4711' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/api/cashSale/G%201%2F2' });
    expect(seen[0].headers['idempotency-key']).toBe(document.idempotencyKey);
    expect(seen[0].headers.authorization).toBe('Bearer erp-token');
    expect(JSON.parse(seen[0].body)).toEqual(document);
  });

  it('reads the id from the Location header when the body has none', async () => {
    handler = (_request, _body, response) => response.writeHead(204, { location: `${base}/api/cashSale/991` }).end();
    await expect(adapter({ method: 'POST' }).upsert(document)).resolves.toEqual({ internalId: '991' });
    expect(seen[0].method).toBe('POST');
  });

  it('sorts failures: 503 with Retry-After is temporary, 400 is permanent with the status, no id is temporary', async () => {
    handler = (_request, _body, response) => response.writeHead(503, { 'retry-after': '3' }).end('busy');
    const busy = (await adapter()
      .upsert(document)
      .catch((error: unknown) => error)) as ErpError;
    expect(busy).toMatchObject({ kind: 'temporary', details: { status: 503, retryAfterMs: 3_000 } });
    handler = (_request, _body, response) => response.writeHead(400).end('item inactive');
    const refused = (await adapter()
      .upsert(document)
      .catch((error: unknown) => error)) as ErpError;
    expect(refused).toMatchObject({ kind: 'permanent', message: 'HTTP 400: item inactive' });
    handler = (_request, _body, response) => response.writeHead(200).end('{}');
    const unclear = (await adapter()
      .upsert(document)
      .catch((error: unknown) => error)) as ErpError;
    expect(unclear.kind).toBe('temporary');
  });

  it('never follows a redirect: a 301/302 (which fetch would turn into a GET, and its 200 into "posted") is a permanent failure', async () => {
    for (const status of [301, 302, 307]) {
      seen.length = 0;
      handler = (request, _body, response) =>
        request.url?.startsWith('/moved')
          ? response.writeHead(200).end(JSON.stringify({ id: 'not-a-post' }))
          : response.writeHead(status, { location: `${base}/moved` }).end();
      const error = (await adapter()
        .upsert(document)
        .catch((caught: unknown) => caught)) as ErpError;
      expect(error).toBeInstanceOf(ErpError);
      expect(error).toMatchObject({ kind: 'permanent', details: { status } });
      expect(error.message).toMatch(/redirect/i);
      expect(seen.map((request) => request.url)).toEqual(['/api/cashSale/G%201%2F2']);
    }
  });

  it('reports an unreachable ERP as temporary', async () => {
    const unreachable = await adapter({ upsertUrlTemplate: 'http://127.0.0.1:1/x' })
      .upsert(document)
      .catch((error: unknown) => error);
    expect(unreachable).toBeInstanceOf(ErpError);
    expect((unreachable as ErpError).kind).toBe('temporary');
  });

  it('lists the transactions of a day page by page, with exact totals', async () => {
    handler = (request, _body, response) => {
      const page = new URL(request.url ?? '', base).searchParams.get('page');
      const item = { internalId: `t${page}`, externalId: `e${page}`, documentType: 'cashSale', total: '10.10' };
      response.writeHead(200).end(JSON.stringify({ items: [item], hasMore: page === '0' }));
    };
    const pages = [];
    for await (const page of adapter().listTransactions('2026-11-26')) pages.push(page);
    expect(pages.flat().map((item) => [item.internalId, item.total])).toEqual([
      ['t0', '10.1'],
      ['t1', '10.1'],
    ]);
    expect(seen.map((request) => request.url)).toEqual([
      '/api/transactions?date=2026-11-26&page=0',
      '/api/transactions?date=2026-11-26&page=1',
    ]);
  });

  it('refuses to delete without a delete URL template', async () => {
    await expect(adapter().deleteTransaction('cashSale', '1')).rejects.toMatchObject({ kind: 'permanent' });
  });
});
