import { TopicName } from '@hub/contracts';
import {
  BatchingPublisher,
  BatchingPublisherOptions,
  createSchemaRegistry,
  subjectCompatibility,
  DelayRetryTopics,
  DocumentCodec,
  EnricherRetryConfig,
  enricherRetryTopics,
  HubKafkaTransport,
  KafkaInfrastructure,
  KafkaSubscription,
  SchemaRegistrySettings,
} from '@hub/kafka';
import {
  DynamicModule,
  FactoryProvider,
  Global,
  InjectionToken,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
  Provider,
  Type,
} from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { HealthController } from './health.controller';
import { PeriodicTasks } from './periodic-tasks';
import { ServiceRuntime } from './service-runtime';

/** Injection token of a service's validated configuration (its zod-checked environment). */
export const HUB_CONFIG = Symbol('HUB_CONFIG');

/** Injects the service's validated configuration: `@InjectConfig() config: ErpSinkConfig`. */
export const InjectConfig = (): ParameterDecorator => Inject(HUB_CONFIG);

/** A service's connections, as its providers hold them once Nest has made them. */
export interface HubServiceConnections<C = unknown> {
  config: C;
  runtime: ServiceRuntime;
  kafka: KafkaInfrastructure;
  /** Present when the service declared a database (migrated before any provider uses it). */
  dataSource?: DataSource;
}

/** Connects Kafka (topics created or verified) then, when declared, Postgres (migrated); each closed by the runtime at shutdown. */
export type ConnectDependencies = () => Promise<{ kafka: KafkaInfrastructure; dataSource?: DataSource }>;

/** What the platform module is made of: the validated config and runtime (values), and how to connect (async providers). */
export interface PlatformSettings<C = unknown> {
  config: C;
  runtime: ServiceRuntime;
  /** Whether the service declared a database: DataSource is provided only then. */
  database: boolean;
  connect: ConnectDependencies;
}

/** The connections made on Nest's init, in one provider, so Kafka connects before Postgres migrates (never at the same time). */
const HUB_CONNECTIONS = Symbol('HUB_CONNECTIONS');

/** Runs the runtime's shutdown steps when Nest closes (after HTTP and the Kafka consumers stopped). */
@Injectable()
export class RuntimeShutdown implements OnApplicationShutdown {
  constructor(@Inject(ServiceRuntime) private readonly runtime: ServiceRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.shutdown();
  }
}

/**
 * Global: the validated config ({@link HUB_CONFIG}), the {@link ServiceRuntime}
 * (logger, metrics, readiness), the {@link KafkaInfrastructure} and the
 * {@link DataSource} as async providers (connected, and migrated, when Nest makes
 * them; closed in Nest's shutdown by the runtime's steps, after the consumers
 * stopped), and {@link PeriodicTasks}, plus the health and metrics endpoints. The
 * app's own module imports nothing of this: it injects what it needs.
 */
@Global()
@Module({})
export class PlatformModule {
  static forService(settings: PlatformSettings): DynamicModule {
    const providers: Provider[] = [
      { provide: HUB_CONFIG, useValue: settings.config },
      { provide: ServiceRuntime, useValue: settings.runtime },
      // The service's Prometheus registry: metrics classes inject it.
      { provide: Registry, useValue: settings.runtime.metrics },
      { provide: HUB_CONNECTIONS, useFactory: settings.connect },
      {
        provide: KafkaInfrastructure,
        inject: [HUB_CONNECTIONS],
        useFactory: (connections: Awaited<ReturnType<ConnectDependencies>>) => connections.kafka,
      },
      ...(settings.database
        ? [
            {
              provide: DataSource,
              inject: [HUB_CONNECTIONS],
              useFactory: (connections: Awaited<ReturnType<ConnectDependencies>>) => connections.dataSource,
            },
          ]
        : []),
      RuntimeShutdown,
      PeriodicTasks,
    ];
    return {
      module: PlatformModule,
      // Nest's scheduler: the service's recurring work runs through PeriodicTasks on it.
      imports: [ScheduleModule.forRoot()],
      controllers: [HealthController],
      providers,
      exports: [
        PeriodicTasks,
        HUB_CONFIG,
        ServiceRuntime,
        Registry,
        KafkaInfrastructure,
        ...(settings.database ? [DataSource] : []),
      ],
    };
  }
}

/**
 * Provides the app's {@link HubKafkaTransport}: its subscriptions (one per
 * `@EventPattern`) built from the app's providers. The service's start-up connects it
 * with `connectMicroservice` and starts it after HTTP listens; in a command it starts
 * nothing until the command asks ({@link HubKafkaTransport.start}).
 */
export function kafkaTransportProvider<D extends unknown[]>(definition: {
  inject: { [K in keyof D]: InjectionToken };
  subscriptions: (...dependencies: D) => KafkaSubscription[];
}): FactoryProvider<HubKafkaTransport> {
  return {
    provide: HubKafkaTransport,
    inject: [KafkaInfrastructure, ServiceRuntime, ...definition.inject],
    useFactory: (kafka: KafkaInfrastructure, runtime: ServiceRuntime, ...dependencies: unknown[]) =>
      new HubKafkaTransport(
        kafka.kafka,
        runtime.logger.child({ context: 'kafka-transport' }),
        definition.subscriptions(...(dependencies as D)),
        runtime.mode === 'serve',
      ),
  };
}

/**
 * The codec of erp.documents.v1 values (schema registry, JSON Schema of the topic's
 * contract) under the app's token: the enricher encodes, the sink and the
 * reconciler decode.
 */
export function erpDocumentCodecProvider(token: InjectionToken): FactoryProvider<DocumentCodec> {
  return {
    provide: token,
    inject: [HUB_CONFIG, KafkaInfrastructure],
    useFactory: (config: SchemaRegistrySettings, kafka: KafkaInfrastructure) =>
      new DocumentCodec(
        createSchemaRegistry(config),
        `${kafka.topics.erpDocuments}-value`,
        subjectCompatibility(config),
      ),
  };
}

/** A {@link BatchingPublisher} of one of the hub's topics under the app's token: concurrent sends share one acks=all request. */
export function batchingPublisherProvider(
  token: InjectionToken,
  topic: TopicName,
  options: Omit<BatchingPublisherOptions, 'topic'>,
): FactoryProvider<BatchingPublisher> {
  return {
    provide: token,
    inject: [KafkaInfrastructure],
    useFactory: (kafka: KafkaInfrastructure) =>
      new BatchingPublisher(kafka.producer, { ...options, topic: kafka.topics[topic] }),
  };
}

/**
 * The enricher's retry tiers ({@link DelayRetryTopics}), their topics made or verified when
 * Nest makes the provider (a durability raised is logged): the enricher moves events to them
 * and consumes them, the reconciler projects them, so either may start first.
 */
export function enricherRetryTopicsProvider(): FactoryProvider<Promise<DelayRetryTopics>> {
  return {
    provide: DelayRetryTopics,
    inject: [HUB_CONFIG, KafkaInfrastructure, ServiceRuntime],
    useFactory: async (config: EnricherRetryConfig, kafka: KafkaInfrastructure, runtime: ServiceRuntime) => {
      const retries = enricherRetryTopics(kafka, config);
      for (const change of await retries.ensureTopics())
        runtime.logger.warn({ change }, 'topic durability raised to what the hub declares');
      return retries;
    },
  };
}

/** The root module of a running service: the platform (global) and the app's own module. */
@Module({})
export class HubRootModule {
  static of(appModule: Type<unknown> | DynamicModule, platform: PlatformSettings): DynamicModule {
    return { module: HubRootModule, imports: [PlatformModule.forService(platform), appModule] };
  }
}
