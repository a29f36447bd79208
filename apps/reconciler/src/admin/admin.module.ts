import { Module } from '@nestjs/common';
import { EventStreamModule } from '../event-stream/event-stream.module';
import { ProjectionsModule } from '../projections/projections.module';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { ResyncModule } from '../resync/resync.module';
import { AdminController } from './admin.controller';
import { AdminTokenGuard } from './admin-token.guard';

/** The admin API (documented at /admin/openapi.json): reconcile, period figures, resync, rebuild, the event stream's integrations. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule, ResyncModule, ProjectionsModule, EventStreamModule],
  controllers: [AdminController],
  providers: [AdminTokenGuard],
})
export class AdminModule {}
