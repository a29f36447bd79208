import { HEADERS } from '@hub/contracts';
import { ConsumedMessage } from '@hub/kafka';
import { withoutBom } from '@hub/newstore';
import { isOpeningEvent } from '@hub/reconciliation';

/** What the order projection reads of one raw NewStore event. */
export interface ProjectedEvent {
  tenant: string;
  orderId: string;
  name: string;
  /** The event's payload; empty unless the event opens an order (its fields are kept). */
  payload: Record<string, unknown>;
}

/**
 * Reads one message of the raw events topic for the order projection, or says why it
 * cannot be (the message is then skipped and counted: the projection must not stall).
 * Only opening events carry fields the projection keeps: the others are not parsed
 * when ingest's headers and key already say what they are.
 */
export function readProjectedEvent(message: ConsumedMessage): ProjectedEvent | { unreadable: string } {
  let tenant: string | undefined = message.headers[HEADERS.tenant];
  let name: string | undefined = message.headers[HEADERS.eventName];
  let orderId = message.key ?? undefined;
  let payload: Record<string, unknown> = {};
  if (!tenant || !name || !orderId || isOpeningEvent(name)) {
    let envelope: { tenant?: unknown; name?: unknown; payload?: Record<string, unknown> } | null;
    try {
      // The same bytes the enricher reads: a UTF-8 BOM is not part of the JSON.
      envelope = JSON.parse(message.value ? withoutBom(message.value).toString('utf8') : 'null') as typeof envelope;
    } catch {
      return { unreadable: 'not JSON' };
    }
    tenant ??= typeof envelope?.tenant === 'string' ? envelope.tenant : undefined;
    name ??= typeof envelope?.name === 'string' ? envelope.name : undefined;
    orderId ??= typeof envelope?.payload?.id === 'string' ? envelope.payload.id : undefined;
    payload = envelope?.payload ?? {};
  }
  if (!tenant || !name || !orderId) return { unreadable: 'no tenant, name or order id' };
  const unreadable = isOpeningEvent(name) ? unreadableOpening(payload) : undefined;
  if (unreadable) return { unreadable };
  return { tenant, orderId, name, payload };
}

/**
 * Why an opening event cannot be projected, if it cannot: its creation time is
 * what the business date and the settle window are computed from, so one that is
 * no datetime ("soon", 12345) would fail the whole batch's insert for ever.
 */
function unreadableOpening(payload: Record<string, unknown>): string | undefined {
  const createdAt = payload.created_at ?? payload.placed_at;
  if (createdAt === undefined || createdAt === null) return undefined;
  if (typeof createdAt !== 'string' || !ISO_DATETIME.test(createdAt) || Number.isNaN(Date.parse(createdAt)))
    return `created_at ${JSON.stringify(createdAt)} is not an ISO 8601 datetime`;
  return undefined;
}
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
