import { CompressionTypes, Kafka, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';

/**
 * The idempotent producer every service writes through: acks from all in-sync
 * replicas, and one request in flight per broker, which kafkajs requires for
 * idempotence (so retries cannot reorder or duplicate a partition's messages).
 *
 * After any failed send the producer is thrown away and the next send goes through
 * a fresh one (a new producer id). kafkajs rolls a partition's sequence number back
 * when a batch fails; if the broker had in fact appended that batch, the next batch
 * of the same size would reuse its sequence, be acknowledged as a duplicate and
 * never be written: a 200 for an event that was never stored. A new producer id
 * starts new sequences, so that cannot happen.
 */
export class HubProducer {
  private producer: Producer;
  /** Set by a failed send: the next send first replaces the producer. */
  private stale = false;
  private replacing: Promise<void> | undefined;
  /** How many times the producer was replaced after a failure (for tests and metrics). */
  replacements = 0;

  constructor(private readonly kafka: Kafka) {
    this.producer = this.create();
  }

  private create(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning: the same key lands on the same partition as
      // with any other Kafka client, so tools and other producers agree with the hub.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    return producer;
  }

  async connect(): Promise<void> {
    await this.producer.connect();
  }

  /** Resolves only when every message is acknowledged by all in-sync replicas. */
  async send(topic: string, messages: Message[], timeoutMs = 30_000): Promise<RecordMetadata[]> {
    return this.guarded((producer) =>
      producer.send({ topic, messages, acks: -1, timeout: timeoutMs, compression: CompressionTypes.None }),
    );
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
