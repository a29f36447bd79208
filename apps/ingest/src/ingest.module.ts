import { BatchingPublisher, HubProducer, KafkaInfrastructure } from '@hub/kafka';
import { countResends, HUB_CONFIG, InjectConfig, ServiceRuntime } from '@hub/platform';
import {
  DynamicModule,
  Inject,
  Injectable,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
  NestModule,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { ConfigResourceTypes } from 'kafkajs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventIntake } from './event-intake.service';
import { IngestConfig } from './ingest.config';
import { IngestMetrics } from './ingest.metrics';
import { TenantKeys } from './tenant-keys';
import { WebhookController } from './webhook.controller';

/** Room for the headers ingest adds to a body (event id, trace, received-at ...) and the record's framing. */
const HEADER_ALLOWANCE_BYTES = 16_384;

/**
 * Checks the caller's key before the body is read (Nest middleware runs in
 * Fastify's onRequest phase, before body parsing): a wrong key costs no upload,
 * and is answered 401 whatever the body's size.
 */
@Injectable()
class WebhookAuthMiddleware implements NestMiddleware {
  constructor(
    @Inject(TenantKeys) private readonly keys: TenantKeys,
    @Inject(IngestMetrics) private readonly metrics: IngestMetrics,
  ) {}

  use(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    if (this.keys.isKnownKey(request.headers.authorization)) return next();
    this.metrics.rejections.inc({ reason: 'unauthorized' });
    this.metrics.requests.inc({ event_name: 'unknown', status: '401' });
    response.statusCode = 401;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('connection', 'close');
    response.end(
      JSON.stringify({
        error: 'unauthorized',
        message: 'Missing or wrong "Authorization: Bearer <api_key>": check the api_key of the NewStore integration',
      }),
    );
  }
}

/**
 * Refuses to start when a body of INGEST_BODY_LIMIT_BYTES could not be stored:
 * the broker would refuse it for ever, and NewStore would retry it for ever.
 */
@Injectable()
class MessageSizeCheck implements OnApplicationBootstrap {
  constructor(
    @InjectConfig() private readonly config: IngestConfig,
    @Inject(KafkaInfrastructure) private readonly kafka: KafkaInfrastructure,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const topic = this.kafka.topics.newstoreEvents;
    const described = await this.kafka.admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
    });
    const limit = Number(described.resources[0]?.configEntries[0]?.configValue);
    if (!Number.isFinite(limit)) return;
    const needed = this.config.INGEST_BODY_LIMIT_BYTES + HEADER_ALLOWANCE_BYTES;
    if (needed > limit)
      throw new Error(
        `INGEST_BODY_LIMIT_BYTES=${this.config.INGEST_BODY_LIMIT_BYTES} plus ${HEADER_ALLOWANCE_BYTES} bytes of headers exceeds ${topic}'s max.message.bytes=${limit}: lower INGEST_BODY_LIMIT_BYTES or raise the topic's max.message.bytes`,
      );
  }
}

/** The webhook and what it writes through; mounted at INGEST_PATH by {@link ingestModule}. */
@Module({})
class WebhookModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebhookAuthMiddleware).forRoutes(WebhookController);
  }
}

@Module({})
class IngestModule {}

/**
 * Drains the publisher after HTTP stopped and before the producer is closed (the
 * runtime's steps run in reverse order): batches in flight finish and every request
 * still waiting is answered.
 */
@Injectable()
class PublisherDrain implements OnApplicationBootstrap {
  constructor(
    @Inject(EventIntake) private readonly intake: EventIntake,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    this.runtime.onShutdown('ingest-publisher', () => this.intake.drain());
  }
}

/**
 * The ingest app: {@link WebhookController} at INGEST_PATH (the deployment's path,
 * given to Nest's RouterModule), keys checked by {@link WebhookAuthMiddleware} before
 * the body is read, every event written through one batching publisher.
 */
export function ingestModule(config: IngestConfig): DynamicModule {
  return {
    module: IngestModule,
    imports: [webhookModule(), RouterModule.register([{ path: config.INGEST_PATH, module: WebhookModule }])],
  };
}

function webhookModule(): DynamicModule {
  return {
    module: WebhookModule,
    controllers: [WebhookController],
    providers: [
      IngestMetrics,
      // Checked before anything else is built: a key bound to no served tenant stops the start.
      {
        provide: TenantKeys,
        inject: [HUB_CONFIG],
        useFactory: (ingest: IngestConfig) => new TenantKeys(ingest.INGEST_API_KEYS, ingest.INGEST_TENANTS),
      },
      {
        provide: EventIntake,
        inject: [HUB_CONFIG, KafkaInfrastructure, IngestMetrics, ServiceRuntime],
        useFactory: async (
          ingest: IngestConfig,
          kafka: KafkaInfrastructure,
          metrics: IngestMetrics,
          runtime: ServiceRuntime,
        ) => {
          // The first producer is the service's own; the others are closed after the publishers drained.
          const producers = [kafka.producer];
          for (let index = 1; index < ingest.INGEST_PRODUCERS; index += 1) {
            const producer = new HubProducer(kafka.kafka, runtime.logger.child({ context: 'kafka-producer' }));
            countResends(producer, runtime);
            await producer.connect();
            runtime.onShutdown(`kafka-producer-${index}`, () => producer.disconnect());
            producers.push(producer);
          }
          return new EventIntake(
            producers.map(
              (producer) =>
                new BatchingPublisher(producer, {
                  topic: kafka.topics.newstoreEvents,
                  lingerMs: ingest.INGEST_LINGER_MS,
                  maxBatchSize: ingest.INGEST_MAX_BATCH_SIZE,
                  maxBatchBytes: ingest.INGEST_MAX_BATCH_BYTES,
                  maxBufferedMessages: Math.ceil(ingest.INGEST_MAX_BUFFERED_EVENTS / ingest.INGEST_PRODUCERS),
                  sendTimeoutMs: ingest.INGEST_PRODUCE_DEADLINE_MS,
                  onBatch: EventIntake.batchObserver(metrics),
                }),
            ),
            ingest.INGEST_PRODUCE_DEADLINE_MS,
          );
        },
      },
      PublisherDrain,
      WebhookAuthMiddleware,
      MessageSizeCheck,
    ],
  };
}
