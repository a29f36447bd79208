import { ConsumedMessage, decodeHeaders } from '@hub/kafka';
import { Kafka } from 'kafkajs';
import { uniqueName } from './names';
import { waitFor } from './wait-for';

/** Every message on a topic right now, read from the beginning by a throw-away group. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ConsumedMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const wanted = new Map(
    offsets.map(({ partition, high, low }) => [partition, { high: BigInt(high), low: BigInt(low) }]),
  );
  const done = new Set([...wanted].filter(([, range]) => range.high === range.low).map(([partition]) => partition));
  const messages: ConsumedMessage[] = [];
  if (done.size === wanted.size) return messages;
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const range = wanted.get(partition)!;
      if (BigInt(message.offset) >= range.high) return;
      messages.push({
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers: decodeHeaders(message.headers),
        timestamp: message.timestamp,
      });
      if (BigInt(message.offset) + 1n >= range.high) done.add(partition);
    },
  });
  try {
    await waitFor(() => done.size === wanted.size, { timeoutMs, what: `all of ${topic}` });
  } finally {
    await consumer.disconnect();
  }
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
