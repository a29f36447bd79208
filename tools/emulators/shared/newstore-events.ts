import { bookedAsSalesOrder, currencyDigits, DayOrder } from './retail-day';

/** One event as NewStore's event stream sends it (docs/domain.md section 1). */
export interface StreamEvent {
  /** When NewStore publishes it (ms since epoch). */
  at: number;
  orderId: string;
  envelope: { tenant: string; name: string; published_at: string; payload: Record<string, unknown> };
}

const MINUTE = 60_000;
const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken'];

/** The events an order produces during the day, in the order NewStore publishes them. */
export function eventsOfOrder(order: DayOrder, tenant: string): StreamEvent[] {
  const created = Date.parse(order.createdAt);
  const event = (at: number, name: string, payload: Record<string, unknown>): StreamEvent => ({
    at,
    orderId: order.id,
    envelope: { tenant, name, published_at: new Date(at).toISOString(), payload },
  });
  const events: StreamEvent[] = [
    event(created + 1_000, 'order.opened', {
      id: order.id,
      external_id: order.externalId,
      created_at: order.createdAt,
      placed_at: order.createdAt,
      channel_type: order.channelType,
      channel: order.channel,
      demand_location_id: order.demandLocationId,
      is_exchange: order.isExchange,
      is_historical: order.isHistorical,
      // A store sale without an e-mail (every third) is booked on the store's placeholder customer;
      // any other names its buyer (docs/domain.md section 1: customer_id, customer_email, billing_address).
      ...(order.channelType === 'store' && order.index % 3 === 0
        ? {}
        : {
            customer_id: `customer-${order.index % 9973}`,
            customer_email: `customer${order.index % 9973}@example.com`,
            billing_address: {
              first_name: FIRST_NAMES[order.index % FIRST_NAMES.length],
              last_name: `Customer ${order.index % 9973}`,
              phone: `+1 555 01${String(order.index % 100).padStart(2, '0')}`,
            },
          }),
      subtotal: order.subtotal,
      discount_total: order.discountTotal,
      shipping_total: order.shippingTotal,
      shipping_tax: order.shippingTax,
      tax_total: order.taxTotal,
      grand_total: order.grandTotal,
      currency: order.currency,
      tax_strategy: order.taxStrategy,
      tax_exempt: order.taxExempt,
      items: order.items.map((item) => ({
        id: item.id,
        product_id: item.productId,
        pricebook_price: item.pricebookPrice,
        list_price: item.listPrice,
        item_discounts: item.itemDiscounts,
        order_discounts: item.orderDiscounts,
        tax: item.tax,
        quantity: item.quantity,
        status: 'ordered',
        shipping_service_level: item.shippingServiceLevel,
        external_identifiers: { sku: item.sku },
      })),
    }),
    event(created + 2_000, 'payment_account.amount_authorized', {
      id: order.id,
      order_id: order.id,
      amount: order.grandTotal,
      currency: order.currency,
      extended_attributes:
        order.roundedAmount === undefined ? [] : [{ name: 'rounded_amount', value: String(order.roundedAmount) }],
    }),
  ];
  if (order.cancellation) {
    events.push(
      event(created + 5 * MINUTE, 'order.items_cancelled', {
        id: order.id,
        items: order.cancellation.itemIds.map((id) => ({
          id,
          product_id: order.items.find((item) => item.id === id)?.productId,
          cancellation_reason: 'out_of_stock',
        })),
      }),
    );
  }
  for (const fulfilment of fulfilmentsOf(order)) {
    const payload = {
      id: fulfilment.id,
      order_id: order.id,
      fulfillment_location_id: fulfilment.locationId,
      service_level: order.items.find((item) => item.id === fulfilment.itemIds[0])?.shippingServiceLevel,
      items: fulfilment.itemIds.map((id) => ({
        id,
        product_id: order.items.find((item) => item.id === id)?.productId,
      })),
    };
    // Assigned to its location first, completed later (docs/domain.md section 1), the completed
    // items with the carrier's number of their package (`tracking_code`: assumed, no seed names it).
    const completed = {
      ...payload,
      items: payload.items.map((item) => ({ ...item, tracking_code: `TRK-${fulfilment.id}` })),
    };
    events.push(
      event(created + 30 * MINUTE, 'fulfillment_request.assigned', payload),
      event(created + 90 * MINUTE, 'fulfillment_request.items_completed', completed),
    );
  }
  if (order.return) {
    const digits = currencyDigits(order.currency);
    const exclTax = Number((order.return.amount - order.return.tax).toFixed(digits));
    events.push(
      event(created + order.return.offsetMinutes * MINUTE, 'return.processed', {
        id: order.return.id,
        order_id: order.id,
        returned_at: new Date(created + order.return.offsetMinutes * MINUTE).toISOString(),
        total_refund_amount: order.return.amount,
        total_refund_tax: order.return.tax,
        total_refund_excl_tax: exclTax,
        currency: order.currency,
        // Returned where the order was placed (a web order's at its web location).
        return_location_id: order.demandLocationId,
        // One item per return in the emulated day: its refund is the return's, its tax included
        // (docs/domain.md section 3, "Returns": 71.62 = 66 + 5.62); every fourth comes back damaged.
        items: order.return.itemIds.map((id) => ({
          id,
          product_id: order.items.find((item) => item.id === id)?.productId,
          quantity: order.items.find((item) => item.id === id)?.quantity ?? 1,
          refund_amount: order.return!.amount,
          refund_tax: order.return!.tax,
          return_reason: 'too_small',
          item_condition: order.index % 4 === 0 ? 'damaged' : 'sellable',
        })),
      }),
    );
  }
  if (order.appeasement) {
    events.push(
      event(created + order.appeasement.offsetMinutes * MINUTE, 'refund_request.issued', {
        id: order.appeasement.id,
        order_id: order.id,
        payment_account_id: order.id,
        amount: order.appeasement.amount,
        currency: order.currency,
        requested_at: new Date(created + order.appeasement.offsetMinutes * MINUTE).toISOString(),
        reason_code: order.appeasement.reasonCode,
      }),
    );
  }
  return events;
}

/**
 * The fulfilment requests of an order that NewStore completes during the day
 * (docs/domain.md section 1, `fulfillment_request.items_completed`): one per location
 * that fulfils items of a shipped order, its cancelled items left out. A cash sale's
 * items were handed over in the store; a historical order was fulfilled long ago.
 */
export function fulfilmentsOf(order: DayOrder): { id: string; locationId: string; itemIds: string[] }[] {
  if (order.isHistorical || !bookedAsSalesOrder(order)) return [];
  const byLocation = new Map<string, string[]>();
  for (const item of order.items)
    if (item.status !== 'cancelled')
      byLocation.set(item.fulfillmentLocationId, [...(byLocation.get(item.fulfillmentLocationId) ?? []), item.id]);
  return [...byLocation.entries()].map(([locationId, itemIds], index) => ({
    id: `${order.id}-ff${index + 1}`,
    locationId,
    itemIds,
  }));
}
