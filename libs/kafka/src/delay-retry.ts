import { ENRICHER_RETRY_STEM, HEADERS } from '@hub/contracts';
import { ConsumedMessage } from './hub-consumer';
import { KafkaInfrastructure } from './kafka-infrastructure';
import { ensurePhysicalTopics } from './topic-admin';
import { readTopicFrom } from './topic-reader';

/** A retry message whose due time has not come: the consumer pauses its partition until then. */
export class NotDueYet extends Error {
  constructor(readonly remainingMs: number) {
    super(`due in ${remainingMs} ms`);
    this.name = 'NotDueYet';
  }
}

export const RETRY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export interface DelayRetrySettings {
  /** Topic name stem, e.g. `enricher.retry` → `enricher.retry.2000ms.v1`. */
  stem: string;
  prefix: string;
  /** Delay of each tier, in ms; after the last, the caller dead-letters. */
  tiersMs: number[];
  partitions: number;
  replicationFactor: number;
  create: boolean;
}

/**
 * Delay-retry tiers on Kafka topics, one per distinct delay. A message moved to a
 * tier carries `retry-attempt` (its tier + 1), `retry-first-seen-at`, `retry-due-at`
 * and `retry-last-error`. The retry consumer calls {@link throwIfNotDue} first: with
 * {@link HubConsumer}'s `minimumRetryDelayMs: DelayRetryTopics.pauseFor`, the
 * partition then pauses exactly until its head is due (no busy loop, no long sleep
 * in a handler), and a rebalance meanwhile loses nothing, since nothing is committed.
 */
export class DelayRetryTopics {
  readonly topics: string[];
  /** Each distinct delay and its topic, shortest first. */
  readonly tiers: { delayMs: number; topic: string }[];

  constructor(
    private readonly kafka: KafkaInfrastructure,
    private readonly settings: DelayRetrySettings,
  ) {
    this.tiers = [...new Set(settings.tiersMs)]
      .sort((a, b) => a - b)
      .map((delayMs) => ({ delayMs, topic: this.topicFor(delayMs) }));
    this.topics = [...new Set(settings.tiersMs.map((delay) => this.topicFor(delay)))];
  }

  get tierCount(): number {
    return this.settings.tiersMs.length;
  }

  async ensureTopics(): Promise<string[]> {
    return ensurePhysicalTopics(
      this.kafka.admin,
      this.topics.map((name) => ({ name, cleanupPolicy: 'delete', retentionMs: RETRY_RETENTION_MS })),
      {
        partitions: this.settings.partitions,
        replicationFactor: this.settings.replicationFactor,
        create: this.settings.create,
      },
    );
  }

  /**
   * Moves what is left in retry tiers that exist but are no longer configured (the
   * delays were changed) into the configured tier of the nearest delay at or above
   * theirs (else the longest), keeping every header, due time included, then
   * deletes the old topic. Without this, messages in a removed tier would never be
   * consumed again. Only what `consumerGroup` has not consumed is moved. Returns
   * the topics drained and how many messages each held.
   */
  async drainRemovedTiers(consumerGroup: string): Promise<{ topic: string; moved: number }[]> {
    const drained: { topic: string; moved: number }[] = [];
    const delays = [...new Set(this.settings.tiersMs)].sort((a, b) => a - b);
    for (const { topic, delayMs: delay } of await this.unconfiguredTiers()) {
      const target = this.topicFor(delays.find((candidate) => candidate >= delay) ?? delays[delays.length - 1]);
      const [committed] = await this.kafka.admin.fetchOffsets({ groupId: consumerGroup, topics: [topic] });
      const from = new Map(
        (committed?.partitions ?? [])
          .filter(({ offset }) => Number(offset) >= 0)
          .map(({ partition, offset }) => [partition, BigInt(offset)]),
      );
      const moved = await readTopicFrom(this.kafka.kafka, topic, from, async (messages) => {
        await this.kafka.producer.send(
          target,
          messages.map((message) => ({ key: message.key, value: message.value, headers: message.headers })),
        );
      });
      await this.kafka.admin.deleteTopics({ topics: [topic] });
      drained.push({ topic, moved });
    }
    return drained;
  }

  /** Tier topics of this stem on the broker that the configured delays do not name (the delays were changed). */
  async unconfiguredTiers(): Promise<{ topic: string; delayMs: number }[]> {
    const stem = `${this.settings.prefix}${this.settings.stem}.`;
    const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)ms\\.v1$`);
    return (await this.kafka.admin.listTopics())
      .filter((topic) => pattern.test(topic) && !this.topics.includes(topic))
      .sort()
      .map((topic) => ({ topic, delayMs: Number(pattern.exec(topic)![1]) }));
  }

  /** The tier a retry message is in (0-based), from its attempt header. */
  tierOf(message: Pick<ConsumedMessage, 'headers'>): number {
    return Math.max(0, Number(message.headers[HEADERS.attempt] ?? 1) - 1);
  }

  throwIfNotDue(message: Pick<ConsumedMessage, 'headers'>): void {
    const due = Date.parse(message.headers[HEADERS.dueAt] ?? '');
    const remaining = Number.isNaN(due) ? 0 : due - Date.now();
    if (remaining > 0) throw new NotDueYet(remaining);
  }

  static pauseFor(error: unknown): number | undefined {
    return error instanceof NotDueYet ? error.remainingMs : undefined;
  }

  /** Moves a message to a tier (offset of the source can be committed afterwards). */
  async send(
    tier: number,
    key: string,
    value: Buffer | null,
    headers: Record<string, string>,
    reason: string,
    firstSeenAt: string,
  ): Promise<void> {
    const delay = this.settings.tiersMs[tier];
    await this.kafka.producer.send(this.topicFor(delay), [
      {
        key,
        value,
        headers: {
          ...headers,
          [HEADERS.attempt]: String(tier + 1),
          [HEADERS.firstSeenAt]: firstSeenAt,
          [HEADERS.dueAt]: new Date(Date.now() + delay).toISOString(),
          [HEADERS.lastError]: reason.slice(0, 500),
        },
      },
    ]);
  }

  delayOf(tier: number): number {
    return this.settings.tiersMs[tier];
  }

  private topicFor(delay: number): string {
    return `${this.settings.prefix}${this.settings.stem}.${delay}ms.v1`;
  }
}

/** What a deployment's environment says of the enricher's retry tiers (the same on every service that names them). */
export interface EnricherRetryConfig {
  KAFKA_TOPIC_PREFIX: string;
  ENRICHER_RETRY_TIERS_MS: number[];
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR: number;
  KAFKA_CREATE_TOPICS: boolean;
}

/** The enricher's retry tiers: it moves events to them and consumes them; the reconciler projects them. */
export function enricherRetryTopics(kafka: KafkaInfrastructure, config: EnricherRetryConfig): DelayRetryTopics {
  return new DelayRetryTopics(kafka, {
    stem: ENRICHER_RETRY_STEM,
    prefix: config.KAFKA_TOPIC_PREFIX,
    tiersMs: config.ENRICHER_RETRY_TIERS_MS,
    partitions: config.KAFKA_TOPIC_PARTITIONS,
    replicationFactor: config.KAFKA_REPLICATION_FACTOR,
    create: config.KAFKA_CREATE_TOPICS,
  });
}
