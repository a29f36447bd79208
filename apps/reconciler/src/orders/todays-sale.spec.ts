import { sampleGraphQlOrder } from '@hub/testing';
import { todaysSaleLines } from './todays-sale';

describe("the sale as NewStore would make it today (the resync's dry run)", () => {
  it("maps NewStore's order as the enricher maps its opening: each item at its price, then the payment", () => {
    const lines = todaysSaleLines('acme', sampleGraphQlOrder());
    expect(
      Array.isArray(lines) &&
        lines.map(({ kind, productId, quantity, amount }) => ({ kind, productId, quantity, amount })),
    ).toEqual([
      { kind: 'item', productId: 'p1', quantity: 1, amount: '60.00' },
      { kind: 'item', productId: 'p2', quantity: 1, amount: '40.00' },
      expect.objectContaining({ kind: 'payment', amount: '-108.00' }),
    ]);
  });

  it('says why there is no sale: NewStore has no such order, or its payments are not settled', () => {
    expect(todaysSaleLines('acme', null)).toBe('NewStore does not have this order now');
    const unpaid = sampleGraphQlOrder({
      paymentAccount: {
        instruments: [
          {
            paymentMethod: 'credit_card',
            paymentOrigin: 'web',
            paymentProvider: 'adyen',
            paymentAccountTransactions: [{ amount: 50, currency: 'USD', transactionType: 'capture' }],
          },
        ],
      },
    });
    expect(todaysSaleLines('acme', unpaid)).toMatch(/^NewStore's order makes no sale now: .*not settled/);
  });
});
