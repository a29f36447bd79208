import { Message } from 'kafkajs';
import { HubProducer, isMessageTooLarge } from './hub-producer';

export interface BatchingPublisherOptions {
  topic: string;
  /**
   * Extra time the first message of a batch waits for others (kafkajs has no linger
   * of its own). 0: adaptive, the batch goes out as soon as no send is in flight,
   * and whatever arrives meanwhile forms the next batch.
   */
  lingerMs: number;
  /** A batch is sent at once when it reaches this many messages. */
  maxBatchSize: number;
  /**
   * A batch is sent before it passes this many bytes (keys, values, headers): the
   * broker refuses a record batch above its max.message.bytes, and would refuse
   * every message in it, however often retried. A message larger than this goes alone.
   */
  maxBatchBytes?: number;
  /**
   * Messages waiting or in flight at most; past it, `publish` fails at once with
   * {@link PublisherSaturatedError} instead of queueing without bound while the
   * broker does not answer.
   */
  maxBufferedMessages?: number;
  /** Per-request timeout passed to the producer. */
  sendTimeoutMs: number;
  onBatch?: (size: number, durationMs: number, failed: boolean) => void;
}

/** More messages are waiting or in flight than the publisher holds: the caller answers "retry later". */
export class PublisherSaturatedError extends Error {
  constructor(limit: number) {
    super(`${limit} messages are already waiting for the broker`);
    this.name = 'PublisherSaturatedError';
  }
}

function sizeOf(message: Message): number {
  const bytes = (value: Buffer | string | null | undefined) =>
    value === null || value === undefined ? 0 : Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
  let size = bytes(message.key) + bytes(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {}))
    for (const item of Array.isArray(value) ? value : [value]) size += Buffer.byteLength(name) + bytes(item);
  return size;
}

interface Pending {
  size: number;
  message: Message;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent publishes into one `send` per short window, and settles
 * each caller's promise when its batch is acknowledged (acks=all) or failed. A
 * failed batch fails every one of its callers: none is told "stored" unless the
 * broker stored it. A batch refused because a message in it is too large is sent
 * again one message at a time, so that only that message fails.
 */
export class BatchingPublisher {
  private pending: Pending[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** Messages pending or in flight. */
  private buffered = 0;

  constructor(
    private readonly producer: HubProducer,
    private readonly options: BatchingPublisherOptions,
  ) {}

  /** Resolves once the message's batch is acknowledged by all in-sync replicas. */
  publish(message: Message): Promise<void> {
    const limit = this.options.maxBufferedMessages;
    if (limit !== undefined && this.buffered >= limit) return Promise.reject(new PublisherSaturatedError(limit));
    const size = sizeOf(message);
    return new Promise<void>((resolve, reject) => {
      const maxBytes = this.options.maxBatchBytes ?? Infinity;
      // The batch would pass the byte limit with this message: it goes first, this one starts the next.
      if (this.pending.length > 0 && this.pendingBytes + size > maxBytes) this.flush();
      this.buffered += 1;
      this.pending.push({
        size,
        message,
        resolve: () => {
          this.buffered -= 1;
          resolve();
        },
        reject: (error) => {
          this.buffered -= 1;
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      });
      this.pendingBytes += size;
      if (this.pending.length >= this.options.maxBatchSize || this.pendingBytes >= maxBytes) this.flush();
      else this.schedule();
    });
  }

  /** Messages waiting or in flight now. */
  get bufferedMessages(): number {
    return this.buffered;
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0) return;
    if (this.options.lingerMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.options.lingerMs);
    } else if (this.inFlight.size === 0) {
      // setImmediate: requests parsed in the same turn of the event loop share the send.
      this.timer = setTimeout(() => this.flush(), 0);
    }
    // Otherwise the send in flight triggers the next flush when it settles.
  }

  /** Sends what is pending now and waits for every batch in flight. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const started = performance.now();
    const sending = this.producer
      .send(
        this.options.topic,
        batch.map((item) => item.message),
        this.options.sendTimeoutMs,
      )
      .then(
        () => {
          this.options.onBatch?.(batch.length, performance.now() - started, false);
          batch.forEach((item) => item.resolve());
        },
        async (error: unknown) => {
          this.options.onBatch?.(batch.length, performance.now() - started, true);
          // The broker refuses a whole batch for one message it finds too large: each
          // message is sent again alone, so only the one that is too large fails.
          if (batch.length > 1 && isMessageTooLarge(error)) await this.sendOneByOne(batch);
          else batch.forEach((item) => item.reject(error));
        },
      )
      .finally(() => {
        this.inFlight.delete(sending);
        if (this.options.lingerMs === 0 && this.pending.length > 0) this.flush();
      });
    this.inFlight.add(sending);
  }

  private async sendOneByOne(batch: Pending[]): Promise<void> {
    await Promise.all(
      batch.map((item) =>
        this.producer.send(this.options.topic, [item.message], this.options.sendTimeoutMs).then(
          () => item.resolve(),
          (error: unknown) => item.reject(error),
        ),
      ),
    );
  }
}
