import { Module } from '@nestjs/common';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { Resync } from './resync';

/** Replays what the reconciliation found missing or changed, and deletes what the ERP holds twice. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule],
  providers: [Resync],
  exports: [Resync],
})
export class ResyncModule {}
