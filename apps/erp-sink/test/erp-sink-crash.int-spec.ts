import { KafkaInfrastructure } from '@hub/kafka';
import {
  sampleErpDocument,
  spawnApp,
  dropSchema,
  testKafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
} from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';

describe('erp-sink killed with SIGKILL mid-stream', () => {
  const prefix = uniqueName('sinkcrash');
  const schema = uniqueName('erp_sink_crash');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  const emulator = new ErpEmulator({ concurrencyLimit: 4 });

  afterAll(async () => {
    await kafka.close();
    await emulator.close();
    await dropSchema(schema);
  });

  it('leaves exactly one ERP record per document after a restart, whatever was in flight', async () => {
    await kafka.connect(['erpDocuments', 'erpSyncStatus', 'erpDlq']);
    const erpUrl = await emulator.listen(0);
    // Slow ERP answers widen the window between the ERP's answer and the ledger write.
    emulator.setFaults({ latencyMs: 15, latencyJitterMs: 15 });
    const documents = Array.from({ length: 150 }, (_, index) =>
      sampleErpDocument('salesOrder', `K-${index}`, { orderId: `order-${index % 25}`, total: `${index}.00` }),
    );
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      documents.map((document) => ({ key: document.orderId, value: JSON.stringify(document) })),
    );
    const env = {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      DATABASE_SCHEMA: schema,
      NETSUITE_BASE_URL: `${erpUrl}/services/rest`,
      ERP_CONCURRENCY: '3',
      SINK_CONSUMER_GROUP: uniqueName('crash-group'),
      PORT: '0',
      SINK_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    };
    const first = spawnApp('erp-sink', [], env);
    await waitFor(() => emulator.records.size >= 40, { timeoutMs: 90_000, what: '40 documents posted' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(emulator.records.size).toBeLessThan(150);

    const second = spawnApp('erp-sink', [], env);
    try {
      await waitFor(() => emulator.records.size >= 150, { timeoutMs: 90_000, what: 'all documents posted' });
      for (const document of documents) expect(emulator.recordsWithExternalId(document.externalId)).toHaveLength(1);
      expect(emulator.records.size).toBe(150);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
