import { Admin, Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { ConsumedMessage, toConsumed } from './hub-consumer';
import { whileRetriable } from './kafka-retriable';

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
  return readTopicFrom(kafka, topic, new Map(), onBatch, options);
}

/**
 * Reads a topic from the given offsets per partition (the low watermark where none
 * is given, or where the given one is below it) up to its end as of the call. Used
 * to move what a consumer group has not consumed yet, for example out of a retry
 * tier that is no longer configured.
 */
export async function readTopicFrom(
  kafka: Kafka,
  topic: string,
  from: Map<number, bigint>,
  onBatch: (messages: ConsumedMessage[]) => Promise<void>,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await fetchTopicOffsets(admin, topic).finally(() => admin.disconnect());
  const ranges = new Map<number, { from: bigint; to: bigint }>();
  for (const { partition, high, low } of offsets) {
    const start = [BigInt(low), from.get(partition) ?? 0n].reduce((a, b) => (a > b ? a : b));
    if (BigInt(high) > start) ranges.set(partition, { from: start, to: BigInt(high) });
  }
  let count = 0;
  await readRanges(
    kafka,
    topic,
    offsets.map(({ partition }) => partition),
    ranges,
    async (messages) => {
      await onBatch(messages);
      count += messages.length;
    },
    { timeoutMs: options.timeoutMs ?? 300_000, groupPrefix: options.groupPrefix ?? 'reader', what: `reading ${topic}` },
  );
  return count;
}

/**
 * Reads the messages at the given offsets of a topic (partition → offsets), with a
 * throw-away consumer group: each wanted partition is read from its lowest wanted
 * offset to its highest. Returns them in offset order per partition. Used to replay
 * one order's events, found through a projection.
 */
export async function readOffsets(
  kafka: Kafka,
  topic: string,
  wanted: Map<number, Set<string>>,
  options: { timeoutMs?: number; groupPrefix?: string } = {},
): Promise<ConsumedMessage[]> {
  const ranges = new Map<number, { from: bigint; to: bigint }>();
  for (const [partition, offsets] of wanted) {
    if (offsets.size === 0) continue;
    const sorted = [...offsets].map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    ranges.set(partition, { from: sorted[0], to: sorted[sorted.length - 1] + 1n });
  }
  if (ranges.size === 0) return [];
  const admin = kafka.admin();
  await admin.connect();
  const partitions = await fetchTopicOffsets(admin, topic).finally(() => admin.disconnect());
  const found: ConsumedMessage[] = [];
  await readRanges(
    kafka,
    topic,
    partitions.map(({ partition }) => partition),
    ranges,
    async (messages) =>
      void found.push(...messages.filter((message) => wanted.get(message.partition)!.has(message.offset))),
    {
      timeoutMs: options.timeoutMs ?? 120_000,
      groupPrefix: options.groupPrefix ?? 'offset-reader',
      what: `reading offsets of ${topic}`,
    },
  );
  return found.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}

/**
 * The reader under both: a throw-away consumer group reads each partition of
 * `ranges` from `from` up to `to` (exclusive) and pauses the others; `onBatch`
 * gets the messages of each batch inside the range, each message once. A failing
 * `onBatch`, or a consumer crash that kafkajs will not restart, ends the read with
 * its error.
 *
 * Positions are applied on every group join, never right after `run()`: kafkajs
 * restarts a consumer that crashed on a retriable error (a coordinator still
 * loading, a broker coming back) with a new group member, and in between `seek`
 * and `pause` throw "consumer group was not initialized". A restarted member
 * joins again, is sent back to what this read has not handed out yet, and any
 * message it is served twice is dropped by the per-partition progress.
 */
async function readRanges(
  kafka: Kafka,
  topic: string,
  partitions: number[],
  ranges: Map<number, { from: bigint; to: bigint }>,
  onBatch: (messages: ConsumedMessage[]) => Promise<void>,
  options: { timeoutMs: number; groupPrefix: string; what: string },
): Promise<void> {
  if (ranges.size === 0) return;
  const remaining = new Set(ranges.keys());
  /** Next offset to hand out per partition: what a restarted member must not repeat. */
  const next = new Map([...ranges].map(([partition, range]) => [partition, range.from]));
  let failure: Error | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const fail = (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
    finish();
  };
  const consumer = kafka.consumer({ groupId: `${options.groupPrefix}-${randomUUID()}`, maxWaitTimeInMs: 250 });
  const position = () =>
    quietly(() => {
      for (const partition of partitions) {
        if (remaining.has(partition)) consumer.seek({ topic, partition, offset: next.get(partition)!.toString() });
        else consumer.pause([{ topic, partitions: [partition] }]);
      }
    });
  const removeJoin = consumer.on(consumer.events.GROUP_JOIN, position);
  const removeCrash = consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) fail(new Error(`${options.what} failed: ${payload.error.message}`));
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition);
        if (!range || !remaining.has(batch.partition) || failure) return;
        const from = next.get(batch.partition)!;
        const messages = batch.messages
          .filter((message) => BigInt(message.offset) >= from && BigInt(message.offset) < range.to)
          .map((message) => toConsumed(topic, batch.partition, message));
        if (messages.length > 0) {
          try {
            await onBatch(messages);
          } catch (error) {
            fail(error);
            return;
          }
        }
        // Compaction and transaction markers leave gaps: the batch's last offset also counts.
        const last = messages.length ? BigInt(messages[messages.length - 1].offset) : -1n;
        const reached = [last + 1n, BigInt(batch.lastOffset()) + 1n, from].reduce((a, b) => (a > b ? a : b));
        next.set(batch.partition, reached);
        if (reached >= range.to) {
          remaining.delete(batch.partition);
          quietly(() => consumer.pause([{ topic, partitions: [batch.partition] }]));
        }
        if (remaining.size === 0) finish();
      },
    });
    await within(finished, options.timeoutMs, options.what);
  } finally {
    removeJoin();
    removeCrash();
    await consumer.disconnect();
  }
  if (failure) throw failure;
}

/**
 * Runs a seek or pause that kafkajs refuses only while a crashed member is being
 * replaced; the replacement's join positions it again, and the progress filter
 * drops what it re-reads.
 */
function quietly(action: () => void): void {
  try {
    action();
  } catch {
    return;
  }
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
  return whileRetriable(() => admin.fetchTopicOffsets(topic), { attempts, delayMs: 250 });
}

/**
 * How far a consumer group is behind: end offsets minus committed offsets, summed
 * over its topics' partitions (a partition it never committed counts from 0).
 */
export async function consumerGroupLag(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  let lag = 0;
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const { partition, high } of await fetchTopicOffsets(admin, topic)) {
      const committed = Number(partitions.find((item) => item.partition === partition)?.offset ?? -1);
      lag += Number(high) - Math.max(committed, 0);
    }
  }
  return lag;
}
