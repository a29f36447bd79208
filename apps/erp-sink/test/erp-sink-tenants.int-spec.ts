import { readTopic, sampleErpDocument, startServiceForTest, testbed, uniqueName, waitFor } from '@hub/testing';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';

/**
 * One sink, two retailers with two ERP accounts (TENANTS_FILE). Acme's ERP is down
 * for good: its breaker opens, its documents wait. Globex's documents, on the same
 * partitions, reach Globex's ERP all the same; Acme's follow once its ERP is back.
 */
describe('erp-sink: per-tenant ERP accounts', () => {
  const bed = testbed('sink_tenants', { topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'] });
  const { kafka } = bed;
  const acmeErp = bed.closeAfter(new ErpEmulator({ concurrencyLimit: 10 }));
  const globexErp = bed.closeAfter(new ErpEmulator({ concurrencyLimit: 10 }));

  it("posts one tenant's documents while the other tenant's ERP account is down, then the other's when it is back", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenants-'));
    const tenantsFile = join(directory, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        acme: {
          erp: {
            NETSUITE_ACCOUNT_ID: 'ACME01',
            NETSUITE_BASE_URL: `${await acmeErp.listen(0)}/services/rest`,
            NETSUITE_CLIENT_SECRET: { env: 'ACME_NETSUITE_SECRET' },
          },
        },
        globex: {
          erp: {
            NETSUITE_ACCOUNT_ID: 'GLOBEX01',
            NETSUITE_BASE_URL: `${await globexErp.listen(0)}/services/rest`,
            NETSUITE_CLIENT_SECRET: { file: join(directory, 'globex-secret') },
          },
        },
      }),
    );
    writeFileSync(join(directory, 'globex-secret'), 'hub-secret\n');
    process.env.ACME_NETSUITE_SECRET = 'hub-secret';
    // Acme's ERP answers 503 to everything until further notice.
    acmeErp.setFaults({ outageUntil: Date.now() + 3_600_000, outageMode: 'unavailable' });
    const sink = bed.closeAfter(
      await startServiceForTest(
        erpSinkService,
        bed.env({
          KAFKA_TOPIC_PARTITIONS: '2',
          SINK_CONSUMER_GROUP: uniqueName('sink-group'),
          TENANTS_FILE: tenantsFile,
          ERP_RETRY_BASE_MS: '200',
          ERP_RETRY_MAX_MS: '2000',
          ERP_CIRCUIT_FAILURE_THRESHOLD: '3',
          ERP_CIRCUIT_OPEN_MS: '1000',
        }),
      ),
    );

    const documents = Array.from({ length: 20 }, (_, index) => {
      const tenant = index % 2 === 0 ? 'acme' : 'globex';
      return sampleErpDocument('cashSale', `S-${tenant}-${index}`, {
        tenant,
        idempotencyKey: `cashSale:${tenant}:S-${index}`,
        orderId: `order-${tenant}-${index}`,
      });
    });
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      documents.map((document) => ({ key: document.orderId, value: JSON.stringify(document) })),
    );
    const globex = documents.filter((document) => document.tenant === 'globex');
    const acme = documents.filter((document) => document.tenant === 'acme');
    await waitFor(() => globex.every((document) => globexErp.recordsWithExternalId(document.externalId).length === 1), {
      what: "every Globex document in Globex's ERP while Acme's is down",
      timeoutMs: 30_000,
    });
    expect(acmeErp.records.size).toBe(0);
    // Each document went to its own tenant's account, never the other's.
    for (const document of acme) expect(globexErp.recordsWithExternalId(document.externalId)).toHaveLength(0);
    const metrics = await (await fetch(`${sink.url}/metrics`)).text();
    expect(metrics).toMatch(/parity_erp_circuit_state\{account="netsuite:GLOBEX01",service="erp-sink"\} 0/);
    expect(metrics).toMatch(/parity_erp_circuit_state\{account="netsuite:ACME01",service="erp-sink"\} [12]/);

    acmeErp.setFaults({});
    await waitFor(() => acme.every((document) => acmeErp.recordsWithExternalId(document.externalId).length === 1), {
      what: "every Acme document in Acme's ERP once it is back",
      timeoutMs: 30_000,
    });
    expect(await readTopic(kafka.kafka, kafka.topics.erpDlq)).toHaveLength(0);
  });

  it('refuses a tenants file with an inlined secret at start-up, naming the place', async () => {
    const tenantsFile = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ acme: { erp: { NETSUITE_CLIENT_SECRET: 'hunter2' } } }));
    await expect(startServiceForTest(erpSinkService, bed.env({ TENANTS_FILE: tenantsFile }))).rejects.toThrow(
      /TENANTS_FILE: acme\.erp\.NETSUITE_CLIENT_SECRET: a secret is referenced, never written here/,
    );
  });
});
