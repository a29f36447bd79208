import {
  classifyDocument,
  classifyOrphan,
  classifyOrder,
  DocumentComparison,
  foldOrderEvent,
  OrderComparison,
  OrderFold,
  parityRatio,
} from '@hub/reconciliation';

const order = (overrides: Partial<OrderComparison> = {}): OrderComparison => ({
  orderId: 'o1',
  newstore: { externalId: 'W1', total: '100', itemCount: 2, isHistorical: false },
  hub: { externalId: 'W1', total: '100.00', itemCount: 2, isHistorical: false, opened: true },
  hasSaleDocument: true,
  deadLetters: [],
  ...overrides,
});

const document = (
  overrides: Partial<DocumentComparison['hub']> = {},
  erp: DocumentComparison['erp'] = [{ internalId: '7', total: '50' }],
) => ({
  hub: {
    idempotencyKey: 'salesOrder:acme:o1',
    orderId: 'o1',
    documentType: 'salesOrder' as const,
    externalId: 'W1',
    total: '50.00',
    status: 'posted' as const,
    erpInternalId: '7',
    error: null,
    ...overrides,
  },
  erp,
});

describe('reconciliation rules', () => {
  it('finds nothing when NewStore, hub and ERP agree (amounts compared exactly, whatever their digits)', () => {
    expect(classifyOrder(order())).toEqual([]);
    expect(classifyDocument(document())).toEqual([]);
  });

  it('sees a difference in the third decimal of a three-decimal currency', () => {
    const found = classifyOrder(
      order({
        newstore: { externalId: 'W1', total: '12.345', itemCount: 2, isHistorical: false },
        hub: { externalId: 'W1', total: '12.346', itemCount: 2, isHistorical: false, opened: true },
      }),
    );
    expect(found).toMatchObject([{ kind: 'amount_mismatch', delta: '0.001' }]);
  });

  it('an order the hub has and NewStore does not list is missing in NewStore', () => {
    expect(classifyOrder(order({ newstore: null }))).toMatchObject([
      { kind: 'missing_in_newstore', orderId: 'o1', externalId: 'W1', found: '100' },
    ]);
  });

  it("an ERP record with the hub's external id and no hub document is an orphan", () => {
    expect(
      classifyOrphan({
        internalId: '9',
        externalId: 'CM-W1-abc',
        documentType: 'creditMemo',
        total: '5.5',
        orderId: null,
      }),
    ).toMatchObject({
      kind: 'orphan_in_erp',
      orderId: 'erp:9',
      subject: 'erp:creditMemo:9',
      erpInternalIds: ['9'],
      found: '5.5',
    });
  });

  it('an order NewStore has and the hub never opened is missing in the hub, and nothing else', () => {
    const found = classifyOrder(
      order({
        hub: { externalId: null, total: null, itemCount: null, isHistorical: false, opened: false },
        hasSaleDocument: false,
      }),
    );
    expect(found.map((item) => item.kind)).toEqual(['missing_in_hub']);
    expect(found[0]).toMatchObject({ orderId: 'o1', externalId: 'W1', expected: '100' });
  });

  it('reports amount and item-count mismatches with the delta (found − expected)', () => {
    const found = classifyOrder(
      order({ hub: { externalId: 'W1', total: '95.5', itemCount: 3, isHistorical: false, opened: true } }),
    );
    expect(found.map(({ kind, delta }) => ({ kind, delta }))).toEqual([
      { kind: 'amount_mismatch', delta: '-4.5' },
      { kind: 'item_count_mismatch', delta: '1' },
    ]);
  });

  it('an opened order without a sale document is stuck in retry, or in the DLQ when dead-lettered; historical ones need none', () => {
    expect(classifyOrder(order({ hasSaleDocument: false }))[0].kind).toBe('stuck_in_retry');
    expect(
      classifyOrder(
        order({ hasSaleDocument: false, lastRetry: 'order.opened in tier 3 (8000 ms): payments not settled' }),
      )[0],
    ).toMatchObject({
      kind: 'stuck_in_retry',
      detail:
        'the opening event reached the hub but no sale document was emitted yet; last retry: order.opened in tier 3 (8000 ms): payments not settled',
    });
    expect(classifyOrder(order({ hasSaleDocument: false, deadLetters: ['order.opened: not ready'] }))[0]).toMatchObject(
      {
        kind: 'stuck_in_dlq',
        detail: 'no sale document; dead-lettered: order.opened: not ready',
      },
    );
    expect(
      classifyOrder(
        order({
          hasSaleDocument: false,
          hub: { externalId: 'W1', total: '100', itemCount: 2, isHistorical: true, opened: true },
        }),
      ),
    ).toEqual([]);
  });

  it('a posted document absent from the ERP is missing there; failed is stuck in the DLQ; unposted is stuck in retry', () => {
    expect(classifyDocument(document({}, []))[0]).toMatchObject({
      kind: 'missing_in_erp',
      subject: 'salesOrder:acme:o1',
      erpInternalIds: ['7'],
    });
    expect(classifyDocument(document({ status: 'failed', error: 'inactive item' }, []))[0]).toMatchObject({
      kind: 'stuck_in_dlq',
      detail: 'the ERP refused W1: inactive item',
    });
    expect(classifyDocument(document({ status: null }, []))[0].kind).toBe('stuck_in_retry');
  });

  it("compares the amount of the hub's own ERP record, and reports extra records as a duplicate", () => {
    const found = classifyDocument(
      document({}, [
        { internalId: '3', total: '50' },
        { internalId: '7', total: '55' },
      ]),
    );
    expect(found.map(({ kind, delta, erpInternalIds }) => ({ kind, delta, erpInternalIds }))).toEqual([
      { kind: 'amount_mismatch', delta: '5', erpInternalIds: ['7'] },
      { kind: 'duplicate_in_erp', delta: '1', erpInternalIds: ['3', '7'] },
    ]);
  });

  it('parity is the share of orders without an open discrepancy', () => {
    expect(parityRatio(0, 0)).toBe(1);
    expect(parityRatio(40, 4)).toBe(0.9);
  });
});

describe('order fold', () => {
  const event = (name: string, offset: number, payload: Record<string, unknown> = {}) => ({
    tenant: 'acme',
    orderId: 'o1',
    name,
    payload: { id: 'o1', ...payload },
    partition: 0,
    offset: String(offset),
  });
  const events = [
    event('payment_account.amount_authorized', 1),
    event('order.opened', 2, {
      external_id: 'W1',
      grand_total: 10,
      items: [{}, {}],
      created_at: '2024-01-02T10:00:00Z',
    }),
    event('return.processed', 3),
    event('order.items_cancelled', 4),
    event('order.opened', 5, { external_id: 'changed', grand_total: 99 }),
  ];

  it('folds an order: opening fields set once, status moved forward by rank only, offsets kept in order', () => {
    const oneByOne = events.reduce<OrderFold | undefined>((fold, item) => foldOrderEvent(fold, item), undefined)!;
    expect(oneByOne).toMatchObject({ status: 'returned', eventCount: 5, offsets: ['1', '2', '3', '4', '5'] });
    expect(oneByOne.details).toMatchObject({ externalId: 'W1', total: 10, itemCount: 2, isHistorical: false });
  });
});
