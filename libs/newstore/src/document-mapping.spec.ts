import { documentIdempotencyKey } from '@hub/contracts';
import { mapEventToDocument, NewStoreEnvelope, toExternalId, withTenantInExternalIds } from '@hub/newstore';
import { sampleGraphQlOrder } from '@hub/testing';

const order = sampleGraphQlOrder;

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
      document: {
        documentType: 'cashSale',
        externalId: expect.stringMatching(/^S-1001-A__[0-9a-f]{12}$/),
        tranDate: '2024-01-02',
        total: '108.00',
      },
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
    ).toMatchObject({ kind: 'not-ready', reason: 'payment transactions not settled yet (0.00 of 108.00)' });
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
        total: '108.00',
        dependsOn: { documentType: 'cashSale', idempotencyKey: 'cashSale:acme:o-1' },
      },
    });
  });

  it("skips a historical order's return and appeasement as it skips its sale (docs/domain.md: skip is_historical orders)", () => {
    const historical = order({ isHistorical: true });
    const returned = mapEventToDocument({
      envelope: event('return.processed', {
        id: 'r-1',
        order_id: 'o-1',
        total_refund_amount: 12,
        currency: 'USD',
        items: [{ id: 'x', refund_amount: 10, refund_tax: 2 }],
      }),
      eventId: 'e5',
      order: historical,
    });
    expect(returned).toMatchObject({ kind: 'skip', reason: 'return of a historical order' });
    const appeased = mapEventToDocument({
      envelope: event('refund_request.issued', { id: 'ap-1', amount: 5, currency: 'USD', reason_code: 'damaged' }),
      eventId: 'e6',
      order: historical,
    });
    expect(appeased).toMatchObject({ kind: 'skip', reason: 'appeasement of a historical order' });
    // The same events of an order that is not historical make documents.
    expect(
      mapEventToDocument({
        envelope: event('refund_request.issued', { id: 'ap-1', amount: 5, currency: 'USD', reason_code: 'damaged' }),
        eventId: 'e6',
        order: order(),
      }),
    ).toMatchObject({ kind: 'document', document: { documentType: 'cashRefund' } });
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
      document: { documentType: 'cashRefund', externalId: 'RT-r-9', total: '12.00', currency: 'EUR' },
    });
    expect(blind.kind === 'document' && blind.document.dependsOn).toBeUndefined();
  });
});

describe('documents whose total NetSuite computes as NewStore does', () => {
  const shippedKwd = order({
    channelType: 'web',
    currency: 'KWD',
    // 0.1 + 0.2 + 4.995 + 0.5 + shipping tax 0.105: a float sum gives 5.8999999…
    subtotal: 5.095,
    taxTotal: 0.105,
    shippingTotal: 0.5,
    shippingTax: 0.105,
    grandTotal: 5.9,
    items: [
      { ...order().items[0], pricebookPrice: 0.1, tax: 0, shippingServiceLevel: 'GROUND' },
      { ...order().items[1], pricebookPrice: 0.2, tax: 0, shippingServiceLevel: 'GROUND' },
      { ...order().items[1], id: 'i-3', pricebookPrice: 4.995, tax: 0, shippingServiceLevel: 'GROUND' },
    ],
    paymentAccount: {
      instruments: [
        {
          paymentMethod: 'credit_card',
          paymentOrigin: 'web',
          paymentProvider: 'adyen',
          paymentAccountTransactions: [{ amount: 5.9, currency: 'KWD', transactionType: 'capture' }],
        },
      ],
    },
  });

  it('sends shipping as shippingCost and shipping tax as a line, in exact three-decimal amounts', () => {
    const mapped = mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e', order: shippedKwd });
    expect(mapped).toMatchObject({
      kind: 'document',
      document: {
        documentType: 'salesOrder',
        currency: 'KWD',
        shippingCost: '0.500',
        total: '5.900',
        lines: [
          { itemId: 'i-1', amount: '0.100', tax: '0.000' },
          { itemId: 'i-2', amount: '0.200', tax: '0.000' },
          { itemId: 'i-3', amount: '4.995', tax: '0.000' },
          { kind: 'shippingTax', amount: '0.000', tax: '0.105' },
        ],
      },
    });
  });

  it('reads prices that include their tax (VAT) and a grandTotal without shipping tax, as NewStore totals them', () => {
    // 119.00 gross with 19.00 VAT inside, 5.00 shipping: grandTotal 124.00.
    const vat = order({
      channelType: 'web',
      currency: 'EUR',
      grandTotal: 124,
      shippingTotal: 5,
      shippingTax: 0.95,
      items: [{ ...order().items[0], pricebookPrice: 119, tax: 19, shippingServiceLevel: 'GROUND' }],
      paymentAccount: {
        instruments: [
          {
            paymentMethod: 'credit_card',
            paymentOrigin: 'web',
            paymentProvider: 'adyen',
            paymentAccountTransactions: [{ amount: 124, currency: 'EUR', transactionType: 'capture' }],
          },
        ],
      },
    });
    expect(mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e', order: vat })).toMatchObject({
      kind: 'document',
      document: { total: '124.00', shippingCost: '5.00', lines: [{ amount: '100.00', tax: '19.00' }] },
    });
  });

  it("dead-letters an order whose parts do not add up to NewStore's grandTotal, naming both", () => {
    const mapped = mapEventToDocument({
      envelope: event('order.opened', {}),
      eventId: 'e',
      order: { ...shippedKwd, grandTotal: 6 },
    });
    expect(mapped).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/5\.900 KWD.*6\.000/) });
  });

  it("books cash rounding as a line, so the cash sale's total is the cash captured (seed 004)", () => {
    const rounded = order({
      grandTotal: 233.87,
      items: [{ ...order().items[0], pricebookPrice: 233.87, tax: 0 }],
      paymentAccount: {
        instruments: [
          {
            paymentMethod: 'cash',
            paymentOrigin: 'store',
            paymentProvider: 'cash',
            paymentAccountTransactions: [{ amount: 233.9, currency: 'USD', transactionType: 'capture' }],
          },
        ],
      },
    });
    const mapped = mapEventToDocument({ envelope: event('order.opened', {}), eventId: 'e', order: rounded });
    expect(mapped).toMatchObject({
      document: {
        documentType: 'cashSale',
        total: '233.90',
        lines: [{ amount: '233.87' }, { kind: 'rounding', amount: '0.03', tax: '0.00' }],
      },
    });
  });

  it('dead-letters input that can never be mapped instead of retrying it', () => {
    const cases: Record<string, unknown>[] = [{ items: 'all of them' }, { items: [null] }];
    for (const payload of cases)
      expect(
        mapEventToDocument({ envelope: event('order.items_cancelled', payload), eventId: 'e', order: order() }),
      ).toMatchObject({ kind: 'invalid' });
    const badReturn = mapEventToDocument({
      envelope: {
        tenant: 'acme',
        name: 'return.processed',
        payload: { id: 'r-1', total_refund_amount: 'lots', currency: 'USD', items: [] },
      },
      eventId: 'e',
      order: null,
    });
    expect(badReturn).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/not an amount: "lots"/) });
    const badDate = mapEventToDocument({
      envelope: {
        tenant: 'acme',
        name: 'refund_request.issued',
        payload: { id: 'a-1', order_id: 'o-1', amount: 5, requested_at: 'yesterday' },
      },
      eventId: 'e',
      order: order(),
    });
    expect(badDate).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/"yesterday" is not a datetime/) });
  });
});

describe('external ids and idempotency keys', () => {
  it('keeps a valid id as it is, and never maps two NewStore ids to one ERP external id', () => {
    expect(toExternalId('W20240102-000001')).toBe('W20240102-000001');
    const dotted = toExternalId('1001.1');
    const dashed = toExternalId('1001-1');
    expect(dashed).toBe('1001-1');
    expect(dotted).not.toBe(dashed);
    expect(dotted).toMatch(/^[A-Za-z0-9_-]{1,200}$/);
    const long = 'x'.repeat(300);
    expect(toExternalId(long)).toHaveLength(200);
    expect(toExternalId(long)).not.toBe(toExternalId(`${long}y`));
  });

  it('puts the tenant in external ids when tenants share an ERP account, dependency included', () => {
    const acme = mapEventToDocument({
      envelope: event('order.items_cancelled', { items: [{ id: 'i-1' }] }),
      eventId: 'e',
      order: order({ externalId: 'W1001' }),
    });
    const beta = mapEventToDocument({
      envelope: { ...event('order.items_cancelled', { items: [{ id: 'i-1' }] }), tenant: 'beta' },
      eventId: 'e',
      order: order({ externalId: 'W1001' }),
    });
    if (acme.kind !== 'document' || beta.kind !== 'document') throw new Error('expected documents');
    expect(acme.document.externalId).toBe(beta.document.externalId);
    const [a, b] = [withTenantInExternalIds(acme.document), withTenantInExternalIds(beta.document)];
    expect(a.externalId).toMatch(/^acme-CM-W1001-/);
    expect(b.externalId).toMatch(/^beta-CM-W1001-/);
    expect(a.dependsOn?.externalId).toBe('acme-W1001');
    expect(a.idempotencyKey).not.toBe(b.idempotencyKey);
  });

  it('bounds a credit memo key however many items are cancelled, whatever their order', () => {
    const ids = Array.from({ length: 40 }, (_, index) => `0b8e4c1e-1f3a-4d5e-9a7b-${String(index).padStart(12, '0')}`);
    const key = documentIdempotencyKey('creditMemo', 'acme', 'o-1', ids);
    expect(key.length).toBeLessThan(100);
    expect(documentIdempotencyKey('creditMemo', 'acme', 'o-1', [...ids].reverse())).toBe(key);
    expect(documentIdempotencyKey('creditMemo', 'acme', 'o-1', ids.slice(1))).not.toBe(key);
    const cancelled = mapEventToDocument({
      envelope: event('order.items_cancelled', { items: ids.map((id) => ({ id })) }),
      eventId: 'e',
      order: order({ items: ids.map((id) => ({ ...order().items[0], id })) }),
    });
    expect(cancelled).toMatchObject({ kind: 'document', document: { idempotencyKey: key } });
  });
});
