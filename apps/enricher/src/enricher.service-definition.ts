import { HubServiceDefinition, PlatformModule } from '@hub/platform';

export const enricherEnv = {};

/** Enricher: consumes newstore.events.v1 and emits ERP documents (behaviour: the enricher issue). */
export const enricherService: HubServiceDefinition<typeof enricherEnv> = {
  service: 'enricher',
  env: enricherEnv,
  defaultPort: 3001,
  topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'],
  // Health and metrics only until its behaviour lands.
  module: ({ runtime }) => PlatformModule.forRuntime(runtime),
};
