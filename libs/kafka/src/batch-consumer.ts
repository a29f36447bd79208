import { Consumer, ConsumerRunConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { ConsumedMessage, toConsumed } from './hub-consumer';
import { reviveOnCrash, Revival } from './consumer-revival';
import { whileRetriable } from './kafka-retriable';
import { PartitionRetry } from './partition-retry';

export type BatchHandler = (topic: string, partition: number, messages: ConsumedMessage[]) => Promise<void>;

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  partitionsConsumedConcurrently?: number;
  /** First pause after a failed batch; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Bytes fetched per partition per request: larger batches, fewer transactions. */
  maxBytesPerPartition?: number;
  sessionTimeoutMs?: number;
}

/**
 * A consumer for handlers that keep their own position: the handler gets a whole
 * batch of one partition and stores its outcome together with the offsets (the
 * reconciler's projections commit rows and offsets in one Postgres transaction).
 * Kafka offsets are committed afterwards only so that lag shows in Kafka's tools;
 * they never run ahead of what the handler stored, so a restart redelivers at most
 * what the handler already skips. A failed batch pauses its partition and is
 * fetched again after a growing delay.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly retry: PartitionRetry;
  private readonly revival: Revival;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 4_194_304,
      maxBytes: 4 * (options.maxBytesPerPartition ?? 4_194_304),
      maxWaitTimeInMs: 500,
      retry: { retries: 10 },
    });
    this.retry = new PartitionRetry(
      this.consumer,
      { baseMs: options.retryDelayMs ?? 500, maxMs: options.maxRetryDelayMs ?? 30_000, jitter: false },
      () => this.running,
    );
    this.revival = reviveOnCrash(this.consumer, () => this.runConfig(), logger.child({ groupId: options.groupId }));
  }

  /** Running, and not down after a crash kafkajs gave up on. */
  get isRunning(): boolean {
    return this.running && this.revival.alive;
  }

  async start(): Promise<void> {
    // A broker down for a restart refuses the connection for a while: a start waits it out (a minute).
    await whileRetriable(() => this.consumer.connect(), { attempts: 60, delayMs: 1_000 });
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.consumer.run(this.runConfig());
    this.running = true;
  }

  private runConfig(): ConsumerRunConfig {
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
        const { topic, partition } = batch;
        const messages: ConsumedMessage[] = batch.messages.map((message) => toConsumed(topic, partition, message));
        try {
          await this.options.handler(topic, partition, messages);
        } catch (error) {
          this.retryLater(topic, partition, messages[0].offset, error);
          return;
        }
        this.retry.succeeded(topic, partition);
        payload.resolveOffset(messages[messages.length - 1].offset);
        const next = (BigInt(messages[messages.length - 1].offset) + 1n).toString();
        await this.consumer
          .commitOffsets([{ topic, partition, offset: next }])
          .catch((error: unknown) => this.logger.warn({ err: error, topic, partition }, 'offset commit failed'));
        await payload.heartbeat();
      },
    };
  }

  /** Finishes the batch in hand, leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.revival.stop();
    this.retry.cancel();
    this.running = false;
    await this.consumer.disconnect();
  }

  private retryLater(topic: string, partition: number, offset: string, error: unknown): void {
    const { attempt, delayMs } = this.retry.schedule(topic, partition, offset);
    this.logger.warn(
      { err: error, topic, partition, offset, attempt, retryInMs: delayMs },
      'batch failed; it will be fetched again',
    );
  }
}
