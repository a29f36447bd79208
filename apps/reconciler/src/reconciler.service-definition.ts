import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { CreateProjectionOffsets1732270000000 } from './migrations/1732270000000-create-projection-offsets';

export const reconcilerEnv = {};

/** Reconciler: projections, daily three-way reconciliation (behaviour: the reconciler issue). */
export const reconcilerService: HubServiceDefinition<typeof reconcilerEnv> = {
  service: 'reconciler',
  env: reconcilerEnv,
  defaultPort: 3003,
  topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'reconciliationDiscrepancies'],
  database: { schema: 'reconciler', migrations: [CreateProjectionOffsets1732270000000] },
  // Health and metrics only until its behaviour lands.
  module: ({ runtime }) => PlatformModule.forRuntime(runtime),
};
