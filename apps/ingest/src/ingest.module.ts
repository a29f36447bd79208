import { BatchingPublisher } from '@hub/kafka';
import { HubServiceDependencies, PlatformModule } from '@hub/platform';
import { DynamicModule, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { EventIntake } from './event-intake.service';
import { IngestConfig } from './ingest.config';
import { IngestMetrics } from './ingest.metrics';
import { INGEST_CONFIG, WebhookController } from './webhook.controller';

@Module({})
class IngestModule {}

/** The ingest app: the webhook route at INGEST_PATH, writing through one batching publisher. */
export function ingestModule({ config, runtime, kafka }: HubServiceDependencies<IngestConfig>): DynamicModule {
  Reflect.defineMetadata(PATH_METADATA, config.INGEST_PATH, WebhookController);
  const metrics = new IngestMetrics(runtime.metrics);
  const publisher = new BatchingPublisher(kafka.producer, {
    topic: kafka.topics.newstoreEvents,
    lingerMs: config.INGEST_LINGER_MS,
    maxBatchSize: config.INGEST_MAX_BATCH_SIZE,
    sendTimeoutMs: config.INGEST_PRODUCE_DEADLINE_MS,
    onBatch: EventIntake.batchObserver(metrics),
  });
  const intake = new EventIntake(publisher, config.INGEST_PRODUCE_DEADLINE_MS);
  // Runs before the producer is closed (steps run in reverse): batches in flight finish.
  runtime.onShutdown('ingest-publisher', () => intake.drain());
  return {
    module: IngestModule,
    imports: [PlatformModule.forRuntime(runtime)],
    controllers: [WebhookController],
    providers: [
      { provide: INGEST_CONFIG, useValue: config },
      { provide: IngestMetrics, useValue: metrics },
      { provide: EventIntake, useValue: intake },
    ],
  };
}
