import { HEADERS } from '@hub/contracts';
import { Kafka } from 'kafkajs';
import { ConsumedMessage } from './hub-consumer';
import { HubProducer } from './hub-producer';
import { readTopicToEnd } from './topic-reader';

/** Which dead letters to replay: all, or those of some orders (message key) or some ids found by `idOf`. */
export interface DeadLetterSelection {
  orders: Set<string>;
  ids: Set<string>;
  idOf: (message: ConsumedMessage) => string | undefined;
}

/** Parses `--order ID` and `--id ID` arguments of a replay command (none: replay everything). */
export function parseReplayArguments(args: string[], idFlag: string): { orders: Set<string>; ids: Set<string> } {
  const orders = new Set<string>();
  const ids = new Set<string>();
  for (let index = 0; index < args.length; index += 2) {
    if (args[index] === '--order') orders.add(args[index + 1]);
    else if (args[index] === idFlag) ids.add(args[index + 1]);
    else throw new Error(`unknown argument "${args[index]}": use --order ID or ${idFlag} ID (none: replay all)`);
  }
  return { orders, ids };
}

/**
 * Puts dead letters back on the topic they came from, once their cause is fixed:
 * same key and value, the original headers without the dlq-* ones, plus a replay
 * marker. Consumers are idempotent, so replaying something already handled is harmless.
 */
export async function replayDeadLetters(
  kafka: Kafka,
  producer: HubProducer,
  from: string,
  to: string,
  selection: DeadLetterSelection,
): Promise<number> {
  const everything = selection.orders.size === 0 && selection.ids.size === 0;
  let replayed = 0;
  await readTopicToEnd(
    kafka,
    from,
    async (messages) => {
      const selected = messages.filter((message) => {
        if (everything) return true;
        if (message.key !== null && selection.orders.has(message.key)) return true;
        const id = selection.idOf(message);
        return id !== undefined && selection.ids.has(id);
      });
      if (selected.length === 0) return;
      await producer.send(
        to,
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
    { groupPrefix: 'dlq-replay' },
  );
  return replayed;
}
