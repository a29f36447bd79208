import Fastify, { FastifyInstance } from 'fastify';
import { NewStoreEmulator } from './newstore-emulator';
import { DEFAULT_LAG, RetailDayStore } from './retail-day-store';

async function token(base: string, tenant: string): Promise<string> {
  const response = await fetch(`${base}/auth/realms/${tenant}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&client_id=hub&client_secret=hub-secret',
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('NewStore emulator: GraphQL within NewStore limits', () => {
  const emulator = new NewStoreEmulator({
    day: { tenant: 'acme', date: '2024-01-02', orders: 10_000, seed: 3 },
    limits: { timeoutMs: 300 },
  });
  let base: string;
  let bearer: string;

  beforeAll(async () => {
    base = await emulator.listen(0);
    bearer = await token(base, 'acme');
  });
  afterAll(() => emulator.close());

  const query = async (text: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}/api/v1/org/data/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: text, variables }),
    });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: { message: string }[] } }; // eslint-disable-line @typescript-eslint/no-explicit-any -- GraphQL answers are untyped JSON
  };

  it('needs a bearer token from the client-credentials endpoint', async () => {
    const response = await fetch(`${base}/api/v1/org/data/query`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(401);
    const denied = await fetch(`${base}/auth/realms/acme/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=hub&client_secret=wrong',
    });
    expect(denied.status).toBe(401);
  });

  it('requires first or last, at most 100, and limits depth', async () => {
    expect((await query('{ orders { nodes { id } } }')).body.errors?.[0].message).toMatch(
      /must provide a `first` or `last`/,
    );
    expect((await query('{ orders(first: 101) { nodes { id } } }')).body.errors?.[0].message).toMatch(
      /exceeds the maximum of 100/,
    );
    const deep = await query(
      '{ orders(first: 1) { edges { node { paymentAccount { instruments { edges { node { paymentAccountTransactions { nodes { amount } } } } } } } } pageInfo { hasNextPage } } }',
    );
    expect(deep.body.errors).toBeUndefined();
    // Inline fragments add no depth.
    const fragment = await query(
      '{ orders(first: 1) { nodes { paymentAccount { instruments { nodes { paymentAccountTransactions { nodes { amount ... on PaymentAccountTransaction { currency } } } } } } } } }',
    );
    expect(fragment.status).toBe(200);
    const limited = new NewStoreEmulator({
      day: { tenant: 'acme', date: '2024-01-02', orders: 10, seed: 3 },
      limits: { maxDepth: 3 },
    });
    const result = await limited.graphql.run(
      { query: '{ orders(first: 1) { nodes { items { nodes { id } } } } }' },
      false,
    );
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toMatch(/Query depth 5 exceeds the maximum of 3/);
  });

  it('renders datetimes without offset unless Force-Render-Timezone is set', async () => {
    const plain = await query('{ orders(first: 1) { nodes { createdAt } } }');
    expect(plain.body.data.orders.nodes[0].createdAt).toMatch(/^2024-01-02T\d\d:\d\d:\d\d\.\d{3}$/);
    const zoned = await query('{ orders(first: 1) { nodes { createdAt } } }', {}, { 'force-render-timezone': 'true' });
    expect(zoned.body.data.orders.nodes[0].createdAt).toMatch(/Z$/);
  });

  it('serves a 10k-order day page by page by cursor, 100 at a time, in creation order', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let previous = '';
    let pages = 0;
    for (;;) {
      const page = await query(
        'query Day($after: Cursor) { orders(first: 100, after: $after, orderBy: [CREATED_AT_ASC], filter: { createdAt: { greaterThanOrEqualTo: "2024-01-02T00:00:00", lessThan: "2024-01-03T00:00:00" } }) { edges { cursor node { id createdAt } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      pages += 1;
      const edges = page.body.data.orders.edges as { node: { id: string; createdAt: string } }[];
      expect(edges.length).toBeLessThanOrEqual(100);
      for (const { node } of edges) {
        expect(node.createdAt >= previous).toBe(true);
        previous = node.createdAt;
        seen.add(node.id);
      }
      if (!page.body.data.orders.pageInfo.hasNextPage) break;
      after = page.body.data.orders.pageInfo.endCursor as string;
    }
    expect(seen.size).toBe(10_000);
    expect(pages).toBe(100);
  });

  it('filters by creation time, item status and exchange, and finds one order by id', async () => {
    const hour = await query(
      '{ orders(first: 100, filter: { createdAt: { greaterThanOrEqualTo: "2024-01-02T10:00:00", lessThan: "2024-01-02T10:10:00" } }) { totalCount nodes { id createdAt } } }',
    );
    expect(hour.body.data.orders.totalCount).toBeGreaterThan(50);
    expect(hour.body.data.orders.totalCount).toBeLessThan(90);
    const cancelled = await query(
      '{ orders(first: 20, filter: { items: { some: { status: { equalTo: "cancelled" } } } }) { nodes { items { nodes { status } } } } }',
    );
    expect(cancelled.body.data.orders.nodes.length).toBeGreaterThan(0);
    for (const order of cancelled.body.data.orders.nodes as { items: { nodes: { status: string }[] } }[]) {
      expect(order.items.nodes.some((item) => item.status === 'cancelled')).toBe(true);
    }
    const exchanges = await query('{ orders(first: 5, filter: { exchangesExist: true }) { nodes { id isExchange } } }');
    expect((exchanges.body.data.orders.nodes as { isExchange: boolean }[]).every((order) => order.isExchange)).toBe(
      true,
    );
    const id = (exchanges.body.data.orders.nodes as { id: string }[])[0].id;
    const one = await query(
      'query One($id: String!) { order(id: $id, tenant: "acme") { id externalId grandTotal paymentAccount { instruments { edges { node { paymentMethod paymentAccountTransactions { edges { node { amount transactionType } } } } } } } } }',
      { id },
    );
    expect(one.body.data.order.id).toBe(id);
    expect(one.body.data.order.paymentAccount.instruments.edges[0].node.paymentMethod).toBe('store_credit');
    const newest = await query('{ orders(first: 1, orderBy: [CREATED_AT_DESC]) { nodes { createdAt } } }');
    expect(newest.body.data.orders.nodes[0].createdAt).toMatch(/^2024-01-02T23/);
  });

  it('fails a query that runs past the time limit', async () => {
    emulator.graphql.queryDelayMs = 500;
    try {
      const slow = await query('{ orders(first: 1) { nodes { id } } }');
      expect(slow.status).toBe(504);
      expect(slow.body.errors?.[0].message).toMatch(/time limit/);
    } finally {
      emulator.graphql.queryDelayMs = 0;
    }
  });
});

describe('NewStore emulator: lag and the event-stream pusher', () => {
  let callback: FastifyInstance;
  let callbackUrl: string;
  const received: { authorization?: string; body: { name: string; payload: { id: string; order_id?: string } } }[] = [];
  let respond: (body: { name: string; payload: { id: string } }) => number = () => 200;

  beforeAll(async () => {
    callback = Fastify();
    callback.post('/hook', async (request, reply) => {
      const body = request.body as (typeof received)[number]['body'];
      received.push({ authorization: request.headers.authorization, body });
      return reply.status(respond(body)).send({});
    });
    callbackUrl = `${await callback.listen({ port: 0, host: '127.0.0.1' })}/hook`;
  });
  afterAll(() => callback.close());
  beforeEach(() => {
    received.length = 0;
    respond = () => 200;
  });

  function emulatorFor(orders: number, pusher: Record<string, number>) {
    return new NewStoreEmulator({
      day: { tenant: 'acme', date: '2024-01-02', orders, seed: 11 },
      visibility: 'published',
      lag: { timeScale: 0.001 },
      pusher: { retryBaseMs: 1_170, timeScale: 0.001, concurrency: 4, duplicateRate: 0, ...pusher },
    });
  }

  it('delivers every event of the day with the api key, at least once, with the configured duplicates', async () => {
    const emulator = emulatorFor(60, { duplicateRate: 0.3 });
    const integration = emulator.pusher.register({
      callback_parameters: { callback_url: callbackUrl, api_key: 'secret-key' },
    });
    emulator.pusher.start(integration.id);
    await emulator.pusher.idle(integration.id);
    const distinct = new Set(received.map((item) => JSON.stringify(item.body)));
    // Still running once the day is delivered, as NewStore's integrations wait for new events.
    expect(integration.status).toBe('running');
    expect(integration.dayDelivered).toBe(true);
    expect(distinct.size).toBe(integration.delivered);
    expect(received.length).toBe(integration.delivered + integration.duplicatesSent);
    expect(integration.duplicatesSent).toBeGreaterThan(5);
    expect(received.every((item) => item.authorization === 'Bearer secret-key')).toBe(true);
    expect([...distinct].filter((body) => body.includes('"name":"order.opened"'))).toHaveLength(60);
    await emulator.close();
  });

  it('delivers out of order and sends duplicates late, as docs/domain.md allows, and still every event once at least', async () => {
    // docs/domain.md section 1: at least once, no ordering guarantee (a cancellation can arrive before the order).
    const emulator = emulatorFor(60, {
      concurrency: 1,
      duplicateRate: 0.3,
      duplicateDelayMaxMs: 50,
      holdBackRate: 0.3,
      holdBackMax: 20,
    });
    const integration = emulator.pusher.register({ callback_parameters: { callback_url: callbackUrl } });
    emulator.pusher.start(integration.id);
    await emulator.pusher.idle(integration.id);
    // idle() waits for the late duplicates too.
    expect(received.length).toBe(integration.delivered + integration.duplicatesSent);
    expect(new Set(received.map((item) => JSON.stringify(item.body))).size).toBe(integration.delivered);
    const orderOf = (body: (typeof received)[number]['body']) =>
      body.name === 'order.opened' ? body.payload.id : (body.payload.order_id ?? body.payload.id);
    const opened = new Map(
      received
        .map((item, index) => [item, index] as const)
        .filter(([item]) => item.body.name === 'order.opened')
        .map(([item, index]) => [item.body.payload.id, index]),
    );
    const early = received.filter(
      (item, index) => item.body.name !== 'order.opened' && index < (opened.get(orderOf(item.body)) ?? -1),
    );
    expect(early.length).toBeGreaterThan(0);
    // A late duplicate arrives after events published after its original.
    const firstSeen = new Map<string, number>();
    const late = received.filter((item, index) => {
      const key = JSON.stringify(item.body);
      const seen = firstSeen.get(key);
      if (seen === undefined) firstSeen.set(key, index);
      return seen !== undefined && index > seen + 1;
    });
    expect(late.length).toBeGreaterThan(0);
    await emulator.close();
  });

  it('retries a failing delivery with back-off and stores a 400 as rejected, to retry or delete later', async () => {
    const emulator = emulatorFor(20, {});
    const attempts = new Map<string, number>();
    const badOrder = emulator.store.order(5).id;
    respond = (body) => {
      const key = JSON.stringify(body);
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      if (body.payload.id === badOrder && body.name === 'order.opened') return 400;
      return body.name === 'payment_account.amount_authorized' && attempts.get(key)! < 3 ? 503 : 200;
    };
    const integration = emulator.pusher.register({ callback_parameters: { callback_url: callbackUrl, api_key: 'k' } });
    emulator.pusher.start(integration.id);
    await emulator.pusher.idle(integration.id);
    expect(
      [...attempts.entries()].filter(([key]) => key.includes('amount_authorized')).every(([, count]) => count === 3),
    ).toBe(true);
    const rejected = [...integration.rejected.values()];
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ name: 'order.opened', orderId: badOrder, status: 400 });

    respond = () => 200;
    expect(await emulator.pusher.retryRejected(integration.id, rejected[0].eventId)).toBeUndefined();
    expect(integration.rejected.size).toBe(0);
    await emulator.close();
  });

  it('stops the integration after too many rejected events, or an event that keeps failing', async () => {
    const rejecting = emulatorFor(30, { maxRejected: 3, concurrency: 1 });
    respond = () => 400;
    const first = rejecting.pusher.register({ callback_parameters: { callback_url: callbackUrl } });
    rejecting.pusher.start(first.id);
    await rejecting.pusher.idle(first.id);
    expect(first.status).toBe('stopped');
    expect(first.stoppedReason).toMatch(/too many rejected/);
    expect(received).toHaveLength(3);
    await rejecting.close();

    const failing = emulatorFor(5, { concurrency: 1, maxAttempts: 10 });
    received.length = 0;
    respond = () => 500;
    const second = failing.pusher.register({ callback_parameters: { callback_url: callbackUrl } });
    failing.pusher.start(second.id);
    await failing.pusher.idle(second.id);
    expect(second.status).toBe('stopped');
    expect(second.stoppedReason).toMatch(/kept failing after 10 attempts/);
    expect(received).toHaveLength(10);
    await failing.close();
  });

  it('filters by event name and replays only a window for a temporary integration', async () => {
    const emulator = emulatorFor(48, {});
    const integration = emulator.pusher.register({
      callback_parameters: { callback_url: callbackUrl },
      filter_conditions: { event_filter: ['order.opened'] },
      start_date: '2024-01-02T06:00:00Z',
      end_date: '2024-01-02T12:00:00Z',
    });
    emulator.pusher.start(integration.id);
    await emulator.pusher.idle(integration.id);
    expect(received.length).toBeGreaterThan(8);
    expect(received.length).toBeLessThan(16);
    expect(received.every((item) => item.body.name === 'order.opened')).toBe(true);
    await emulator.close();
  });

  it("records a return's refund transaction only once the return was published, paid back through the order's instruments", async () => {
    const emulator = new NewStoreEmulator({
      day: { tenant: 'acme', date: '2024-01-02', orders: 200, seed: 11 },
      visibility: 'published',
      lag: { timeScale: 1, paymentExtraMs: 50 },
    });
    const order = Array.from({ length: 200 }, (_, index) => emulator.store.order(index)).find(
      (candidate) => candidate.return && !candidate.appeasement,
    )!;
    emulator.store.setLag(order.id, 0);
    emulator.store.markPublished(order.id, 0);
    const refunded = async () => {
      const { body } = await emulator.graphql.run(
        {
          query:
            'query($id: String!) { order(id: $id) { paymentAccount { instruments { nodes { paymentAccountTransactions { nodes { amount transactionType } } } } } } }',
          variables: { id: order.id },
        },
        false,
      );
      const instruments = (
        body as {
          data: {
            order: {
              paymentAccount: {
                instruments: {
                  nodes: { paymentAccountTransactions: { nodes: { amount: number; transactionType: string }[] } }[];
                };
              };
            };
          };
        }
      ).data.order.paymentAccount.instruments.nodes;
      return instruments
        .flatMap((instrument) => instrument.paymentAccountTransactions.nodes)
        .filter((transaction) => transaction.transactionType === 'refund')
        .map((transaction) => Math.round(transaction.amount * 1000))
        .reduce((total, amount) => total + amount, 0);
    };
    expect(await refunded()).toBe(0);
    // Published 100 ms ago: recorded 50 ms later, so there now (the time is set, nothing sleeps).
    emulator.store.markRefundPublished(order.return!.id, Date.now() - 100);
    const seen = await refunded();
    // The refund transactions add up to the return's total_refund_amount (docs/domain.md section 3, "Returns").
    expect(seen).toBe(Math.round(order.return!.amount * 1000));
    await emulator.close();
  });

  it('shows an order in GraphQL only after its event was published plus its lag, and its payments later still', async () => {
    const emulator = new NewStoreEmulator({
      day: { tenant: 'acme', date: '2024-01-02', orders: 4, seed: 11 },
      visibility: 'published',
      lag: { timeScale: 1, paymentExtraMs: 300 },
    });
    const lookup = async (id: string) =>
      (
        (
          await emulator.graphql.run(
            {
              query:
                'query($id: String!) { order(id: $id) { id paymentAccount { instruments { nodes { paymentMethod } } } } }',
              variables: { id },
            },
            false,
          )
        ).body as { data: { order: { paymentAccount: { instruments: { nodes: unknown[] } } } | null } }
      ).data.order;
    // Four orders, each visible 300 ms after its event was published and its payments 300 ms
    // after that: never published, published now, 450 ms ago and 900 ms ago (the publication
    // times are set, nothing sleeps).
    const [unpublished, now, earlier, earliest] = [0, 1, 2, 3].map((index) => emulator.store.order(index));
    for (const order of [unpublished, now, earlier, earliest]) emulator.store.setLag(order.id, 300);
    const at = Date.now();
    emulator.store.markPublished(now.id, at);
    emulator.store.markPublished(earlier.id, at - 450);
    emulator.store.markPublished(earliest.id, at - 900);
    expect(await lookup(unpublished.id)).toBeNull();
    expect(await lookup(now.id)).toBeNull();
    expect((await lookup(earlier.id))?.paymentAccount.instruments.nodes).toEqual([]);
    expect((await lookup(earliest.id))?.paymentAccount.instruments.nodes.length).toBeGreaterThan(0);
    await emulator.close();
  });

  it('draws each order its lag from the default model: 99 % within 10 s, the tail between one and two minutes', () => {
    const store = new RetailDayStore(
      { tenant: 'acme', date: '2024-01-02', orders: 5_000, seed: 12 },
      { mode: 'published', lag: DEFAULT_LAG },
    );
    const lags = Array.from({ length: store.size }, (_, index) => store.lagOf(store.order(index)));
    const tail = lags.filter((lag) => lag > DEFAULT_LAG.p99Ms);
    expect(tail.length / lags.length).toBeLessThan(0.02);
    expect(tail.length).toBeGreaterThan(0);
    expect(tail.every((lag) => lag >= DEFAULT_LAG.tailMinMs && lag <= DEFAULT_LAG.tailMaxMs)).toBe(true);
    // The body of the model: about 99 % of the orders visible within 10 s, none before its event.
    const body = lags.filter((lag) => lag <= DEFAULT_LAG.p99Ms);
    expect(body.length / lags.length).toBeGreaterThanOrEqual(0.98);
    expect(Math.min(...lags)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...body)).toBeGreaterThan(DEFAULT_LAG.p99Ms / 2);
  });
});
