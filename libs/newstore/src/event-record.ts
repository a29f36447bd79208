import { HEADERS } from '@hub/contracts';
import { EnvelopeParseResult, NewStoreEnvelope, parseEnvelope, withoutBom } from './envelope';
import { computeEventId } from './event-id';
import { deriveEventKey, KeySource } from './event-key';
import { traceparentFor } from './trace-context';

/** What goes to newstore.events.v1 for one accepted event: the raw bytes, keyed, with metadata headers. */
export interface EventRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface AcceptedEvent {
  ok: true;
  envelope: NewStoreEnvelope;
  eventId: string;
  keySource: KeySource;
  record: EventRecord;
}

export type PreparedEvent = AcceptedEvent | Exclude<EnvelopeParseResult, { ok: true }>;

export interface EventMetadata {
  receivedAt: Date;
  contentType: string;
  traceparent?: string;
}

/**
 * Turns a raw body into the record the event store keeps, or into the list of
 * its problems. The webhook and the S3-export import both go through here, so
 * both key and identify events the same way.
 */
export function prepareEventRecord(body: Buffer, metadata: EventMetadata): PreparedEvent {
  const parsed = parseEnvelope(body);
  if (!parsed.ok) return parsed;
  const { envelope } = parsed;
  const eventId = computeEventId(envelope);
  const { key, source } = deriveEventKey(envelope);
  return {
    ok: true,
    envelope,
    eventId,
    keySource: source,
    record: {
      key,
      // Stored without a UTF-8 byte-order mark: every consumer then reads the same JSON
      // bytes (the BOM is no part of the event, and JSON.parse refuses it).
      value: withoutBom(body),
      headers: {
        [HEADERS.eventId]: eventId,
        [HEADERS.eventName]: envelope.name,
        [HEADERS.tenant]: envelope.tenant,
        [HEADERS.receivedAt]: metadata.receivedAt.toISOString(),
        [HEADERS.keySource]: source,
        [HEADERS.contentType]: metadata.contentType,
        [HEADERS.traceparent]: traceparentFor(metadata.traceparent),
      },
    },
  };
}
