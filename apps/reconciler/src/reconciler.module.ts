import { Module } from '@nestjs/common';
import { AdminModule } from './admin/admin.module';
import { EventStreamModule } from './event-stream/event-stream.module';
import { DeadLettersModule } from './dead-letters/dead-letters.module';
import { OrdersModule } from './orders/orders.module';
import { ProjectionsModule } from './projections/projections.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { ReportsModule } from './reports/reports.module';
import { ResyncModule } from './resync/resync.module';
import { SchedulingModule } from './scheduling/scheduling.module';

/**
 * The reconciler, one feature module per folder: projections (the topics in
 * Postgres, and the Kafka transport that feeds them), reconciliation (daily,
 * period, extracts), resync, reports (pages, formats, sessions), the admin API,
 * one order's story (orders), the event-stream watchdog and the schedule. This
 * module only imports them.
 */
@Module({
  imports: [
    ProjectionsModule,
    ReconciliationModule,
    ResyncModule,
    ReportsModule,
    AdminModule,
    OrdersModule,
    DeadLettersModule,
    EventStreamModule,
    SchedulingModule,
  ],
})
export class ReconcilerModule {}
