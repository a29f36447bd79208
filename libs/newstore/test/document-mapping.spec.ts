import { GraphQlOrder, mapEventToDocument, NewStoreEnvelope } from '@hub/newstore';

const order = (overrides: Partial<GraphQlOrder> = {}): GraphQlOrder => ({
  id: 'o-1',
  externalId: 'S 1001/A',
  createdAt: '2024-01-02T23:30:00.000',
  channelType: 'store',
  channel: 'store-1',
  demandLocationId: 'store-1',
  currency: 'USD',
  isExchange: false,
  isHistorical: false,
  taxTotal: 8,
  shippingTotal: 0,
  shippingTax: 0,
  subtotal: 100,
  discountTotal: 0,
  grandTotal: 108,
  discounts: [],
  paymentAccount: {
    instruments: [
      {
        paymentMethod: 'cash',
        paymentProvider: 'cash',
        paymentAccountTransactions: [{ amount: 108, currency: 'USD', transactionType: 'capture' }],
      },
    ],
  },
  items: [
    {
      id: 'i-1',
      productId: 'p1',
      quantity: 1,
      status: 'ordered',
      pricebookPrice: 60,
      itemDiscounts: 0,
      orderDiscounts: 0,
      tax: 4.8,
      shippingServiceLevel: 'IN_STORE_HANDOVER',
      externalIdentifiers: { sku: 'SKU1' },
    },
    {
      id: 'i-2',
      productId: 'p2',
      quantity: 1,
      status: 'ordered',
      pricebookPrice: 40,
      itemDiscounts: 0,
      orderDiscounts: 0,
      tax: 3.2,
      shippingServiceLevel: 'IN_STORE_HANDOVER',
      externalIdentifiers: { sku: 'SKU2' },
    },
  ],
  ...overrides,
});

const event = (name: string, payload: Record<string, unknown>): NewStoreEnvelope => ({
  tenant: 'acme',
  name,
  payload: { id: 'o-1', ...payload },
});

describe('mapping NewStore events to ERP documents', () => {
  it('makes an in-store purchase a cash sale and a shipped or web order a sales order', () => {
    const store = mapEventToDocument({
      envelope: event('order.opened', { items: [{}, {}] }),
      eventId: 'e1',
      order: order(),
    });
    expect(store).toMatchObject({
      kind: 'document',
      document: { documentType: 'cashSale', externalId: 'S-1001-A', tranDate: '2024-01-02', total: 108 },
    });
    const shipped = order({
      items: order().items.map((item, index) => (index === 0 ? { ...item, shippingServiceLevel: 'GROUND' } : item)),
    });
    expect(mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e1', order: shipped })).toMatchObject({
      document: { documentType: 'salesOrder' },
    });
    expect(
      mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e1', order: order({ channelType: 'web' }) }),
    ).toMatchObject({ document: { documentType: 'salesOrder' } });
  });

  it('waits for data that is not there yet, and skips what needs no ERP action', () => {
    expect(mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e', order: null })).toMatchObject({
      kind: 'not-ready',
    });
    expect(
      mapEventToDocument({ envelope: event('order.opened', { items: [{}, {}, {}] }), eventId: 'e', order: order() }),
    ).toMatchObject({ kind: 'not-ready', reason: 'GraphQL has 2 of 3 items' });
    expect(
      mapEventToDocument({
        envelope: event('order.opened', {}),
        eventId: 'e',
        order: order({ paymentAccount: { instruments: [] } }),
      }),
    ).toMatchObject({ kind: 'not-ready', reason: 'payment transactions not settled yet' });
    expect(
      mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e', order: order({ isHistorical: true }) }),
    ).toMatchObject({ kind: 'skip' });
    expect(
      mapEventToDocument({ envelope: event('inventory_count.items_counted', {}), eventId: 'e', order: null }),
    ).toMatchObject({ kind: 'skip' });
  });

  it('gives a credit memo an order-independent key and makes it depend on the sale', () => {
    const a = mapEventToDocument({
      envelope: event('order.items_cancelled', { items: [{ id: 'i-2' }, { id: 'i-1' }] }),
      eventId: 'e2',
      order: order(),
    });
    const b = mapEventToDocument({
      envelope: event('order.items_cancelled', { items: [{ id: 'i-1' }, { id: 'i-2' }] }),
      eventId: 'e3',
      order: order(),
    });
    expect(
      a.kind === 'document' && b.kind === 'document' && a.document.idempotencyKey === b.document.idempotencyKey,
    ).toBe(true);
    expect(a).toMatchObject({
      document: {
        documentType: 'creditMemo',
        total: 108,
        dependsOn: { documentType: 'cashSale', idempotencyKey: 'cashSale:acme:o-1' },
      },
    });
  });

  it('refunds a blind return without waiting for an order', () => {
    const blind = mapEventToDocument({
      envelope: {
        tenant: 'acme',
        name: 'return.processed',
        payload: {
          id: 'r-9',
          total_refund_amount: 12,
          currency: 'EUR',
          items: [{ id: 'x', refund_amount: 10, refund_tax: 2 }],
        },
      },
      eventId: 'e4',
      order: null,
    });
    expect(blind).toMatchObject({
      kind: 'document',
      document: { documentType: 'cashRefund', externalId: 'RT-r-9', total: 12, currency: 'EUR' },
    });
    expect(blind.kind === 'document' && blind.document.dependsOn).toBeUndefined();
  });
});
