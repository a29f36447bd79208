import { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { discrepancyMessageSchema } from './discrepancy';
import { erpDocumentSchema, syncStatusSchema } from './erp-document';
import { HEADERS, HeaderName } from './headers';

/**
 * How a topic's values are written:
 * - `json`: UTF-8 JSON, validated against the schema when produced and when consumed;
 * - `registry-json`: the same, in the schema registry's wire format (a magic byte and
 *   the schema id before the JSON), the schema registered under `<topic>-value`;
 * - `bytes`: kept as received (NewStore's webhook bodies: the event store keeps the
 *   original bytes), validated by whoever reads them;
 * - `copy`: a dead letter, the failed message's value as it was.
 */
export type TopicValue =
  { format: 'json' | 'registry-json'; schema: z.ZodTypeAny } | { format: 'bytes' | 'copy'; description: string };

/**
 * One contract per topic: its default physical name (versioned), key, value,
 * headers and the configuration it is created with. A typed record, so a topic
 * used anywhere must be declared here. Physical names can be overridden per
 * deployment (environment `TOPIC_<LOGICAL_NAME>`) and all carry KAFKA_TOPIC_PREFIX.
 */
export interface TopicDeclaration {
  /** Default physical name, versioned. */
  name: string;
  /** What the message key is (it decides the partition, so what stays in order). */
  key: string;
  value: TopicValue;
  /** Headers the hub writes on this topic. */
  headers: readonly HeaderName[];
  cleanupPolicy: 'delete' | 'compact';
  /** -1 keeps messages forever. */
  retentionMs: number;
  description: string;
}

const EVENT_HEADERS = [
  HEADERS.eventId,
  HEADERS.eventName,
  HEADERS.tenant,
  HEADERS.receivedAt,
  HEADERS.keySource,
  HEADERS.contentType,
  HEADERS.traceparent,
  HEADERS.replay,
  HEADERS.sendId,
] as const;
const DEAD_LETTER_HEADERS = [HEADERS.dlqReason, HEADERS.dlqAt, HEADERS.dlqSource, HEADERS.deadLetterId] as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPICS = {
  newstoreEvents: {
    name: 'newstore.events.v1',
    key: 'order id (derived from the event; headers say from what)',
    value: {
      format: 'bytes',
      description: "NewStore's webhook body as received: { tenant, name, published_at, payload }",
    },
    headers: EVENT_HEADERS,
    cleanupPolicy: 'delete',
    retentionMs: -1,
    description: 'Raw NewStore webhook bodies, keyed by order id: the event store.',
  },
  enricherDlq: {
    name: 'enricher.dlq.v1',
    key: 'order id',
    value: { format: 'copy', description: 'the event as it was on newstore.events.v1 or a retry tier' },
    headers: [...EVENT_HEADERS, ...DEAD_LETTER_HEADERS],
    cleanupPolicy: 'delete',
    retentionMs: 365 * DAY_MS,
    description: 'Events the enricher could not process, reason in headers.',
  },
  erpDocuments: {
    name: 'erp.documents.v1',
    key: 'order id (documents of one order in order)',
    value: { format: 'registry-json', schema: erpDocumentSchema },
    headers: [HEADERS.eventId, HEADERS.eventName, HEADERS.tenant, HEADERS.replay, HEADERS.sendId, HEADERS.traceparent],
    cleanupPolicy: 'delete',
    // Kept for ever: the projections are rebuilt from it (docs/architecture.md, "everything rebuildable").
    // Keyed by order id for ordering, so it cannot be compacted by idempotency key.
    retentionMs: -1,
    description: 'ERP-neutral documents with their idempotency key, keyed by order id.',
  },
  erpDlq: {
    name: 'erp.dlq.v1',
    key: 'order id',
    value: { format: 'copy', description: 'the document as it was on erp.documents.v1' },
    headers: [
      HEADERS.eventId,
      HEADERS.eventName,
      HEADERS.tenant,
      HEADERS.replay,
      HEADERS.sendId,
      ...DEAD_LETTER_HEADERS,
    ],
    cleanupPolicy: 'delete',
    retentionMs: 365 * DAY_MS,
    description: 'Documents the ERP rejected, with its error in headers.',
  },
  erpSyncStatus: {
    name: 'erp.sync-status.v1',
    key: 'idempotency key (compaction keeps the last outcome of each document)',
    value: { format: 'json', schema: syncStatusSchema },
    headers: [HEADERS.sendId],
    cleanupPolicy: 'compact',
    retentionMs: -1,
    description: 'Last posting outcome per idempotency key (compacted).',
  },
  reconciliationDiscrepancies: {
    name: 'reconciliation.discrepancies.v1',
    key: 'order id',
    value: { format: 'json', schema: discrepancyMessageSchema },
    headers: [HEADERS.tenant, HEADERS.sendId],
    cleanupPolicy: 'delete',
    retentionMs: 90 * DAY_MS,
    description: 'One message per discrepancy found by the daily reconciliation.',
  },
} as const satisfies Record<string, TopicDeclaration>;

export type TopicName = keyof typeof TOPICS;

/**
 * The stem of the enricher's delay-retry tiers: one topic per distinct delay of
 * ENRICHER_RETRY_TIERS_MS, `<prefix>enricher.retry.<delay>ms.v1`, each message the event
 * as it was with its attempt, due time and last error in headers. The enricher makes
 * and consumes them; the reconciler projects them (an order's retries, on its page).
 */
export const ENRICHER_RETRY_STEM = 'enricher.retry';

type JsonTopic = {
  [T in TopicName]: (typeof TOPICS)[T]['value'] extends { format: 'json' } ? T : never;
}[TopicName];
/** The value type of a JSON topic, as its schema parses it. */
export type TopicValueOf<T extends JsonTopic> = z.infer<(typeof TOPICS)[T]['value']['schema']>;

/** A value that breaks its topic's contract: never produced, and reported (not skipped silently) when consumed. */
export class ContractViolation extends Error {
  constructor(
    readonly topic: TopicName,
    readonly problems: string[],
  ) {
    super(`not a valid ${TOPICS[topic].name} value: ${problems.join('; ')}`);
    this.name = 'ContractViolation';
  }
}

function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`);
}

/** A JSON topic's value, checked against its contract: throws {@link ContractViolation} rather than produce it. */
export function encodeTopicValue<T extends JsonTopic>(topic: T, value: TopicValueOf<T>): Buffer {
  const parsed = TOPICS[topic].value.schema.safeParse(value);
  if (!parsed.success) throw new ContractViolation(topic, problemsOf(parsed.error));
  return Buffer.from(JSON.stringify(parsed.data), 'utf8');
}

/** A JSON topic's value as its contract reads it, or the problems that make it unreadable. */
export function decodeTopicValue<T extends JsonTopic>(
  topic: T,
  value: Buffer,
): { ok: true; value: TopicValueOf<T> } | { ok: false; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(value.toString('utf8'));
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${(error as Error).message}`] };
  }
  const parsed = TOPICS[topic].value.schema.safeParse(raw) as z.SafeParseReturnType<unknown, TopicValueOf<T>>;
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, problems: problemsOf(parsed.error) };
}

/**
 * The JSON Schema of a topic's value, generated from its zod schema (never kept by
 * hand, so the two cannot drift), for other consumers and the schema registry.
 * Objects stay open (`additionalProperties: true`), as zod's parsing is.
 */
export function topicJsonSchema(topic: TopicName): object | undefined {
  const { value } = TOPICS[topic] as TopicDeclaration;
  if (value.format !== 'json' && value.format !== 'registry-json') return undefined;
  return zodToJsonSchema(value.schema as z.ZodType<object>, {
    name: undefined,
    target: 'jsonSchema7',
    $refStrategy: 'none',
    removeAdditionalStrategy: 'strict',
  });
}

/** Environment variable that overrides a topic's physical name, e.g. TOPIC_NEWSTORE_EVENTS. */
export function topicOverrideVariable(topic: TopicName): string {
  return `TOPIC_${topic.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Physical topic names for one deployment: prefix plus name, or the override. */
export function resolveTopicNames(prefix: string, source: NodeJS.ProcessEnv = process.env): Record<TopicName, string> {
  const names = {} as Record<TopicName, string>;
  for (const topic of Object.keys(TOPICS) as TopicName[]) {
    const override = source[topicOverrideVariable(topic)]?.trim();
    names[topic] = `${prefix}${override || TOPICS[topic].name}`;
  }
  return names;
}
