import {
  Connection,
  CONNECTION_PAGE_SIZE,
  connectionPageQuery,
  flattenOrder,
  GraphQlOrder,
  GraphQlOrderNode,
  NewStoreOrderListing,
  NewStoreOrders,
  nodesOf,
  OrderConnection,
  orderItemCountQuery,
  orderQuery,
  ordersByIdQuery,
  ordersCreatedQuery,
  OrdersPage,
  ItemStatus,
  ReturnsPage,
  returnsProcessedQuery,
  TENANT_PATTERN,
} from '@hub/newstore';
import { ClientError, GraphQLClient } from 'graphql-request';
import { LRUCache } from 'lru-cache';

export interface NewStoreGraphQlSettings {
  /** https://{tenant}.p.newstore.net/api/v1/org/data/query; {tenant} is replaced. */
  graphqlUrl: string;
  /** https://id.p.newstore.net/auth/realms/{tenant}/protocol/openid-connect/token; {tenant} is replaced. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** NewStore fails queries over 10 s; the client gives up at the same point. */
  timeoutMs: number;
  /** Also query each item's `externalIdentifiers { sku }`, a field no NewStore page documents. */
  queryItemSku?: boolean;
  /** Lookups of one tenant made at about the same time share one query of at most this many ids (default 1: none shared). */
  lookupBatchSize?: number;
  /** Lookup queries in flight per tenant at most (default 4). */
  maxParallelQueries?: number;
  /** The clock (ms since epoch); tests set it. */
  now?: () => number;
}

/** How long lookups go one by one after NewStore refused a batched query, before batching is tried again. */
const BATCH_PAUSE_MS = 10 * 60_000;
/**
 * Answers that say the request itself is wrong, whatever the moment: sending it again
 * cannot help (bad request, forbidden, not found, method, too large, unprocessable).
 * Any other failure (a GraphQL error on a 200, a conflict, a timeout…) may pass.
 */
const REQUEST_PROBLEM_STATUSES = [400, 403, 404, 405, 413, 414, 422];
/** GraphQL error codes of a query the server will never take (GraphQL servers' `extensions.code`). */
const QUERY_PROBLEM_CODES = ['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT'];

/** Lookups of one tenant waiting for a query, by order id. */
interface PendingLookups {
  waiting: Map<string, { resolve: (order: GraphQlOrder | null) => void; reject: (error: unknown) => void }[]>;
  inFlight: number;
  scheduled: boolean;
}

/** Why a NewStore call failed: temporary (5xx, 429, timeouts, network) → retry; permanent → DLQ. */
export class NewStoreError extends Error {
  constructor(
    readonly kind: 'temporary' | 'permanent',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'NewStoreError';
  }
}

/**
 * A URL of the tenant. The tenant comes from an event's body: anything but a
 * tenant name (a `..`, a slash) is refused before it can change the URL's path.
 */
export function tenantUrl(template: string, tenant: string): string {
  if (!TENANT_PATTERN.test(tenant))
    throw new NewStoreError('permanent', `"${tenant}" is not a NewStore tenant name (letters, digits, - and _)`);
  return template.replace('{tenant}', tenant);
}

/** Tokens cached at most: one per tenant a deployment serves, bounded so invented tenant names cannot grow it. */
const TOKEN_CACHE_SIZE = 256;

/**
 * NewStore GraphQL through graphql-request: one client-credentials token per
 * tenant, cached and refreshed a minute before it expires; variables, never
 * string-built queries; `Force-Render-Timezone` so datetimes carry their Z.
 */
export class NewStoreGraphQlClient implements NewStoreOrders, NewStoreOrderListing {
  private readonly tokens = new LRUCache<string, { value: string; expiresAt: number }>({ max: TOKEN_CACHE_SIZE });

  constructor(
    private readonly settings: NewStoreGraphQlSettings,
    private readonly observe: (outcome: 'ok' | 'error', seconds: number) => void = () => undefined,
  ) {}

  private readonly lookups = new Map<string, PendingLookups>();

  /**
   * One order, or null while GraphQL does not have it. With `lookupBatchSize` above
   * 1, lookups of one tenant made while its queries are busy wait and share one
   * `orders(filter: {id: {in}})` query (the DataLoader pattern): under load, one
   * round trip serves many events; alone, a lookup is sent at once. A failed query
   * fails each of its lookups with the same error.
   */
  order(tenant: string, orderId: string): Promise<GraphQlOrder | null> {
    if ((this.settings.lookupBatchSize ?? 1) <= 1 || this.batchPaused()) return this.oneOrder(tenant, orderId);
    return new Promise((resolve, reject) => {
      let pending = this.lookups.get(tenant);
      if (!pending) {
        pending = { waiting: new Map(), inFlight: 0, scheduled: false };
        this.lookups.set(tenant, pending);
      }
      const waiters = pending.waiting.get(orderId) ?? [];
      waiters.push({ resolve, reject });
      pending.waiting.set(orderId, waiters);
      this.schedule(tenant, pending);
    });
  }

  /** Sends the waiting lookups on the next turn of the event loop, if a query slot is free. */
  private schedule(tenant: string, pending: PendingLookups): void {
    if (pending.scheduled || pending.waiting.size === 0) return;
    if (pending.inFlight >= (this.settings.maxParallelQueries ?? 4)) return;
    pending.scheduled = true;
    setImmediate(() => {
      pending.scheduled = false;
      this.send(tenant, pending);
    });
  }

  private send(tenant: string, pending: PendingLookups): void {
    const size = this.settings.lookupBatchSize ?? 1;
    const batch = [...pending.waiting.entries()].slice(0, size);
    for (const [id] of batch) pending.waiting.delete(id);
    pending.inFlight += 1;
    this.ordersById(
      tenant,
      batch.map(([id]) => id),
    )
      .then(
        (found) => batch.forEach(([id, waiters]) => waiters.forEach((waiter) => waiter.resolve(found.get(id) ?? null))),
        (error: unknown) => batch.forEach(([, waiters]) => waiters.forEach((waiter) => waiter.reject(error))),
      )
      .finally(() => {
        pending.inFlight -= 1;
        if (pending.waiting.size === 0 && pending.inFlight === 0) this.lookups.delete(tenant);
        else this.schedule(tenant, pending);
      });
    // More waiting than one query takes, and a slot free: the next query goes too.
    this.schedule(tenant, pending);
  }

  /**
   * Why NewStore last refused the batched query (a filter or depth it does not take):
   * for {@link BATCH_PAUSE_MS} after it, every lookup is a query of its own, as seed 003
   * shows it; then batching is tried again (the refusal may have been NewStore's moment).
   */
  batchRefused: string | undefined;
  private batchRefusedAt = 0;

  private batchPaused(): boolean {
    return this.batchRefused !== undefined && this.clock() - this.batchRefusedAt < BATCH_PAUSE_MS;
  }

  private clock(): number {
    return this.settings.now?.() ?? Date.now();
  }

  /** Orders by id, those GraphQL has: one `order(id:)` query for one id, one `orders(filter: {id: {in}})` for more. */
  async ordersById(tenant: string, ids: string[]): Promise<Map<string, GraphQlOrder>> {
    if (ids.length === 1 || this.batchPaused()) return this.oneByOne(tenant, ids);
    tenantUrl(this.settings.graphqlUrl, tenant); // a tenant that is no tenant name fails its lookups, not batching
    let result: { orders: Connection<GraphQlOrderNode> };
    try {
      result = await this.query(tenant, ordersByIdQuery(ids, { withItemSku: this.settings.queryItemSku }), {});
    } catch (error) {
      // A refused batch says nothing about its orders: they are looked up one by one.
      if (!(error instanceof NewStoreError && error.kind === 'permanent')) throw error;
      this.batchRefused = error.message;
      this.batchRefusedAt = this.clock();
      return this.oneByOne(tenant, ids);
    }
    const orders = await Promise.all(
      nodesOf(result.orders).map(async (node) => flattenOrder(await this.complete(tenant, node))),
    );
    return new Map(orders.map((order) => [order.id, order]));
  }

  /**
   * The order with every connection read to its end (seed 003: at most 100 results a
   * page, the next page `after` the last edge's cursor): a full page of items,
   * discounts, instruments or one instrument's transactions is followed by the next.
   * An order of 250 items is read in three pages; an order that fits in one page
   * costs no further query.
   */
  private async complete(tenant: string, node: GraphQlOrderNode): Promise<GraphQlOrderNode> {
    type Edges<T> = { node: T; cursor?: string }[];
    type PageResult = { order: Partial<GraphQlOrderNode> | null };
    const edgesOf = <T>(connection: Connection<T> | null | undefined): Edges<T> =>
      connection?.edges ?? (connection?.nodes ?? []).map((item) => ({ node: item }));
    const rest = async <T>(
      connection: OrderConnection,
      first: Edges<T>,
      pick: (order: Partial<GraphQlOrderNode>) => Connection<T> | null | undefined,
      options: { transactionsAfter?: (after: string) => string; previous?: string | null } = {},
    ): Promise<Edges<T>> => {
      const all = [...first];
      let page = first;
      while (page.length >= CONNECTION_PAGE_SIZE) {
        const after = page[page.length - 1].cursor;
        if (!after)
          throw new NewStoreError('permanent', `NewStore answered a full page of ${connection} without cursors`);
        const query = options.transactionsAfter
          ? connectionPageQuery(connection, options.previous ?? null, { transactionsAfter: after })
          : connectionPageQuery(connection, after, { withItemSku: this.settings.queryItemSku });
        const result = await this.query<PageResult>(tenant, query, { id: node.id, tenant });
        page = result.order ? edgesOf(pick(result.order)) : [];
        all.push(...page);
      }
      return all;
    };
    const items = await rest('items', edgesOf(node.items), (order) => order.items);
    const discounts = await rest('discounts', edgesOf(node.discounts), (order) => order.discounts);
    const instruments = node.paymentAccount
      ? await rest(
          'instruments',
          edgesOf(node.paymentAccount.instruments),
          (order) => order.paymentAccount?.instruments,
        )
      : [];
    const completed = await Promise.all(
      instruments.map(async (edge, index) => {
        const transactions = edgesOf(edge.node.paymentAccountTransactions);
        if (transactions.length < CONNECTION_PAGE_SIZE) return edge;
        const all = await rest(
          'instruments',
          transactions,
          (order) => edgesOf(order.paymentAccount?.instruments)[0]?.node.paymentAccountTransactions,
          {
            transactionsAfter: (after) => after,
            previous: index === 0 ? null : (instruments[index - 1].cursor ?? null),
          },
        );
        return { ...edge, node: { ...edge.node, paymentAccountTransactions: { edges: all } } };
      }),
    );
    return {
      ...node,
      items: { edges: items },
      discounts: { edges: discounts },
      paymentAccount: node.paymentAccount ? { instruments: { edges: completed } } : null,
    };
  }

  private async oneByOne(tenant: string, ids: string[]): Promise<Map<string, GraphQlOrder>> {
    const found = new Map<string, GraphQlOrder>();
    for (const [index, order] of (await Promise.all(ids.map((id) => this.oneOrder(tenant, id)))).entries())
      if (order) found.set(ids[index], order);
    return found;
  }

  private async oneOrder(tenant: string, orderId: string): Promise<GraphQlOrder | null> {
    const result = await this.query<{ order: GraphQlOrderNode | null }>(tenant, this.orderDocument, {
      id: orderId,
      tenant,
    });
    return result.order ? flattenOrder(await this.complete(tenant, result.order)) : null;
  }

  private get orderDocument(): string {
    return orderQuery({ withItemSku: this.settings.queryItemSku });
  }

  async ordersCreated(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first = 100,
  ): Promise<OrdersPage> {
    const result = await this.query<{
      orders: {
        edges: {
          cursor: string;
          node: {
            id: string;
            externalId: string;
            grandTotal: number;
            isHistorical: boolean;
            items: Connection<ItemStatus>;
          };
        }[];
      };
    }>(tenant, ordersCreatedQuery(window, first, after), {});
    const edges = result.orders.edges;
    const orders = await Promise.all(
      edges.map(async ({ node: { items, ...order } }) => {
        const all = await this.allItems(tenant, order.id, items);
        return {
          ...order,
          itemCount: all.length,
          cancelledItemIds: all.filter((item) => item.status === 'cancelled').map((item) => item.id),
        };
      }),
    );
    return {
      orders,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
      // No pageInfo in seed 000's query: a full page may have a next one, a short page is the last.
      hasNextPage: edges.length === first,
    };
  }

  /** An order's items, its first page and the rest read page by page (seed 003). */
  private async allItems(tenant: string, orderId: string, first: Connection<ItemStatus>): Promise<ItemStatus[]> {
    let page = first.edges ?? [];
    const items = page.length ? page.map((edge) => edge.node) : nodesOf(first);
    while (page.length >= CONNECTION_PAGE_SIZE) {
      const after = page[page.length - 1].cursor;
      if (!after) throw new NewStoreError('permanent', 'NewStore answered a full page of items without cursors');
      const result = await this.query<{ order: { items: Connection<ItemStatus> } | null }>(
        tenant,
        orderItemCountQuery(after),
        { id: orderId, tenant },
      );
      page = result.order?.items.edges ?? [];
      items.push(...page.map((edge) => edge.node));
    }
    return items;
  }

  async returnsProcessed(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first = 100,
  ): Promise<ReturnsPage> {
    const result = await this.query<{
      returns: {
        edges: {
          cursor: string;
          node: { id: string; orderId: string | null; totalRefundAmount: number | string | null };
        }[];
      };
    }>(tenant, returnsProcessedQuery(window, first, after), {});
    const edges = result.returns.edges;
    return {
      returns: edges.map(({ node }) => ({
        id: node.id,
        orderId: node.orderId ?? null,
        totalRefundAmount: node.totalRefundAmount ?? null,
      })),
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
      hasNextPage: edges.length === first,
    };
  }

  private async query<T>(tenant: string, document: string, variables: Record<string, unknown>): Promise<T> {
    const started = performance.now();
    const client = new GraphQLClient(tenantUrl(this.settings.graphqlUrl, tenant), {
      headers: { authorization: `Bearer ${await this.token(tenant)}`, 'force-render-timezone': 'true' },
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(this.settings.timeoutMs) }),
    });
    try {
      const data = await client.request<T>(document, variables);
      this.observe('ok', (performance.now() - started) / 1000);
      return data;
    } catch (error) {
      this.observe('error', (performance.now() - started) / 1000);
      throw this.classify(tenant, error);
    }
  }

  private classify(tenant: string, error: unknown): NewStoreError {
    if (error instanceof ClientError) {
      const status = error.response.status;
      if (status === 401) this.tokens.delete(tenant);
      const message = `NewStore GraphQL answered ${status}: ${error.response.errors?.map((item) => item.message).join('; ') ?? 'no message'}`;
      // A query NewStore will never take, or a request wrong in itself, is permanent; a GraphQL error on a
      // 200 (an upstream timeout, a resolver failing for a moment) and anything else is tried again.
      const queryProblem = (error.response.errors ?? []).some((item) => {
        const code = (item.extensions as { code?: unknown } | undefined)?.code;
        return typeof code === 'string' && QUERY_PROBLEM_CODES.includes(code);
      });
      const permanent = queryProblem || REQUEST_PROBLEM_STATUSES.includes(status);
      return new NewStoreError(permanent ? 'permanent' : 'temporary', message, status);
    }
    return new NewStoreError(
      'temporary',
      `NewStore GraphQL unreachable: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  /** A bearer token of the tenant (client credentials), cached until a minute before it expires. */
  async token(tenant: string): Promise<string> {
    const cached = this.tokens.get(tenant);
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.value;
    const url = tenantUrl(this.settings.tokenUrl, tenant);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
        }),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
    } catch (error) {
      throw new NewStoreError(
        'temporary',
        `NewStore token endpoint unreachable: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!response.ok) {
      const temporary = response.status === 429 || response.status >= 500;
      throw new NewStoreError(
        temporary ? 'temporary' : 'permanent',
        `NewStore token request failed with HTTP ${response.status}`,
        response.status,
      );
    }
    const body = (await response.json()) as { access_token: string; expires_in: number };
    this.tokens.set(tenant, { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 });
    return body.access_token;
  }
}
