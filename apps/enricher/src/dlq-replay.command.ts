import { HEADERS } from '@hub/contracts';
import { describeReplay, parseReplayArguments, replayDeadLetters, ReplayArguments } from '@hub/kafka';
import { hubCommand } from '@hub/platform';
import { EnricherConfig } from './enricher.config';

/**
 * `node main.js replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]`:
 * enricher.dlq.v1 back to newstore.events.v1 with a replay marker, or (--dry-run)
 * the list of what is there.
 */
export const replayDlqCommand = hubCommand<EnricherConfig, ReplayArguments>({
  usage:
    'replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]\n    puts events from enricher.dlq.v1 back on newstore.events.v1 (none selected: all); --dry-run lists them',
  parse: (args) => parseReplayArguments(args, '--event'),
  async run({ kafka }, { orders, ids, dryRun, limit }) {
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
});
