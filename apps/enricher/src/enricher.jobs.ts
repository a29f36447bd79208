import { consumerGroupLag, DelayRetryTopics, HubKafkaTransport, KafkaInfrastructure } from '@hub/kafka';
import { InjectConfig, PeriodicTasks, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { EnricherConfig } from './enricher.config';
import { ENRICHER_RETRY, NEWSTORE_EVENTS } from './enricher-events.controller';
import { EnricherMetrics } from './enricher.metrics';
import { EnricherStateRepository } from './enricher-state.repository';
import { EnrichmentFlow } from './enrichment-flow';

/**
 * The enricher's jobs beside its handlers: before the consumers start, a retry tier
 * no longer configured is drained into the others (the tiers' topics are made by
 * their provider, enricherRetryTopicsProvider); while they run, the parked-state and lag gauges refresh and expired
 * deduplication records are purged.
 */
@Injectable()
export class EnricherJobs implements OnApplicationBootstrap {
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: EnricherConfig,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(KafkaInfrastructure) private readonly kafka: KafkaInfrastructure,
    @Inject(HubKafkaTransport) private readonly transport: HubKafkaTransport,
    @Inject(DelayRetryTopics) private readonly retries: DelayRetryTopics,
    @Inject(EnricherStateRepository) private readonly state: EnricherStateRepository,
    @Inject(EnricherMetrics) private readonly metrics: EnricherMetrics,
    @Inject(EnrichmentFlow) private readonly flow: Pick<EnrichmentFlow, 'releaseStale'>,
    @Inject(PeriodicTasks) private readonly tasks: PeriodicTasks,
  ) {
    this.logger = runtime.logger.child({ context: 'enricher' });
  }

  /** Runs before the transport starts consuming. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.runtime.mode !== 'serve') return;
    for (const { topic, moved } of await this.retries.drainRemovedTiers(`${this.config.ENRICHER_CONSUMER_GROUP}-retry`))
      this.logger.warn(
        { topic, moved },
        'retry tier no longer configured: its messages moved to a configured tier, topic deleted',
      );
    // Each tier's series exists at 0 before its first retry.
    for (let tier = 0; tier < this.retries.tierCount; tier += 1)
      this.metrics.retryDepth.inc({ tier: String(this.retries.delayOf(tier)) }, 0);
    this.runtime.addReadinessCheck({
      name: 'enricher-consumers',
      check: async () => this.transport.isRunning(NEWSTORE_EVENTS) && this.transport.isRunning(ENRICHER_RETRY),
    });
    // Each run finishes before Kafka and Postgres close (PeriodicTasks), and never overlaps the last.
    this.tasks.every('gauges', 5_000, () => this.updateGauges(), { immediate: true });
    this.tasks.every('dedup-purge', this.config.ENRICHER_DEDUP_PURGE_INTERVAL_MS, () => this.purgeProcessed());
    this.tasks.every('stale-mark-sweep', this.config.ENRICHER_STALE_SWEEP_MS, () => this.sweepStaleMarks());
  }

  /**
   * Releases the orders whose retry mark waits for an event that already ended (its
   * release failed, or the process died before it): without this, every later event of
   * such an order would stay parked for ever. Counted, and logged as a warning.
   */
  private async sweepStaleMarks(): Promise<void> {
    try {
      for (const { orderKey, eventId } of await this.state.staleHeads(this.config.ENRICHER_STALE_GRACE_MS)) {
        this.logger.warn({ orderId: orderKey, eventId }, 'retry mark outlived its head; releasing the order');
        await this.flow.releaseStale(orderKey, eventId);
        this.metrics.staleReleased.inc();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'stale retry mark sweep failed; will try again');
    }
  }

  private async purgeProcessed(): Promise<void> {
    try {
      const purged = await this.state.purgeProcessed(this.config.ENRICHER_DEDUP_TTL_DAYS);
      if (purged > 0) this.logger.info({ purged }, 'expired deduplication records purged');
    } catch (error) {
      this.logger.warn({ err: error }, 'deduplication purge failed; will try again');
    }
  }

  private async updateGauges(): Promise<void> {
    try {
      const counts = await this.state.counts();
      this.metrics.parkedKeys.set(counts.retryingKeys);
      this.metrics.parkedEvents.set(counts.parkedEvents);
      // Longer than every tier together (and a sweep): no retry message can still be on its way.
      const span = this.config.ENRICHER_RETRY_TIERS_MS.reduce((total, delay) => total + delay, 0);
      this.metrics.staleMarks.set(await this.state.marksOlderThan(span + this.config.ENRICHER_STALE_SWEEP_MS));
      this.metrics.consumerLag.set(
        { consumer: 'events' },
        await consumerGroupLag(this.kafka.admin, this.config.ENRICHER_CONSUMER_GROUP, [
          this.kafka.topics.newstoreEvents,
        ]),
      );
      this.metrics.consumerLag.set(
        { consumer: 'retry' },
        await consumerGroupLag(this.kafka.admin, `${this.config.ENRICHER_CONSUMER_GROUP}-retry`, this.retries.topics),
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not read parked-state counts');
    }
  }
}
