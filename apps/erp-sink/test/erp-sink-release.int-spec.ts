import { readTopic, sampleErpDocument, waitFor } from '@hub/testing';
import { IdempotencyLedgerRepository } from '../src/idempotency-ledger.repository';
import { WaitingDocumentsRepository } from '../src/waiting-documents.repository';
import { sinkTestbed } from './sink-testbed';

/**
 * Parked documents released by two sinks at once: each instance sweeps every
 * 50 ms and releases the dependents of what it posts, while the ERP answers in
 * 500 ms. One order's release runs under one lock, so each parked document is
 * written to the ERP once, and no late answer turns into a false failure.
 */
describe('erp-sink: two instances releasing parked documents', () => {
  const bed = sinkTestbed('sink_release', {
    partitions: 4,
    erp: { concurrencyLimit: 50 },
    env: { SINK_WAITING_SWEEP_MS: '50', ERP_CONCURRENCY: '4', ERP_RETRY_BASE_MS: '100' },
  });
  const { kafka, emulator } = bed;

  it('writes each parked credit memo once, and dead-letters nothing', async () => {
    await bed.start();
    await bed.start();
    emulator.setFaults({ latencyMs: 500 });
    const orders = Array.from({ length: 8 }, (_, index) => `order-release-${index}`);
    const pairs = orders.map((orderId) => {
      const sale = sampleErpDocument('salesOrder', `SO-${orderId}`, { orderId });
      const memo = sampleErpDocument('creditMemo', `CM-${orderId}`, {
        orderId,
        dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'salesOrder', externalId: sale.externalId },
      });
      return { sale, memo };
    });
    // Each credit memo before its sales order: it is parked, then released once the sale is posted.
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      pairs
        .flatMap(({ sale, memo }) => [memo, sale])
        .map((item) => ({ key: item.orderId, value: JSON.stringify(item) })),
    );
    await waitFor(() => pairs.every(({ memo }) => emulator.recordsWithExternalId(memo.externalId).length > 0), {
      what: 'every credit memo posted',
      timeoutMs: 60_000,
    });
    // Nothing parked any more: a second release checks, under the order's lock, that its document is
    // still parked before it writes, so none can write after this; the counts are final.
    await waitFor(async () => (await bed.sinks[0].app.get(WaitingDocumentsRepository).all()).length === 0, {
      what: 'no document parked',
    });
    for (const { sale, memo } of pairs) {
      expect(emulator.recordsWithExternalId(sale.externalId).map((record) => record.writes)).toEqual([1]);
      expect(emulator.recordsWithExternalId(memo.externalId).map((record) => record.writes)).toEqual([1]);
    }
    expect(await readTopic(kafka.kafka, kafka.topics.erpDlq)).toHaveLength(0);
  });

  // Issue 26, item 10: the consumer path took no lock, so a copy read from the topic while a
  // sweep released the parked one was written to the ERP twice.
  it('writes a document once when a copy arrives on the topic while a sweep releases the parked one', async () => {
    const sink = bed.sinks[0];
    const orderId = 'order-copy-during-release';
    const sale = sampleErpDocument('salesOrder', `SO-${orderId}`, { orderId });
    const memo = sampleErpDocument('creditMemo', `CM-${orderId}`, {
      orderId,
      dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'salesOrder', externalId: sale.externalId },
    });
    emulator.setFaults({ latencyMs: 0 });
    await kafka.producer.send(kafka.topics.erpDocuments, [{ key: orderId, value: JSON.stringify(sale) }]);
    await waitFor(() => emulator.recordsWithExternalId(sale.externalId).length > 0, { what: 'the sale posted' });
    // A parked copy whose release was cut short (the sink died between posting the sale and
    // releasing its dependants): the next sweep releases it, while a copy arrives on the topic.
    emulator.setFaults({ latencyMs: 800 });
    await sink.app.get(WaitingDocumentsRepository).park(memo.idempotencyKey, sale.idempotencyKey, orderId, {
      topic: kafka.topics.erpDocuments,
      partition: 0,
      offset: '0',
      key: orderId,
      value: Buffer.from(JSON.stringify(memo)),
      headers: {},
      timestamp: String(Date.now()),
    });
    // After the copy, on the same key (so handled after it): once it is posted, the copy was handled.
    const marker = sampleErpDocument('salesOrder', `SO-${orderId}-next`, { orderId });
    await kafka.producer.send(kafka.topics.erpDocuments, [
      { key: orderId, value: JSON.stringify(memo) },
      { key: orderId, value: JSON.stringify(marker) },
    ]);
    await waitFor(() => emulator.recordsWithExternalId(marker.externalId).length > 0, { what: 'the copy handled' });
    await waitFor(async () => !(await sink.app.get(WaitingDocumentsRepository).isWaiting(memo.idempotencyKey)), {
      what: 'the parked copy released',
    });
    expect(emulator.recordsWithExternalId(memo.externalId).map((record) => record.writes)).toEqual([1]);
    expect(await sink.app.get(IdempotencyLedgerRepository).find(memo.idempotencyKey)).toMatchObject({
      status: 'posted',
      attempts: 1,
    });
    expect(await readTopic(kafka.kafka, kafka.topics.erpDlq)).toHaveLength(0);
  });
});
