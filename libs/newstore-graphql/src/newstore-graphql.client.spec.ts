import { decimal, money, sum } from '@hub/contracts';
import { mapEventToDocument, NewStoreEnvelope } from '@hub/newstore';
import { NewStoreError, NewStoreGraphQlClient } from '@hub/newstore-graphql';
import { newStoreTestClient } from '@hub/testing';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';

describe('NewStore GraphQL client against the NewStore emulator', () => {
  const emulator = new NewStoreEmulator({
    day: { tenant: 'acme', date: '2024-01-02', orders: 300, seed: 5 },
    visibility: 'published',
    lag: { timeScale: 0 },
  });
  let client: NewStoreGraphQlClient;
  let base: string;

  beforeAll(async () => {
    base = await emulator.listen(0);
    client = newStoreTestClient(base, 2_000);
  });
  afterAll(() => emulator.close());

  it('answers null while GraphQL lags the event, and the order once it is visible', async () => {
    const order = emulator.store.order(3);
    expect(await client.order('acme', order.id)).toBeNull();
    emulator.store.markPublished(order.id);
    const found = await client.order('acme', order.id);
    expect(found).toMatchObject({ id: order.id, externalId: order.externalId, grandTotal: order.grandTotal });
    expect(found?.createdAt).toMatch(/Z$/);
  });

  it('turns each kind of event of the emulated day into the document docs/domain.md prescribes', async () => {
    const seen = new Map<string, number>();
    for (let index = 0; index < emulator.store.size; index += 1) {
      const order = emulator.store.order(index);
      emulator.store.markOrderPublished(order);
      const graphQlOrder = await client.order('acme', order.id);
      for (const event of eventsOfOrder(order, 'acme')) {
        const outcome = mapEventToDocument({
          envelope: event.envelope as NewStoreEnvelope,
          eventId: `e-${index}`,
          order: graphQlOrder,
        });
        const label =
          outcome.kind === 'document'
            ? `${event.envelope.name}->${outcome.document.documentType}`
            : `${event.envelope.name}:${outcome.kind}`;
        seen.set(label, (seen.get(label) ?? 0) + 1);
        if (outcome.kind !== 'document') continue;
        const document = outcome.document;
        expect(document.externalId).toMatch(/^[A-Za-z0-9_-]+$/);
        if (event.envelope.name === 'order.opened') {
          expect(document.documentType).toBe(
            order.channelType === 'web' || order.items.some((item) => item.shippingServiceLevel !== 'IN_STORE_HANDOVER')
              ? 'salesOrder'
              : 'cashSale',
          );
          // The sale lines (items, discounts, taxes, shipping) make NewStore's grandTotal exactly; the
          // payment lines take what was captured (for cash, the rounded amount) back out, so the ERP's
          // total (NetSuite sums every line, tax and shipping) is 0 (docs/domain.md section 3).
          const captured = order.roundedAmount ?? order.grandTotal;
          expect(document.saleTotal).toBe(money(order.grandTotal, order.currency));
          const payments = document.lines.filter((line) => line.kind === 'payment');
          expect(money(sum(payments.map((line) => line.amount)).neg(), order.currency)).toBe(
            money(captured, order.currency),
          );
          expect(document.total).toBe(money(0, order.currency));
          expect(
            decimal(document.total).eq(
              sum(document.lines.flatMap((line) => [line.amount, line.tax]))
                .plus(document.shippingCost ?? 0)
                .plus(document.shippingTax ?? 0),
            ),
          ).toBe(true);
        } else if (event.envelope.name === 'order.items_cancelled') {
          expect(document).toMatchObject({ operation: 'closeLines', documentType: 'salesOrder' });
          expect(document.dependsOn?.externalId).toBe(document.externalId);
          expect(document.lines.every((line) => line.salePosition !== undefined)).toBe(true);
        } else {
          expect(document.dependsOn?.idempotencyKey).toMatch(new RegExp(`^(salesOrder|cashSale):acme:${order.id}$`));
        }
      }
    }
    expect([...seen.keys()].sort()).toEqual(
      expect.arrayContaining([
        'order.opened->salesOrder',
        'order.opened->cashSale',
        'order.opened:skip',
        // A sales order's cancelled lines are closed on it; a cash sale is never changed (docs/domain.md section 3).
        'order.items_cancelled->salesOrder',
        'order.items_cancelled:skip',
        'refund_request.issued->cashRefund',
        'fulfillment_request.items_completed->itemFulfillment',
        'payment_account.amount_authorized:skip',
      ]),
    );
    expect([...seen.keys()].some((label) => /return.processed->(cashRefund|customerRefund)/.test(label))).toBe(true);
    // Every event of the day maps: none is refused as invalid, none waits for data that never comes.
    expect([...seen.keys()].filter((label) => /:(invalid|not-ready)$/.test(label))).toEqual([]);
  });

  it('reads an order of 250 items to its end (NewStore pages at 100), and the day listing counts all of them', async () => {
    // 250 items of 1.00 with 0.08 tax each, paid by card: 270.00.
    const large = emulator.store.replace(7, (order) => {
      const item = {
        ...order.items[0],
        quantity: 1,
        pricebookPrice: 1,
        itemDiscounts: 0,
        orderDiscounts: 0,
        tax: 0.08,
      };
      const items = Array.from({ length: 250 }, (_, index) => ({
        ...item,
        id: `large-${index}`,
        shippingServiceLevel: 'GROUND',
      }));
      const transactions = [270, 270].map((amount, index) => ({
        amount,
        currency: 'USD',
        transactionType: index === 0 ? ('authorize' as const) : ('capture' as const),
      }));
      return {
        ...order,
        currency: 'USD',
        isHistorical: false,
        items,
        subtotal: 250,
        discountTotal: 0,
        shippingTotal: 0,
        shippingTax: 0,
        taxTotal: 20,
        grandTotal: 270,
        roundedAmount: undefined,
        instruments: [{ paymentMethod: 'credit_card', paymentProvider: 'adyen', paymentOrigin: 'web', transactions }],
      };
    });
    emulator.store.markPublished(large.id);
    const order = await client.order('acme', large.id);
    expect(order?.items).toHaveLength(250);
    expect(new Set(order?.items.map((item) => item.id)).size).toBe(250);
    const mapped = mapEventToDocument({
      envelope: {
        tenant: 'acme',
        name: 'order.opened',
        payload: { id: large.id, items: large.items.map((item) => ({ id: item.id })) },
      },
      eventId: 'e-large',
      order,
    });
    expect(mapped).toMatchObject({ kind: 'document', document: { saleTotal: '270.00', total: '0.00' } });
    const day = { from: new Date('2024-01-02T00:00:00Z'), to: new Date('2024-01-03T00:00:00Z') };
    let after: string | null = null;
    let found;
    for (;;) {
      const page = await client.ordersCreated('acme', day, after, 100);
      found ??= page.orders.find((candidate) => candidate.id === large.id);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(found?.itemCount).toBe(250);
  });

  it('refuses a tenant that is not a name before it reaches a URL, as a permanent error', async () => {
    for (const tenant of ['../admin', 'acme/x', 'a b'])
      await expect(client.order(tenant, 'o-1')).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('keeps a bounded number of tenant tokens, however many tenant names it is asked for', async () => {
    // A server that knows every realm (the emulator knows one): the cache's bound, not NewStore's 404, is tested.
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(
        request.url?.includes('/token')
          ? JSON.stringify({ access_token: 't', expires_in: 3600 })
          : JSON.stringify({ data: { order: null } }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const open = newStoreTestClient(`http://127.0.0.1:${port}`);
      for (let index = 0; index < 300; index += 1) await open.order(`invented-${index}`, 'o-1');
      expect((open as unknown as { tokens: { size: number } }).tokens.size).toBe(256);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('classifies GraphQL outages as temporary', async () => {
    emulator.graphqlErrorRate = 1;
    try {
      const error = (await client
        .order('acme', emulator.store.order(1).id)
        .catch((caught: unknown) => caught)) as NewStoreError;
      expect(error).toBeInstanceOf(NewStoreError);
      expect(error).toMatchObject({ kind: 'temporary', status: 503 });
    } finally {
      emulator.graphqlErrorRate = 0;
    }
  });

  it('shares one orders(filter: {id: {in}}) query among lookups made together, each getting its own order or null', async () => {
    const queries: string[] = [];
    const batching = newStoreTestClient(base, 5_000, { lookupBatchSize: 50, maxParallelQueries: 1 }, (outcome) =>
      queries.push(outcome),
    );
    const ids = Array.from({ length: 120 }, (_, index) => emulator.store.order(index + 10).id);
    ids.slice(0, 100).forEach((id) => emulator.store.markPublished(id));
    // GraphQL lags for the last 20 (hidden until the end of the test).
    ids.slice(100).forEach((id) => emulator.store.hide(id));
    const found = await Promise.all(ids.map((id) => batching.order('acme', id)));
    // 120 lookups, 50 per query, one query at a time: 3 queries.
    expect(queries).toEqual(['ok', 'ok', 'ok']);
    expect(found.slice(0, 100).map((order) => order?.id)).toEqual(ids.slice(0, 100));
    expect(found.slice(100)).toEqual(Array(20).fill(null));
    // Each order as the single-order query reads it.
    expect(found[7]).toEqual(await client.order('acme', ids[7]));
    ids.slice(100).forEach((id) => emulator.store.hide(id, false));
  });

  it('looks orders up one by one, from then on, when NewStore refuses the batched query', async () => {
    const server = await fakeNewStore((body) => {
      if (body.includes('EnrichOrders'))
        return { status: 400, body: { errors: [{ message: 'Query depth 10 exceeds the maximum of 9' }] } };
      const id = (JSON.parse(body) as { variables: { id: string } }).variables.id;
      return { status: 200, body: { data: { order: id === 'o-2' ? null : { ...orderNode, id } } } };
    });
    try {
      const refusing = newStoreTestClient(server.url, 5_000, { lookupBatchSize: 50 });
      const found = await Promise.all(['o-1', 'o-2', 'o-3'].map((id) => refusing.order('acme', id)));
      expect(found.map((order) => order?.id ?? null)).toEqual(['o-1', null, 'o-3']);
      expect(refusing.batchRefused).toMatch(/depth 10/);
    } finally {
      await server.close();
    }
  });

  it('takes a GraphQL error on a 200 and a conflict for temporary, a refused query for permanent, and tries batching again later (issue 26, item 9)', async () => {
    let answer: { status: number; body: unknown } = { status: 200, body: {} };
    let batches = 0;
    const server = await fakeNewStore((body) => {
      if (body.includes('EnrichOrders')) batches += 1;
      return answer;
    });
    const port = server.port;
    const failure = (client: NewStoreGraphQlClient) => client.order('acme', 'o-1').catch((error: unknown) => error);
    try {
      const client = newStoreTestClient(`http://127.0.0.1:${port}`, 5_000);
      answer = { status: 200, body: { data: null, errors: [{ message: 'upstream request timed out' }] } };
      expect(await failure(client)).toMatchObject({ kind: 'temporary' });
      answer = { status: 409, body: { errors: [{ message: 'conflict, try again' }] } };
      expect(await failure(client)).toMatchObject({ kind: 'temporary' });
      answer = {
        status: 200,
        body: { errors: [{ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] },
      };
      expect(await failure(client)).toMatchObject({ kind: 'permanent' });
      answer = { status: 400, body: { errors: [{ message: 'Syntax Error' }] } };
      expect(await failure(client)).toMatchObject({ kind: 'permanent' });
      // A refused batch turns batching off for a while, not for the life of the process.
      let now = Date.parse('2026-12-03T08:00:00Z');
      const batching = newStoreTestClient(`http://127.0.0.1:${port}`, 5_000, { lookupBatchSize: 50, now: () => now });
      answer = { status: 400, body: { errors: [{ message: 'Query depth 10 exceeds the maximum of 9' }] } };
      await Promise.all(['o-1', 'o-2'].map((id) => batching.order('acme', id).catch(() => undefined)));
      expect(batches).toBe(1);
      await Promise.all(['o-1', 'o-2'].map((id) => batching.order('acme', id).catch(() => undefined)));
      expect(batches).toBe(1);
      now += 11 * 60_000;
      await Promise.all(['o-1', 'o-2'].map((id) => batching.order('acme', id).catch(() => undefined)));
      expect(batches).toBe(2);
    } finally {
      await server.close();
    }
  });
});

/**
 * A stand-in for NewStore's token and GraphQL endpoints that answers each query as
 * `answer` says (status and JSON body), for failures the emulator does not make.
 */
async function fakeNewStore(answer: (body: string) => { status: number; body: unknown }) {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      if (request.url?.includes('/token')) return response.end(JSON.stringify({ access_token: 't', expires_in: 3600 }));
      const { status, body: json } = answer(body);
      response.statusCode = status;
      response.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** An order node as GraphQL answers it, connections included. */
const orderNode = {
  externalId: 'E-1',
  createdAt: '2024-01-02T10:00:00Z',
  placedAt: '2024-01-02T10:00:00Z',
  demandLocationId: 'store-1',
  currency: 'USD',
  isExchange: false,
  isHistorical: false,
  channel: 'store-1',
  channelType: 'store',
  shippingTax: 0,
  shippingTotal: 0,
  taxExempt: false,
  taxStrategy: 'us_tax',
  taxTotal: 0,
  subtotal: 10,
  grandTotal: 10,
  discounts: { edges: [] },
  paymentAccount: null,
  items: { edges: [] },
};
