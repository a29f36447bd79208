import { z } from 'zod';
import { env, secret } from './env-schema';

/**
 * Kafka connection settings shared by every service. They cover production
 * clusters (TLS, SASL/SCRAM) as well as the local single-node broker.
 */
export const kafkaEnv = {
  KAFKA_BROKERS: env.list('127.0.0.1:19092'),
  KAFKA_CLIENT_ID: env.string('parity-hub'),
  KAFKA_SSL: env.boolean(false),
  KAFKA_SSL_CA_FILE: env.optionalString(),
  KAFKA_SASL_MECHANISM: env.enumeration(['none', 'plain', 'scram-sha-256', 'scram-sha-512'], 'none'),
  KAFKA_SASL_USERNAME: env.optionalString(),
  KAFKA_SASL_PASSWORD: secret(z.string().min(1).optional()),
  /** Prefix put before every topic name: isolates tests and environments sharing a cluster. */
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_TOPIC_PARTITIONS: env.integer(6, 1, 1000),
  KAFKA_REPLICATION_FACTOR: env.integer(1, 1, 7),
  /** false: topics must exist already (verified at start-up), for clusters where apps may not create them. */
  KAFKA_CREATE_TOPICS: env.boolean(true),
  /**
   * What a consumer group with no committed offsets does when its service has processed
   * events before (the broker forgot the group's offsets after offsets.retention.minutes):
   * `refuse` to start (default: reading the topics again from their beginning would repeat
   * what the deduplication records and the ledger no longer remember), or `earliest`, read
   * from the beginning deliberately. A service with no history always starts from the beginning.
   */
  KAFKA_GROUP_WITHOUT_OFFSETS: env.enumeration(['refuse', 'earliest'], 'refuse'),
  SCHEMA_REGISTRY_URL: env.url('http://127.0.0.1:18081/apis/ccompat/v7'),
  SCHEMA_REGISTRY_USERNAME: env.optionalString(),
  SCHEMA_REGISTRY_PASSWORD: secret(z.string().min(1).optional()),
};

export const databaseEnv = {
  DATABASE_URL: secret(z.string().url('must be a postgres:// URL').default('postgres://postgres@127.0.0.1:5432/test')),
  /** At least 2: a session lock (withAdvisoryLock) holds a connection while its work needs another. */
  DATABASE_POOL_SIZE: env.integer(10, 2, 200),
  /**
   * true: the service applies its pending migrations at start-up (under a lock per
   * schema). false: a migration Job does (`main.js migrate`), and the service refuses
   * to start on a schema with migrations pending.
   */
  DATABASE_MIGRATE: env.boolean(true),
  /** Postgres application_name of the service's connections (pg_stat_activity); unset: the service's name. */
  DATABASE_APPLICATION_NAME: env.optionalString(),
};

export const serviceEnv = {
  NODE_ENV: env.enumeration(['development', 'production', 'test'], 'development'),
  LOG_LEVEL: env.enumeration(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  /** json (production) or pretty (local terminal). */
  LOG_FORMAT: env.enumeration(['json', 'pretty'], 'json'),
  /** Write log lines to this file (appended) instead of stdout; the tests use it to keep their output short. */
  LOG_FILE: env.optionalString(),
  HTTP_HOST: env.string('0.0.0.0'),
  /**
   * A port of its own for GET /metrics (unset: /metrics on PORT only), so that a network
   * policy can let monitoring reach the metrics and nothing else (an admin API included).
   */
  METRICS_PORT: env.port(0).optional(),
  SHUTDOWN_TIMEOUT_MS: env.integer(25_000, 1_000, 600_000),
  /**
   * OpenTelemetry: spans of each stage (webhook, enrichment and its GraphQL calls, ERP
   * post, reconciliation) sent by OTLP/HTTP to this endpoint (`/v1/traces` is added);
   * unset: no span is made.
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url('must be an http(s) URL').optional(),
  /** How long finished spans wait before they are sent as a batch. */
  OTEL_BSP_SCHEDULE_DELAY: env.integer(5_000, 10, 600_000),
};
