import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';

/** Ingest's Prometheus series; event names are bounded by KNOWN_EVENT_NAMES ("other" otherwise). */
@Injectable()
export class IngestMetrics {
  readonly requests: Counter<'event_name' | 'status'>;
  readonly requestDuration: Histogram<'status'>;
  readonly produceDuration: Histogram<'outcome'>;
  readonly batchSize: Histogram;
  readonly rejections: Counter<'reason'>;

  constructor(@Inject(Registry) registry: Registry) {
    this.requests = new Counter({
      name: 'parity_ingest_requests_total',
      help: 'Webhook requests by event name and HTTP status',
      labelNames: ['event_name', 'status'],
      registers: [registry],
    });
    this.requestDuration = new Histogram({
      name: 'parity_ingest_request_duration_seconds',
      help: 'Webhook request duration, from body received to answer',
      labelNames: ['status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.produceDuration = new Histogram({
      name: 'parity_ingest_produce_duration_seconds',
      help: 'Duration of one Kafka send (a batch), acks=all',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.batchSize = new Histogram({
      name: 'parity_ingest_batch_size',
      help: 'Events per Kafka send',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [registry],
    });
    this.rejections = new Counter({
      name: 'parity_ingest_rejections_total',
      help: 'Requests refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    // Series exist at 0 before the first refusal: dashboards and alerts see "none yet", not "no data".
    for (const reason of REJECTION_REASONS) this.rejections.inc({ reason }, 0);
  }
}

/** Why ingest refuses a request: the `reason` label of parity_ingest_rejections_total. */
const REJECTION_REASONS = [
  'unauthorized',
  'unsupported-media-type',
  'invalid-utf8',
  'malformed-json',
  'too-deep',
  'invalid-envelope',
  'wrong-tenant',
  'too-large-for-kafka',
  'saturated',
  'kafka-unavailable',
];
