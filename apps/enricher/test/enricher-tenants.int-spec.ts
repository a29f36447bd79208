import { ErpDocument, money } from '@hub/contracts';
import { eventRecordOf, newStoreEnv, readTopic, waitFor } from '@hub/testing';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';
import { enricherTestbed } from './enricher-testbed';

/**
 * One enricher, two retailers (TENANTS_FILE): each tenant's events are completed
 * from its own NewStore tenant, with its own credentials, and mapped with its own
 * mapping file. An event of a tenant the file does not name is dead-lettered.
 */
describe('enricher: per-tenant NewStore connections and mapping files', () => {
  const bed = enricherTestbed('enricher_tenants', {
    newStore: { day: { tenant: 'acme', date: '2024-01-02', orders: 5, seed: 1 } },
    partitions: 2,
    env: { ENRICHER_RETRY_TIERS_MS: '200,400' },
  });
  const { kafka, codec, emulator: acme } = bed;
  const globex = bed.closeAfter(
    new NewStoreEmulator({
      day: { tenant: 'globex', date: '2024-01-02', orders: 5, seed: 2 },
      clientId: 'globex-hub',
      clientSecret: 'globex-secret',
    }),
  );

  it("completes each tenant's events from its own NewStore and maps them with its own file", async () => {
    const directory = mkdtempSync(join(tmpdir(), 'tenants-'));
    // Globex books everything in subsidiary 9: its own mapping file.
    const globexMapping = JSON.parse(readFileSync('config/mapping.example.json', 'utf8')) as {
      locations: Record<string, { location: string; subsidiary: string }>;
      defaultLocation: { location: string; subsidiary: string };
    };
    for (const location of Object.values(globexMapping.locations)) location.subsidiary = '9';
    globexMapping.defaultLocation.subsidiary = '9';
    writeFileSync(join(directory, 'mapping.globex.json'), JSON.stringify(globexMapping));
    const acmeBase = newStoreEnv(bed.newStoreUrl);
    const globexBase = newStoreEnv(await globex.listen(0));
    process.env.GLOBEX_NEWSTORE_SECRET = 'globex-secret';
    writeFileSync(
      join(directory, 'tenants.json'),
      JSON.stringify({
        acme: { newstore: acmeBase },
        globex: {
          newstore: {
            ...globexBase,
            NEWSTORE_CLIENT_ID: 'globex-hub',
            NEWSTORE_CLIENT_SECRET: { env: 'GLOBEX_NEWSTORE_SECRET' },
          },
          mappingFile: join(directory, 'mapping.globex.json'),
        },
      }),
    );
    await bed.start({ TENANTS_FILE: join(directory, 'tenants.json') });

    const acmeOrder = acme.store.order(0);
    const globexOrder = globex.store.order(0);
    const opened = (order: typeof acmeOrder, tenant: string) =>
      eventsOfOrder(order, tenant).find((event) => event.envelope.name === 'order.opened')!.envelope;
    for (const envelope of [opened(acmeOrder, 'acme'), opened(globexOrder, 'globex'), opened(acmeOrder, 'initech')])
      await kafka.producer.send(kafka.topics.newstoreEvents, [eventRecordOf(envelope)]);

    const documents = await waitFor(
      async () => {
        const messages = await readTopic(kafka.kafka, kafka.topics.erpDocuments);
        const decoded: ErpDocument[] = await Promise.all(messages.map((message) => codec.decode(message.value)));
        return decoded.length >= 2 && decoded;
      },
      { what: 'a document for each tenant', timeoutMs: 30_000 },
    );
    const acmeDocument = documents.find((document) => document.tenant === 'acme')!;
    const globexDocument = documents.find((document) => document.tenant === 'globex')!;
    expect(acmeDocument.orderId).toBe(acmeOrder.id);
    expect(acmeDocument.saleTotal).toBe(money(acmeOrder.grandTotal, acmeOrder.currency));
    expect(globexDocument.orderId).toBe(globexOrder.id);
    expect(globexDocument.saleTotal).toBe(money(globexOrder.grandTotal, globexOrder.currency));
    expect(acmeDocument.erp?.subsidiary).not.toBe('9');
    expect(globexDocument.erp?.subsidiary).toBe('9');

    const deadLetters = await waitFor(
      async () => {
        const messages = await readTopic(kafka.kafka, kafka.topics.enricherDlq);
        return messages.length > 0 && messages;
      },
      { what: "the unknown tenant's event in the DLQ", timeoutMs: 30_000 },
    );
    expect(JSON.stringify(deadLetters[0].headers)).toContain('tenant \\"initech\\" is not in TENANTS_FILE');
  });
});
