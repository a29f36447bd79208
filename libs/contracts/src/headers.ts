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
} as const;

export type HeaderName = (typeof HEADERS)[keyof typeof HEADERS];
