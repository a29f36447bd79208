import { HEADERS } from '@hub/contracts';
import { deadLetterReplayCommand } from '@hub/platform';

/**
 * `node main.js replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]`:
 * enricher.dlq.v1 back to newstore.events.v1 with a replay marker, or (--dry-run)
 * the list of what is there.
 */
export const replayDlqCommand = deadLetterReplayCommand({
  usage:
    'replay-dlq [--order ID]... [--event EVENT_ID]... [--dry-run] [--limit N]\n    puts events from enricher.dlq.v1 back on newstore.events.v1 (none selected: all); --dry-run lists them',
  idFlag: '--event',
  dlq: 'enricherDlq',
  target: 'newstoreEvents',
  idOf: (message) => message.headers[HEADERS.eventId],
});
