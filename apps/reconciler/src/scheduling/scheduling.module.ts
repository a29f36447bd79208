import { Module } from '@nestjs/common';
import { EventStreamModule } from '../event-stream/event-stream.module';
import { ProjectionsModule } from '../projections/projections.module';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { ReconciliationModule } from '../reconciliation/reconciliation.module';
import { ReconcilerScheduler } from './reconciler.scheduler';

/** The day's schedule: each tenant's run at its daily time (one replica at a time), the watchdog started and stopped. */
@Module({
  imports: [ReconcilerCoreModule, ReconciliationModule, ProjectionsModule, EventStreamModule],
  providers: [ReconcilerScheduler],
})
export class SchedulingModule {}
