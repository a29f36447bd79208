import { ConfigOf, env, tenantsEnv } from '@hub/config';
import { erpEnv } from '@hub/erp';
import { HubServiceBaseConfig } from '@hub/platform';

/** The sink's own variables; local defaults point at the ERP emulator (npm run emulator:erp). */
export const erpSinkEnv = {
  ...erpEnv,
  ...tenantsEnv,
  /** ERP requests in flight at most (across partitions and the sweep): keep it within the ERP's concurrency governance (NetSuite: a handful). */
  ERP_CONCURRENCY: env.integer(4, 1, 64),
  ERP_RETRY_BASE_MS: env.integer(1_000, 10, 600_000),
  ERP_RETRY_MAX_MS: env.integer(60_000, 100, 3_600_000),
  ERP_CIRCUIT_FAILURE_THRESHOLD: env.integer(5, 1, 1_000),
  ERP_CIRCUIT_OPEN_MS: env.integer(30_000, 100, 3_600_000),
  /** A credit memo waits this long for its sales order, then goes to the DLQ. */
  SINK_DEPENDENCY_MAX_WAIT_MS: env.integer(600_000, 0, 86_400_000),
  /**
   * How long a document whose item NetSuite's catalogue lacks waits for it (retried at each
   * sweep) before it is dead-lettered with the product named; a DLQ replay posts it later.
   */
  SINK_CATALOGUE_MAX_WAIT_MS: env.integer(3_600_000, 0, 604_800_000),
  /** How often parked documents are looked at again. */
  SINK_WAITING_SWEEP_MS: env.integer(5_000, 50, 600_000),
  SINK_CONSUMER_GROUP: env.string('erp-sink'),
  /** A crashed instance's partitions move to the others after this long without heartbeats. */
  SINK_SESSION_TIMEOUT_MS: env.integer(30_000, 6_000, 300_000),
  /**
   * How long a failed document is retried in its own order's lane while the partition's
   * other orders go on; after that the partition is rewound and paused. At most 60 s:
   * a batch must end well within the group's rebalance timeout.
   */
  SINK_KEY_RETRY_BUDGET_MS: env.integer(10_000, 0, 60_000),
  LEDGER_TTL_DAYS: env.integer(30, 1, 3_650),
  LEDGER_PURGE_INTERVAL_MS: env.integer(3_600_000, 1_000, 86_400_000),
};

export type ErpSinkConfig = ConfigOf<typeof erpSinkEnv> & HubServiceBaseConfig;
