import { ErpDocument } from '@hub/contracts';
import { NetSuiteRestAdapter } from '@hub/erp';
import {
  applyDeploymentMapping,
  BookingPolicy,
  GraphQlOrder,
  mapEventToDocument,
  NewStoreEnvelope,
  notBookedBy,
} from '@hub/newstore';
import {
  exampleDeploymentMapping,
  emulatorNetSuiteAdapter,
  sampleGraphQlOrder,
  withRefundTransaction,
} from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';

/**
 * An order's later life as NetSuite books it (docs/domain.md sections 3 and 4),
 * through the same steps the hub takes: the event mapped, the deployment's ids
 * added (config/mapping.example.json), the document posted by the adapter to the
 * ERP emulator, which refuses what NetSuite refuses.
 */
const mapping = exampleDeploymentMapping();

/** A web order of two items (60 + 4.80 tax, 40 + 3.20 tax, 10 off the first) and 5 shipping, paid by card. */
const webOrder = (id: string): GraphQlOrder =>
  sampleGraphQlOrder({
    id,
    externalId: `W-${id}`,
    channelType: 'web',
    channel: 'webshop',
    demandLocationId: 'web-us',
    shippingTotal: 5,
    grandTotal: 103,
    items: sampleGraphQlOrder().items.map((item, index) => ({
      ...item,
      productId: `prod-100${index + 1}`,
      shippingServiceLevel: 'GROUND',
      ...(index === 0 ? { itemDiscounts: 10 } : {}),
    })),
    paymentAccount: {
      instruments: [
        {
          paymentMethod: 'credit_card',
          paymentOrigin: 'web',
          paymentProvider: 'adyen',
          paymentAccountTransactions: [{ amount: 103, currency: 'USD', transactionType: 'capture' }],
        },
      ],
    },
  });

function documentsOf(
  name: string,
  payload: Record<string, unknown>,
  order: GraphQlOrder,
  booking?: BookingPolicy,
): ErpDocument[] {
  const envelope: NewStoreEnvelope = {
    tenant: 'acme',
    name,
    published_at: '2024-01-05T12:00:00Z',
    payload: { id: order.id, ...payload },
  };
  const outcome = mapEventToDocument({ envelope, eventId: `${name}-${order.id}`, order, booking });
  if (outcome.kind !== 'document') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
  return [outcome.document, ...(outcome.followUps ?? [])].map((document) =>
    applyDeploymentMapping(
      { ...document, ...(name === 'order.opened' ? { customer: { erpId: '805' } } : {}) },
      order,
      mapping,
    ),
  );
}

const documentOf = (name: string, payload: Record<string, unknown>, order: GraphQlOrder) =>
  documentsOf(name, payload, order)[0];

/** The web order's second item (40 + 3.20 tax) returned, refunded in full by NewStore. */
const webReturnOf = (order: GraphQlOrder, returnId: string, booking?: BookingPolicy) =>
  documentsOf(
    'return.processed',
    {
      id: returnId,
      order_id: order.id,
      returned_at: '2024-02-20T15:00:00Z',
      total_refund_amount: 43.2,
      currency: 'USD',
      items: [{ id: 'i-2', product_id: 'prod-1002', quantity: 1, refund_amount: 43.2, refund_tax: 3.2 }],
    },
    withRefundTransaction(order, 43.2),
    booking,
  );

describe("an order's later life in NetSuite (docs/domain.md sections 3 and 4)", () => {
  const emulator = new ErpEmulator();
  let adapter: NetSuiteRestAdapter;

  let emulatorBase: string;

  beforeAll(async () => {
    emulatorBase = await emulator.listen(0);
    adapter = emulatorNetSuiteAdapter(`${emulatorBase}/services/rest`);
  });
  afterAll(() => emulator.close());

  /** What a NetSuite user does in the account (billing an order, authorizing a return): a transform by REST. */
  const inNetSuite = async (path: string, body: Record<string, unknown>) => {
    const base = `${emulatorBase}/services/rest`;
    const token = (await (
      await fetch(`${base}/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: 'hub-client',
          client_secret: 'hub-secret',
        }),
      })
    ).json()) as { access_token: string };
    const response = await fetch(`${base}/record/v1/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(204);
    return /\/(\d+)$/.exec(response.headers.get('location') ?? '')![1];
  };

  const itemLines = (externalId: string) => {
    const [record] = emulator.recordsWithExternalId(externalId);
    return (record.body.item as { items: Record<string, unknown>[] }).items;
  };

  it('closes a cancelled line, its discount and its tax, gives the payment line back, and closing twice changes nothing', async () => {
    const order = webOrder('c1');
    const sale = documentOf('order.opened', {}, order);
    await adapter.upsert(sale);
    expect(emulator.recordsWithExternalId(sale.externalId)[0]).toMatchObject({ total: '0', payments: '-103' });
    const cancel = documentOf('order.items_cancelled', { items: [{ id: 'i-1' }] }, order);
    const first = await adapter.upsert(cancel);
    expect(first.internalId).toBe(emulator.recordsWithExternalId(sale.externalId)[0].id);
    const lines = itemLines(sale.externalId);
    // Item 1 (60, discount -10, tax 4.80) closed; item 2 open; the card line now holds 103 - 54.80.
    expect(lines.map((line) => [line.isClosed === true, line.amount])).toEqual([
      [true, 0],
      [true, 0],
      [false, 40],
      [false, -48.2],
    ]);
    expect(lines[0]).toMatchObject({ quantity: 0 });
    const [record] = emulator.recordsWithExternalId(sale.externalId);
    expect(record).toMatchObject({ total: '0', payments: '-48.2' });
    // Only NetSuite's records: no credit memo for a cancellation.
    expect([...emulator.records.values()].filter((candidate) => candidate.type === 'creditMemo')).toEqual([]);
    const writes = record.writes;
    await adapter.upsert(cancel);
    expect(emulator.recordsWithExternalId(sale.externalId)[0].writes).toBe(writes);
    // The sale posted again (a redelivery, a resync) keeps the cancelled lines closed and what they gave back.
    await adapter.upsert(sale);
    const again = emulator.recordsWithExternalId(sale.externalId);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ total: '0', payments: '-48.2' });
    expect(itemLines(sale.externalId).map((line) => [line.isClosed === true, line.amount])).toEqual([
      [true, 0],
      [true, 0],
      [false, 40],
      [false, -48.2],
    ]);
  });

  it('closes every line and the shipping on order.cancelled, the order then totals nothing', async () => {
    const order = webOrder('c2');
    const sale = documentOf('order.opened', {}, order);
    await adapter.upsert(sale);
    await adapter.upsert(documentOf('order.items_cancelled', { items: [{ id: 'i-2' }] }, order));
    await adapter.upsert(documentOf('order.cancelled', {}, order));
    const [record] = emulator.recordsWithExternalId(sale.externalId);
    expect(record).toMatchObject({ total: '0', payments: '0' });
    expect(record.body.shippingCost).toBe(0);
    expect(itemLines(sale.externalId).every((line) => line.isClosed === true && line.amount === 0)).toBe(true);
  });

  it('books a web return as return authorization → credit memo → customer refund, linked by transform, and a replay makes no second record', async () => {
    const order = webOrder('r1');
    await adapter.upsert(documentOf('order.opened', {}, order));
    const returned = webReturnOf(order, 'ret-r1');
    for (let pass = 0; pass < 2; pass += 1) for (const document of returned) await adapter.upsert(document);
    const [sale] = emulator.recordsWithExternalId(`W-r1`);
    const [authorization] = emulator.recordsWithExternalId('RT-ret-r1-RA');
    const [credit] = emulator.recordsWithExternalId('RT-ret-r1');
    const [refund] = emulator.recordsWithExternalId('RT-ret-r1-CR');
    expect([authorization, credit, refund].map((record) => [record.type, record.total])).toEqual([
      ['returnAuthorization', '43.2'],
      ['creditMemo', '43.2'],
      ['customerRefund', '43.2'],
    ]);
    expect(authorization.body.createdFrom).toEqual({ id: sale.id });
    expect(credit.body.createdFrom).toEqual({ id: authorization.id });
    expect(refund.body).toMatchObject({
      createdFrom: { id: credit.id },
      entity: { id: '805' },
      apply: { items: [{ doc: { id: credit.id }, apply: true, amount: 43.2 }] },
    });
    expect(refund.body.item).toBeUndefined();
    // Each record once, however often the return is posted.
    for (const externalId of ['RT-ret-r1-RA', 'RT-ret-r1', 'RT-ret-r1-CR'])
      expect(emulator.recordsWithExternalId(externalId)).toHaveLength(1);
  });

  it('credits a cancellation from the invoice where the deployment bills before shipping, once the order is billed, and only once', async () => {
    const billed: BookingPolicy = { billing: 'beforeShipping', returnAuthorizations: 'create' };
    const order = webOrder('b1');
    const sale = documentOf('order.opened', {}, order);
    await adapter.upsert(sale);
    const cancel = documentsOf('order.items_cancelled', { items: [{ id: 'i-1' }] }, order, billed)[0];
    expect(cancel).toMatchObject({
      documentType: 'creditMemo',
      transformFrom: { documentType: 'salesOrder', externalId: 'W-b1', via: 'invoice' },
    });
    // Not billed yet: the sink is told to wait for NetSuite's invoice, named.
    await expect(adapter.upsert(cancel)).rejects.toMatchObject({
      kind: 'permanent',
      details: { code: 'SOURCE_NOT_IN_ERP' },
      message: expect.stringMatching(/has no invoice in NetSuite yet/),
    });
    const invoice = await inNetSuite(`salesOrder/eid:W-b1/!transform/invoice`, {});
    for (let pass = 0; pass < 2; pass += 1) await adapter.upsert(cancel);
    const credits = emulator.recordsWithExternalId(cancel.externalId);
    expect(credits).toHaveLength(1);
    expect(credits[0]).toMatchObject({ type: 'creditMemo', tranDate: '2024-01-05', total: '0', payments: '-54.8' });
    expect(credits[0].body.createdFrom).toEqual({ id: invoice });
    // Item 1 at 60, its discount at -10, both with their tax; the card gets 54.80 back.
    expect(itemLines(cancel.externalId).map((line) => line.amount)).toEqual([60, -10, -54.8]);
    // The sales order is not changed: its invoice carries the order's lines, the credit undoes them.
    expect(itemLines('W-b1').some((line) => line.isClosed === true)).toBe(false);
  });

  it('credits a web return from the return authorization the retailer made in NetSuite where the deployment finds them', async () => {
    const found: BookingPolicy = { billing: 'afterFulfilment', returnAuthorizations: 'find' };
    const order = webOrder('r3');
    await adapter.upsert(documentOf('order.opened', {}, order));
    const returned = webReturnOf(order, 'ret-r3', found);
    expect(returned.map((document) => document.documentType)).toEqual(['creditMemo', 'customerRefund']);
    await expect(adapter.upsert(returned[0])).rejects.toMatchObject({ details: { code: 'SOURCE_NOT_IN_ERP' } });
    // An earlier return authorization already credited is not used again; the open one is.
    const credited = await inNetSuite('salesOrder/eid:W-r3/!transform/returnAuthorization', {});
    await inNetSuite(`returnAuthorization/${credited}/!transform/creditMemo`, {});
    const open = await inNetSuite('salesOrder/eid:W-r3/!transform/returnAuthorization', {});
    for (let pass = 0; pass < 2; pass += 1) for (const document of returned) await adapter.upsert(document);
    const [credit] = emulator.recordsWithExternalId('RT-ret-r3');
    expect(credit).toMatchObject({ type: 'creditMemo', total: '43.2' });
    expect(credit.body.createdFrom).toEqual({ id: open });
    const [refund] = emulator.recordsWithExternalId('RT-ret-r3-CR');
    expect(refund.body).toMatchObject({ createdFrom: { id: credit.id } });
    expect(emulator.recordsWithExternalId('RT-ret-r3-RA')).toEqual([]);
    for (const externalId of ['RT-ret-r3', 'RT-ret-r3-CR'])
      expect(emulator.recordsWithExternalId(externalId)).toHaveLength(1);
  });

  it('books a return 120 days after its sale, on the return day, each item back at the return store (a damaged one at its damage location)', async () => {
    const order = sampleGraphQlOrder({
      id: 'r2',
      externalId: 'S-r2',
      channel: 'store-nyc-01',
      demandLocationId: 'store-nyc-01',
    });
    const store = { ...order, items: order.items.map((item, index) => ({ ...item, productId: `prod-300${index}` })) };
    await adapter.upsert(documentOf('order.opened', {}, store));
    const [refund] = documentsOf(
      'return.processed',
      {
        id: 'ret-r2',
        order_id: 'r2',
        returned_at: '2024-05-01T15:00:00Z',
        total_refund_amount: 109.8,
        currency: 'USD',
        return_location_id: 'store-sfo-02',
        items: [
          { id: 'i-1', product_id: 'prod-3000', refund_amount: 64.8, refund_tax: 4.8, item_condition: 'damaged' },
          { id: 'i-2', product_id: 'prod-3001', refund_amount: 45, refund_tax: 5, item_condition: 'sellable' },
        ],
      },
      withRefundTransaction(store, 109.8),
    );
    await adapter.upsert(refund);
    const [record] = emulator.recordsWithExternalId('RT-ret-r2');
    // Paid back in cash: the refund's payment line takes it to 0, as its sale (docs/domain.md section 3).
    expect(record).toMatchObject({ type: 'cashRefund', tranDate: '2024-05-01', total: '0', payments: '-109.8' });
    // store-sfo-02 is location 102, its damage location 112 (config/mapping.example.json).
    const lines = (record.body.item as { items: { location: unknown; amount: number }[] }).items;
    expect(lines.map((line) => line.location).slice(0, 2)).toEqual([{ id: '112' }, { id: '102' }]);
    expect(lines.map((line) => line.amount)).toEqual([60, 40, -109.8]);
    expect(record.body.createdFrom).toEqual({ id: emulator.recordsWithExternalId('S-r2')[0].id });
  });

  it("books a store's fulfilment as an item fulfilment made from the sales order, its open lines only, once; a distribution centre's is NetSuite's", async () => {
    const order = {
      ...webOrder('f1'),
      channelType: 'store',
      channel: 'store-sfo-02',
      demandLocationId: 'store-sfo-02',
    };
    await adapter.upsert(documentOf('order.opened', {}, order));
    await adapter.upsert(documentOf('order.items_cancelled', { items: [{ id: 'i-1' }] }, order));
    const shipped = (id: string, items: string[], location: string) =>
      documentOf(
        'fulfillment_request.items_completed',
        {
          id,
          order_id: order.id,
          fulfillment_location_id: location,
          items: items.map((item) => ({ id: item, tracking_code: `1Z-${id}` })),
        },
        order,
      );
    // Assigned first: the open line gets the store's location, the closed one is left alone.
    const assigned = documentsOf(
      'fulfillment_request.assigned',
      {
        id: 'fr-1',
        order_id: order.id,
        fulfillment_location_id: 'store-sfo-02',
        items: [{ id: 'i-1' }, { id: 'i-2' }],
      },
      order,
    )[0];
    expect(notBookedBy(mapping, assigned, order)).toBeUndefined();
    await adapter.upsert(assigned);
    const afterAssignment = itemLines('W-f1');
    expect(afterAssignment.map((line) => line.location)).toEqual([undefined, undefined, { id: '102' }, undefined]);
    expect(emulator.recordsWithExternalId('W-f1')[0].body.shipMethod).toEqual({ id: '601' });
    const fulfilment = shipped('fr-1', ['i-2'], 'store-sfo-02');
    expect(notBookedBy(mapping, fulfilment, order)).toBeUndefined();
    for (let pass = 0; pass < 2; pass += 1) await adapter.upsert(fulfilment);
    const made = emulator.recordsWithExternalId('FF-fr-1');
    expect(made).toHaveLength(1);
    const [sale] = emulator.recordsWithExternalId('W-f1');
    expect(made[0]).toMatchObject({ type: 'itemFulfillment', total: '0' });
    expect(made[0].body).toMatchObject({
      createdFrom: { id: sale.id },
      location: { id: '102' },
      item: { items: [{ orderLine: 3, itemReceive: true, quantity: 1, location: { id: '102' } }] },
      // The carrier's number, where NewStore gives one (docs/netsuite.md: assumed `tracking_code`).
      package: { items: [{ packageTrackingNumber: '1Z-fr-1' }] },
    });
    // The cancelled item's line is closed: a fulfilment of it is refused, named.
    expect(
      await adapter.upsert(shipped('fr-2', ['i-1'], 'store-sfo-02')).catch((error: unknown) => error),
    ).toMatchObject({
      kind: 'permanent',
      details: { code: 'LINE_NOT_OPEN' },
    });
    // A distribution centre's fulfilment is made inside NetSuite: the hub books none.
    expect(notBookedBy(mapping, shipped('fr-3', ['i-2'], 'dc-east'), order)).toMatch(/distribution centres/);
  });
});
