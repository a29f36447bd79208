import { sampleErpDocument, waitFor } from '@hub/testing';
import { sinkTestbed } from './sink-testbed';

/**
 * The ERP's whole concurrency from one partition: documents of different orders
 * are posted at once (up to ERP_CONCURRENCY, never more), documents of one order
 * one after the other, in order.
 */
describe('erp-sink: key-level parallelism', () => {
  const bed = sinkTestbed('sink_keys', { partitions: 1, erp: { concurrencyLimit: 50 }, env: { ERP_CONCURRENCY: '6' } });
  const { kafka, emulator } = bed;

  it('fills ERP_CONCURRENCY from a single partition and keeps each order in order', async () => {
    await bed.start();
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
