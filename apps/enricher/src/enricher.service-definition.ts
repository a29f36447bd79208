import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { Module } from '@nestjs/common';

export const enricherEnv = {};

/** Enricher: consumes newstore.events.v1 and emits ERP documents (behaviour: the enricher issue). */
export const enricherService: HubServiceDefinition<typeof enricherEnv> = {
  service: 'enricher',
  env: enricherEnv,
  defaultPort: 3001,
  topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'],
  module: ({ runtime }) => {
    @Module({ imports: [PlatformModule.forRuntime(runtime)] })
    class EnricherModule {}
    return EnricherModule;
  },
};
