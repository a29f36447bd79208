import { erpConfigProblems } from '@hub/erp';
import { HubServiceDefinition } from '@hub/platform';
import { CreateProjectionOffsets1732270000000 } from './migrations/1732270000000-create-projection-offsets';
import { CreateProjections1732400000000 } from './migrations/1732400000000-create-projections';
import { CreateReconciliationRuns1732400001000 } from './migrations/1732400001000-create-reconciliation-runs';
import { ExactAmounts1764200000000 } from './migrations/1764200000000-exact-amounts';
import { UnprojectableMessages1764200001000 } from './migrations/1764200001000-unprojectable-messages';
import { DailyExtracts1764300000000 } from './migrations/1764300000000-daily-extracts';
import { ClosingDocuments1764800000000 } from './migrations/1764800000000-closing-documents';
import { DocumentParity1765000000000 } from './migrations/1765000000000-document-parity';
import { OperatorActions1765000001000 } from './migrations/1765000001000-operator-actions';
import { EnrichmentRetries1765100000000 } from './migrations/1765100000000-enrichment-retries';
import { reconcilerCommands } from './commands';
import { reconcilerEnv } from './reconciler.config';
import { reconcilerTenantProblems } from './reconciler-connections';
import { ReconcilerModule } from './reconciler.module';

/** Reconciler: projections rebuilt by replay, daily three-way reconciliation, parity metrics, resync by replay. */
export const reconcilerService: HubServiceDefinition<typeof reconcilerEnv> = {
  service: 'reconciler',
  env: reconcilerEnv,
  defaultPort: 3003,
  topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq', 'erpDlq', 'reconciliationDiscrepancies'],
  database: {
    schema: 'reconciler',
    migrations: [
      CreateProjectionOffsets1732270000000,
      CreateProjections1732400000000,
      CreateReconciliationRuns1732400001000,
      ExactAmounts1764200000000,
      UnprojectableMessages1764200001000,
      DailyExtracts1764300000000,
      ClosingDocuments1764800000000,
      DocumentParity1765000000000,
      OperatorActions1765000001000,
      EnrichmentRetries1765100000000,
    ],
  },
  rules: [
    erpConfigProblems,
    reconcilerTenantProblems,
    (config) =>
      // Outside production the emulator's address stands in (createEventStreamClient).
      config.WATCHDOG_INTEGRATIONS?.length && !config.NEWSTORE_API_URL && config.NODE_ENV === 'production'
        ? [{ variable: 'NEWSTORE_API_URL', message: 'is required with WATCHDOG_INTEGRATIONS (NODE_ENV=production)' }]
        : [],
    (config) =>
      // A short token falls to guessing (issue 26, item 14): production refuses it, naming none.
      config.NODE_ENV === 'production' && config.RECONCILER_ADMIN_TOKENS.some((token) => token.length < 24)
        ? [{ variable: 'RECONCILER_ADMIN_TOKENS', message: 'each token must be at least 24 characters in production' }]
        : [],
  ],
  module: ReconcilerModule,
  commands: reconcilerCommands,
};
