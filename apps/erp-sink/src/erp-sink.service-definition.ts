import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { replayDlq } from './dlq-replay.command';
import { erpSinkEnv } from './erp-sink.config';
import { ErpSinkWorker } from './erp-sink.worker';
import { CreateIdempotencyLedger1732270000000 } from './migrations/1732270000000-create-idempotency-ledger';
import { CreateWaitingDocuments1732290000000 } from './migrations/1732290000000-create-waiting-documents';

/** Starts the worker once Nest is up, so /health answers while the ledger rebuilds. */
@Injectable()
class ErpSinkStarter implements OnApplicationBootstrap {
  constructor(@Inject(ErpSinkWorker) private readonly worker: ErpSinkWorker) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.start();
  }
}

@Module({})
class ErpSinkModule {}

/** ERP sink: posts documents to the ERP effectively once, records outcomes on erp.sync-status.v1. */
export const erpSinkService: HubServiceDefinition<typeof erpSinkEnv> = {
  service: 'erp-sink',
  env: erpSinkEnv,
  defaultPort: 3002,
  topics: ['erpDocuments', 'erpSyncStatus', 'erpDlq'],
  database: {
    schema: 'erp_sink',
    migrations: [CreateIdempotencyLedger1732270000000, CreateWaitingDocuments1732290000000],
  },
  module: ({ config, runtime, kafka, dataSource }) => ({
    module: ErpSinkModule,
    imports: [PlatformModule.forRuntime(runtime)],
    providers: [
      { provide: ErpSinkWorker, useValue: new ErpSinkWorker(config, runtime, kafka, dataSource!) },
      ErpSinkStarter,
    ],
  }),
  commands: { 'replay-dlq': (context) => replayDlq(context) },
  commandHelp: {
    'replay-dlq':
      'replay-dlq [--order ID]... [--key IDEMPOTENCY_KEY]... [--dry-run] [--limit N]\n    puts documents from erp.dlq.v1 back on erp.documents.v1 (none selected: all); --dry-run lists them',
  },
};
