import { newStoreEnv, newStoreTestClient, waitFor } from '@hub/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';
import { reconcilerTestbed } from './reconciler-testbed';
const DAY = '2024-01-02';

/**
 * One reconciler, two retailers (TENANTS_FILE): each tenant's day is listed from its
 * own NewStore tenant and its own ERP account, in its own time zone.
 */
describe('reconciler: per-tenant connections', () => {
  const bed = reconcilerTestbed('recon_tenants', {
    newStore: { day: { tenant: 'acme', date: DAY, orders: 12, seed: 5 } },
  });
  const { newStore: acme, admin } = bed;
  const globex = bed.closeAfter(
    new NewStoreEmulator({
      day: { tenant: 'globex', date: DAY, orders: 7, seed: 6 },
      clientId: 'globex-hub',
      clientSecret: 'globex-secret',
    }),
  );
  const globexErp = bed.closeAfter(new ErpEmulator());
  let integrations: Record<'acme' | 'globex', string>;

  const reconcile = async (tenant: string) => {
    const response = await admin<{ runs: { newstoreOrders: number; erpTransactions: number; timeZone: string }[] }>(
      'POST',
      '/admin/reconciliations',
      { tenant, date: DAY },
    );
    expect(response.status).toBe(200);
    return response.body.runs[0];
  };

  beforeAll(async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenants-'));
    const acmeErpBase = bed.erpUrl;
    const globexErpBase = await globexErp.listen(0);
    const acmeBase = bed.newStoreUrl;
    const globexBase = await globex.listen(0);
    // Each tenant's event-stream integration, registered on its own NewStore with its own credentials.
    const register = async (base: string, tenant: string, clientId: string, clientSecret: string) => {
      const bearer = await newStoreTestClient(base, 5_000, { clientId, clientSecret }).token(tenant);
      const response = await fetch(`${base}/api/v1/org/integrations/eventstream`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ callback_parameters: { callback_url: 'http://127.0.0.1:9/webhooks/newstore' } }),
      });
      return ((await response.json()) as { id: string }).id;
    };
    integrations = {
      acme: await register(acmeBase, 'acme', 'hub', 'hub-secret'),
      globex: await register(globexBase, 'globex', 'globex-hub', 'globex-secret'),
    };
    process.env.GLOBEX_NEWSTORE_SECRET = 'globex-secret';
    writeFileSync(
      join(directory, 'tenants.json'),
      JSON.stringify({
        acme: {
          newstore: { ...newStoreEnv(acmeBase), NEWSTORE_API_URL: acmeBase },
          erp: { NETSUITE_BASE_URL: `${acmeErpBase}/services/rest` },
        },
        globex: {
          newstore: {
            ...newStoreEnv(globexBase),
            NEWSTORE_API_URL: globexBase,
            NEWSTORE_CLIENT_ID: 'globex-hub',
            NEWSTORE_CLIENT_SECRET: { env: 'GLOBEX_NEWSTORE_SECRET' },
          },
          erp: { NETSUITE_BASE_URL: `${globexErpBase}/services/rest` },
          timeZone: 'Pacific/Kiritimati',
          dailyAt: '05:30',
        },
      }),
    );
    // Records keyed in by hand: three in Acme's ERP, one in Globex's.
    for (const [erpBase, count] of [
      [acmeErpBase, 3],
      [globexErpBase, 1],
    ] as const)
      for (let index = 0; index < count; index += 1) {
        const response = await fetch(`${erpBase}/_emulator/records/cashSale`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ externalId: `CS-by-hand-${index}`, tranDate: DAY, total: '1.00' }),
        });
        expect(response.ok).toBe(true);
      }
    await bed.start({
      TENANTS_FILE: join(directory, 'tenants.json'),
      WATCHDOG_INTEGRATIONS: `acme:${integrations.acme},globex:${integrations.globex}`,
      WATCHDOG_INTERVAL_MS: '200',
    });
  });

  it("lists each tenant's day from its own NewStore and its own ERP, in its own zone", async () => {
    const acmeRun = await reconcile('acme');
    const globexRun = await reconcile('globex');
    // Globex's day is 2024-01-02 in Kiritimati (UTC+14): from 10:00 UTC on the 1st to 10:00 UTC on the 2nd.
    const globexOrders = Array.from({ length: globex.store.size }, (_, index) => globex.store.order(index)).filter(
      (order) => order.createdAt >= '2024-01-01T10:00:00' && order.createdAt < '2024-01-02T10:00:00',
    );
    expect(globexOrders.length).toBeLessThan(globex.store.size);
    expect([acmeRun.newstoreOrders, globexRun.newstoreOrders]).toEqual([acme.store.size, globexOrders.length]);
    expect([acmeRun.erpTransactions, globexRun.erpTransactions]).toEqual([3, 1]);
    expect([acmeRun.timeZone, globexRun.timeZone]).toEqual(['UTC', 'Pacific/Kiritimati']);
    const unknown = await admin<{ message: string }>('POST', '/admin/reconciliations', { tenant: 'demo', date: DAY });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('tenant "demo" is not one of acme, globex');
  });

  it("watches each tenant's event-stream integration on its own NewStore", async () => {
    const statuses = await waitFor(
      async () => {
        const { body } = await admin<{
          integrations: { tenant: string; integrationId: string; status: string; error: string | null }[];
        }>('GET', '/admin/eventstream');
        return body.integrations.every((item) => item.status !== 'unknown') && body.integrations;
      },
      { what: 'both integrations checked', timeoutMs: 15_000 },
    );
    expect(statuses.map(({ tenant, integrationId, error }) => ({ tenant, integrationId, error }))).toEqual([
      { tenant: 'acme', integrationId: integrations.acme, error: null },
      { tenant: 'globex', integrationId: integrations.globex, error: null },
    ]);
  });
});
