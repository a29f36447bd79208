import { sampleErpDocument, testLogger } from '@hub/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { loadConfig } from '@hub/config';
import { ServiceRuntime } from '@hub/platform';
import { erpSinkEnv, ErpSinkConfig } from './erp-sink.config';
import { ErpConnections } from './erp-connections';
import { ErpSinkMetrics } from './erp-sink.metrics';

/**
 * Two tenants of one ERP account, each with its own credentials (issue 26, item 1):
 * every document goes out with its own tenant's token, and neither the token nor
 * the URL reaches a log or metric label. A real HTTP server on loopback stands for
 * the ERP and records what each request carried.
 */
describe('ERP connections of tenants sharing an account', () => {
  let server: Server;
  let base: string;
  const seen: { url?: string; authorization?: string }[] = [];

  beforeAll(async () => {
    server = createServer((request: IncomingMessage, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => response.writeHead(200).end(JSON.stringify({ id: String(seen.length) })));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("posts each tenant's documents with that tenant's own token, and labels the account without secrets", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'shared-account-'));
    process.env.ACME_ERP_TOKEN = 'acme-token';
    process.env.BETA_ERP_TOKEN = 'beta-token';
    const erp = (variable: string) => ({
      ERP_ADAPTER: 'generic-http',
      GENERIC_ERP_UPSERT_URL: `${base}/erp/{tenant}/{documentType}/{externalId}?key=url-secret`,
      GENERIC_ERP_TOKEN: { env: variable },
    });
    writeFileSync(
      join(directory, 'tenants.json'),
      JSON.stringify({ acme: { erp: erp('ACME_ERP_TOKEN') }, beta: { erp: erp('BETA_ERP_TOKEN') } }),
    );
    const config = loadConfig('erp-sink', erpSinkEnv, {
      TENANTS_FILE: join(directory, 'tenants.json'),
    }) as ErpSinkConfig;
    const registry = new Registry();
    const connections = new ErpConnections(config, new ErpSinkMetrics(registry), {
      logger: testLogger(),
    } as unknown as ServiceRuntime);
    await connections.for('acme').port.upsert(sampleErpDocument('cashSale', 'A1', { tenant: 'acme' }));
    await connections.for('beta').port.upsert(sampleErpDocument('cashSale', 'B1', { tenant: 'beta' }));
    expect(seen.map((request) => [request.url?.split('?')[0], request.authorization])).toEqual([
      ['/erp/acme/cashSale/A1', 'Bearer acme-token'],
      ['/erp/beta/cashSale/B1', 'Bearer beta-token'],
    ]);
    const labels = [connections.for('acme').account, connections.for('beta').account];
    expect(new Set(labels).size).toBe(2);
    for (const label of [...labels, await registry.metrics()])
      for (const secret of ['acme-token', 'beta-token', 'url-secret', '/erp/']) expect(label).not.toContain(secret);
  });
});
