import { ErpDocument } from '@hub/contracts';
import { ServiceUnderTest, serviceInstances, testbed, uniqueName, waitFor } from '@hub/testing';
import { ErpEmulator, ErpEmulatorOptions } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';

export interface LedgerRow {
  status: string;
  erp_internal_id: string | null;
  attempts: number;
  last_error: string | null;
}

/** The ERP's limits the sink is run with in the int-specs: two requests at once, a circuit that opens after three failures. */
export const SINK_TEST_ENV = {
  ERP_CONCURRENCY: '2',
  ERP_RETRY_BASE_MS: '100',
  ERP_RETRY_MAX_MS: '1000',
  ERP_CIRCUIT_FAILURE_THRESHOLD: '3',
  ERP_CIRCUIT_OPEN_MS: '300',
  SINK_WAITING_SWEEP_MS: '200',
  ENRICHER_RETRY_TIERS_MS: '1000,2000',
  SINK_DEPENDENCY_MAX_WAIT_MS: '60000',
  SINK_CATALOGUE_MAX_WAIT_MS: '60000',
};

/**
 * What an erp-sink int-spec stands on, made once per describe block: its own topic
 * prefix, schema and consumer group, the broker's topics, an ERP emulator, a
 * Postgres client, and the sinks it starts (each with the block's environment plus
 * what a test adds). Everything is closed and dropped after the block.
 */
export function sinkTestbed(
  name: string,
  options: { env?: Record<string, string>; erp?: ErpEmulatorOptions; partitions?: number } = {},
) {
  const base = testbed(name, { topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'] });
  const { prefix, schema, settings, kafka } = base;
  const group = uniqueName(`${name}-group`);
  const database = base.postgres();
  const emulator = base.closeAfter(new ErpEmulator(options.erp ?? {}));
  // Closed first (registered last): the sinks stop before the emulator, then the client.
  const sinks = base.closeAfter(serviceInstances(erpSinkService));

  const bed = {
    prefix,
    schema,
    group,
    settings,
    kafka,
    emulator,
    database,
    closeAfter: base.closeAfter,
    /** The environment every sink of the block starts with; a restart may add to it. */
    get env(): Record<string, string> {
      return sinks.env;
    },
    /** NETSUITE_BASE_URL of the block's emulator. */
    erpUrl: '',
    /** The sink started last. */
    get sink(): ServiceUnderTest {
      return sinks.last;
    },
    /** Every sink running, first started first. */
    get sinks(): readonly ServiceUnderTest[] {
      return sinks.all;
    },
    /** Starts one more sink (the block's environment, `changes` added to it for this and later starts). */
    start: sinks.start,
    /** Stops every sink gracefully (each finishes and commits what it holds). */
    stop: sinks.stop,
    restart: async (changes: Record<string, string> = {}): Promise<ServiceUnderTest> => {
      await sinks.stop();
      return sinks.start(changes);
    },
    send: (...documents: ErpDocument[]) =>
      kafka.producer.send(
        kafka.topics.erpDocuments,
        documents.map((item) => ({ key: item.orderId, value: JSON.stringify(item) })),
      ),
    /** The sink's idempotency ledger row for a key, as the service wrote it. */
    ledger: async (key: string): Promise<LedgerRow | undefined> =>
      (
        await database.query<LedgerRow>(
          `SELECT status, erp_internal_id, attempts, last_error FROM "${schema}".idempotency_ledger
           WHERE idempotency_key = $1`,
          [key],
        )
      ).rows[0],
    /** The ERP record with this external id, once the emulator holds it. */
    posted: (externalId: string) =>
      waitFor(() => emulator.recordsWithExternalId(externalId)[0], { what: `${externalId} in the ERP` }),
    metrics: async () => (await fetch(`${bed.sink.url}/metrics`)).text(),
  };

  beforeAll(async () => {
    bed.erpUrl = `${await emulator.listen(0)}/services/rest`;
    sinks.env = base.env({
      KAFKA_TOPIC_PARTITIONS: String(options.partitions ?? 3),
      NETSUITE_BASE_URL: bed.erpUrl,
      SINK_CONSUMER_GROUP: group,
      ...options.env,
    });
  });

  return bed;
}
