import { Module } from '@nestjs/common';
import { ProjectionsModule } from '../projections/projections.module';
import { ReconcilerCoreModule } from '../reconciler-core.module';
import { DailyReconciliation } from './daily-reconciliation';
import { ExtractRepository } from './extract.repository';
import { PeriodReconciliation } from './period-reconciliation';
import { ReconciliationRepository } from './reconciliation.repository';

/** The daily three-way reconciliation (NewStore, hub, ERP), its runs and discrepancies, and the period figures over the daily extracts. */
@Module({
  imports: [ReconcilerCoreModule, ProjectionsModule],
  providers: [ReconciliationRepository, ExtractRepository, DailyReconciliation, PeriodReconciliation],
  exports: [ReconciliationRepository, ExtractRepository, DailyReconciliation, PeriodReconciliation],
})
export class ReconciliationModule {}
