import { Message } from 'kafkajs';
import { HubProducer } from './hub-producer';

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
  /** Per-request timeout passed to the producer. */
  sendTimeoutMs: number;
  onBatch?: (size: number, durationMs: number, failed: boolean) => void;
}

interface Pending {
  message: Message;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Coalesces concurrent publishes into one `send` per short window, and settles
 * each caller's promise when its batch is acknowledged (acks=all) or failed. A
 * failed batch fails every one of its callers: none is told "stored" unless the
 * broker stored it.
 */
export class BatchingPublisher {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly producer: HubProducer,
    private readonly options: BatchingPublisherOptions,
  ) {}

  /** Resolves once the message's batch is acknowledged by all in-sync replicas. */
  publish(message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ message, resolve, reject });
      if (this.pending.length >= this.options.maxBatchSize) this.flush();
      else this.schedule();
    });
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
        (error: unknown) => {
          this.options.onBatch?.(batch.length, performance.now() - started, true);
          batch.forEach((item) => item.reject(error));
        },
      )
      .finally(() => {
        this.inFlight.delete(sending);
        if (this.options.lingerMs === 0 && this.pending.length > 0) this.flush();
      });
    this.inFlight.add(sending);
  }
}
