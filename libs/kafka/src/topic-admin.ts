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
 * The durability a topic needs: with three or more replicas an acknowledged write
 * is on at least two (`min.insync.replicas` 2), so losing one broker loses nothing
 * acks=all confirmed.
 */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/** Whether a topic's retention keeps at least what is declared (-1: for ever). */
function keepsEnough(actual: number, declared: number): boolean {
  if (declared === -1) return actual === -1;
  return actual === -1 || actual >= declared;
}

/**
 * Creates the declared topics that are missing and verifies every one. A
 * compacted topic that is not compacted (or the reverse) would silently lose or
 * keep data, so it stops the service. A retention shorter than declared, or a
 * `min.insync.replicas` below what the replication factor allows, is raised (a
 * change that can only keep more) and reported in the returned list. Several
 * services start at once on a new cluster and race to create the same topics: a
 * failed creation is looked at again, and what another one created is only
 * verified.
 */
export async function ensurePhysicalTopics(
  admin: Admin,
  topics: readonly PhysicalTopic[],
  settings: Omit<TopicSettings, 'names'>,
): Promise<string[]> {
  // Nothing declared, nothing to verify (the broker refuses a describe of no resource).
  if (topics.length === 0) return [];
  const minInsync = minInsyncReplicasFor(settings.replicationFactor);
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
            { name: 'min.insync.replicas', value: String(minInsync) },
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
      resources: topics.map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic.name })),
    }),
  );
  const raised: string[] = [];
  for (const topic of topics) {
    const entries = described.resources.find((item) => item.resourceName === topic.name)?.configEntries ?? [];
    const value = (name: string) => entries.find((entry) => entry.configName === name)?.configValue;
    const policy = value('cleanup.policy');
    if (policy !== topic.cleanupPolicy) {
      throw new TopicConfigurationError(
        `Topic ${topic.name} has cleanup.policy=${policy ?? 'unknown'}, expected ${topic.cleanupPolicy}`,
      );
    }
    const changes: Record<string, string> = {};
    const retention = Number(value('retention.ms') ?? topic.retentionMs);
    if (!keepsEnough(retention, topic.retentionMs)) changes['retention.ms'] = String(topic.retentionMs);
    if (Number(value('min.insync.replicas') ?? 1) < minInsync) changes['min.insync.replicas'] = String(minInsync);
    if (Object.keys(changes).length === 0) continue;
    // AlterConfigs replaces a topic's whole set of overrides: the ones it has are sent again with the changes.
    const overrides = Object.fromEntries(
      entries
        .filter((entry) => !entry.isDefault && !entry.readOnly && entry.configValue !== null)
        .map((entry) => [entry.configName, entry.configValue]),
    );
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic.name,
          configEntries: Object.entries({ ...overrides, ...changes }).map(([name, configValue]) => ({
            name,
            value: configValue,
          })),
        },
      ],
    });
    raised.push(
      `${topic.name}: ${Object.entries(changes)
        .map(([name, configValue]) => `${name} ${value(name) ?? 'default'} → ${configValue}`)
        .join(', ')}`,
    );
  }
  return raised;
}

/** {@link ensurePhysicalTopics} for the hub's declared topics (libs/contracts). */
export async function ensureTopics(
  admin: Admin,
  topics: readonly TopicName[],
  settings: TopicSettings,
): Promise<string[]> {
  return ensurePhysicalTopics(
    admin,
    topics.map((topic) => ({
      name: settings.names[topic],
      cleanupPolicy: TOPICS[topic].cleanupPolicy,
      retentionMs: TOPICS[topic].retentionMs,
    })),
    settings,
  );
}
