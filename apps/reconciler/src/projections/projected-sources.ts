import { TopicName } from '@hub/contracts';

/** The topics the projections are built from. */
export const PROJECTED_TOPICS = [
  'newstoreEvents',
  'erpDocuments',
  'erpSyncStatus',
  'enricherDlq',
] as const satisfies readonly TopicName[];
export type ProjectedTopic = (typeof PROJECTED_TOPICS)[number];
/** What a projected message is: a message of one of those topics, or an event moved to one of the enricher's retry tiers. */
export type ProjectedKind = ProjectedTopic | 'enricherRetries';

/**
 * One topic the projections are built from: its kind, its physical name, and its name in
 * projection_offsets and unprojectable_messages (the topic's in the contract, or the tier's).
 */
export type ProjectedSource = { topic: string; key: string } & (
  { kind: ProjectedTopic } | { kind: 'enricherRetries'; /** The tier's delay. */ delayMs: number }
);

/** The hub's projected topics, then each of the enricher's retry tiers (their delays as ENRICHER_RETRY_TIERS_MS says). */
export function projectedSources(
  topics: Record<ProjectedTopic, string>,
  retryTiers: readonly { delayMs: number; topic: string }[],
): ProjectedSource[] {
  return [
    ...PROJECTED_TOPICS.map((kind) => ({ kind, topic: topics[kind], key: kind })),
    ...retryTiers.map(({ delayMs, topic }) => ({
      kind: 'enricherRetries' as const,
      topic,
      key: `enricherRetry.${delayMs}ms`,
      delayMs,
    })),
  ];
}
