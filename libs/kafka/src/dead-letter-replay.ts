import { parseCommandArguments } from '@hub/config';
import { HEADERS } from '@hub/contracts';
import { Kafka } from 'kafkajs';
import { ConsumedMessage } from './hub-consumer';
import { HubProducer } from './hub-producer';
import { readTopicToEnd } from './topic-reader';

/**
 * Dead letters, written and replayed in one place for every service: a DLQ
 * message keeps the original key, value and headers, and adds the reason, when
 * and from where (`dlq-*` headers), plus the id a person selects it by
 * (`HEADERS.deadLetterId`: an event id, an idempotency key).
 */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Sends one message to a DLQ with its reason and the id it can be replayed by. */
export async function sendToDeadLetters(
  producer: HubProducer,
  dlqTopic: string,
  message: DeadLetterSource,
  reason: string,
  id?: string,
): Promise<void> {
  await producer.send(dlqTopic, [
    {
      key: message.key,
      value: message.value,
      headers: {
        ...message.headers,
        [HEADERS.dlqReason]: reason,
        [HEADERS.dlqSource]: `${message.topic}/${message.partition}/${message.offset}`,
        [HEADERS.dlqAt]: new Date().toISOString(),
        ...(id === undefined ? {} : { [HEADERS.deadLetterId]: id }),
      },
    },
  ]);
}

/** Which dead letters to act on: all, or those of some orders (message key) or some ids. */
export interface DeadLetterSelection {
  orders: Set<string>;
  ids: Set<string>;
  /** Only the dead letters of this tenant (their `tenant` header), whichever of the above. */
  tenant?: string;
  /**
   * The id of a dead letter written before the id header existed (older messages);
   * the header wins when present.
   */
  idOf?: (message: ConsumedMessage) => string | undefined;
}

export interface ReplayOptions {
  /** List what would be replayed, send nothing. */
  dryRun: boolean;
  /** Replay (or list) at most this many. */
  limit?: number;
  /** The prefix of the consumer group that reads the DLQ (the service's ACLs allow its own). */
  groupPrefix?: string;
}

export interface ReplayArguments extends Omit<DeadLetterSelection, 'idOf'>, ReplayOptions {}

/** One dead letter as a person reads it. */
export interface DeadLetterEntry {
  partition: number;
  offset: string;
  key: string | null;
  id: string | undefined;
  reason: string | undefined;
  at: string | undefined;
  source: string | undefined;
  /** The tenant the message was for, where its headers say. */
  tenant: string | undefined;
}

/** Parses a replay command's arguments; an unknown one fails with the usage. */
export function parseReplayArguments(args: string[], idFlag: string): ReplayArguments {
  const id = idFlag.replace(/^--/, '');
  const parsed = parseCommandArguments(args, { values: ['order', id, 'limit'], flags: ['dry-run', 'list'] });
  const limitText = parsed.one('limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new Error(`--limit takes a whole number above 0`);
  return {
    orders: new Set(parsed.all('order')),
    ids: new Set(parsed.all(id)),
    dryRun: parsed.flags.has('dry-run') || parsed.flags.has('list'),
    limit,
  };
}

function entryOf(message: ConsumedMessage, id: string | undefined): DeadLetterEntry {
  return {
    partition: message.partition,
    offset: message.offset,
    key: message.key,
    id,
    reason: message.headers[HEADERS.dlqReason],
    at: message.headers[HEADERS.dlqAt],
    source: message.headers[HEADERS.dlqSource],
    tenant: message.headers[HEADERS.tenant],
  };
}

/**
 * Puts dead letters back on the topic they came from, once their cause is fixed:
 * same key and value, the original headers without the dlq-* ones, plus a replay
 * marker. Consumers are idempotent, so replaying something already handled is
 * harmless. With `dryRun` it only lists them. Returns what it replayed (or would).
 */
export async function replayDeadLetters(
  kafka: Kafka,
  producer: HubProducer,
  from: string,
  to: string,
  selection: DeadLetterSelection,
  options: ReplayOptions = { dryRun: false },
): Promise<DeadLetterEntry[]> {
  const everything = selection.orders.size === 0 && selection.ids.size === 0;
  const entries: DeadLetterEntry[] = [];
  const full = () => options.limit !== undefined && entries.length >= options.limit;
  await readTopicToEnd(
    kafka,
    from,
    async (messages) => {
      const selected: ConsumedMessage[] = [];
      for (const message of messages) {
        if (full()) break;
        if (selection.tenant !== undefined && message.headers[HEADERS.tenant] !== selection.tenant) continue;
        const id = message.headers[HEADERS.deadLetterId] ?? selection.idOf?.(message);
        const chosen =
          everything ||
          (message.key !== null && selection.orders.has(message.key)) ||
          (id !== undefined && selection.ids.has(id));
        if (!chosen) continue;
        entries.push(entryOf(message, id));
        selected.push(message);
      }
      if (selected.length === 0 || options.dryRun) return;
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
    },
    { groupPrefix: options.groupPrefix ?? 'dlq-replay' },
  );
  return entries;
}

/** The lines a replay command prints: one per dead letter, then what was done. */
export function describeReplay(entries: DeadLetterEntry[], from: string, to: string, dryRun: boolean): string {
  const lines = entries.map(
    (entry) =>
      `${entry.partition}/${entry.offset}  key=${entry.key ?? '-'}  id=${entry.id ?? '-'}  at=${entry.at ?? '-'}  reason=${entry.reason ?? '-'}`,
  );
  lines.push(
    dryRun
      ? `${entries.length} dead letter(s) in ${from} would be replayed to ${to} (dry run: nothing sent)`
      : `replayed ${entries.length} dead letter(s) from ${from} to ${to}`,
  );
  return `${lines.join('\n')}\n`;
}
