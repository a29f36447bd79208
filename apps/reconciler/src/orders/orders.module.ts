import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { OrderStory } from './order-story';
import { OrdersController } from './orders.controller';

/** One order's story for an operator: its events, documents and their ERP outcomes, dead letters and discrepancies. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule],
  controllers: [OrdersController],
  providers: [OrderStory, AdminTokenGuard],
})
export class OrdersModule {}
