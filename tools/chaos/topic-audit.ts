import { HEADERS } from '@hub/contracts';
import { readTopicToEnd } from '@hub/kafka';
import type { Kafka } from 'kafkajs';
import type { TopicDuplicates } from './report';

/** What the run's topics hold once the pipeline is quiet: read from Kafka, as any consumer would. */
export interface TopicAudit {
  /** Messages on newstore.events.v1, and the distinct events among them (by event id). */
  rawMessages: number;
  distinctEvents: number;
  topicDuplicates: Record<'newstore.events.v1' | 'erp.documents.v1', TopicDuplicates>;
  /** Messages on each dead-letter topic. */
  deadLetters: Record<string, number>;
}

const READ = { timeoutMs: 120_000, groupPrefix: 'chaos-checker' };

type RawMessage = { value: Buffer | null; headers: Record<string, string | undefined> };

/** Reads the raw topic, the documents topic and both dead-letter topics of the run (its topic prefix) to their end. */
export async function auditTopics(kafka: Kafka, prefix: string): Promise<TopicAudit> {
  /** Every message of a topic, as its identity (what makes two messages copies) and its send id. */
  const identities = async (topic: string, identity: (message: RawMessage) => string) => {
    const read: { identity: string; sendId?: string }[] = [];
    await readTopicToEnd(
      kafka,
      `${prefix}${topic}`,
      async (batch) =>
        void read.push(
          ...batch.map((message) => ({ identity: identity(message), sendId: message.headers[HEADERS.sendId] })),
        ),
      READ,
    );
    return read;
  };
  const raw = await identities('newstore.events.v1', (message) => message.headers[HEADERS.eventId] ?? '');
  // The documents topic: one document of one event is one message; more are duplicates.
  const documents = await identities('erp.documents.v1', (message) =>
    documentIdentity(message.value, message.headers[HEADERS.replay]),
  );
  const deadLetters: Record<string, number> = {};
  for (const topic of ['enricher.dlq.v1', 'erp.dlq.v1']) {
    deadLetters[topic] = 0;
    await readTopicToEnd(kafka, `${prefix}${topic}`, async (batch) => void (deadLetters[topic] += batch.length), {
      ...READ,
      timeoutMs: 60_000,
    });
  }
  return {
    rawMessages: raw.length,
    distinctEvents: new Set(raw.map((message) => message.identity)).size,
    topicDuplicates: { 'newstore.events.v1': duplicatesOn(raw), 'erp.documents.v1': duplicatesOn(documents) },
    deadLetters,
  };
}

export function duplicatesOn(messages: { identity: string; sendId?: string }[]): TopicDuplicates {
  const identities = new Set(messages.map((message) => message.identity));
  const sends = messages.filter((message) => message.sendId !== undefined);
  return {
    messages: messages.length,
    duplicates: messages.length - identities.size,
    writtenTwiceByProducer: sends.length - new Set(sends.map((message) => message.sendId)).size,
  };
}

/**
 * A document message's identity: its idempotency key and the event it was made from
 * (a replayed copy is a resync's, counted apart). The value is the registry's wire
 * format (a zero byte, the schema id in four bytes, then the JSON) or plain JSON.
 */
export function documentIdentity(value: Buffer | null, replay: string | undefined): string {
  if (!value) return 'tombstone';
  const json = value[0] === 0 ? value.subarray(5) : value;
  const document = JSON.parse(json.toString('utf8')) as { idempotencyKey: string; source?: { eventId?: string } };
  return `${document.idempotencyKey}|${document.source?.eventId ?? ''}|${replay === undefined ? '' : 'replay'}`;
}
