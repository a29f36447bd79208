import { parseReplayArguments, replayDeadLetters } from '@hub/kafka';
import { HubCommandContext } from '@hub/platform';
import { ErpSinkConfig } from './erp-sink.config';

/**
 * `node main.js replay-dlq [--order ID | --key IDEMPOTENCY_KEY]...`: puts documents
 * from erp.dlq.v1 back on erp.documents.v1 once the cause is fixed. Replaying a
 * document already posted is harmless: the ledger skips it.
 */
export async function replayDlq({ kafka, args }: HubCommandContext<ErpSinkConfig>): Promise<void> {
  const { orders, ids } = parseReplayArguments(args, '--key');
  const replayed = await replayDeadLetters(
    kafka.kafka,
    kafka.producer,
    kafka.topics.erpDlq,
    kafka.topics.erpDocuments,
    {
      orders,
      ids,
      idOf: (message) => {
        try {
          return (JSON.parse(message.value?.toString('utf8') ?? '{}') as { idempotencyKey?: string }).idempotencyKey;
        } catch {
          return undefined;
        }
      },
    },
  );
  process.stdout.write(
    `replayed ${replayed} document(s) from ${kafka.topics.erpDlq} to ${kafka.topics.erpDocuments}\n`,
  );
}
