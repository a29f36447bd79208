import { freePort } from '@hub/testing';
import type { Instance } from './fleet';
import { TENANT, SECOND_TENANT } from './workload';

export interface DeploymentSettings {
  /** The cluster's KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL. */
  cluster: Record<string, string>;
  /** The run's topic prefix (and consumer groups'). */
  prefix: string;
  /** The Postgres schema of an app's instances. */
  schema: (app: 'enricher' | 'sink' | 'reconciler') => string;
  /** Every connection's application name starts with it (the Postgres fault cuts those). */
  applicationPrefix: string;
  /** Where the workload's NewStore and ERP are, as environment. */
  workload: { newStore: string; env: Record<string, string> };
  ingestKeys: string;
  adminToken: string;
}

/**
 * The hub as a scaled-out deployment runs it: one ingest, two enrichers and two sinks
 * (each pair one consumer group, so a kill moves partitions to the partner), one
 * reconciler; 6 partitions, replication factor 3; every setting by environment, as in
 * production (docs/configuration.md).
 */
export async function chaosDeployment(settings: DeploymentSettings): Promise<Instance[]> {
  const { cluster, prefix, schema } = settings;
  const database = (name: string) => ({
    DATABASE_URL: cluster.DATABASE_URL,
    DATABASE_APPLICATION_NAME: `${settings.applicationPrefix}-${name}`,
  });
  const common = {
    KAFKA_BROKERS: cluster.KAFKA_BROKERS,
    SCHEMA_REGISTRY_URL: cluster.SCHEMA_REGISTRY_URL,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '6',
    KAFKA_REPLICATION_FACTOR: '3',
    ...settings.workload.env,
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
  };
  const instances: Instance[] = [
    {
      name: 'ingest-1',
      app: 'ingest',
      port: await freePort(),
      // Each key bound to its tenant: an event of one tenant sent with the other's key is refused.
      env: { ...common, INGEST_API_KEYS: settings.ingestKeys, INGEST_TENANTS: `${TENANT},${SECOND_TENANT}` },
    },
  ];
  for (const index of [1, 2])
    instances.push({
      name: `enricher-${index}`,
      app: 'enricher',
      port: await freePort(),
      env: {
        ...common,
        ...database(`enricher-${index}`),
        DATABASE_SCHEMA: schema('enricher'),
        ENRICHER_CONSUMER_GROUP: `${prefix}enricher`,
      },
    });
  for (const index of [1, 2])
    instances.push({
      name: `erp-sink-${index}`,
      app: 'erp-sink',
      port: await freePort(),
      env: {
        ...common,
        ...database(`erp-sink-${index}`),
        DATABASE_SCHEMA: schema('sink'),
        SINK_CONSUMER_GROUP: `${prefix}sink`,
        ERP_CONCURRENCY: '2',
      },
    });
  instances.push({
    name: 'reconciler-1',
    app: 'reconciler',
    port: await freePort(),
    env: {
      ...common,
      ...database('reconciler-1'),
      DATABASE_SCHEMA: schema('reconciler'),
      RECONCILER_ADMIN_TOKENS: settings.adminToken,
      RECONCILER_CONSUMER_GROUP: `${prefix}projections`,
      RECONCILER_SCHEDULE_ENABLED: 'false',
      RECONCILER_RESYNC_DELETE_DUPLICATES: 'true',
      NEWSTORE_API_URL: settings.workload.newStore,
    },
  });
  return instances;
}
