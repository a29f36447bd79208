import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { ResyncModule } from '../resync/resync.module';
import { OperatorActions } from './operator-actions.repository';
import { OrderPagesController } from './order-pages.controller';
import { OrderStory } from './order-story';
import { OrdersController } from './orders.controller';

/** One order's story for an operator: its events, documents and their ERP outcomes, dead letters and discrepancies. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule, ResyncModule],
  controllers: [OrdersController, OrderPagesController],
  providers: [OrderStory, OperatorActions, AdminTokenGuard],
  exports: [OperatorActions],
})
export class OrdersModule {}
