import { deadLetterReplayCommand } from '@hub/platform';

/**
 * `node main.js replay-dlq [--order ID]... [--key IDEMPOTENCY_KEY]... [--dry-run] [--limit N]`:
 * lists the documents in erp.dlq.v1 (with --dry-run) or puts them back on
 * erp.documents.v1 once the cause is fixed. Replaying a document already posted is
 * harmless: the ledger skips it.
 */
export const replayDlqCommand = deadLetterReplayCommand({
  usage:
    'replay-dlq [--order ID]... [--key IDEMPOTENCY_KEY]... [--dry-run] [--limit N]\n    puts documents from erp.dlq.v1 back on erp.documents.v1 (none selected: all); --dry-run lists them',
  idFlag: '--key',
  dlq: 'erpDlq',
  target: 'erpDocuments',
  idOf: idempotencyKeyOf,
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
