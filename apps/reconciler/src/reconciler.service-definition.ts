import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { ADMIN_TOKENS, AdminController, AdminTokenGuard } from './admin.controller';
import { CreateProjectionOffsets1732270000000 } from './migrations/1732270000000-create-projection-offsets';
import { CreateProjections1732400000000 } from './migrations/1732400000000-create-projections';
import { CreateReconciliationRuns1732400001000 } from './migrations/1732400001000-create-reconciliation-runs';
import { ExactAmounts1764200000000 } from './migrations/1764200000000-exact-amounts';
import { UnprojectableMessages1764200001000 } from './migrations/1764200001000-unprojectable-messages';
import { reconcilerCommands } from './reconciler.commands';
import { reconcilerEnv } from './reconciler.config';
import { ReconcilerWorker } from './reconciler.worker';

/** Starts the projections and the schedule once Nest is up, so /health answers meanwhile. */
@Injectable()
class ReconcilerStarter implements OnApplicationBootstrap {
  constructor(@Inject(ReconcilerWorker) private readonly worker: ReconcilerWorker) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.start();
  }
}

@Module({})
class ReconcilerModule {}

/** Reconciler: projections rebuilt by replay, daily three-way reconciliation, parity metrics, resync by replay. */
export const reconcilerService: HubServiceDefinition<typeof reconcilerEnv> = {
  service: 'reconciler',
  env: reconcilerEnv,
  defaultPort: 3003,
  topics: ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq', 'reconciliationDiscrepancies'],
  database: {
    schema: 'reconciler',
    migrations: [
      CreateProjectionOffsets1732270000000,
      CreateProjections1732400000000,
      CreateReconciliationRuns1732400001000,
      ExactAmounts1764200000000,
      UnprojectableMessages1764200001000,
    ],
  },
  module: ({ config, runtime, kafka, dataSource }) => ({
    module: ReconcilerModule,
    imports: [PlatformModule.forRuntime(runtime)],
    controllers: [AdminController],
    providers: [
      { provide: ReconcilerWorker, useValue: new ReconcilerWorker(config, runtime, kafka, dataSource!) },
      { provide: ADMIN_TOKENS, useValue: config.RECONCILER_ADMIN_TOKENS },
      AdminTokenGuard,
      ReconcilerStarter,
    ],
  }),
  commands: reconcilerCommands,
  commandHelp: {
    rebuild: 'rebuild               drop the projections and replay the topics into them (service stopped)',
    reconcile:
      'reconcile --date D | --from D --to D [--tenant T]\n    reconcile NewStore, hub and ERP for a business day (or range) and print the summary',
    resync:
      "resync --date D | --order ID... [--tenant T]\n    replay the events of the day's open discrepancies, or of the orders given",
    report:
      "report --date D [--tenant T] [--format text|csv|json] [--all]\n    the day's last run and its discrepancies",

    eventstream:
      'eventstream status | rejected | retry --event ID | delete --event ID | start [--tenant T]\n    the NewStore event-stream integrations (WATCHDOG_INTEGRATIONS): why one stopped, its rejected events, a safe restart',
  },
};
