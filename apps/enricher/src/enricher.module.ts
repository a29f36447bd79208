import { ConcurrencyLimit, DelayRetryTopics, GROUP_OFFSETS_QUIET_MS, KafkaInfrastructure } from '@hub/kafka';
import {
  batchingPublisherProvider,
  enricherRetryTopicsProvider,
  erpDocumentCodecProvider,
  HUB_CONFIG,
  kafkaTransportProvider,
} from '@hub/platform';
import { Module } from '@nestjs/common';
import { EnricherConfig } from './enricher.config';
import { EnricherConnections } from './enricher-connections';
import { ENRICHER_RETRY, EnricherEventsController, NEWSTORE_EVENTS } from './enricher-events.controller';
import { EnricherJobs } from './enricher.jobs';
import { EnricherMetrics } from './enricher.metrics';
import { DEPLOYMENT_MAPPING, DOCUMENT_PUBLISHER, ERP_DOCUMENT_CODEC, NEWSTORE_ORDERS } from './enricher.tokens';
import { EnricherStateRepository } from './enricher-state.repository';
import { EnrichmentFlow } from './enrichment-flow';
import { EventEnricher } from './event-enricher';

/**
 * The enricher: {@link EnricherEventsController} handles newstore.events.v1 and the
 * delay-retry tiers through the hub's Kafka transport; {@link EnrichmentFlow} decides
 * (dedup, park, enrich, retry, dead-letter); {@link EventEnricher} turns an event and
 * its order into an ERP document. Adapters (GraphQL client, codec, retry topics) are
 * built here, in factory providers, from the validated config.
 */
@Module({
  controllers: [EnricherEventsController],
  providers: [
    EnricherMetrics,
    EnricherStateRepository,
    EventEnricher,
    EnrichmentFlow,
    EnricherJobs,
    EnricherConnections,
    { provide: NEWSTORE_ORDERS, useExisting: EnricherConnections },
    { provide: DEPLOYMENT_MAPPING, useExisting: EnricherConnections },
    erpDocumentCodecProvider(ERP_DOCUMENT_CODEC),
    batchingPublisherProvider(DOCUMENT_PUBLISHER, 'erpDocuments', {
      lingerMs: 0,
      maxBatchSize: 500,
      // Under the broker's max.message.bytes (1 MiB by default): a larger document goes alone.
      maxBatchBytes: 524_288,
      sendTimeoutMs: 30_000,
    }),
    enricherRetryTopicsProvider(),
    kafkaTransportProvider({
      inject: [HUB_CONFIG, KafkaInfrastructure, DelayRetryTopics, EnricherStateRepository],
      subscriptions: (
        config: EnricherConfig,
        kafka: KafkaInfrastructure,
        retries: DelayRetryTopics,
        state: EnricherStateRepository,
      ) => {
        const common = {
          sessionTimeoutMs: config.ENRICHER_SESSION_TIMEOUT_MS,
          partitionsConsumedConcurrently: config.ENRICHER_CONCURRENCY,
        };
        return [
          {
            pattern: ENRICHER_RETRY,
            mode: 'message',
            options: {
              ...common,
              groupId: `${config.ENRICHER_CONSUMER_GROUP}-retry`,
              topics: retries.topics,
              retryDelayMs: 10,
              maxRetryDelayMs: 1_000,
              // Not due yet: pause exactly until the head message is due.
              minimumRetryDelayMs: (error) => DelayRetryTopics.pauseFor(error),
            },
          },
          {
            pattern: NEWSTORE_EVENTS,
            mode: 'message',
            options: {
              ...common,
              groupId: config.ENRICHER_CONSUMER_GROUP,
              topics: [kafka.topics.newstoreEvents],
              // Orders in parallel, each order in order: their lookups share GraphQL queries.
              keyConcurrency:
                config.ENRICHER_KEY_CONCURRENCY > 1 ? new ConcurrencyLimit(config.ENRICHER_KEY_CONCURRENCY) : undefined,
              keyRetryBudgetMs: config.ENRICHER_KEY_RETRY_BUDGET_MS,
            },
            // The raw topic is kept for ever: a group that lost its offsets would enrich every event again.
            history: async () => {
              const processed = await state.processedBefore(GROUP_OFFSETS_QUIET_MS);
              return processed > 0 ? `${processed} processed events on record` : undefined;
            },
            withoutOffsets: config.KAFKA_GROUP_WITHOUT_OFFSETS,
          },
        ];
      },
    }),
  ],
})
export class EnricherModule {}
