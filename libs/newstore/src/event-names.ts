/**
 * Event names the hub knows (docs/domain.md section 1). Others are accepted and stored;
 * this list bounds metric label values, where unknown names count as "other".
 */
export const KNOWN_EVENT_NAMES = [
  'order.created',
  'order.opened',
  'order.completed',
  'order.cancelled',
  'order.items_cancelled',
  'order.items_swapped',
  'fulfillment_request.assigned',
  'fulfillment_request.items_completed',
  'fulfillment_request.items_failed',
  'return.processed',
  'refund_request.issued',
  'payment_account.amount_refunded',
  'payment_account.amount_authorized',
  'payment_account.amount_captured',
  'inventory_transaction.created',
  'inventory_count.items_counted',
] as const;

const known = new Set<string>(KNOWN_EVENT_NAMES);

export function eventNameLabel(name: string | undefined): string {
  return name !== undefined && known.has(name) ? name : 'other';
}
