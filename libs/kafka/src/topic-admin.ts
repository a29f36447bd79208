import { TOPICS, TopicName } from '@hub/contracts';
import { Admin, ConfigResourceTypes } from 'kafkajs';

export interface TopicSettings {
  names: Record<TopicName, string>;
  partitions: number;
  replicationFactor: number;
  /** When false, only verifies: a missing topic is an error. */
  create: boolean;
}

/** A topic to create or verify: physical name and the configs it must have. */
export interface PhysicalTopic {
  name: string;
  cleanupPolicy: 'delete' | 'compact';
  retentionMs: number;
}

export class TopicConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicConfigurationError';
  }
}

const CREATE_ATTEMPTS = 5;

/** A topic another service just created may not be known to every broker yet: ask again shortly. */
async function retryWhileSettling<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= CREATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
}

/**
 * Creates the declared topics that are missing and verifies the cleanup policy of
 * every one. A compacted topic that is not compacted (or the reverse) would
 * silently lose or keep data, so it stops the service instead. Several services
 * start at once on a new cluster and race to create the same topics: a failed
 * creation is looked at again, and what another one created is only verified.
 */
export async function ensurePhysicalTopics(
  admin: Admin,
  topics: readonly PhysicalTopic[],
  settings: Omit<TopicSettings, 'names'>,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.name));
    if (missing.length === 0) break;
    if (!settings.create) {
      throw new TopicConfigurationError(
        `Topics missing and KAFKA_CREATE_TOPICS=false: ${missing.map((topic) => topic.name).join(', ')}`,
      );
    }
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic: topic.name,
          numPartitions: settings.partitions,
          replicationFactor: settings.replicationFactor,
          configEntries: [
            { name: 'cleanup.policy', value: topic.cleanupPolicy },
            { name: 'retention.ms', value: String(topic.retentionMs) },
          ],
        })),
      });
      break;
    } catch (error) {
      if (attempt >= CREATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
  const described = await retryWhileSettling(() =>
    admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((topic) => ({
        type: ConfigResourceTypes.TOPIC,
        name: topic.name,
        configNames: ['cleanup.policy'],
      })),
    }),
  );
  for (const topic of topics) {
    const resource = described.resources.find((item) => item.resourceName === topic.name);
    const policy = resource?.configEntries.find((entry) => entry.configName === 'cleanup.policy')?.configValue;
    if (policy !== topic.cleanupPolicy) {
      throw new TopicConfigurationError(
        `Topic ${topic.name} has cleanup.policy=${policy ?? 'unknown'}, expected ${topic.cleanupPolicy}`,
      );
    }
  }
}

/** {@link ensurePhysicalTopics} for the hub's declared topics (libs/contracts). */
export async function ensureTopics(admin: Admin, topics: readonly TopicName[], settings: TopicSettings): Promise<void> {
  await ensurePhysicalTopics(
    admin,
    topics.map((topic) => ({
      name: settings.names[topic],
      cleanupPolicy: TOPICS[topic].cleanupPolicy,
      retentionMs: TOPICS[topic].retentionMs,
    })),
    settings,
  );
}
