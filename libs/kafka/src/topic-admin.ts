import { TOPICS, TopicName } from '@hub/contracts';
import { Admin, ConfigResourceTypes } from 'kafkajs';

export interface TopicSettings {
  names: Record<TopicName, string>;
  partitions: number;
  replicationFactor: number;
  /** When false, only verifies: a missing topic is an error. */
  create: boolean;
}

export class TopicConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopicConfigurationError';
  }
}

/**
 * Creates the declared topics that are missing and verifies the cleanup policy of
 * those that exist. A compacted topic that is not compacted (or the reverse) would
 * silently lose or keep data, so it stops the service instead.
 */
export async function ensureTopics(admin: Admin, topics: readonly TopicName[], settings: TopicSettings): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(settings.names[topic]));
  if (missing.length > 0) {
    if (!settings.create) {
      throw new TopicConfigurationError(
        `Topics missing and KAFKA_CREATE_TOPICS=false: ${missing.map((topic) => settings.names[topic]).join(', ')}`,
      );
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic: settings.names[topic],
        numPartitions: settings.partitions,
        replicationFactor: settings.replicationFactor,
        configEntries: [
          { name: 'cleanup.policy', value: TOPICS[topic].cleanupPolicy },
          { name: 'retention.ms', value: String(TOPICS[topic].retentionMs) },
        ],
      })),
    });
  }
  const present = topics.filter((topic) => existing.has(settings.names[topic]));
  if (present.length === 0) return;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((topic) => ({
      type: ConfigResourceTypes.TOPIC,
      name: settings.names[topic],
      configNames: ['cleanup.policy'],
    })),
  });
  for (const topic of present) {
    const resource = described.resources.find((item) => item.resourceName === settings.names[topic]);
    const policy = resource?.configEntries.find((entry) => entry.configName === 'cleanup.policy')?.configValue;
    if (policy !== TOPICS[topic].cleanupPolicy) {
      throw new TopicConfigurationError(
        `Topic ${settings.names[topic]} has cleanup.policy=${policy ?? 'unknown'}, expected ${TOPICS[topic].cleanupPolicy}`,
      );
    }
  }
}
