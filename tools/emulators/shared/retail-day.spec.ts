import { eventsOfOrder } from './newstore-events';
import { orderAt, ordersOfDay } from './retail-day';

describe('synthetic retail day', () => {
  const day = { tenant: 'acme', date: '2024-01-02', orders: 2_000, seed: 7 };

  it('is deterministic: the same seed gives the same orders, another seed others', () => {
    expect(orderAt(day, 123)).toEqual(orderAt(day, 123));
    expect(orderAt({ ...day, seed: 8 }, 123).id).not.toBe(orderAt(day, 123).id);
  });

  it('covers the retail cases the hub must map, with totals that add up', () => {
    const orders = [...ordersOfDay(day)];
    expect(new Set(orders.map((order) => order.id)).size).toBe(day.orders);
    expect(orders.some((order) => order.channelType === 'web')).toBe(true);
    expect(orders.some((order) => order.items.every((item) => item.shippingServiceLevel === 'IN_STORE_HANDOVER'))).toBe(
      true,
    );
    expect(
      orders.some(
        (order) =>
          order.isExchange && order.instruments.some((instrument) => instrument.paymentMethod === 'store_credit'),
      ),
    ).toBe(true);
    expect(
      orders.some((order) => order.roundedAmount !== undefined && order.instruments[0].paymentMethod === 'cash'),
    ).toBe(true);
    expect(
      orders.some((order) => order.instruments.some((instrument) => instrument.paymentMethod === 'gift_card')),
    ).toBe(true);
    expect(orders.some((order) => order.couponCodes.length > 0)).toBe(true);
    expect(new Set(orders.map((order) => order.currency)).size).toBeGreaterThan(2);
    expect(orders.some((order) => order.cancellation)).toBe(true);
    expect(orders.some((order) => order.return)).toBe(true);
    expect(orders.some((order) => order.appeasement)).toBe(true);
    expect(orders.some((order) => order.isHistorical)).toBe(true);
    for (const order of orders) {
      const expected = order.subtotal - order.discountTotal + order.shippingTotal + order.taxTotal;
      expect(Math.abs(order.grandTotal - expected)).toBeLessThan(0.011);
      expect(order.createdAt.startsWith('2024-01-02')).toBe(true);
    }
    // Creation order follows the index, so the day can be paged without sorting.
    const times = orders.map((order) => Date.parse(order.createdAt));
    expect(times.every((time, index) => index === 0 || time >= times[index - 1])).toBe(true);
  });

  it('turns an order into the NewStore events it implies', () => {
    const order = [...ordersOfDay(day)].find((candidate) => candidate.cancellation && candidate.return)!;
    const events = eventsOfOrder(order, 'acme');
    expect(events.map((event) => event.envelope.name)).toEqual(
      expect.arrayContaining([
        'order.opened',
        'payment_account.amount_authorized',
        'order.items_cancelled',
        'return.processed',
      ]),
    );
    const returned = events.find((event) => event.envelope.name === 'return.processed')!;
    expect(returned.envelope.payload).toMatchObject({ order_id: order.id, id: order.return!.id });
  });
});
