import { BatchingPublisher } from '@hub/kafka';
import { AcceptedEvent, prepareEventRecord, PreparedEvent } from '@hub/newstore';
import { IngestMetrics } from './ingest.metrics';

export class PublishDeadlineExceeded extends Error {
  constructor(deadlineMs: number) {
    super(`Kafka did not acknowledge within ${deadlineMs} ms`);
    this.name = 'PublishDeadlineExceeded';
  }
}

/**
 * Accepts one raw event: validates, keys and identifies it, and resolves only
 * when Kafka has acknowledged it with acks=all. Shared by the webhook and the
 * S3-export import.
 *
 * An idempotent producer has one send in flight at a time, so one producer's
 * throughput is its batch size over the broker's acknowledgement time. With several
 * publishers (each on its own producer), sends overlap; an event's order key always
 * picks the same publisher, so one order's events keep their order.
 */
export class EventIntake {
  private readonly publishers: BatchingPublisher[];

  constructor(
    publishers: BatchingPublisher | BatchingPublisher[],
    private readonly deadlineMs: number,
  ) {
    this.publishers = Array.isArray(publishers) ? publishers : [publishers];
  }

  /** The publisher of an order key (FNV-1a): the same key, the same producer, the same order. */
  private publisherOf(key: string | null | undefined): BatchingPublisher {
    if (this.publishers.length === 1 || !key) return this.publishers[0];
    let hash = 0x811c9dc5;
    for (let index = 0; index < key.length; index += 1) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
    return this.publishers[(hash >>> 0) % this.publishers.length];
  }

  prepare(body: Buffer, contentType: string, traceparent?: string): PreparedEvent {
    return prepareEventRecord(body, { receivedAt: new Date(), contentType, traceparent });
  }

  /** Rejects with PublishDeadlineExceeded, or the producer's error, when the write is not durable. */
  async publish(event: AcceptedEvent): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PublishDeadlineExceeded(this.deadlineMs)), this.deadlineMs);
    });
    try {
      await Promise.race([
        this.publisherOf(event.record.key).publish({
          key: event.record.key,
          value: event.record.value,
          headers: event.record.headers,
        }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async drain(): Promise<void> {
    await Promise.all(this.publishers.map((publisher) => publisher.drain()));
  }

  static batchObserver(metrics: IngestMetrics) {
    return (size: number, durationMs: number, failed: boolean) => {
      metrics.batchSize.observe(size);
      metrics.produceDuration.observe({ outcome: failed ? 'failed' : 'acknowledged' }, durationMs / 1000);
    };
  }
}
