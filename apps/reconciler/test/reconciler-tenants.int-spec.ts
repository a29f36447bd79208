import { KafkaInfrastructure } from '@hub/kafka';
import {
  dropSchema,
  newStoreEnv,
  ServiceUnderTest,
  startServiceForTest,
  testKafkaSettings,
  testLogger,
  uniqueName,
} from '@hub/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';
import { reconcilerService } from '../src/reconciler.service-definition';

const TOKEN = 'test-token';
const DAY = '2024-01-02';

/**
 * One reconciler, two retailers (TENANTS_FILE): each tenant's day is listed from its
 * own NewStore tenant and its own ERP account, in its own time zone.
 */
describe('reconciler: per-tenant connections', () => {
  const prefix = uniqueName('recon_tenants');
  const schema = uniqueName('reconciler_tenants');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  const acme = new NewStoreEmulator({ day: { tenant: 'acme', date: DAY, orders: 12, seed: 5 } });
  const globex = new NewStoreEmulator({
    day: { tenant: 'globex', date: DAY, orders: 7, seed: 6 },
    clientId: 'globex-hub',
    clientSecret: 'globex-secret',
  });
  const acmeErp = new ErpEmulator();
  const globexErp = new ErpEmulator();
  let reconciler: ServiceUnderTest;

  const reconcile = async (tenant: string) => {
    const response = await fetch(`${reconciler.url}/admin/reconciliations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, date: DAY }),
    });
    expect(response.status).toBe(200);
    return (
      (await response.json()) as { runs: { newstoreOrders: number; erpTransactions: number; timeZone: string }[] }
    ).runs[0];
  };

  beforeAll(async () => {
    await kafka.connect(['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq']);
    const directory = mkdtempSync(join(tmpdir(), 'tenants-'));
    const acmeErpBase = await acmeErp.listen(0);
    const globexErpBase = await globexErp.listen(0);
    process.env.GLOBEX_NEWSTORE_SECRET = 'globex-secret';
    writeFileSync(
      join(directory, 'tenants.json'),
      JSON.stringify({
        acme: {
          newstore: newStoreEnv(await acme.listen(0)),
          erp: { NETSUITE_BASE_URL: `${acmeErpBase}/services/rest` },
        },
        globex: {
          newstore: {
            ...newStoreEnv(await globex.listen(0)),
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
    reconciler = await startServiceForTest(reconcilerService, {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      DATABASE_SCHEMA: schema,
      TENANTS_FILE: join(directory, 'tenants.json'),
      RECONCILER_ADMIN_TOKENS: TOKEN,
      RECONCILER_CONSUMER_GROUP: `${prefix}-projections`,
      RECONCILER_SCHEDULE_ENABLED: 'false',
    });
  });

  afterAll(async () => {
    await reconciler?.close();
    await kafka.close();
    await Promise.all([acme.close(), globex.close(), acmeErp.close(), globexErp.close()]);
    await dropSchema(schema);
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
    const unknown = await fetch(`${reconciler.url}/admin/reconciliations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'demo', date: DAY }),
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('tenant \\"demo\\" is not one of acme, globex');
  });
});
