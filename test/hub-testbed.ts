import { TopicName } from '@hub/contracts';
import { newStoreEnv, ServiceUnderTest, startServiceForTest, testbed } from '@hub/testing';
import { enricherService } from '../apps/enricher/src/enricher.service-definition';
import { erpSinkService } from '../apps/erp-sink/src/erp-sink.service-definition';
import { ingestService } from '../apps/ingest/src/ingest.service-definition';
import { reconcilerService } from '../apps/reconciler/src/reconciler.service-definition';
import { ErpEmulator, ErpEmulatorOptions } from '../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator, NewStoreEmulatorOptions } from '../tools/emulators/newstore/newstore-emulator';

export type HubApp = 'ingest' | 'enricher' | 'erp-sink' | 'reconciler';

const SERVICES = {
  ingest: ingestService,
  enricher: enricherService,
  'erp-sink': erpSinkService,
  reconciler: reconcilerService,
} as const;

/**
 * The whole hub in one test process, for the int-specs that follow a day end to end:
 * the block's testbed (topic prefix, the topics it names), a NewStore emulator with
 * the block's day and an ERP emulator, and the services the block starts. Each app
 * gets its own schema and consumer group; the reconciler the day's tenant, the schedule
 * off. Services stop last started first, then the emulators, then topics and schemas go.
 */
export function hubTestbed(
  name: string,
  options: {
    newStore: NewStoreEmulatorOptions;
    erp?: ErpEmulatorOptions;
    topics?: readonly TopicName[];
    /** Added to every service's environment. */
    env?: Record<string, string>;
  },
) {
  const base = testbed(name, { topics: options.topics ?? ['newstoreEvents'] });
  const { prefix, kafka } = base;
  const newStore = base.closeAfter(new NewStoreEmulator(options.newStore));
  const erp = base.closeAfter(new ErpEmulator(options.erp ?? {}));
  const running: ServiceUnderTest[] = [];
  const schemas = {
    enricher: base.schemaFor('enricher'),
    'erp-sink': base.schemaFor('sink'),
    reconciler: base.schemaFor('reconciler'),
  };
  /** What each app starts with besides the common environment: its schema, its group, the reconciler's tenant. */
  const ownEnv = (app: HubApp): Record<string, string> => {
    switch (app) {
      case 'ingest':
        return {};
      case 'enricher':
        return { DATABASE_SCHEMA: schemas.enricher, ENRICHER_CONSUMER_GROUP: `${prefix}-enricher` };
      case 'erp-sink':
        return { DATABASE_SCHEMA: schemas['erp-sink'], SINK_CONSUMER_GROUP: `${prefix}-sink` };
      case 'reconciler':
        return {
          DATABASE_SCHEMA: schemas.reconciler,
          RECONCILER_TENANTS: options.newStore.day.tenant,
          RECONCILER_CONSUMER_GROUP: `${prefix}-reconciler`,
          RECONCILER_SCHEDULE_ENABLED: 'false',
        };
    }
  };

  const bed = {
    prefix,
    kafka,
    newStore,
    erp,
    schemas,
    closeAfter: base.closeAfter,
    postgres: base.postgres,
    /** Where the block's emulators listen (set before the block's own beforeAll runs). */
    newStoreUrl: '',
    erpUrl: '',
    /** The environment every service of the block shares. */
    common: {} as Record<string, string>,
    /** Starts one app: the common environment, the app's own, then `env`. */
    start: async (app: HubApp, env: Record<string, string> = {}): Promise<ServiceUnderTest> => {
      const service = await startServiceForTest(SERVICES[app] as never, { ...bed.common, ...ownEnv(app), ...env });
      running.push(service);
      return service;
    },
  };

  beforeAll(async () => {
    bed.newStoreUrl = await newStore.listen(0);
    bed.erpUrl = await erp.listen(0);
    bed.common = {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KAFKA_TOPIC_PARTITIONS: '3',
      ...newStoreEnv(bed.newStoreUrl),
      NETSUITE_BASE_URL: `${bed.erpUrl}/services/rest`,
      ...options.env,
    };
  });
  base.closeAfter({
    close: async () => {
      for (const service of running.splice(0).reverse()) await service.close();
    },
  });

  return bed;
}
