import { HEADERS } from '@hub/contracts';
import { HubProducer } from '@hub/kafka';
import type { Logger } from 'pino';
import type { Kafka, Message, ProducerConfig, ProducerRecord, RecordMetadata } from 'kafkajs';

const PARTITIONS = [0, 1, 2].map((partitionId) => ({
  partitionErrorCode: 0,
  partitionId,
  leader: partitionId,
  replicas: [],
  isr: [],
  offlineReplicas: [],
}));

/**
 * A stand-in for kafkajs's producer that does what its sendMessages.js does with
 * the hub's partitioner (each message's partition from it), and answers each send
 * with `answer`: the acknowledgement per partition, as kafkajs returns it.
 */
function fakeKafka(answer: (call: number, partitions: number[]) => number[] | Error) {
  const calls: { messages: Message[]; partitions: number[] }[] = [];
  const producers: ProducerConfig[] = [];
  let active = 0;
  let maxActive = 0;
  const kafka = {
    producer(config: ProducerConfig) {
      producers.push(config);
      const partitioner = config.createPartitioner!();
      return {
        connect: async () => undefined,
        disconnect: async () => undefined,
        async send(record: ProducerRecord): Promise<RecordMetadata[]> {
          active += 1;
          maxActive = Math.max(maxActive, active);
          try {
            const partitions = record.messages.map((message) =>
              partitioner({ topic: record.topic, partitionMetadata: PARTITIONS, message }),
            );
            calls.push({ messages: record.messages, partitions });
            await new Promise((resolve) => setTimeout(resolve, 5));
            const acked = answer(calls.length, [...new Set(partitions)]);
            if (acked instanceof Error) throw acked;
            return acked.map((partition) => ({ topicName: record.topic, partition, errorCode: 0 }));
          } finally {
            active -= 1;
          }
        },
      };
    },
  } as unknown as Kafka;
  return { kafka, calls, producers, maxActive: () => maxActive };
}

const messages = (count: number): Message[] =>
  Array.from({ length: count }, (_, index) => ({ key: `order-${index}`, value: `event ${index}` }));

describe('HubProducer', () => {
  it("sends again the messages of a partition kafkajs left out of its acknowledgement, and only those (a retry's partition moved to a broker that had answered)", async () => {
    // The first send is acknowledged for every partition but the first one it used.
    const fake = fakeKafka((call, partitions) => (call === 1 ? partitions.slice(1) : partitions));
    const logger = { warn: jest.fn() };
    const producer = new HubProducer(fake.kafka, logger as unknown as Logger);
    const sent = messages(12);

    const metadata = await producer.send('events', sent);

    expect(fake.calls).toHaveLength(2);
    const [first, second] = fake.calls;
    const leftOut = first.partitions[0];
    const expected = sent.filter((_, index) => first.partitions[index] === leftOut);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(sent.length);
    expect(second.messages.map(({ key, value }) => ({ key, value }))).toEqual(expected);
    // Every message carries its own send id, the same in the resend: two copies on the topic show as one write made twice.
    const sendIds = (call: { messages: { headers?: Record<string, unknown> }[] }) =>
      call.messages.map((message) => message.headers?.[HEADERS.sendId]);
    expect(new Set(sendIds(first)).size).toBe(sent.length);
    expect(sendIds(second)).toEqual(sendIds(first).filter((_, index) => first.partitions[index] === leftOut));
    expect(second.partitions.every((partition) => partition === leftOut)).toBe(true);
    expect(new Set(metadata.map((item) => item.partition))).toEqual(new Set(first.partitions));
    expect(producer.resent).toBe(expected.length);
    // Not silent: the operator sees what kafkajs left out.
    expect(logger.warn).toHaveBeenCalledWith(
      { topic: 'events', messages: expected.length, partitions: [leftOut] },
      expect.stringContaining('without some of its partitions'),
    );
    // Through the same producer: unchanged sequences make a batch written after all a duplicate.
    expect(fake.producers).toHaveLength(1);
  });

  it('fails the send when a partition is never acknowledged, and the next send goes through a new producer', async () => {
    const fake = fakeKafka((call, partitions) =>
      call <= 5 ? partitions.filter((partition) => partition !== 0) : partitions,
    );
    const producer = new HubProducer(fake.kafka);
    const sent = messages(12);

    await expect(producer.send('events', sent)).rejects.toThrow(/without the partitions of the others/);
    expect(fake.calls).toHaveLength(5);

    await producer.send('events', sent.slice(0, 1));
    expect(fake.producers).toHaveLength(2);
    expect(producer.replacements).toBe(1);
  });

  it('runs one send at a time, and a failed one does not stop the next', async () => {
    const fake = fakeKafka((call, partitions) => (call === 1 ? new Error('the broker went away') : partitions));
    const producer = new HubProducer(fake.kafka);

    const results = await Promise.allSettled([
      producer.send('events', messages(3)),
      producer.send('events', messages(3)),
      producer.send('events', messages(3)),
    ]);

    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(fake.maxActive()).toBe(1);
    // The failed send's producer is replaced before the next send.
    expect(fake.producers).toHaveLength(2);
  });
});
