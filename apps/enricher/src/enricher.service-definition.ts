import { describeReplay, parseReplayArguments, replayDeadLetters } from '@hub/kafka';
import { HubServiceDefinition, PlatformModule } from '@hub/platform';
import { HEADERS } from '@hub/contracts';
import { Inject, Injectable, Module, OnApplicationBootstrap } from '@nestjs/common';
import { enricherEnv } from './enricher.config';
import { EnricherWorker } from './enricher.worker';
import { CreateEnricherState1732300000000 } from './migrations/1732300000000-create-enricher-state';

@Injectable()
class EnricherStarter implements OnApplicationBootstrap {
  constructor(@Inject(EnricherWorker) private readonly worker: EnricherWorker) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.worker.start();
  }
}

@Module({})
class EnricherModule {}

/** Enricher: completes NewStore events from GraphQL and emits ERP documents, with ordered delay retries. */
export const enricherService: HubServiceDefinition<typeof enricherEnv> = {
  service: 'enricher',
  env: enricherEnv,
  defaultPort: 3001,
  topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'],
  database: { schema: 'enricher', migrations: [CreateEnricherState1732300000000] },
  module: ({ config, runtime, kafka, dataSource }) => ({
    module: EnricherModule,
    imports: [PlatformModule.forRuntime(runtime)],
    providers: [
      { provide: EnricherWorker, useValue: new EnricherWorker(config, runtime, kafka, dataSource!) },
      EnricherStarter,
    ],
  }),
  commandHelp: {
    'replay-dlq':
      'replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]\n    puts events from enricher.dlq.v1 back on newstore.events.v1 (none selected: all); --dry-run lists them',
  },
  commands: {
    /**
     * replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]: enricher.dlq.v1 back to
     * newstore.events.v1 with a replay marker, or (--dry-run) the list of what is there.
     */
    'replay-dlq': async ({ kafka, args }) => {
      const { orders, ids, dryRun, limit } = parseReplayArguments(args, '--event');
      const entries = await replayDeadLetters(
        kafka.kafka,
        kafka.producer,
        kafka.topics.enricherDlq,
        kafka.topics.newstoreEvents,
        { orders, ids, idOf: (message) => message.headers[HEADERS.eventId] },
        { dryRun, limit },
      );
      process.stdout.write(describeReplay(entries, kafka.topics.enricherDlq, kafka.topics.newstoreEvents, dryRun));
    },
  },
};
