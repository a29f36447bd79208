/**
 * The hub's topics: logical name, default physical name (versioned), and the
 * configuration each is created with. A typed record, so a topic used anywhere
 * must be declared here. Physical names can be overridden per deployment
 * (environment `TOPIC_<LOGICAL_NAME>`) and all carry KAFKA_TOPIC_PREFIX.
 */
export interface TopicDeclaration {
  /** Default physical name, versioned. */
  name: string;
  cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps messages forever. */
  retentionMs: number;
  description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPICS = {
  newstoreEvents: {
    name: 'newstore.events.v1',
    cleanupPolicy: 'delete',
    retentionMs: -1,
    description: 'Raw NewStore webhook bodies, keyed by order id: the event store.',
  },
  enricherDlq: {
    name: 'enricher.dlq.v1',
    cleanupPolicy: 'delete',
    retentionMs: 365 * DAY_MS,
    description: 'Events the enricher could not process, reason in headers.',
  },
  erpDocuments: {
    name: 'erp.documents.v1',
    cleanupPolicy: 'delete',
    // Kept for ever: the projections are rebuilt from it (ARCHITECTURE.md, "everything rebuildable").
    // Keyed by order id for ordering, so it cannot be compacted by idempotency key.
    retentionMs: -1,
    description: 'ERP-neutral documents with their idempotency key, keyed by order id.',
  },
  erpDlq: {
    name: 'erp.dlq.v1',
    cleanupPolicy: 'delete',
    retentionMs: 365 * DAY_MS,
    description: 'Documents the ERP rejected, with its error in headers.',
  },
  erpSyncStatus: {
    name: 'erp.sync-status.v1',
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description: 'Last posting outcome per idempotency key (compacted).',
  },
  reconciliationDiscrepancies: {
    name: 'reconciliation.discrepancies.v1',
    cleanupPolicy: 'delete',
    retentionMs: 90 * DAY_MS,
    description: 'One message per discrepancy found by the daily reconciliation.',
  },
} as const satisfies Record<string, TopicDeclaration>;

export type TopicName = keyof typeof TOPICS;

/** Environment variable that overrides a topic's physical name, e.g. TOPIC_NEWSTORE_EVENTS. */
export function topicOverrideVariable(topic: TopicName): string {
  return `TOPIC_${topic.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Physical topic names for one deployment: prefix plus name, or the override. */
export function resolveTopicNames(prefix: string, source: NodeJS.ProcessEnv = process.env): Record<TopicName, string> {
  const names = {} as Record<TopicName, string>;
  for (const topic of Object.keys(TOPICS) as TopicName[]) {
    const override = source[topicOverrideVariable(topic)]?.trim();
    names[topic] = `${prefix}${override || TOPICS[topic].name}`;
  }
  return names;
}
