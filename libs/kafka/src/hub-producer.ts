import { HEADERS } from '@hub/contracts';
import { CompressionTypes, Kafka, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';

/** How often a send's unacknowledged partitions are sent again before the send fails. */
const MAX_ROUNDS = 5;

/**
 * The idempotent producer every service writes through: acks from all in-sync
 * replicas, and one request in flight per broker, which kafkajs requires for
 * idempotence (so retries cannot reorder or duplicate a partition's messages).
 * Three defects of kafkajs 2.2.4 that lose acknowledged messages are worked around:
 *
 * 1. **A failed send's sequence numbers.** kafkajs rolls a partition's sequence
 *    number back when a request fails; if the broker had in fact appended that
 *    batch, the next batch of the same size would reuse its sequence, be
 *    acknowledged as a duplicate and never be written: a 200 for an event that was
 *    never stored. So after any failed send the producer is thrown away and the
 *    next send goes through a fresh one (a new producer id, new sequences).
 * 2. **Concurrent sends.** The same roll-back happens inside one send, before
 *    kafkajs retries it; a second send waiting for that broker would take the
 *    rolled-back sequence in between. So one producer runs one send at a time.
 * 3. **Partitions left out of a retry.** A send that spans several brokers keeps
 *    each broker's answer across its retries (`responsePerBroker` in kafkajs's
 *    sendMessages.js; kafkajs pull request #1798). When one broker fails and its
 *    partitions' leadership moves to a broker that had already answered, the retry
 *    sends them to no one and the send resolves: those messages were never written
 *    (the chaos run lost an order.opened so during a broker restart). So every
 *    message's partition is noted as kafkajs assigns it, and the messages of a
 *    partition missing from the acknowledgement are sent again, through the same
 *    producer: if they had been written after all, their unchanged sequence makes
 *    the broker answer "duplicate" instead of writing them twice.
 */
export class HubProducer {
  private producer: Producer;
  /** Set by a failed send: the next send first replaces the producer. */
  private stale = false;
  private replacing: Promise<void> | undefined;
  /** How many times the producer was replaced after a failure (for tests and metrics). */
  replacements = 0;
  /** Messages kafkajs acknowledged without writing their partition, and sent again (for tests and logs). */
  resent = 0;
  /** Told of each resend, for a metric (`parity_kafka_messages_resent_total`). */
  onResent: ((topic: string, messages: number) => void) | undefined;
  /** The partition kafkajs's partitioner gave each message of the send in progress. */
  private readonly partitionOf = new WeakMap<Message, number>();
  /** The end of the send in progress: the next one starts after it (defect 2 above). */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly kafka: Kafka,
    /** Where a send's unacknowledged partitions are reported as they are sent again. */
    private readonly logger?: Logger,
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning: the same key lands on the same partition as
      // with any other Kafka client, so tools and other producers agree with the hub.
      // Each message's partition is noted, to check that its partition was acknowledged.
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner();
        return (args) => {
          const partition = partitioner(args);
          this.partitionOf.set(args.message, partition);
          return partition;
        };
      },
    });
    return producer;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /**
   * Resolves only when every message's partition is acknowledged by all in-sync
   * replicas; one send at a time.
   */
  async send(topic: string, messages: Message[], timeoutMs = 30_000): Promise<RecordMetadata[]> {
    const run = this.tail.then(() => this.sendAll(topic, messages, timeoutMs));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async sendAll(topic: string, messages: Message[], timeoutMs: number): Promise<RecordMetadata[]> {
    const acknowledged: RecordMetadata[] = [];
    // Each message's send id (HEADERS.sendId): a copy kafkajs writes twice shows as such on the topic.
    let pending = messages.map((message) => ({
      ...message,
      headers: { ...message.headers, [HEADERS.sendId]: randomUUID() },
    }));
    for (let round = 1; ; round += 1) {
      const metadata = await this.guarded((producer) =>
        producer.send({ topic, messages: pending, acks: -1, timeout: timeoutMs, compression: CompressionTypes.None }),
      );
      acknowledged.push(...metadata);
      const written = new Set(metadata.filter((item) => item.errorCode === 0).map((item) => item.partition));
      const left = pending.filter((message) => !written.has(this.partitionOf.get(message) ?? -1));
      if (left.length === 0) return acknowledged;
      if (round === MAX_ROUNDS) {
        this.stale = true;
        throw new Error(
          `Kafka acknowledged ${pending.length - left.length} of ${pending.length} messages to ${topic} ${MAX_ROUNDS} times without the partitions of the others`,
        );
      }
      this.resent += left.length;
      this.onResent?.(topic, left.length);
      this.logger?.warn(
        {
          topic,
          messages: left.length,
          partitions: [...new Set(left.map((message) => this.partitionOf.get(message)))],
        },
        'Kafka acknowledged a send without some of its partitions (kafkajs, a leader moved during a retry); sending those again',
      );
      pending = left;
    }
  }

  async disconnect(): Promise<void> {
    await this.replacing?.catch(() => undefined);
    await this.producer.disconnect();
  }

  private async guarded(send: (producer: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    if (this.stale) await this.replace();
    const producer = this.producer;
    try {
      return await send(producer);
    } catch (error) {
      // Only the producer that failed is marked: a send through an already replaced one changes nothing.
      if (producer === this.producer) this.stale = true;
      throw error;
    }
  }

  /** One replacement at a time: concurrent senders wait for the same new producer. */
  private replace(): Promise<void> {
    this.replacing ??= (async () => {
      const old = this.producer;
      this.producer = this.create();
      await old.disconnect().catch(() => undefined);
      await this.producer.connect();
      this.stale = false;
      this.replacements += 1;
    })().finally(() => {
      this.replacing = undefined;
    });
    return this.replacing;
  }
}

/** Whether a send failed because a message is larger than the broker accepts (no retry can change that). */
export function isMessageTooLarge(error: unknown): boolean {
  for (let cause = error as { type?: unknown; cause?: unknown } | undefined; cause; cause = cause.cause as typeof cause)
    if (cause.type === 'MESSAGE_TOO_LARGE' || cause.type === 'RECORD_LIST_TOO_LARGE') return true;
  return false;
}
