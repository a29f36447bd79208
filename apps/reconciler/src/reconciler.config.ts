import { ConfigOf, env, retryTiersEnv, secret, tenantsEnv } from '@hub/config';
import { erpEnv } from '@hub/erp';
import { newStoreEnv } from '@hub/newstore-graphql';
import { HubServiceBaseConfig } from '@hub/platform';
import { assertTimeZone } from '@hub/reconciliation';
import { z } from 'zod';

/** The reconciler's variables; NewStore and ERP defaults point at the emulators (npm run up). */
export const reconcilerEnv = {
  ...newStoreEnv,
  ...erpEnv,
  ...tenantsEnv,
  /** The enricher's retry tiers (set as on the enricher): their topics are projected, an order's retries on its page. */
  ...retryTiersEnv,
  /** Tenants the daily run reconciles (with TENANTS_FILE: the file's tenants instead). */
  RECONCILER_TENANTS: env.list('demo'),
  /** IANA zone of the business day (orders are dated by their creation instant in it). */
  RECONCILER_TIME_ZONE: z
    .string()
    .default('UTC')
    .superRefine((zone, context) => {
      try {
        assertTimeZone(zone);
      } catch (error) {
        context.addIssue({ code: z.ZodIssueCode.custom, message: (error as Error).message });
      }
    }),
  /** Local time (HH:MM, in RECONCILER_TIME_ZONE) of the daily run; it reconciles the previous day. */
  RECONCILER_DAILY_AT: z
    .string()
    .default('02:00')
    .refine((value) => /^([01]\d|2[0-3]):[0-5]\d$/.test(value), 'must be a time of day, HH:MM'),
  RECONCILER_SCHEDULE_ENABLED: env.boolean(true),
  /**
   * At start-up, days whose scheduled run was missed (the service was down) are
   * reconciled, the most recent this many at most; 0 turns the catch-up off.
   */
  RECONCILER_CATCH_UP_DAYS: env.integer(7, 0, 366),
  /**
   * After its scheduled run, the daily run reconciles again this many days before it:
   * NewStore lists a day's orders by creation, so an item cancelled days after its order
   * was made is found only when the order's day is reconciled again. 0 turns it off.
   */
  RECONCILER_RECHECK_DAYS: env.integer(3, 0, 31),
  /**
   * The event-stream integrations to watch, as tenant:integrationId (comma-separated);
   * unset: no watchdog.
   */
  WATCHDOG_INTEGRATIONS: env
    .list()
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*:\S+$/, 'each entry is tenant:integrationId')))
    .optional(),
  WATCHDOG_INTERVAL_MS: env.integer(60_000, 100, 3_600_000),
  /** Start a stopped integration again by itself once it is safe (no rejected event left, ingest ready). */
  WATCHDOG_AUTO_RESTART: env.boolean(false),
  /** ingest's readiness URL, checked before a restart; unset: restarts are refused. */
  WATCHDOG_INGEST_READY_URL: z.string().url().optional(),
  /** No event of a tenant for this long during its trading hours is reported; 0: off. */
  WATCHDOG_SILENCE_MINUTES: env.integer(60, 0, 10_080),
  /** Local trading hours (each tenant's time zone: TENANTS_FILE, else RECONCILER_TIME_ZONE), HH:MM-HH:MM; silence outside them is normal. */
  WATCHDOG_TRADING_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-4]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$/, 'must be HH:MM-HH:MM')
    .default('00:00-24:00'),
  /** Bearer tokens accepted by the admin API (several, for rotation); in production at least 24 characters each. */
  RECONCILER_ADMIN_TOKENS: secret(env.list()),
  /**
   * Keys the report pages' session cookies (with the token that signed in), so a stolen
   * cookie cannot be used to guess a token offline. The same on every replica; unset: a
   * random one per process (sessions then end at a restart and hold on one replica only).
   */
  RECONCILER_SESSION_SECRET: secret(z.string().min(32, 'must be at least 32 characters').optional()),
  RECONCILER_CONSUMER_GROUP: env.string('reconciler-projections'),
  /**
   * Consumers that replay the topics during a rebuild: this process and RECONCILER_REBUILD_WORKERS - 1
   * helper processes in the same group, each decoding and folding its share of the partitions.
   */
  RECONCILER_REBUILD_WORKERS: env.integer(1, 1, 16),
  /** Orders per GraphQL page: NewStore allows at most 100. */
  RECONCILER_NEWSTORE_PAGE_SIZE: env.integer(100, 1, 100),
  /** The day is split into this many time windows, paged through in parallel. */
  RECONCILER_NEWSTORE_CONCURRENCY: env.integer(4, 1, 16),
  /** Attempts per NewStore page or ERP read before the run fails; back-off doubles from RECONCILER_RETRY_BASE_MS. */
  RECONCILER_READ_ATTEMPTS: env.integer(6, 1, 20),
  RECONCILER_RETRY_BASE_MS: env.integer(1_000, 10, 600_000),
  /**
   * Orders created in the last minutes before a run are left to the next run: NewStore
   * delivers events within 15 minutes and GraphQL can lag up to 10 (docs/domain.md).
   */
  RECONCILER_SETTLE_MINUTES: env.integer(15, 0, 1_440),
  /** ERP transactions per SuiteQL page (NetSuite: at most 1,000). */
  RECONCILER_ERP_PAGE_SIZE: env.integer(1_000, 1, 1_000),
  /**
   * Each whole day's NewStore and ERP listings are stored (month partitions) for month and
   * year reports; partitions older than this many months are dropped.
   */
  RECONCILER_EXTRACT_RETENTION_MONTHS: env.integer(25, 1, 120),
  /** Resync may delete ERP records that duplicate a document the hub posted (never the hub's own). */
  RECONCILER_RESYNC_DELETE_DUPLICATES: env.boolean(false),
};

export type ReconcilerConfig = ConfigOf<typeof reconcilerEnv> & HubServiceBaseConfig;
