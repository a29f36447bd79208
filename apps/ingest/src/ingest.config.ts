import { ConfigOf, env, secret } from '@hub/config';
import { HubServiceBaseConfig } from '@hub/platform';

/** Ingest's own variables; the common service and Kafka ones are added by the platform. */
export const ingestEnv = {
  /** Path NewStore's event-stream integration posts to (its callback_url). */
  INGEST_PATH: env.string('/webhooks/newstore'),
  /**
   * The api_key(s) set on the NewStore integrations, comma-separated, each bound to its
   * tenant as `tenant:key` (a key alone serves the one tenant of INGEST_TENANTS); several
   * per tenant during a rotation.
   */
  INGEST_API_KEYS: secret(env.list()),
  /** The tenants this hub serves; events of others get 400. Default: the tenants INGEST_API_KEYS names. */
  INGEST_TENANTS: env.list().optional(),
  /**
   * Largest body accepted (400 above: an event wrong in itself). With the headers ingest adds it must fit the
   * topic's max.message.bytes (1 MiB by default): checked against the broker at start-up.
   */
  INGEST_BODY_LIMIT_BYTES: env.integer(1_000_000, 1_024, 64 * 1_048_576),
  /** Past this, a request gets 503 + Retry-After, and NewStore retries. */
  INGEST_PRODUCE_DEADLINE_MS: env.integer(5_000, 100, 120_000),
  INGEST_RETRY_AFTER_SECONDS: env.integer(10, 1, 3_600),
  /** Extra wait for concurrent requests to share one Kafka send; 0 = adaptive (send when none is in flight). */
  INGEST_LINGER_MS: env.integer(0, 0, 1_000),
  INGEST_MAX_BATCH_SIZE: env.integer(500, 1, 10_000),
  /** Bytes of one Kafka send at most (one record batch per partition must fit the broker's max.message.bytes). */
  INGEST_MAX_BATCH_BYTES: env.integer(524_288, 16_384, 64 * 1_048_576),
  /** Events waiting for Kafka at most; past it, 503 + Retry-After at once instead of an unbounded queue. */
  INGEST_MAX_BUFFERED_EVENTS: env.integer(10_000, 1, 1_000_000),
  /**
   * Kafka producers ingest writes through, each with its own send in flight (an
   * idempotent producer has one): more overlap acknowledgements. An order's events
   * always go through the same one.
   */
  INGEST_PRODUCERS: env.integer(2, 1, 8),
  /** The import command: lines read ahead of Kafka's acknowledgements at most. */
  INGEST_IMPORT_MAX_IN_FLIGHT: env.integer(2_000, 1, 100_000),
};

export type IngestConfig = ConfigOf<typeof ingestEnv> & HubServiceBaseConfig;
