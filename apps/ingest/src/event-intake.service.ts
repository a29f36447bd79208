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
 */
export class EventIntake {
  constructor(
    private readonly publisher: BatchingPublisher,
    private readonly deadlineMs: number,
  ) {}

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
        this.publisher.publish({ key: event.record.key, value: event.record.value, headers: event.record.headers }),
        deadline,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async drain(): Promise<void> {
    await this.publisher.drain();
  }

  static batchObserver(metrics: IngestMetrics) {
    return (size: number, durationMs: number, failed: boolean) => {
      metrics.batchSize.observe(size);
      metrics.produceDuration.observe({ outcome: failed ? 'failed' : 'acknowledged' }, durationMs / 1000);
    };
  }
}
