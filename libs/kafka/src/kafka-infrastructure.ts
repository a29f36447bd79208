import { TopicName, resolveTopicNames } from '@hub/contracts';
import type { ReadinessCheck } from '@hub/observability';
import { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { HubProducer } from './hub-producer';
import { createKafka, KafkaConnectionSettings } from './kafka-client';
import { ensureTopics } from './topic-admin';

export interface KafkaInfrastructureSettings extends KafkaConnectionSettings {
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR: number;
  KAFKA_CREATE_TOPICS: boolean;
}

/**
 * A service's connection to Kafka: client, admin, the idempotent producer and
 * the physical topic names. `connect` creates or verifies the topics the service
 * uses before anything is produced or consumed.
 */
export class KafkaInfrastructure {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly producer: HubProducer;
  readonly topics: Record<TopicName, string>;

  constructor(
    private readonly settings: KafkaInfrastructureSettings,
    readonly logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.kafka = createKafka(settings, logger);
    this.admin = this.kafka.admin();
    this.producer = new HubProducer(this.kafka, logger.child({ context: 'kafka-producer' }));
    this.topics = resolveTopicNames(settings.KAFKA_TOPIC_PREFIX, env);
  }

  async connect(topics: readonly TopicName[]): Promise<void> {
    await this.admin.connect();
    const raised = await ensureTopics(this.admin, topics, {
      names: this.topics,
      partitions: this.settings.KAFKA_TOPIC_PARTITIONS,
      replicationFactor: this.settings.KAFKA_REPLICATION_FACTOR,
      create: this.settings.KAFKA_CREATE_TOPICS,
    });
    for (const change of raised) this.logger.warn({ change }, 'topic durability raised to what the hub declares');
    await this.producer.connect();
  }

  /** Ready when the cluster answers a metadata request. */
  readinessCheck(): ReadinessCheck {
    return {
      name: 'kafka',
      check: async () => {
        const cluster = await this.admin.describeCluster();
        return cluster.brokers.length > 0;
      },
    };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }
}
