import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { Module } from '@nestjs/common';
import { CreateIdempotencyLedger1732270000000 } from './migrations/1732270000000-create-idempotency-ledger';

export const erpSinkEnv = {};

/** ERP sink: posts documents to the ERP, records outcomes (behaviour: the erp-sink issue). */
export const erpSinkService: HubServiceDefinition<typeof erpSinkEnv> = {
  service: 'erp-sink',
  env: erpSinkEnv,
  defaultPort: 3002,
  topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'],
  database: { schema: 'erp_sink', migrations: [CreateIdempotencyLedger1732270000000] },
  module: ({ runtime }) => {
    @Module({ imports: [PlatformModule.forRuntime(runtime)] })
    class ErpSinkModule {}
    return ErpSinkModule;
  },
};
