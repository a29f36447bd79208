import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { DailyReconciliation } from './daily-reconciliation';
import { ExtractRepository } from './extract.repository';
import { PeriodReconciliation } from './period-reconciliation';
import { DayComparisonRepository } from './day-comparison.repository';
import { DayStagingRepository } from './day-staging.repository';
import { OrderReads } from './order-reads.repository';
import { ReconciliationRepository } from './reconciliation.repository';

/** The daily three-way reconciliation (NewStore, hub, ERP), its runs and discrepancies, and the period figures over the daily extracts. */
@Module({
  imports: [ReconcilerCoreModule, ProjectionsModule],
  providers: [
    ReconciliationRepository,
    DayComparisonRepository,
    DayStagingRepository,
    OrderReads,
    ExtractRepository,
    DailyReconciliation,
    PeriodReconciliation,
  ],
  exports: [ReconciliationRepository, OrderReads, ExtractRepository, DailyReconciliation, PeriodReconciliation],
})
export class ReconciliationModule {}
