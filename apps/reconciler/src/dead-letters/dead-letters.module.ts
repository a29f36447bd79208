import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { OrdersModule } from '../orders/orders.module';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { DeadLettersController } from './dead-letters.controller';

/** The dead-letter topics in the browser: read by reason and tenant, replayed after a dry run, each replay recorded. */
@Module({
  imports: [ReconcilerCoreModule, OrdersModule],
  controllers: [DeadLettersController],
  providers: [AdminTokenGuard],
})
export class DeadLettersModule {}
