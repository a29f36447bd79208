import { CompressionTypes, Kafka, Message, Partitioners, Producer, RecordMetadata } from 'kafkajs';

/**
 * The idempotent producer every service writes through: acks from all in-sync
 * replicas, and one request in flight per broker, which kafkajs requires for
 * idempotence (so retries cannot reorder or duplicate a partition's messages).
 */
export class HubProducer {
  private readonly producer: Producer;
  private connected = false;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java-compatible murmur2 partitioning: the same key lands on the same partition as
      // with any other Kafka client, so tools and other producers agree with the hub.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
    this.producer.on(this.producer.events.CONNECT, () => {
      this.connected = true;
    });
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Resolves only when every message is acknowledged by all in-sync replicas. */
  async send(topic: string, messages: Message[], timeoutMs = 30_000): Promise<RecordMetadata[]> {
    return this.producer.send({ topic, messages, acks: -1, timeout: timeoutMs, compression: CompressionTypes.None });
  }

  /** Several topics in one request, for moves (a message to a retry topic plus its marker). */
  async sendBatch(
    topicMessages: { topic: string; messages: Message[] }[],
    timeoutMs = 30_000,
  ): Promise<RecordMetadata[]> {
    return this.producer.sendBatch({ topicMessages, acks: -1, timeout: timeoutMs });
  }

  async disconnect(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }
}
