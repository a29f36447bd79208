import { createSchemaRegistry, DocumentCodec } from '@hub/kafka';
import { readTopic, sampleErpDocument, waitFor, freePort } from '@hub/testing';
import { createServer, Server, connect } from 'node:net';
import { sinkTestbed } from './sink-testbed';

/**
 * A schema-registry outage is temporary: documents in the registry's wire format
 * wait, undecoded, while the sink cannot reach the registry, and are all posted
 * once it is back. Nothing goes to the DLQ. The sink reaches the registry through a
 * TCP relay of this test, which is "down" (not listening) until the test starts it.
 */
describe('erp-sink while the schema registry is down', () => {
  const bed = sinkTestbed('sink_registry', {
    erp: { concurrencyLimit: 4 },
    env: { ERP_RETRY_BASE_MS: '100', ERP_RETRY_MAX_MS: '1000' },
  });
  const { prefix, settings, kafka, emulator } = bed;
  const codec = new DocumentCodec(createSchemaRegistry(settings), `${prefix}.erp.documents.v1-value`);
  let relay: Server | undefined;
  bed.closeAfter({ close: () => new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined))) });

  it('posts every document once the registry is back, and dead-letters none', async () => {
    const documents = Array.from({ length: 12 }, (_, index) =>
      sampleErpDocument('salesOrder', `REG-${index}`, { orderId: `order-${index % 4}` }),
    );
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      await Promise.all(documents.map(async (item) => ({ key: item.orderId, value: await codec.encode(item) }))),
    );
    const registry = new URL(settings.SCHEMA_REGISTRY_URL);
    const port = await freePort();
    const sink = await bed.start({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${registry.pathname}` });
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
