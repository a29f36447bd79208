/** Kafka header names the hub writes and reads. One place, so producers and consumers agree. */
export const HEADERS = {
  eventId: 'event-id',
  eventName: 'event-name',
  tenant: 'tenant',
  receivedAt: 'received-at',
  keySource: 'key-source',
  contentType: 'content-type',
  traceparent: 'traceparent',
  replay: 'replay',
  attempt: 'retry-attempt',
  firstSeenAt: 'retry-first-seen-at',
  dueAt: 'retry-due-at',
  lastError: 'retry-last-error',
  dlqReason: 'dlq-reason',
  dlqAt: 'dlq-at',
  /** topic/partition/offset the dead letter came from. */
  dlqSource: 'dlq-source',
  /** The id a dead letter is selected by for replay: an event id (enricher), an idempotency key (sink). */
  deadLetterId: 'dlq-id',
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];
