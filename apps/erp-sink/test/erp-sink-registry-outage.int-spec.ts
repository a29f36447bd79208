import { createSchemaRegistry, DocumentCodec, KafkaInfrastructure } from '@hub/kafka';
import {
  dropSchema,
  readTopic,
  sampleErpDocument,
  ServiceUnderTest,
  startServiceForTest,
  testKafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
  freePort,
} from '@hub/testing';
import { createServer, Server, connect } from 'node:net';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';

/**
 * A schema-registry outage is temporary: documents in the registry's wire format
 * wait, undecoded, while the sink cannot reach the registry, and are all posted
 * once it is back. Nothing goes to the DLQ. The sink reaches the registry through a
 * TCP relay of this test, which is "down" (not listening) until the test starts it.
 */
describe('erp-sink while the schema registry is down', () => {
  const prefix = uniqueName('sink_registry');
  const schema = uniqueName('erp_sink');
  const settings = testKafkaSettings(prefix);
  const kafka = new KafkaInfrastructure(settings, testLogger(), {});
  const codec = new DocumentCodec(createSchemaRegistry(settings), `${prefix}.erp.documents.v1-value`);
  const emulator = new ErpEmulator({ concurrencyLimit: 4 });
  let sink: ServiceUnderTest;
  let relay: Server | undefined;

  afterAll(async () => {
    await sink?.close();
    await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    await kafka.close();
    await emulator.close();
    await dropSchema(schema);
  });

  it('posts every document once the registry is back, and dead-letters none', async () => {
    await kafka.connect(['erpDocuments', 'erpSyncStatus', 'erpDlq']);
    const documents = Array.from({ length: 12 }, (_, index) =>
      sampleErpDocument('salesOrder', `REG-${index}`, { orderId: `order-${index % 4}` }),
    );
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      await Promise.all(documents.map(async (item) => ({ key: item.orderId, value: await codec.encode(item) }))),
    );
    const registry = new URL(settings.SCHEMA_REGISTRY_URL);
    const port = await freePort();
    sink = await startServiceForTest(erpSinkService, {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KAFKA_TOPIC_PARTITIONS: '3',
      DATABASE_SCHEMA: schema,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${registry.pathname}`,
      NETSUITE_BASE_URL: `${await emulator.listen(0)}/services/rest`,
      SINK_CONSUMER_GROUP: uniqueName('sink-group'),
      ERP_RETRY_BASE_MS: '100',
      ERP_RETRY_MAX_MS: '1000',
    });
    // The sink has tried to decode documents, again and again, while the registry is down (before the
    // fix it dead-lettered them at the first try).
    await waitFor(
      async () => {
        const metrics = await (await fetch(`${sink.url}/metrics`)).text();
        const retries = /parity_erp_retries_total\{reason="decode"[^}]*\} (\d+)/.exec(metrics);
        return Number(retries?.[1] ?? 0) >= 3;
      },
      { what: 'three decode retries while the registry is down' },
    );
    expect(emulator.records.size).toBe(0);
    expect(await readTopic(kafka.kafka, kafka.topics.erpDlq)).toHaveLength(0);

    relay = createServer((client) => {
      const upstream = connect(Number(registry.port), registry.hostname);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => relay!.listen(port, '127.0.0.1', resolve));
    await waitFor(() => documents.every((item) => emulator.recordsWithExternalId(item.externalId).length === 1), {
      what: 'every document posted once the registry is back',
      timeoutMs: 60_000,
    });
    expect(emulator.records.size).toBe(documents.length);
    expect(await readTopic(kafka.kafka, kafka.topics.erpDlq)).toHaveLength(0);
  });
});
