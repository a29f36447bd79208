import type { GraphQlOrder } from '@hub/newstore';

/** An in-store order of two items, paid in cash, as the enricher's GraphQL query returns it (flattened). */
export function sampleGraphQlOrder(overrides: Partial<GraphQlOrder> = {}): GraphQlOrder {
  return {
    id: 'o-1',
    externalId: 'S 1001/A',
    createdAt: '2024-01-02T23:30:00.000',
    placedAt: '2024-01-02T23:30:00.000',
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
    taxExempt: false,
    taxStrategy: 'us_tax',
    grandTotal: 108,
    discounts: [],
    paymentAccount: {
      instruments: [
        {
          paymentMethod: 'cash',
          paymentOrigin: 'store',
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
        fulfillmentLocationId: 'store-1',
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
        fulfillmentLocationId: 'store-1',
      },
    ],
    ...overrides,
  };
}

/**
 * The order after NewStore paid `amount` back: a refund transaction on its last
 * instrument (the type is assumed, see `refundPaymentLines` in document-mapping.ts).
 */
export function withRefundTransaction(order: GraphQlOrder, amount: number): GraphQlOrder {
  const instruments = order.paymentAccount?.instruments ?? [];
  return {
    ...order,
    paymentAccount: {
      instruments: instruments.map((instrument, index) =>
        index === instruments.length - 1
          ? {
              ...instrument,
              paymentAccountTransactions: [
                ...instrument.paymentAccountTransactions,
                { amount, currency: order.currency, transactionType: 'refund' },
              ],
            }
          : instrument,
      ),
    },
  };
}
