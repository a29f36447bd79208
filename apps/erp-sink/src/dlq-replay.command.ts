import { HEADERS } from '@hub/contracts';
import { readTopicToEnd } from '@hub/kafka';
import { HubCommandContext } from '@hub/platform';
import { ErpSinkConfig } from './erp-sink.config';

/**
 * `node main.js replay-dlq [--order ID | --key IDEMPOTENCY_KEY]...`: puts documents
 * from erp.dlq.v1 back on erp.documents.v1 once the cause is fixed, keeping their
 * headers and adding a replay marker. Replaying a document already posted is
 * harmless: the ledger skips it.
 */
export async function replayDlq({ kafka, args }: HubCommandContext<ErpSinkConfig>): Promise<void> {
  const orders = new Set<string>();
  const keys = new Set<string>();
  for (let index = 0; index < args.length; index += 2) {
    if (args[index] === '--order') orders.add(args[index + 1]);
    else if (args[index] === '--key') keys.add(args[index + 1]);
    else
      throw new Error(`unknown argument "${args[index]}": use --order ID or --key IDEMPOTENCY_KEY (none: replay all)`);
  }
  let replayed = 0;
  await readTopicToEnd(
    kafka.kafka,
    kafka.topics.erpDlq,
    async (messages) => {
      const selected = messages.filter((message) => {
        if (orders.size === 0 && keys.size === 0) return true;
        let key: string | undefined;
        try {
          key = (JSON.parse(message.value?.toString('utf8') ?? '{}') as { idempotencyKey?: string }).idempotencyKey;
        } catch {
          key = undefined;
        }
        return (message.key !== null && orders.has(message.key)) || (key !== undefined && keys.has(key));
      });
      if (selected.length === 0) return;
      await kafka.producer.send(
        kafka.topics.erpDocuments,
        selected.map((message) => {
          const headers = Object.fromEntries(
            Object.entries(message.headers).filter(([name]) => !name.startsWith('dlq-')),
          );
          return {
            key: message.key,
            value: message.value,
            headers: { ...headers, [HEADERS.replay]: new Date().toISOString() },
          };
        }),
      );
      replayed += selected.length;
    },
    { groupPrefix: 'erp-sink-dlq-replay' },
  );
  process.stdout.write(
    `replayed ${replayed} document(s) from ${kafka.topics.erpDlq} to ${kafka.topics.erpDocuments}\n`,
  );
}
