import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { CreateIdempotencyLedger1732270000000 } from './migrations/1732270000000-create-idempotency-ledger';

export const erpSinkEnv = {};

/** ERP sink: posts documents to the ERP, records outcomes (behaviour: the erp-sink issue). */
export const erpSinkService: HubServiceDefinition<typeof erpSinkEnv> = {
  service: 'erp-sink',
  env: erpSinkEnv,
  defaultPort: 3002,
  topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'],
  database: { schema: 'erp_sink', migrations: [CreateIdempotencyLedger1732270000000] },
  // Health and metrics only until its behaviour lands.
  module: ({ runtime }) => PlatformModule.forRuntime(runtime),
};
