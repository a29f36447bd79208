import { newStoreEnv, ServiceUnderTest, serviceInstances, testbed } from '@hub/testing';
import { ErpEmulator, ErpEmulatorOptions } from '../../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator, NewStoreEmulatorOptions } from '../../../tools/emulators/newstore/newstore-emulator';
import { reconcilerService } from '../src/reconciler.service-definition';

/** The admin token of the reconcilers a testbed starts. */
export const ADMIN_TOKEN = 'test-token';

/**
 * What a reconciler int-spec stands on, made once per describe block: the block's
 * testbed (topic prefix, schema, the four topics the projections read), a NewStore
 * emulator with the block's day and an ERP emulator, and the reconcilers the block
 * starts: its tenant, its admin token, its projections' group, the schedule off
 * unless the block turns it on. The reconcilers stop first, then the emulators,
 * then the topics and the schema go.
 */
export function reconcilerTestbed(
  name: string,
  options: { newStore: NewStoreEmulatorOptions; erp?: ErpEmulatorOptions; env?: Record<string, string> },
) {
  const base = testbed(name, { topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq'] });
  const { prefix, schema, settings, kafka } = base;
  const newStore = base.closeAfter(new NewStoreEmulator(options.newStore));
  const erp = base.closeAfter(new ErpEmulator(options.erp ?? {}));
  // Closed first (registered last): the reconcilers stop before the emulators and the topics go.
  const reconcilers = base.closeAfter(serviceInstances(reconcilerService));

  const bed = {
    prefix,
    schema,
    settings,
    kafka,
    newStore,
    erp,
    closeAfter: base.closeAfter,
    postgres: base.postgres,
    /** The environment every reconciler of the block starts with; a start may add to it. */
    get env(): Record<string, string> {
      return reconcilers.env;
    },
    /** Where the block's emulators listen. */
    newStoreUrl: '',
    erpUrl: '',
    /** The reconciler started last. */
    get reconciler(): ServiceUnderTest {
      return reconcilers.last;
    },
    /** Starts one more reconciler (the block's environment, `changes` added for this and later starts). */
    start: reconcilers.start,
    /** Stops every reconciler gracefully. */
    stop: reconcilers.stop,
    /** The admin API of the reconciler started last, with the block's token: the status and the JSON answer. */
    admin: async <T = Record<string, unknown>>(
      method: string,
      path: string,
      body?: unknown,
    ): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${bed.reconciler.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as T };
    },
    metrics: async () => (await fetch(`${bed.reconciler.url}/metrics`)).text(),
  };

  beforeAll(async () => {
    bed.newStoreUrl = await newStore.listen(0);
    bed.erpUrl = await erp.listen(0);
    reconcilers.env = base.env({
      ...newStoreEnv(bed.newStoreUrl),
      NETSUITE_BASE_URL: `${bed.erpUrl}/services/rest`,
      RECONCILER_TENANTS: options.newStore.day.tenant,
      RECONCILER_ADMIN_TOKENS: ADMIN_TOKEN,
      RECONCILER_CONSUMER_GROUP: `${prefix}-projections`,
      RECONCILER_SCHEDULE_ENABLED: 'false',
      // No enricher runs beside it: one retry tier to project is enough.
      ENRICHER_RETRY_TIERS_MS: '1000',
      ...options.env,
    });
  });

  return bed;
}
