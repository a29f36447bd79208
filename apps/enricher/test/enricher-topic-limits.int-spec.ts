import { HEADERS } from '@hub/contracts';
import { ensurePhysicalTopics } from '@hub/kafka';
import { NewStoreEnvelope } from '@hub/newstore';
import { eventRecordOf, readTopic, waitFor } from '@hub/testing';
import { ConfigResourceTypes } from 'kafkajs';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { enricherTestbed } from './enricher-testbed';

/**
 * The enricher against what its topics allow: a document larger than the broker
 * takes (dead-lettered with its size, the partition going on) and a retry tier
 * left behind by a change of configuration (drained at start-up).
 */
/** A block's enricher testbed: a small emulated day of its own (all visible in GraphQL at once). */
const isolatedEnricher = (name: string, seed: number, partitions = 3) =>
  enricherTestbed(name, {
    newStore: { day: { tenant: 'acme', date: '2024-01-02', orders: 50, seed } },
    partitions,
  });

describe('enricher: a document larger than the broker accepts', () => {
  const bed = isolatedEnricher('enrich_large', 37);
  const { kafka, emulator } = bed;

  it('dead-letters the event with the size in the reason, and the partition goes on', async () => {
    // The documents topic takes at most 3,000 bytes per message (its other settings kept as declared).
    await kafka.admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: kafka.topics.erpDocuments,
          configEntries: [
            { name: 'cleanup.policy', value: 'delete' },
            { name: 'retention.ms', value: '-1' },
            { name: 'max.message.bytes', value: '3000' },
          ],
        },
      ],
    });
    await bed.start({ ENRICHER_RETRY_TIERS_MS: '300,600' });
    const small = emulator.store.order(2);
    // A blind return of 60 items: its document is far above 3,000 bytes.
    const huge: NewStoreEnvelope = {
      tenant: 'acme',
      name: 'return.processed',
      payload: {
        id: 'r-huge',
        returned_at: '2024-01-02T12:00:00Z',
        total_refund_amount: 60,
        total_refund_tax: 0,
        currency: 'USD',
        items: Array.from({ length: 60 }, (_, index) => ({
          id: `item-${index}-${'x'.repeat(20)}`,
          product_id: `product-${index}`,
          quantity: 1,
          refund_amount: 1,
          refund_tax: 0,
        })),
      },
    };
    await kafka.producer.send(kafka.topics.newstoreEvents, [
      eventRecordOf(huge),
      eventRecordOf(eventsOfOrder(small, 'acme')[0].envelope),
    ]);
    const [dead] = await waitFor(
      async () => {
        const messages = (await readTopic(kafka.kafka, kafka.topics.enricherDlq)).filter((m) => m.key === 'r-huge');
        return messages.length > 0 && messages;
      },
      { what: 'the oversized document dead-lettered', timeoutMs: 30_000 },
    );
    expect(dead.headers[HEADERS.dlqReason]).toMatch(/document of \d+ bytes is larger than the broker accepts/);
    await waitFor(
      async () => (await readTopic(kafka.kafka, kafka.topics.erpDocuments)).some((m) => m.key === small.id),
      { what: 'the next event enriched', timeoutMs: 30_000 },
    );
  });
});

describe('enricher: retry tiers that are no longer configured', () => {
  const bed = isolatedEnricher('enrich_tiers', 35, 2);
  const { prefix, kafka, emulator, codec } = bed;

  it('moves the messages of a removed tier into a configured one at start-up, and deletes the old topic', async () => {
    const removed = `${prefix}.enricher.retry.50ms.v1`;
    // Made as the services make their topics: a creation whose leaders are not known yet is looked at again.
    await ensurePhysicalTopics(kafka.admin, [{ name: removed, cleanupPolicy: 'delete', retentionMs: 86_400_000 }], {
      partitions: 2,
      replicationFactor: 1,
      create: true,
    });
    const order = emulator.store.order(3);
    const record = eventRecordOf(eventsOfOrder(order, 'acme')[0].envelope);
    // Left in the 50 ms tier when the tiers were changed to 300, 600, 1200 ms.
    await kafka.producer.send(removed, [
      {
        key: record.key,
        value: record.value,
        headers: {
          ...record.headers,
          [HEADERS.attempt]: '1',
          [HEADERS.firstSeenAt]: new Date().toISOString(),
          [HEADERS.dueAt]: new Date().toISOString(),
          [HEADERS.lastError]: 'order not in NewStore GraphQL yet',
        },
      },
    ]);
    await bed.start({ ENRICHER_RETRY_TIERS_MS: '300,600,1200' });
    const [document] = await waitFor(
      async () => {
        const messages = (await readTopic(kafka.kafka, kafka.topics.erpDocuments)).filter(
          (message) => message.key === order.id,
        );
        return messages.length > 0 && Promise.all(messages.map((message) => codec.decode(message.value)));
      },
      { what: 'the document of the event left in the removed tier', timeoutMs: 30_000 },
    );
    expect(document).toMatchObject({ orderId: order.id, source: { eventName: 'order.opened' } });
    expect(await kafka.admin.listTopics()).not.toContain(removed);
    expect(await kafka.admin.listTopics()).toContain(`${prefix}.enricher.retry.300ms.v1`);
  });
});
