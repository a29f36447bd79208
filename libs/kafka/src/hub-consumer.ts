import { Consumer, ConsumerRunConfig, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { ConcurrencyLimit } from './concurrency-limit';
import { reviveOnCrash, Revival } from './consumer-revival';
import { whileRetriable } from './kafka-retriable';
import { PartitionRetry, PartitionRetrySettings, retryDelayMs } from './partition-retry';

/** A message as handlers see it: headers decoded to strings, positions explicit. */
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export type MessageHandler = (message: ConsumedMessage) => Promise<void>;

export interface HubConsumerOptions {
  /** One consumer group per subscription set. */
  groupId: string;
  topics: string[];
  handler: MessageHandler;
  /** Where a group with no committed offset starts. */
  fromBeginning?: boolean;
  /** How many partitions are handled at once; order within a partition is always kept. */
  partitionsConsumedConcurrently?: number;
  /** First pause after a handler failure; doubles up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** A handler's error may ask for a longer pause (an ERP's Retry-After); the larger wins. */
  minimumRetryDelayMs?: (error: unknown) => number | undefined;
  /**
   * A handler's error may prescribe its pause (an ERP's 429 with Retry-After: its
   * concurrency limit, not a failure): used instead of the back-off, which does not grow.
   */
  prescribedRetryDelayMs?: (error: unknown) => number | undefined;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  maxWaitTimeMs?: number;
  /** Handled offsets are committed at least this often, and at the end of every batch. */
  commitIntervalMs?: number;
  /** Called after each outcome, for metrics. */
  onOutcome?: (outcome: 'handled' | 'failed', message: ConsumedMessage, durationMs: number) => void;
  /**
   * Key-level parallelism (in the manner of Confluent's Parallel Consumer, KEY
   * order): the messages of a batch with different keys are handled at once, those
   * of one key strictly in order, at most `limit` handlers at once across all
   * partitions. A failed message is retried in place, within its key's lane, while
   * the other keys go on (so one order's 500 or 429 does not hold up its partition),
   * for at most `keyRetryBudgetMs` from the start of the batch. A message still
   * failing then ends its lane; when the other lanes are done, the highest offset
   * below which every message is done is committed and the partition is rewound to
   * the first message not done and paused (the back-off above), so only messages
   * of other keys already done are handled again (idempotent handlers skip them).
   * Without it, a batch is handled one message after another.
   */
  keyConcurrency?: ConcurrencyLimit;
  /**
   * How long a batch's lanes retry in place (default 10 s). Bounded so that a batch
   * ends, and a rebalance is joined, well within the group's rebalance timeout.
   */
  keyRetryBudgetMs?: number;
}

export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    decoded[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return decoded;
}

/** A fetched message as handlers see it. */
export function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ? message.key.toString('utf8') : null,
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: message.timestamp,
  };
}

/**
 * A consumer whose offsets are committed only after the handler's outcome is
 * durable: the handler resolves once it has written what it decided (a produced
 * document, a ledger row); only then is its offset committed (grouped: at most
 * every commitIntervalMs and at the end of each batch, so a crash redelivers at
 * most that window, which idempotent handlers absorb). A handler that
 * throws leaves its message uncommitted; the partition is paused for a growing
 * delay and the same message is handled again, so nothing is skipped and the
 * partition's order is kept. Handlers sort their own errors: a permanent one is
 * dead-lettered by the handler and resolves; throwing means "try again".
 *
 * While a handler runs, the consumer heartbeats, so a slow call (an ERP request)
 * does not cost the group membership.
 */
export class HubConsumer {
  private readonly consumer: Consumer;
  private readonly retry: PartitionRetry;
  private readonly retrySettings: PartitionRetrySettings;
  private readonly revival: Revival;
  private running = false;

  constructor(
    kafka: Kafka,
    private readonly options: HubConsumerOptions,
    private readonly logger: Logger,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      allowAutoTopicCreation: false,
      // A short fetch wait lets a resumed partition be fetched again promptly.
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
      retry: { retries: 10 },
    });
    this.retrySettings = {
      baseMs: options.retryDelayMs ?? 500,
      maxMs: options.maxRetryDelayMs ?? 30_000,
      jitter: true,
    };
    this.retry = new PartitionRetry(this.consumer, this.retrySettings, () => this.running);
    this.revival = reviveOnCrash(this.consumer, () => this.runConfig(), logger.child({ groupId: options.groupId }));
  }

  /** Running, and not down after a crash kafkajs gave up on (readiness reads it). */
  get isRunning(): boolean {
    return this.running && this.revival.alive;
  }

  async start(): Promise<void> {
    // A broker down for a restart refuses the connection for a while: a start waits it out (a minute).
    await whileRetriable(() => this.consumer.connect(), { attempts: 60, delayMs: 1_000 });
    for (const topic of this.options.topics) {
      await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
    }
    await this.consumer.run(this.runConfig());
    this.running = true;
  }

  private runConfig(): ConsumerRunConfig {
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.handleBatch(payload),
    };
  }

  /**
   * Graceful stop: kafkajs lets the batch being handled finish (each message of it
   * is committed as it completes), then leaves the group and disconnects.
   */
  async stop(): Promise<void> {
    this.revival.stop();
    this.retry.cancel();
    this.running = false;
    await this.consumer.disconnect();
  }

  private async handleBatch(payload: EachBatchPayload) {
    if (this.options.keyConcurrency) return this.handleBatchByKey(payload, this.options.keyConcurrency);
    const { batch } = payload;
    const { topic, partition } = batch;
    const heartbeat = () => payload.heartbeat();
    const isRunning = () => payload.isRunning();
    const isStale = () => payload.isStale();
    const resolveOffset = (offset: string) => payload.resolveOffset(offset);
    const commitIntervalMs = this.options.commitIntervalMs ?? 200;
    // Offsets of handled messages are committed at most every commitIntervalMs and always
    // when the batch ends: never before a handler resolved, so never before its outcome is durable.
    let handled: string | undefined;
    let lastCommit = performance.now();
    const commit = async () => {
      if (handled === undefined) return;
      const next = (BigInt(handled) + 1n).toString();
      handled = undefined;
      lastCommit = performance.now();
      await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
    };
    try {
      for (const raw of batch.messages) {
        if (!isRunning() || isStale()) return;
        const message = toConsumed(topic, partition, raw);
        const started = performance.now();
        const beat = setInterval(() => {
          heartbeat().catch((error: unknown) => this.logger.warn({ err: error, topic, partition }, 'heartbeat failed'));
        }, this.options.heartbeatIntervalMs ?? 3_000);
        try {
          await this.options.handler(message);
        } catch (error) {
          this.options.onOutcome?.('failed', message, performance.now() - started);
          // What succeeded before the failure is committed before the partition is rewound.
          await commit();
          this.scheduleRetry(topic, partition, raw.offset, error);
          return;
        } finally {
          clearInterval(beat);
        }
        this.options.onOutcome?.('handled', message, performance.now() - started);
        this.retry.succeeded(topic, partition);
        resolveOffset(raw.offset);
        handled = raw.offset;
        if (performance.now() - lastCommit >= commitIntervalMs) await commit();
        await heartbeat();
      }
    } finally {
      if (!isStale()) await commit();
    }
  }

  /**
   * One lane per key, lanes at once (bounded by `limit`), each lane in offset order,
   * a failed message retried in its lane (see `keyConcurrency`). Then the contiguous
   * prefix of done messages is committed; a message that still failed rewinds the
   * partition to the first message not done.
   */
  private async handleBatchByKey(payload: EachBatchPayload, limit: ConcurrencyLimit) {
    const { batch } = payload;
    const { topic, partition } = batch;
    const lanes = new Map<string, KafkaMessage[]>();
    for (const raw of batch.messages) {
      // Messages without a key have no order to keep with others: each is a lane of its own.
      const lane = raw.key ? raw.key.toString('utf8') : `\u0000${raw.offset}`;
      const queue = lanes.get(lane);
      if (queue) queue.push(raw);
      else lanes.set(lane, [raw]);
    }
    const done = new Set<string>();
    const retryUntil = performance.now() + (this.options.keyRetryBudgetMs ?? 10_000);
    // Set from the lanes: an object, so the compiler does not narrow it to its initial value.
    const state: { failure?: { offset: bigint; error: unknown }; heartbeatFailed?: boolean } = {};
    const firstFailure = () => state.failure;
    // Stop handling: the consumer stops, the batch is stale, or a heartbeat failed (a rebalance to join).
    const interrupted = () => !payload.isRunning() || payload.isStale() || state.heartbeatFailed === true;
    const beat = setInterval(() => {
      payload.heartbeat().catch((error: unknown) => {
        state.heartbeatFailed = true;
        this.logger.warn({ err: error, topic, partition }, 'heartbeat failed');
      });
    }, this.options.heartbeatIntervalMs ?? 3_000);
    try {
      await Promise.all(
        [...lanes.values()].map(async (lane) => {
          for (const raw of lane) {
            const message = toConsumed(topic, partition, raw);
            let durationMs = 0;
            for (let attempt = 1; ; attempt += 1) {
              if (interrupted()) return;
              const started = performance.now();
              try {
                await limit.run(() => this.options.handler(message));
                durationMs = performance.now() - started;
                break;
              } catch (error) {
                this.options.onOutcome?.('failed', message, performance.now() - started);
                const delayMs = retryDelayMs(
                  this.retrySettings,
                  attempt,
                  this.options.minimumRetryDelayMs?.(error) ?? 0,
                  this.options.prescribedRetryDelayMs?.(error),
                );
                if (performance.now() + delayMs > retryUntil) {
                  const earlier = firstFailure();
                  if (!earlier || BigInt(raw.offset) < earlier.offset)
                    state.failure = { offset: BigInt(raw.offset), error };
                  return;
                }
                this.logger.warn(
                  { err: error, topic, partition, offset: raw.offset, attempt, retryInMs: delayMs },
                  'handler failed; retrying this key in place while the others go on',
                );
                await pauseUnless(delayMs, interrupted);
              }
            }
            this.options.onOutcome?.('handled', message, durationMs);
            done.add(raw.offset);
          }
        }),
      );
    } finally {
      clearInterval(beat);
    }
    // The committed offset: the highest below which every message of the batch is done.
    let next: string | undefined;
    for (const raw of batch.messages) {
      if (!done.has(raw.offset)) break;
      payload.resolveOffset(raw.offset);
      next = (BigInt(raw.offset) + 1n).toString();
    }
    if (next !== undefined && !payload.isStale())
      await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
    if (state.failure) {
      const firstNotDone = batch.messages.find((raw) => !done.has(raw.offset))!;
      this.scheduleRetry(topic, partition, firstNotDone.offset, state.failure.error);
    } else if (next !== undefined) this.retry.succeeded(topic, partition);
  }

  /** Leaves the failed message uncommitted and unresolved, pauses its partition, resumes later. */
  private scheduleRetry(topic: string, partition: number, offset: string, error: unknown) {
    const { attempt, delayMs } = this.retry.schedule(
      topic,
      partition,
      offset,
      this.options.minimumRetryDelayMs?.(error) ?? 0,
      this.options.prescribedRetryDelayMs?.(error),
    );
    this.logger.warn(
      { err: error, topic, partition, offset, attempt, retryInMs: delayMs },
      'handler failed; message stays uncommitted and will be handled again',
    );
  }
}

/** Waits `ms`, or less once `stop` says so (checked every 100 ms). */
async function pauseUnless(ms: number, stop: () => boolean): Promise<void> {
  const until = performance.now() + ms;
  while (!stop()) {
    const left = until - performance.now();
    if (left <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, 100)));
  }
}
