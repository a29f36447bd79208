import { ConsumedMessage, readTopicToEnd } from '@hub/kafka';
import { Kafka } from 'kafkajs';

/** Every message on a topic right now, sorted by partition and offset. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30_000): Promise<ConsumedMessage[]> {
  const messages: ConsumedMessage[] = [];
  await readTopicToEnd(kafka, topic, async (batch) => void messages.push(...batch), {
    timeoutMs,
    groupPrefix: 'test-reader',
  });
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
