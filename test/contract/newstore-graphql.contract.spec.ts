import { decimal } from '@hub/contracts';
import { orderQuery, ordersByIdQuery, ordersCreatedQuery, returnsProcessedQuery } from '@hub/newstore';
import { NewStoreGraphQlClient } from '@hub/newstore-graphql';
import { newStoreTestClient } from '@hub/testing';
import { parse } from 'graphql';
import { validateNewStoreDocument } from '../../tools/emulators/newstore/graphql-api';
import { NewStoreEmulator } from '../../tools/emulators/newstore/newstore-emulator';
import { orderAt } from '../../tools/emulators/shared/retail-day';
import { seedQueries, withoutElisions } from './seed-queries';

/**
 * The NewStore emulator against NewStore's own pages (the queries they print, kept in fixtures/newstore-seed-queries.json; docs/domain.md "Sources"):
 * every query those pages print must validate against the emulator's schema. A
 * seed query that fails here means the emulator is wrong, not the seed. The
 * hub's queries are held to the same schema, and the shapes the first hub got
 * wrong (bare lists, String-typed datetime variables) must fail.
 */
const messages = (query: string) => validateNewStoreDocument(parse(query)).map((error) => error.message);

describe('NewStore GraphQL contract: the seeds are the truth', () => {
  const queries = seedQueries();

  it('finds the example queries in the seed files themselves', () => {
    // Seeds 000 (2), 001 (1), 002 (1), 003 (6 blocks and the curl example).
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(new Set(queries.map((query) => query.seed)).size).toBe(4);
    expect(queries.map((query) => query.name)).toEqual(
      expect.arrayContaining(['OrdersSortedPaginated', 'MyQuery', 'OrderByID', 'DatetimeFormat']),
    );
  });

  it.each(seedQueries().map((query) => [`${query.seed} ${query.name}`, query.text]))(
    'validates %s against the emulator schema',
    (_name, text) => {
      expect(messages(withoutElisions(text))).toEqual([]);
    },
  );

  it("validates the hub's order query (with and without the optional SKU field) and day listing", () => {
    expect(messages(orderQuery())).toEqual([]);
    expect(messages(orderQuery({ withItemSku: true }))).toEqual([]);
    const window = { from: new Date('2025-01-02T00:00:00Z'), to: new Date('2025-01-03T00:00:00Z') };
    expect(messages(ordersCreatedQuery(window, 100, null))).toEqual([]);
    expect(messages(ordersCreatedQuery(window, 100, 'WyJjcmVhdGVkX2F0X2Rlc2MiXQ=='))).toEqual([]);
    // The day's returns: seed 003's `returns` connection, filtered by day like seed 000's orders.
    expect(messages(returnsProcessedQuery(window, 100, null))).toEqual([]);
    expect(messages(returnsProcessedQuery(window, 100, 'aXRlbTo5OQ=='))).toEqual([]);
  });

  it("validates the hub's batched order query: seed 001's fields through `nodes`, ids as escaped literals, at most 100", () => {
    // `id: {in: [...]}` is PostGraphile's connection filter, which docs/domain.md infers from the seeds'
    // `equalTo` style; no seed shows it (an assumption, with a fallback to one query per order).
    const ids = Array.from({ length: 100 }, (_, index) => `order-${index}`);
    expect(messages(ordersByIdQuery(ids))).toEqual([]);
    expect(messages(ordersByIdQuery(ids, { withItemSku: true }))).toEqual([]);
    // Hostile ids stay one string each: quotes, backslashes and braces cannot change the query.
    const hostile = ['a") { __schema { types { name } } } #', 'back\\slash', 'line\nbreak', '\u0000'];
    expect(messages(ordersByIdQuery(hostile))).toEqual([]);
    const literals = /in: \[(.*)\]\}\}\)/.exec(ordersByIdQuery(hostile))![1];
    expect(JSON.parse(`[${literals}]`)).toEqual(hostile);
    expect(() => ordersByIdQuery(Array.from({ length: 101 }, (_, index) => `o-${index}`))).toThrow(RangeError);
    expect(() => ordersByIdQuery([])).toThrow(RangeError);
  });

  it('refuses the shapes NewStore refuses: bare lists, String datetimes, unknown fields, depth', () => {
    expect(messages('{ order(id: "x") { discounts { couponCode } } }')).toEqual([
      'Cannot query field "couponCode" on type "DiscountsConnection".',
    ]);
    expect(messages('{ order(id: "x") { items { id } } }')).toEqual([
      'Cannot query field "id" on type "ItemsConnection".',
    ]);
    expect(
      messages(
        'query Q($from: String!) { orders(first: 1, filter: { createdAt: { greaterThanOrEqualTo: $from } }) { nodes { id } } }',
      ),
    ).toEqual(['Variable "$from" of type "String!" used in position expecting type "Datetime".']);
    expect(messages('{ orders(first: 1, filter: { createdAt: { lessThan: "soon" } }) { nodes { id } } }')).toEqual([
      expect.stringMatching(/Datetime cannot represent "soon"/),
    ]);
    expect(messages('{ order(id: "x") { discountTotal } }')).toEqual([
      expect.stringMatching(/^Cannot query field "discountTotal" on type "Order"\./),
    ]);
    const deep =
      '{ orders(first: 1) { edges { node { items { edges { node { extendedAttributes { edges { node { order { paymentAccount { instruments { nodes { paymentMethod } } } } } } } } } } } } } }';
    expect(messages(deep)).toEqual([expect.stringMatching(/Query depth \d+ exceeds the maximum of 10/)]);
  });
});

describe('NewStore GraphQL contract: the hub client against the emulator', () => {
  const day = { tenant: 'acme', date: '2024-01-02', orders: 300, seed: 11 };
  const emulator = new NewStoreEmulator({ day });
  let client: NewStoreGraphQlClient;

  beforeAll(async () => {
    const base = await emulator.listen(0);
    client = newStoreTestClient(base);
  });
  afterAll(() => emulator.close());

  it('reads an order through its connections, amounts exact', async () => {
    const expected = orderAt(day, 7);
    const order = await client.order('acme', expected.id);
    expect(order).not.toBeNull();
    expect(order!.items.map((item) => item.id)).toEqual(expected.items.map((item) => item.id));
    expect(order!.items.every((item) => item.sku === undefined)).toBe(true);
    expect(decimal(order!.grandTotal).eq(decimal(expected.grandTotal))).toBe(true);
    expect(order!.paymentAccount!.instruments[0].paymentAccountTransactions.length).toBeGreaterThan(0);
    expect(order!.discounts.map((discount) => discount.couponCode)).toEqual(expected.couponCodes);
  });

  it("lists the whole day page by page through the edges' cursors", async () => {
    const window = { from: new Date('2024-01-02T00:00:00Z'), to: new Date('2024-01-03T00:00:00Z') };
    const ids = new Set<string>();
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page = await client.ordersCreated('acme', window, after, 100);
      for (const order of page.orders) ids.add(order.id);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    expect(ids.size).toBe(new Set(Array.from({ length: 300 }, (_, index) => orderAt(day, index).id)).size);
  });

  it("lists each order's cancelled items, and the day's returns page by page with their refunds", async () => {
    const window = { from: new Date('2024-01-02T00:00:00Z'), to: new Date('2024-01-03T00:00:00Z') };
    const orders = Array.from({ length: 300 }, (_, index) => orderAt(day, index));
    const cancelled = new Map<string, string[]>();
    let after: string | null = null;
    for (;;) {
      const page = await client.ordersCreated('acme', window, after, 100);
      for (const order of page.orders)
        if (order.cancelledItemIds.length) cancelled.set(order.id, order.cancelledItemIds);
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const expectedCancelled = orders.filter((order) => order.cancellation);
    expect(expectedCancelled.length).toBeGreaterThan(0);
    expect(cancelled).toEqual(new Map(expectedCancelled.map((order) => [order.id, order.cancellation!.itemIds])));

    // Returns processed on the day, in pages of 10 (the day has more than 10).
    const returns = new Map<string, { orderId: string | null; total: string }>();
    after = null;
    for (;;) {
      const page = await client.returnsProcessed('acme', window, after, 10);
      for (const item of page.returns)
        returns.set(item.id, { orderId: item.orderId, total: decimal(item.totalRefundAmount!).toString() });
      if (!page.hasNextPage) break;
      after = page.endCursor;
    }
    const expectedReturns = orders.filter(
      (order) =>
        order.return && Date.parse(order.createdAt) + order.return.offsetMinutes * 60_000 < window.to.getTime(),
    );
    expect(expectedReturns.length).toBeGreaterThan(10);
    expect(returns).toEqual(
      new Map(
        expectedReturns.map((order) => [
          order.return!.id,
          { orderId: order.id, total: decimal(order.return!.amount).toString() },
        ]),
      ),
    );
  });
});
