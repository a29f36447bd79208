import { erpDocumentCodecProvider } from '@hub/platform';
import { Module } from '@nestjs/common';
import { ReconcilerConnections } from './reconciler-connections';
import { ReconcilerEvents } from './reconciler.events';
import { ReconcilerMetrics } from './reconciler.metrics';
import { ERP_DOCUMENT_CODEC, ERP_PORTS, NEWSTORE_CLIENT } from './reconciler.tokens';

/**
 * What every feature of the reconciler shares: its metrics, each tenant's NewStore
 * and ERP connections (built from the validated config), the documents' codec, and
 * the events its parts tell each other.
 */
@Module({
  providers: [
    ReconcilerMetrics,
    ReconcilerEvents,
    ReconcilerConnections,
    { provide: NEWSTORE_CLIENT, useExisting: ReconcilerConnections },
    { provide: ERP_PORTS, useExisting: ReconcilerConnections },
    erpDocumentCodecProvider(ERP_DOCUMENT_CODEC),
  ],
  exports: [ReconcilerMetrics, ReconcilerEvents, ReconcilerConnections, NEWSTORE_CLIENT, ERP_PORTS, ERP_DOCUMENT_CODEC],
})
export class ReconcilerCoreModule {}
