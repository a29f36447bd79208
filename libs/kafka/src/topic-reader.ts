import { Admin, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { ConsumedMessage, toConsumed } from './hub-consumer';

/**
 * Reads a topic from the beginning up to its end as of the call, in batches, with
 * a throw-away consumer group (nothing is committed). Used to rebuild derived
 * state (the sink's ledger from erp.sync-status.v1) and to replay a DLQ.
 */
export async function readTopicToEnd(
  kafka: Kafka,
  topic: string,
  onBatch: (messages: ConsumedMessage[]) => Promise<void>,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await fetchTopicOffsets(admin, topic).finally(() => admin.disconnect());
  const end = new Map(offsets.map(({ partition, high, low }) => [partition, { high: BigInt(high), low: BigInt(low) }]));
  const remaining = new Set([...end].filter(([, range]) => range.high > range.low).map(([partition]) => partition));
  if (remaining.size === 0) return 0;
  let count = 0;
  let failure: Error | undefined;
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix ?? 'reader'}-${randomUUID()}`,
    maxWaitTimeInMs: 250,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = end.get(batch.partition)!;
        const messages = batch.messages
          .filter((message) => BigInt(message.offset) < range.high)
          .map((message) => toConsumed(topic, batch.partition, message));
        if (messages.length > 0) {
          try {
            await onBatch(messages);
          } catch (error) {
            failure ??= error instanceof Error ? error : new Error(String(error));
            finish();
            return;
          }
          count += messages.length;
        }
        const last = messages.length ? BigInt(messages[messages.length - 1].offset) : -1n;
        if (last + 1n >= range.high || BigInt(batch.lastOffset()) + 1n >= range.high) remaining.delete(batch.partition);
        if (remaining.size === 0) finish();
      },
    });
    await within(finished, options.timeoutMs ?? 300_000, `reading ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  if (failure) throw failure;
  return count;
}

/**
 * Reads the messages at the given offsets of a topic (partition → offsets), with a
 * throw-away consumer group: each wanted partition is read from its lowest wanted
 * offset to its highest, the others are paused. Returns them in offset order per
 * partition. Used to replay one order's events, found through a projection.
 */
export async function readOffsets(
  kafka: Kafka,
  topic: string,
  wanted: Map<number, Set<string>>,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<ConsumedMessage[]> {
  const targets = [...wanted].filter(([, offsets]) => offsets.size > 0);
  if (targets.length === 0) return [];
  const bounds = new Map(
    targets.map(([partition, offsets]) => {
      const sorted = [...offsets].map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return [partition, { low: sorted[0], high: sorted[sorted.length - 1] }];
    }),
  );
  const admin = kafka.admin();
  await admin.connect();
  const partitions = await fetchTopicOffsets(admin, topic).finally(() => admin.disconnect());
  const found: ConsumedMessage[] = [];
  const remaining = new Set(bounds.keys());
  const consumer = kafka.consumer({
    groupId: `${options.groupPrefix ?? 'offset-reader'}-${randomUUID()}`,
    maxWaitTimeInMs: 250,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = bounds.get(batch.partition);
        if (!range) return;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset > range.high) break;
          if (wanted.get(batch.partition)!.has(message.offset)) {
            found.push(toConsumed(topic, batch.partition, message));
          }
        }
        if (BigInt(batch.lastOffset()) >= range.high) {
          remaining.delete(batch.partition);
          consumer.pause([{ topic, partitions: [batch.partition] }]);
        }
        if (remaining.size === 0) finish();
      },
    });
    for (const { partition } of partitions) {
      const range = bounds.get(partition);
      if (range) consumer.seek({ topic, partition, offset: range.low.toString() });
      else consumer.pause([{ topic, partitions: [partition] }]);
    }
    await within(finished, options.timeoutMs ?? 120_000, `reading offsets of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return found.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}

/** Waits for `done`, failing with a message after `timeoutMs`. */
async function within(done: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * A topic's offsets per partition. Right after a topic is created its partitions may
 * not have a leader yet ("not the leader for that topic-partition"): such retriable
 * answers are retried for a few seconds instead of failing a service's start.
 */
export async function fetchTopicOffsets(admin: Admin, topic: string, attempts = 20) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
