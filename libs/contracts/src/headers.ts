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
  /**
   * One id per message per send of the hub's producer, kept through kafkajs's retries
   * and the producer's own resend rounds: two copies of it on a topic are a write the
   * producer made twice (a retry after a leader moved), not two events.
   */
  sendId: 'send-id',
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];
