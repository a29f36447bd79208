import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { ResyncModule } from '../resync/resync.module';
import { ReportsController, ReportsLoginController } from './reports.controller';

/** The parity report as pages (HTML, CSV, text), their sign-in and sessions, and the resync a person confirms there. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule, ResyncModule],
  controllers: [ReportsLoginController, ReportsController],
  providers: [AdminTokenGuard],
})
export class ReportsModule {}
