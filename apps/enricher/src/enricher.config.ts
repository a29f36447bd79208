import { ConfigOf, env, retryTiersEnv, tenantsEnv } from '@hub/config';
import { newStoreEnv } from '@hub/newstore-graphql';
import { HubServiceBaseConfig } from '@hub/platform';

/** The enricher's variables; local defaults point at the NewStore emulator (npm run emulator:newstore). */
export const enricherEnv = {
  ...newStoreEnv,
  ...tenantsEnv,
  /** Delay before each retry, in ms: NewStore advises 2, 4, 8 … 512 s; then the DLQ. */
  ...retryTiersEnv,
  /** NewStore recommends a switch for idempotent processing: false turns event-id deduplication off. */
  ENRICHER_DEDUP: env.boolean(true),
  /** Per-deployment maps to ERP ids (JSON); validated at start-up. */
  ENRICHER_MAPPING_FILE: env.string('config/mapping.example.json'),
  /** Processed event ids are kept this long for deduplication (NewStore advises 30 days). */
  ENRICHER_DEDUP_TTL_DAYS: env.integer(30, 1, 3_650),
  /** How often expired deduplication records are purged. */
  ENRICHER_DEDUP_PURGE_INTERVAL_MS: env.integer(3_600_000, 1_000, 86_400_000),
  /** How often retry marks whose head already ended are looked for and their orders released. */
  ENRICHER_STALE_SWEEP_MS: env.integer(60_000, 100, 3_600_000),
  /** How long after its head ended a mark counts as stale (a release in progress is left alone). */
  ENRICHER_STALE_GRACE_MS: env.integer(60_000, 0, 3_600_000),
  /** Partitions handled at once by each of the enricher's consumers (order within a partition is kept). */
  ENRICHER_CONCURRENCY: env.integer(3, 1, 64),
  /**
   * Events of different orders enriched at once (across partitions) on newstore.events.v1;
   * one order's events stay in order. Their GraphQL lookups share queries
   * (NEWSTORE_LOOKUP_BATCH_SIZE). 1: one event after another per partition.
   */
  ENRICHER_KEY_CONCURRENCY: env.integer(64, 1, 1_000),
  /**
   * How long a failed event is retried in its own order's lane while the partition's
   * other orders go on; after that the partition is rewound and paused. At most 60 s:
   * a batch must end well within the group's rebalance timeout.
   */
  ENRICHER_KEY_RETRY_BUDGET_MS: env.integer(10_000, 0, 60_000),
  /**
   * Prefix every ERP external id with the tenant: required when several tenants post to
   * one ERP account, where two tenants' order 1001 would otherwise share one record.
   */
  ENRICHER_TENANT_IN_EXTERNAL_ID: env.boolean(false),
  ENRICHER_CONSUMER_GROUP: env.string('enricher'),
  ENRICHER_SESSION_TIMEOUT_MS: env.integer(30_000, 6_000, 300_000),
};

export type EnricherConfig = ConfigOf<typeof enricherEnv> & HubServiceBaseConfig;
