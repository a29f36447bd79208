import { DelayRetryTopics } from '@hub/kafka';
import { eventRecordOf, readTopic, waitFor, waitForQuiescence, ServiceUnderTest } from '@hub/testing';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { enricherTestbed } from './enricher-testbed';

describe('enricher: a second instance joins while retry partitions are paused', () => {
  const bed = enricherTestbed('rebalance', {
    newStore: {
      day: { tenant: 'acme', date: '2024-01-02', orders: 60, seed: 33 },
      visibility: 'published',
      lag: { timeScale: 1, paymentExtraMs: 0 },
    },
    env: { ENRICHER_RETRY_TIERS_MS: '2500,2500,2500,2500', ENRICHER_SESSION_TIMEOUT_MS: '10000' },
  });
  const { emulator, kafka, codec } = bed;

  it('loses and duplicates nothing', async () => {
    const env = bed.env;
    const instances = [await bed.start()];
    const orders = Array.from({ length: 12 }, (_, index) => emulator.store.order(index)).filter(
      (order) => !order.isHistorical,
    );
    for (const order of orders) {
      // Visible 3 s after publication: every first attempt goes to the 2.5 s tier and waits, paused.
      emulator.store.setLag(order.id, 3_000);
      emulator.store.markOrderPublished(order);
      await kafka.producer.send(kafka.topics.newstoreEvents, [eventRecordOf(eventsOfOrder(order, 'acme')[0].envelope)]);
    }
    const metrics = async (instance: ServiceUnderTest) => (await fetch(`${instance.url}/metrics`)).text();
    await waitFor(
      async () => new RegExp(`outcome="retried"[^}]*\\} ${orders.length}\\b`).test(await metrics(instances[0])),
      { what: 'all events in retry' },
    );

    instances.push(await bed.start());

    const documentsByOrder = async () => {
      const counts = new Map<string, number>();
      for (const message of await readTopic(kafka.kafka, kafka.topics.erpDocuments)) {
        const document = await codec.decode(message.value);
        counts.set(document.orderId, (counts.get(document.orderId) ?? 0) + 1);
      }
      return counts;
    };
    await waitFor(async () => (await documentsByOrder()).size === orders.length, {
      what: 'a document for every order',
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    // Every event on the raw topic (and every retry copy) handled and committed: the counts are final.
    await waitForQuiescence(kafka.kafka, env.ENRICHER_CONSUMER_GROUP, [kafka.topics.newstoreEvents]);
    await waitForQuiescence(
      kafka.kafka,
      `${env.ENRICHER_CONSUMER_GROUP}-retry`,
      instances[0].app.get(DelayRetryTopics, { strict: false }).topics,
    );
    const counts = await documentsByOrder();
    for (const order of orders) expect(counts.get(order.id)).toBe(1);
  });
});
