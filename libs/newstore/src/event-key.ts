import { NewStoreEnvelope } from './envelope';

/** Which rule gave an event its Kafka key; recorded in the `key-source` header. */
export type KeySource = 'order-id' | 'payload-order-id' | 'payment-account-id' | 'entity-id';

export interface EventKey {
  key: string;
  source: KeySource;
}

type Family = 'order' | 'fulfillment_request' | 'return' | 'refund_request' | 'payment_account';

/**
 * Where the order id sits, per event family (docs/domain.md, "Where the order id sits").
 * A typed record: a family added to the union must say where its order id is.
 */
const ORDER_ID_RULES: Record<Family, (payload: NewStoreEnvelope['payload']) => EventKey | undefined> = {
  order: (payload) => ({ key: payload.id, source: 'order-id' }),
  fulfillment_request: (payload) => fromOrderIdField(payload),
  // Blind returns have no order: they fall back to the return's own id.
  return: (payload) => fromOrderIdField(payload),
  refund_request: (payload) => fromOrderIdField(payload),
  // The payment account's id equals the order id.
  payment_account: (payload) => fromOrderIdField(payload) ?? { key: payload.id, source: 'payment-account-id' },
};

function fromOrderIdField(payload: NewStoreEnvelope['payload']): EventKey | undefined {
  const orderId = payload.order_id;
  return typeof orderId === 'string' && orderId.length > 0 ? { key: orderId, source: 'payload-order-id' } : undefined;
}

function isFamily(family: string): family is Family {
  return Object.prototype.hasOwnProperty.call(ORDER_ID_RULES, family);
}

/**
 * The Kafka key of an event: its NewStore order id, so every event of one order
 * lands on one partition; events of no order are keyed by their entity id.
 */
export function deriveEventKey(envelope: NewStoreEnvelope): EventKey {
  const family = envelope.name.split('.')[0];
  const rule = isFamily(family) ? ORDER_ID_RULES[family](envelope.payload) : undefined;
  return rule ?? { key: envelope.payload.id, source: 'entity-id' };
}
