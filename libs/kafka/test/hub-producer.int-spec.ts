import { HubProducer, isMessageTooLarge } from '@hub/kafka';
import { readTopic, testbed } from '@hub/testing';

/**
 * The idempotent producer after a failed send: kafkajs rolls a partition's
 * sequence back, so the hub never sends again through that producer. The next
 * send goes through a new one (a new producer id), and what it sends is stored.
 */
describe('HubProducer after a failed send', () => {
  const bed = testbed('producer', { topics: ['newstoreEvents'] });
  const infra = bed.kafka;
  let producer: HubProducer;

  beforeAll(async () => {
    producer = new HubProducer(infra.kafka);
    await producer.connect();
    bed.closeAfter({ close: () => producer.disconnect() });
  });

  it('replaces itself before the next send, and every acknowledged message is on the topic once', async () => {
    const topic = infra.topics.newstoreEvents;
    await producer.send(topic, [{ key: 'order-1', value: 'before' }]);
    // Larger than the broker's max.message.bytes (1 MiB by default): refused, whatever the retries.
    const refused = await producer
      .send(topic, [{ key: 'order-1', value: Buffer.alloc(1_200_000, 120) }])
      .catch((error: unknown) => error);
    expect(isMessageTooLarge(refused)).toBe(true);
    expect(producer.replacements).toBe(0);
    await producer.send(topic, [{ key: 'order-1', value: 'after-1' }]);
    await producer.send(topic, [{ key: 'order-1', value: 'after-2' }]);
    expect(producer.replacements).toBe(1);
    const stored = (await readTopic(infra.kafka, topic)).map((message) => message.value?.toString('utf8'));
    expect(stored).toEqual(['before', 'after-1', 'after-2']);
  });
});
