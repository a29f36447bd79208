import { erpConfigProblems } from '@hub/erp';
import { HubServiceDefinition } from '@hub/platform';
import { replayDlqCommand } from './dlq-replay.command';
import { tenantErpProblems } from './erp-connections';
import { dependencyWaitProblems, erpSinkEnv } from './erp-sink.config';
import { ErpSinkModule } from './erp-sink.module';
import { CreateIdempotencyLedger1732270000000 } from './migrations/1732270000000-create-idempotency-ledger';
import { CreateWaitingDocuments1732290000000 } from './migrations/1732290000000-create-waiting-documents';
import { KeepPostedParents1764720000000 } from './migrations/1764720000000-keep-posted-parents';

/** ERP sink: posts documents to the ERP effectively once, records outcomes on erp.sync-status.v1. */
export const erpSinkService: HubServiceDefinition<typeof erpSinkEnv> = {
  service: 'erp-sink',
  env: erpSinkEnv,
  defaultPort: 3002,
  topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'],
  database: {
    schema: 'erp_sink',
    migrations: [
      CreateIdempotencyLedger1732270000000,
      CreateWaitingDocuments1732290000000,
      KeepPostedParents1764720000000,
    ],
  },
  rules: [erpConfigProblems, tenantErpProblems, dependencyWaitProblems],
  module: ErpSinkModule,
  commands: { 'replay-dlq': replayDlqCommand },
};
