import { ConfigOf, ConfigProblem, env, retryTiersEnv, tenantsEnv } from '@hub/config';
import { z } from 'zod';
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
  /** The enricher's retry tiers (set them as the enricher has them): a document waits for its sale as long as they last. */
  ...retryTiersEnv,
  /**
   * How long a document waits for the one it depends on (a refund for its sale), then goes
   * to the DLQ. Unset: the enricher's retry span (ENRICHER_RETRY_TIERS_MS) plus two minutes;
   * set shorter than that span, the sink refuses to start.
   */
  SINK_DEPENDENCY_MAX_WAIT_MS: z.coerce
    .number({ invalid_type_error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be at least 0')
    .max(604_800_000, 'must be at most 604800000')
    .optional(),
  /**
   * How long a document waits for what only NetSuite makes (retried at each sweep): an item
   * its catalogue lacks, the invoice or return authorization the document is made from. Then
   * it is dead-lettered with what it waited for named; a DLQ replay posts it later.
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

/** Margin past the enricher's last retry before a waiting document gives up on its dependency. */
const DEPENDENCY_WAIT_MARGIN_MS = 120_000;

/**
 * How long a document waits for its dependency: SINK_DEPENDENCY_MAX_WAIT_MS, or the
 * enricher's whole retry span plus a margin, so that a refund whose sale is still
 * legitimately in the enricher's retry tiers is never dead-lettered for it.
 */
export function dependencyMaxWaitMs(
  config: Pick<ErpSinkConfig, 'SINK_DEPENDENCY_MAX_WAIT_MS' | 'ENRICHER_RETRY_TIERS_MS'>,
): number {
  return config.SINK_DEPENDENCY_MAX_WAIT_MS ?? retrySpanMs(config) + DEPENDENCY_WAIT_MARGIN_MS;
}

function retrySpanMs(config: Pick<ErpSinkConfig, 'ENRICHER_RETRY_TIERS_MS'>): number {
  return config.ENRICHER_RETRY_TIERS_MS.reduce((total, tier) => total + tier, 0);
}

/** A dependency wait shorter than the enricher's retry span is refused at start-up, naming both. */
export function dependencyWaitProblems(
  config: Pick<ErpSinkConfig, 'SINK_DEPENDENCY_MAX_WAIT_MS' | 'ENRICHER_RETRY_TIERS_MS'>,
): ConfigProblem[] {
  const span = retrySpanMs(config);
  if (config.SINK_DEPENDENCY_MAX_WAIT_MS === undefined || config.SINK_DEPENDENCY_MAX_WAIT_MS >= span) return [];
  return [
    {
      variable: 'SINK_DEPENDENCY_MAX_WAIT_MS',
      message: `is ${config.SINK_DEPENDENCY_MAX_WAIT_MS} ms, shorter than the enricher's retry span of ${span} ms (ENRICHER_RETRY_TIERS_MS): a refund whose sale is still in retry would be dead-lettered; unset it to derive it, or raise it`,
    },
  ];
}
