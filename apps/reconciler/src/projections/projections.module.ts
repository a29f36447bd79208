import { DelayRetryTopics, KafkaInfrastructure } from '@hub/kafka';
import { enricherRetryTopicsProvider, HUB_CONFIG, kafkaTransportProvider, ServiceRuntime } from '@hub/platform';
import { Module } from '@nestjs/common';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconcilerConfig } from '../reconciler.config';
import { ProjectedSource, projectedSources } from './projected-sources';
import { ProjectionRepository } from './projection.repository';
import { ProjectionsController } from './projections.controller';
import { PROJECTED_SOURCES, PROJECTIONS, Projector } from './projector';

/**
 * The topics projected into Postgres (rebuildable by replay), the enricher's retry tiers
 * among them: the projector, its
 * repository, and the hub's Kafka transport with the projections' subscription,
 * whose handler is {@link ProjectionsController} (a rebuild stops and starts it).
 */
@Module({
  imports: [ReconcilerCoreModule],
  controllers: [ProjectionsController],
  providers: [
    ProjectionRepository,
    Projector,
    enricherRetryTopicsProvider(),
    {
      provide: PROJECTED_SOURCES,
      inject: [HUB_CONFIG, KafkaInfrastructure, DelayRetryTopics, ServiceRuntime],
      useFactory: async (
        config: ReconcilerConfig,
        kafka: KafkaInfrastructure,
        retries: DelayRetryTopics,
        runtime: ServiceRuntime,
      ) => {
        // Tiers the enricher uses and this configuration does not name: their retries would be missing from the order pages.
        const unknown = await retries.unconfiguredTiers();
        if (unknown.length > 0)
          runtime.logger.warn(
            { tiers: unknown.map(({ topic }) => topic), configured: config.ENRICHER_RETRY_TIERS_MS },
            'retry tiers on the broker that ENRICHER_RETRY_TIERS_MS does not name: set it as on the enricher, or their retries are not projected',
          );
        return projectedSources(kafka.topics, retries.tiers);
      },
    },
    kafkaTransportProvider({
      inject: [HUB_CONFIG, PROJECTED_SOURCES],
      subscriptions: (config: ReconcilerConfig, sources: ProjectedSource[]) => [
        {
          pattern: PROJECTIONS,
          mode: 'batch',
          options: {
            groupId: config.RECONCILER_CONSUMER_GROUP,
            topics: sources.map((source) => source.topic),
            partitionsConsumedConcurrently: 4,
          },
        },
      ],
    }),
  ],
  exports: [ProjectionRepository, Projector],
})
export class ProjectionsModule {}
