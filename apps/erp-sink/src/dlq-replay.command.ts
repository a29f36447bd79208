import { describeReplay, parseReplayArguments, replayDeadLetters, ReplayArguments } from '@hub/kafka';
import { hubCommand } from '@hub/platform';
import { ErpSinkConfig } from './erp-sink.config';

/**
 * `node main.js replay-dlq [--order ID]... [--key IDEMPOTENCY_KEY]... [--dry-run] [--limit N]`:
 * lists the documents in erp.dlq.v1 (with --dry-run) or puts them back on
 * erp.documents.v1 once the cause is fixed. Replaying a document already posted is
 * harmless: the ledger skips it.
 */
export const replayDlqCommand = hubCommand<ErpSinkConfig, ReplayArguments>({
  usage:
    'replay-dlq [--order ID]... [--key IDEMPOTENCY_KEY]... [--dry-run] [--limit N]\n    puts documents from erp.dlq.v1 back on erp.documents.v1 (none selected: all); --dry-run lists them',
  parse: (args) => parseReplayArguments(args, '--key'),
  async run({ kafka }, { orders, ids, dryRun, limit }) {
    const entries = await replayDeadLetters(
      kafka.kafka,
      kafka.producer,
      kafka.topics.erpDlq,
      kafka.topics.erpDocuments,
      { orders, ids, idOf: idempotencyKeyOf },
      { dryRun, limit },
    );
    process.stdout.write(describeReplay(entries, kafka.topics.erpDlq, kafka.topics.erpDocuments, dryRun));
  },
});

/**
 * The idempotency key of a dead letter written before the id header existed: the
 * document's JSON, plain or in the schema registry's wire format (a zero magic
 * byte and a 4-byte schema id before the JSON), read without asking the registry.
 */
function idempotencyKeyOf(message: { value: Buffer | null }): string | undefined {
  if (!message.value) return undefined;
  const json = message.value[0] === 0 ? message.value.subarray(5) : message.value;
  try {
    const key = (JSON.parse(json.toString('utf8')) as { idempotencyKey?: unknown }).idempotencyKey;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
