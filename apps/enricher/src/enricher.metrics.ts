import { DOCUMENT_MAPPINGS } from '@hub/newstore';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The enricher's series; event names are bounded by KNOWN_EVENT_NAMES ("other" otherwise). */
@Injectable()
export class EnricherMetrics {
  readonly events: Counter<'event_name' | 'outcome'>;
  readonly retryDepth: Counter<'tier'>;
  readonly parkedKeys: Gauge;
  readonly parkedEvents: Gauge;
  readonly graphqlDuration: Histogram<'outcome'>;
  readonly consumerLag: Gauge<'consumer'>;
  readonly staleMarks: Gauge;
  readonly staleReleased: Counter;

  constructor(@Inject(Registry) registry: Registry) {
    this.events = new Counter({
      name: 'parity_enricher_events_total',
      help: 'Events by name and outcome: enriched, skipped, retried, dead-lettered, duplicate, parked',
      labelNames: ['event_name', 'outcome'],
      registers: [registry],
    });
    this.retryDepth = new Counter({
      name: 'parity_enricher_retries_total',
      help: 'Events sent to a delay-retry tier',
      labelNames: ['tier'],
      registers: [registry],
    });
    this.parkedKeys = new Gauge({
      name: 'parity_enricher_retrying_orders',
      help: 'Orders with an event in retry',
      registers: [registry],
    });
    this.parkedEvents = new Gauge({
      name: 'parity_enricher_parked_events',
      help: 'Events parked behind an event in retry',
      registers: [registry],
    });
    this.staleMarks = new Gauge({
      name: 'parity_enricher_stale_retry_marks',
      help: 'Orders in retry for longer than every retry tier together: stuck, their later events parked',
      registers: [registry],
    });
    this.staleReleased = new Counter({
      name: 'parity_enricher_stale_marks_released_total',
      help: 'Orders released by the sweep: their head had ended and its release had not happened',
      registers: [registry],
    });
    this.consumerLag = new Gauge({
      name: 'parity_enricher_consumer_lag_messages',
      help: 'Messages not yet committed by the enricher, by consumer (events, retry)',
      labelNames: ['consumer'],
      registers: [registry],
    });
    this.graphqlDuration = new Histogram({
      name: 'parity_enricher_graphql_duration_seconds',
      help: 'NewStore GraphQL request duration',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    // Series exist at 0 for the events that make documents: a panel or alert on an outcome
    // (dead-lettered, say) sees "none yet" before the first one, not "no data".
    for (const eventName of Object.keys(DOCUMENT_MAPPINGS))
      for (const outcome of ['enriched', 'skipped', 'retried', 'dead-lettered', 'duplicate', 'parked'])
        this.events.inc({ event_name: eventName, outcome }, 0);
  }
}
