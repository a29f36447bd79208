import { KafkaInfrastructure } from '@hub/kafka';
import {
  dropSchema,
  sampleErpDocument,
  ServiceUnderTest,
  startServiceForTest,
  testKafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
} from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';

/**
 * The ERP's whole concurrency from one partition: documents of different orders
 * are posted at once (up to ERP_CONCURRENCY, never more), documents of one order
 * one after the other, in order.
 */
describe('erp-sink: key-level parallelism', () => {
  const prefix = uniqueName('sink_keys');
  const schema = uniqueName('erp_sink');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  const emulator = new ErpEmulator({ concurrencyLimit: 50 });
  let sink: ServiceUnderTest | undefined;

  afterAll(async () => {
    await sink?.close();
    await kafka.close();
    await emulator.close();
    await dropSchema(schema);
  });

  it('fills ERP_CONCURRENCY from a single partition and keeps each order in order', async () => {
    await kafka.connect(['erpDocuments', 'erpSyncStatus', 'erpDlq']);
    sink = await startServiceForTest(erpSinkService, {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KAFKA_TOPIC_PARTITIONS: '1',
      DATABASE_SCHEMA: schema,
      NETSUITE_BASE_URL: `${await emulator.listen(0)}/services/rest`,
      SINK_CONSUMER_GROUP: uniqueName('sink-group'),
      ERP_CONCURRENCY: '6',
    });
    emulator.setFaults({ latencyMs: 300 });
    // 12 orders with two documents each: a sale, then an appeasement that depends on it.
    const pairs = Array.from({ length: 12 }, (_, index) => {
      const orderId = `order-keys-${index}`;
      const sale = sampleErpDocument('salesOrder', `SO-K-${index}`, { orderId });
      const refund = sampleErpDocument('cashRefund', `AP-K-${index}`, {
        orderId,
        dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'salesOrder', externalId: sale.externalId },
      });
      return { sale, refund };
    });
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      pairs
        .flatMap(({ sale, refund }) => [sale, refund])
        .map((item) => ({ key: item.orderId, value: JSON.stringify(item) })),
    );
    await waitFor(() => emulator.records.size === 24, { what: 'every document posted', timeoutMs: 60_000 });
    expect(emulator.peakConcurrency).toBe(6);
    expect(emulator.peakAttempted).toBeLessThanOrEqual(6);
    for (const { sale, refund } of pairs) {
      const [posted] = emulator.recordsWithExternalId(sale.externalId);
      const [after] = emulator.recordsWithExternalId(refund.externalId);
      expect(after.createdAt >= posted.createdAt).toBe(true);
      expect([posted.writes, after.writes]).toEqual([1, 1]);
    }
  });
});
