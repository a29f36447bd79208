import { ConfigOf, env, secret } from '@hub/config';
import { HubServiceBaseConfig } from '@hub/platform';
import { z } from 'zod';

/** The sink's own variables; local defaults point at the ERP emulator (npm run emulator:erp). */
export const erpSinkEnv = {
  ERP_ADAPTER: env.enumeration(['netsuite', 'generic-http'], 'netsuite'),
  /** oauth2 (client credentials: certificate or secret) or tba (token-based auth, HMAC-SHA256). */
  NETSUITE_AUTH: env.enumeration(['oauth2', 'tba'], 'oauth2'),
  NETSUITE_ACCOUNT_ID: env.optionalString(),
  NETSUITE_CONSUMER_KEY: env.optionalString(),
  NETSUITE_CONSUMER_SECRET: secret(z.string().min(1).optional()),
  NETSUITE_TOKEN_ID: env.optionalString(),
  NETSUITE_TOKEN_SECRET: secret(z.string().min(1).optional()),
  NETSUITE_BASE_URL: env.url('http://127.0.0.1:4002/services/rest'),
  NETSUITE_TOKEN_URL: z.string().url().optional(),
  NETSUITE_CLIENT_ID: env.string('hub-client'),
  /** Client secret; the default is the ERP emulator's. Production uses the certificate below. */
  NETSUITE_CLIENT_SECRET: secret(z.string().min(1).default('hub-secret')),
  NETSUITE_PRIVATE_KEY_FILE: env.optionalString(),
  NETSUITE_CERTIFICATE_ID: env.optionalString(),
  GENERIC_ERP_UPSERT_URL: z.string().min(1).optional(),
  GENERIC_ERP_LIST_URL: z.string().min(1).optional(),
  GENERIC_ERP_METHOD: env.enumeration(['PUT', 'POST'], 'PUT'),
  GENERIC_ERP_IDEMPOTENCY_HEADER: env.string('Idempotency-Key'),
  GENERIC_ERP_TOKEN: secret(z.string().min(1).optional()),
  ERP_REQUEST_TIMEOUT_MS: env.integer(30_000, 100, 900_000),
  /** Partitions posted in parallel: keep it within the ERP's concurrency governance (NetSuite: a handful). */
  ERP_CONCURRENCY: env.integer(4, 1, 64),
  ERP_RETRY_BASE_MS: env.integer(1_000, 10, 600_000),
  ERP_RETRY_MAX_MS: env.integer(60_000, 100, 3_600_000),
  ERP_CIRCUIT_FAILURE_THRESHOLD: env.integer(5, 1, 1_000),
  ERP_CIRCUIT_OPEN_MS: env.integer(30_000, 100, 3_600_000),
  /** A credit memo waits this long for its sales order, then goes to the DLQ. */
  SINK_DEPENDENCY_MAX_WAIT_MS: env.integer(600_000, 0, 86_400_000),
  /** How often parked documents are looked at again. */
  SINK_WAITING_SWEEP_MS: env.integer(5_000, 50, 600_000),
  SINK_CONSUMER_GROUP: env.string('erp-sink'),
  /** A crashed instance's partitions move to the others after this long without heartbeats. */
  SINK_SESSION_TIMEOUT_MS: env.integer(30_000, 6_000, 300_000),
  LEDGER_TTL_DAYS: env.integer(30, 1, 3_650),
  LEDGER_PURGE_INTERVAL_MS: env.integer(3_600_000, 1_000, 86_400_000),
};

export type ErpSinkConfig = ConfigOf<typeof erpSinkEnv> & HubServiceBaseConfig;
