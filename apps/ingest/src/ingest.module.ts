import { BatchingPublisher, KafkaInfrastructure } from '@hub/kafka';
import { HubServiceDependencies, PlatformModule } from '@hub/platform';
import {
  DynamicModule,
  Inject,
  Injectable,
  MiddlewareConsumer,
  Module,
  NestMiddleware,
  NestModule,
  OnApplicationBootstrap,
  RequestMethod,
} from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ConfigResourceTypes } from 'kafkajs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventIntake } from './event-intake.service';
import { IngestConfig } from './ingest.config';
import { IngestMetrics } from './ingest.metrics';
import { TenantKeys } from './tenant-keys';
import { INGEST_CONFIG, WebhookController } from './webhook.controller';

const KAFKA = Symbol('KAFKA');
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
    @Inject(INGEST_CONFIG) private readonly config: IngestConfig,
    @Inject(KAFKA) private readonly kafka: KafkaInfrastructure,
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

@Module({})
class IngestModule implements NestModule {
  /** The webhook's path, set by {@link ingestModule} before Nest reads the module. */
  static path = '/webhooks/newstore';

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebhookAuthMiddleware).forRoutes({ path: IngestModule.path, method: RequestMethod.POST });
  }
}

/** The ingest app: the webhook route at INGEST_PATH, writing through one batching publisher. */
export function ingestModule({ config, runtime, kafka }: HubServiceDependencies<IngestConfig>): DynamicModule {
  // Checked before anything else is built: a key bound to no served tenant stops the start.
  const keys = new TenantKeys(config.INGEST_API_KEYS, config.INGEST_TENANTS);
  Reflect.defineMetadata(PATH_METADATA, config.INGEST_PATH, WebhookController);
  IngestModule.path = config.INGEST_PATH;
  const metrics = new IngestMetrics(runtime.metrics);
  const publisher = new BatchingPublisher(kafka.producer, {
    topic: kafka.topics.newstoreEvents,
    lingerMs: config.INGEST_LINGER_MS,
    maxBatchSize: config.INGEST_MAX_BATCH_SIZE,
    maxBatchBytes: config.INGEST_MAX_BATCH_BYTES,
    maxBufferedMessages: config.INGEST_MAX_BUFFERED_EVENTS,
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
      { provide: TenantKeys, useValue: keys },
      { provide: KAFKA, useValue: kafka },
      { provide: IngestMetrics, useValue: metrics },
      { provide: EventIntake, useValue: intake },
      WebhookAuthMiddleware,
      MessageSizeCheck,
    ],
  };
}
