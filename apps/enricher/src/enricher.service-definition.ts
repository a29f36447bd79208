import { loadTenantsFile, problemsOf } from '@hub/config';
import { erpEnv } from '@hub/erp';
import { newStoreEnv } from '@hub/newstore-graphql';
import { HubServiceDefinition } from '@hub/platform';
import { replayDlqCommand } from './dlq-replay.command';
import { enricherEnv } from './enricher.config';
import { EnricherModule } from './enricher.module';
import { loadMappingFile } from './mapping-file';
import { CreateEnricherState1732300000000 } from './migrations/1732300000000-create-enricher-state';

/** Enricher: completes NewStore events from GraphQL and emits ERP documents, with ordered delay retries. */
export const enricherService: HubServiceDefinition<typeof enricherEnv> = {
  service: 'enricher',
  env: enricherEnv,
  defaultPort: 3001,
  topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'],
  database: { schema: 'enricher', migrations: [CreateEnricherState1732300000000] },
  rules: [
    problemsOf((config) => loadMappingFile(config.ENRICHER_MAPPING_FILE)),
    // Each tenant's settings and mapping file (TENANTS_FILE), before anything connects.
    problemsOf((config) => {
      if (!config.TENANTS_FILE) return;
      for (const entry of loadTenantsFile(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv }))
        if (entry.mappingFile) loadMappingFile(entry.mappingFile);
    }),
  ],
  module: EnricherModule,
  commands: { 'replay-dlq': replayDlqCommand },
};
