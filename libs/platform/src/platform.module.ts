import { TopicName } from '@hub/contracts';
import {
  BatchingPublisher,
  BatchingPublisherOptions,
  createSchemaRegistry,
  subjectCompatibility,
  DocumentCodec,
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

/** What the start-up sequence connected before Nest: provided to every module of the service. */
export interface HubServiceConnections<C = unknown> {
  config: C;
  runtime: ServiceRuntime;
  kafka: KafkaInfrastructure;
  /** Present when the service declared a database (migrated before Nest starts). */
  dataSource?: DataSource;
}

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
 * (logger, metrics, readiness), the connected {@link KafkaInfrastructure}, the
 * migrated {@link DataSource} and {@link PeriodicTasks}, plus the health and metrics endpoints. The app's own
 * module imports nothing of this: it injects what it needs.
 */
@Global()
@Module({})
export class PlatformModule {
  static forService(connections: HubServiceConnections): DynamicModule {
    const providers: Provider[] = [
      { provide: HUB_CONFIG, useValue: connections.config },
      { provide: ServiceRuntime, useValue: connections.runtime },
      // The service's Prometheus registry: metrics classes inject it.
      { provide: Registry, useValue: connections.runtime.metrics },
      { provide: KafkaInfrastructure, useValue: connections.kafka },
      ...(connections.dataSource ? [{ provide: DataSource, useValue: connections.dataSource }] : []),
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
        ...(connections.dataSource ? [DataSource] : []),
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

/** The root module of a running service: the platform (global) and the app's own module. */
@Module({})
export class HubRootModule {
  static of(appModule: Type<unknown> | DynamicModule, connections: HubServiceConnections): DynamicModule {
    return { module: HubRootModule, imports: [PlatformModule.forService(connections), appModule] };
  }
}
