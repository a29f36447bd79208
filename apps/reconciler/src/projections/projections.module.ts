import { KafkaInfrastructure } from '@hub/kafka';
import { HUB_CONFIG, kafkaTransportProvider } from '@hub/platform';
import { Module } from '@nestjs/common';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconcilerConfig } from '../reconciler.config';
import { PROJECTED_TOPICS, ProjectionRepository } from './projection.repository';
import { ProjectionsController } from './projections.controller';
import { PROJECTIONS, Projector } from './projector';

/**
 * The topics projected into Postgres (rebuildable by replay): the projector, its
 * repository, and the hub's Kafka transport with the projections' subscription,
 * whose handler is {@link ProjectionsController} (a rebuild stops and starts it).
 */
@Module({
  imports: [ReconcilerCoreModule],
  controllers: [ProjectionsController],
  providers: [
    ProjectionRepository,
    Projector,
    kafkaTransportProvider({
      inject: [HUB_CONFIG, KafkaInfrastructure],
      subscriptions: (config: ReconcilerConfig, kafka: KafkaInfrastructure) => [
        {
          pattern: PROJECTIONS,
          mode: 'batch',
          options: {
            groupId: config.RECONCILER_CONSUMER_GROUP,
            topics: PROJECTED_TOPICS.map((topic) => kafka.topics[topic]),
            partitionsConsumedConcurrently: 4,
          },
        },
      ],
    }),
  ],
  exports: [ProjectionRepository, Projector],
})
export class ProjectionsModule {}
