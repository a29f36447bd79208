/**
 * How NewStore events fold into the hub's order projection. The fold is the same
 * whether events are applied one by one or a batch at a time, and whatever the
 * batch boundaries: fields of the opening event are set once (the first wins) and
 * the lifecycle status only moves forward by rank. So an incremental build and a
 * rebuild from the topic give the same rows.
 */
export const ORDER_LIFECYCLE = ['seen', 'opened', 'items_cancelled', 'completed', 'returned', 'cancelled'] as const;
export type OrderLifecycle = (typeof ORDER_LIFECYCLE)[number];

/** The lifecycle step each event name marks; other events only record that the order was seen. */
const LIFECYCLE_OF_EVENT: Record<string, OrderLifecycle> = {
  'order.created': 'opened',
  'order.opened': 'opened',
  'order.items_cancelled': 'items_cancelled',
  'order.completed': 'completed',
  'return.processed': 'returned',
  'order.cancelled': 'cancelled',
};

export const lifecycleRank = (status: OrderLifecycle): number => ORDER_LIFECYCLE.indexOf(status);

/** What the opening event says about the order (docs/domain.md section 1 payloads). */
export interface OrderDetails {
  externalId: string | null;
  channel: string | null;
  channelType: string | null;
  createdAt: string | null;
  currency: string | null;
  total: number | null;
  itemCount: number | null;
  isHistorical: boolean;
}

export interface OrderEventInput {
  tenant: string;
  /** The Kafka key: the order id (or the entity id of events of no order). */
  orderId: string;
  name: string;
  payload: Record<string, unknown>;
  partition: number;
  offset: string;
}

/** One order's row as folded so far. */
export interface OrderFold {
  tenant: string;
  orderId: string;
  details: OrderDetails | null;
  status: OrderLifecycle;
  eventCount: number;
  partition: number;
  /** Offsets of the order's events in newstore.events.v1, in order: what a resync replays. */
  offsets: string[];
}

const textOrNull = (value: unknown): string | null =>
  typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null;
const numberOrNull = (value: unknown): number | null => {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
};

export function isOpeningEvent(name: string): boolean {
  return name === 'order.opened' || name === 'order.created';
}

/** The details an opening event carries; null for any other event. */
export function orderDetailsOf(name: string, payload: Record<string, unknown>): OrderDetails | null {
  if (!isOpeningEvent(name)) return null;
  return {
    externalId: textOrNull(payload.external_id),
    channel: textOrNull(payload.channel),
    channelType: textOrNull(payload.channel_type),
    createdAt: textOrNull(payload.created_at) ?? textOrNull(payload.placed_at),
    currency: textOrNull(payload.currency),
    total: numberOrNull(payload.grand_total),
    itemCount: Array.isArray(payload.items) ? payload.items.length : null,
    isHistorical: payload.is_historical === true,
  };
}

/** Applies one event to an order's fold (or starts one). */
export function foldOrderEvent(fold: OrderFold | undefined, event: OrderEventInput): OrderFold {
  const status = LIFECYCLE_OF_EVENT[event.name] ?? 'seen';
  const current: OrderFold = fold ?? {
    tenant: event.tenant,
    orderId: event.orderId,
    details: null,
    status: 'seen',
    eventCount: 0,
    partition: event.partition,
    offsets: [],
  };
  return {
    ...current,
    details: current.details ?? orderDetailsOf(event.name, event.payload),
    status: lifecycleRank(status) > lifecycleRank(current.status) ? status : current.status,
    eventCount: current.eventCount + 1,
    offsets: [...current.offsets, event.offset],
  };
}
