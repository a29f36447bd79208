import { NewStoreEnvelope } from './envelope';

/**
 * An order as the enricher uses it: the fields NewStore's ERP playbooks query
 * (seed 001/002, "Sample GraphQL Query"), with every connection flattened to a
 * list by the adapter (`flattenOrder`). Amounts are JSON numbers as GraphQL
 * answers them, read exactly with `decimal()`. Datetimes are UTC, with or without
 * the Z (seed 003, "Datetime format").
 */
export interface GraphQlOrder {
  id: string;
  externalId: string;
  createdAt: string;
  placedAt: string;
  channelType: string;
  channel: string | null;
  demandLocationId: string | null;
  currency: string;
  isExchange: boolean;
  isHistorical: boolean;
  taxExempt: boolean | null;
  taxStrategy: string | null;
  taxTotal: number;
  shippingTotal: number;
  shippingTax: number;
  subtotal: number;
  grandTotal: number;
  discounts: { couponCode: string | null }[];
  paymentAccount: {
    instruments: {
      paymentMethod: string;
      paymentOrigin: string | null;
      paymentProvider: string | null;
      paymentAccountTransactions: { amount: number; currency: string; transactionType: string }[];
    }[];
  } | null;
  items: {
    id: string;
    productId: string;
    quantity: number;
    status: string;
    pricebookPrice: number;
    itemDiscounts: number;
    orderDiscounts: number;
    tax: number;
    shippingServiceLevel: string | null;
    fulfillmentLocationId: string | null;
    /** Only when the deployment asks for it (NEWSTORE_QUERY_ITEM_SKU): no seed names an item's SKU field. */
    sku?: string | null;
  }[];
}

/** A relay connection as NewStore returns every list (seeds 000-003): read through `nodes` or `edges { node }`. */
export interface Connection<T> {
  nodes?: T[] | null;
  edges?: { node: T; cursor?: string }[] | null;
}

/**
 * Results one page of a connection holds at most (seed 003, "limitations": at most
 * 100, and `first` or `last` is required); a list longer than that is read page by
 * page with `after` (seed 003, "Pagination").
 */
export const CONNECTION_PAGE_SIZE = 100;

/** The nodes of a connection, whichever of `nodes` or `edges` the query selected. */
export function nodesOf<T>(connection: Connection<T> | null | undefined): T[] {
  if (!connection) return [];
  if (Array.isArray(connection.nodes)) return connection.nodes;
  return (connection.edges ?? []).map((edge) => edge.node);
}

type ItemNode = Omit<GraphQlOrder['items'][number], 'sku'> & { externalIdentifiers?: { sku: string | null } | null };
type InstrumentNode = Omit<
  NonNullable<GraphQlOrder['paymentAccount']>['instruments'][number],
  'paymentAccountTransactions'
> & { paymentAccountTransactions: Connection<{ amount: number; currency: string; transactionType: string }> };

/** The order as ORDER_QUERY returns it, connections and all. */
export type GraphQlOrderNode = Omit<GraphQlOrder, 'discounts' | 'paymentAccount' | 'items'> & {
  discounts: Connection<{ couponCode: string | null }>;
  paymentAccount: { instruments: Connection<InstrumentNode> } | null;
  items: Connection<ItemNode>;
};

/** The order with its connections read into lists. */
export function flattenOrder(node: GraphQlOrderNode): GraphQlOrder {
  return {
    ...node,
    discounts: nodesOf(node.discounts),
    paymentAccount: node.paymentAccount
      ? {
          instruments: nodesOf(node.paymentAccount.instruments).map((instrument) => ({
            ...instrument,
            paymentAccountTransactions: nodesOf(instrument.paymentAccountTransactions),
          })),
        }
      : null,
    items: nodesOf(node.items).map(({ externalIdentifiers, ...item }) =>
      externalIdentifiers === undefined ? item : { ...item, sku: externalIdentifiers?.sku ?? null },
    ),
  };
}

/**
 * The query the enricher sends: the fields of NewStore's ERP playbook query
 * (seed 001, verbatim shape: `discounts { edges { node { couponCode } } }`,
 * `paymentAccount { instruments { edges { node { … paymentAccountTransactions
 * { edges { node { … } } } } } } }`, `items { edges { node { … } } }`), plus the
 * order's `id` and the items' `id` and `status` (seed 003, "Query a single order
 * by ID" and "Filter orders by item status"). The id is a variable, never
 * string-built. `withItemSku` adds `externalIdentifiers { sku }`, a field no
 * seed names, only for deployments that turn it on.
 */
export function orderQuery(options: { withItemSku?: boolean } = {}): string {
  return `query EnrichOrder($id: String!, $tenant: String) {
  order(id: $id, tenant: $tenant) {
    ${orderFields(options)}
  }
}`;
}

/** The fields of one item the enricher reads (seed 001's ERP playbook, plus the id and status of seed 003). */
function itemFields(options: { withItemSku?: boolean }): string {
  const sku = options.withItemSku ? ' externalIdentifiers { sku }' : '';
  return `id productId quantity status pricebookPrice itemDiscounts orderDiscounts tax
      shippingServiceLevel fulfillmentLocationId${sku}`;
}

const TRANSACTION_FIELDS = 'amount currency transactionType';
const INSTRUMENT_FIELDS = `paymentMethod paymentOrigin paymentProvider
      paymentAccountTransactions(first: ${CONNECTION_PAGE_SIZE}) { edges { cursor node { ${TRANSACTION_FIELDS} } } }`;

/**
 * The order fields the enricher reads (seed 001's ERP playbook, plus the ids and
 * statuses of seed 003). Every connection asks for a page of 100 with its edges'
 * cursors (seed 003, "Pagination"): a full page is followed by the next one
 * ({@link connectionPageQuery}), so no list is cut at NewStore's limit.
 */
function orderFields(options: { withItemSku?: boolean }): string {
  return `id externalId createdAt placedAt demandLocationId currency isExchange isHistorical channel channelType
    shippingTax shippingTotal taxExempt taxStrategy taxTotal subtotal grandTotal
    discounts(first: ${CONNECTION_PAGE_SIZE}) { edges { cursor node { couponCode } } }
    paymentAccount { instruments(first: ${CONNECTION_PAGE_SIZE}) { edges { cursor node { ${INSTRUMENT_FIELDS} } } } }
    items(first: ${CONNECTION_PAGE_SIZE}) { edges { cursor node { ${itemFields(options)} } } }`;
}

/** The order connections the enricher pages through. */
export type OrderConnection = 'items' | 'discounts' | 'instruments';

/**
 * The next page of one of an order's connections, after the cursor of the last edge
 * read (seed 003, "Pagination": `first` and `after`; the cursor is a literal, as in
 * every seed example, written with JSON.stringify). For `instruments` it is also how
 * one instrument's payment transactions are paged: `first: 1` after the instrument
 * before it, its transactions after their own cursor.
 */
export function connectionPageQuery(
  connection: OrderConnection,
  after: string | null,
  options: { withItemSku?: boolean; transactionsAfter?: string } = {},
): string {
  const cursor = after === null ? '' : `, after: ${JSON.stringify(after)}`;
  const selection =
    connection === 'items'
      ? `items(first: ${CONNECTION_PAGE_SIZE}${cursor}) { edges { cursor node { ${itemFields(options)} } } }`
      : connection === 'discounts'
        ? `discounts(first: ${CONNECTION_PAGE_SIZE}${cursor}) { edges { cursor node { couponCode } } }`
        : options.transactionsAfter === undefined
          ? `paymentAccount { instruments(first: ${CONNECTION_PAGE_SIZE}${cursor}) { edges { cursor node { ${INSTRUMENT_FIELDS} } } } }`
          : `paymentAccount { instruments(first: 1${cursor}) { edges { cursor node { paymentAccountTransactions(first: ${CONNECTION_PAGE_SIZE}, after: ${JSON.stringify(options.transactionsAfter)}) { edges { cursor node { ${TRANSACTION_FIELDS} } } } } } } }`;
  return `query OrderConnectionPage($id: String!, $tenant: String) {
  order(id: $id, tenant: $tenant) {
    ${selection}
  }
}`;
}

/** Orders fetched by one {@link ordersByIdQuery} at most: NewStore's `first` is at most 100 (doc). */
export const ORDERS_BY_ID_LIMIT = 100;

/**
 * Several orders by id in one query: `orders(first: N, filter: {id: {in: [...]}})`,
 * the same fields as {@link orderQuery}, through the connection's `nodes`. The
 * `in` operator is PostGraphile's connection filter (docs/domain.md infers it from the
 * seeds' `equalTo` style; no seed shows it). The ids are literals, as in every
 * seed example (seed 003 writes `order(id: "…")`), escaped as JSON strings, which
 * GraphQL string literals read the same way.
 */
export function ordersByIdQuery(ids: readonly string[], options: { withItemSku?: boolean } = {}): string {
  if (ids.length === 0 || ids.length > ORDERS_BY_ID_LIMIT)
    throw new RangeError(`1 to ${ORDERS_BY_ID_LIMIT} ids per query, not ${ids.length}`);
  return `query EnrichOrders {
  orders(first: ${ids.length}, filter: {id: {in: [${ids.map((id) => JSON.stringify(id)).join(', ')}]}}) {
    nodes {
      ${orderFields(options)}
    }
  }
}`;
}

/** The port through which the enricher and the reconciler read NewStore (adapter: libs/newstore-graphql). */
export interface NewStoreOrders {
  /** The order, or null while GraphQL does not have it (it lags the event stream). */
  order(tenant: string, orderId: string): Promise<GraphQlOrder | null>;
}

/** An order as the daily reconciliation lists it: only what it compares (seed 000: minimal fields). */
export interface OrderSummary {
  id: string;
  externalId: string;
  /** As GraphQL answered it (a JSON number); read exactly with `decimal()`. */
  grandTotal: number | string;
  isHistorical: boolean;
  itemCount: number;
  /** The order's items NewStore shows cancelled (item `status`, seed 003 "OrdersFilteredByItemStatus"). */
  cancelledItemIds: string[];
}

export interface OrdersPage {
  orders: OrderSummary[];
  /** The cursor of the page's last edge, or null for an empty page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Orders created in [from, to), one page after a cursor: seed 000's "optimal
 * query structure" (`orders(orderBy: CREATED_AT_DESC, first, after, filter:
 * {createdAt: {greaterThanOrEqualTo, lessThan}}) { edges { cursor node {
 * createdAt id grandTotal items { nodes { … quantity } } } } }`), plus the
 * order number and the historical flag (order fields of seed 001). The items are
 * read through `edges` with `first: 100`: an order whose page is full has its
 * other items counted with {@link orderItemCountQuery}.
 *
 * The bounds and the cursor are literals, as in every seed example: the schema's
 * type for the bounds is the `Datetime` scalar and for `after` a cursor scalar,
 * and a literal string is valid for either, where a variable of the wrong
 * declared type fails validation. The values are our own ISO instants, an
 * integer and the server's own cursor, written with JSON.stringify (a GraphQL
 * string literal), so nothing from outside shapes the query. The next page
 * follows the last edge's cursor; a page shorter than `first` is the last, so no
 * field beyond the seed's (`pageInfo`) is needed.
 */
export function ordersCreatedQuery(window: { from: Date; to: Date }, first: number, after: string | null): string {
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new RangeError('first must be 1..100 (NewStore)');
  const cursor = after === null ? '' : `, after: ${JSON.stringify(after)}`;
  return `query OrdersCreated {
  orders(orderBy: CREATED_AT_DESC, first: ${first}${cursor}, filter: { createdAt: { greaterThanOrEqualTo: ${JSON.stringify(window.from.toISOString())}, lessThan: ${JSON.stringify(window.to.toISOString())} } }) {
    edges { cursor node { createdAt id externalId isHistorical grandTotal items(first: ${CONNECTION_PAGE_SIZE}) { edges { cursor node { ${ITEM_STATUS_FIELDS} } } } } }
  }
}`;
}

/**
 * What the day's listing reads of each item: enough to count them and to see which
 * are cancelled (seed 003 "OrdersFilteredByItemStatus" reads items' `id productId status`).
 */
const ITEM_STATUS_FIELDS = 'id status quantity';

/** An item as the day's listing reads it. */
export interface ItemStatus {
  id: string;
  status: string | null;
  quantity: number;
}

/** The items of one order after a cursor, counted by the reconciler when its first page was full. */
export function orderItemCountQuery(after: string): string {
  return `query OrderItemsPage($id: String!, $tenant: String) {
  order(id: $id, tenant: $tenant) {
    items(first: ${CONNECTION_PAGE_SIZE}, after: ${JSON.stringify(after)}) { edges { cursor node { ${ITEM_STATUS_FIELDS} } } }
  }
}`;
}

/** A return as the daily reconciliation lists it: what it compares, nothing more (seed 000). */
export interface ReturnSummary {
  id: string;
  /** Null for a blind return (docs/domain.md section 1). */
  orderId: string | null;
  /** As GraphQL answered it; read exactly with `decimal()`. */
  totalRefundAmount: number | string | null;
}

export interface ReturnsPage {
  returns: ReturnSummary[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/**
 * Returns processed in [from, to), one page after a cursor: seed 003's `returns(filter,
 * first) { nodes { id } }` connection, filtered by `returnedAt` the way seed 000 filters
 * orders by `createdAt` (one day, date-time literals) and read through `edges { cursor
 * node }` like the orders. `orderId`, `returnedAt` and `totalRefundAmount` are the
 * GraphQL names of the `return.processed` payload's `order_id`, `returned_at` and
 * `total_refund_amount` (docs/domain.md section 1), camel-cased as every GraphQL field
 * of the seeds is: an assumption, no page prints a return's fields beyond `id`.
 */
export function returnsProcessedQuery(window: { from: Date; to: Date }, first: number, after: string | null): string {
  if (!Number.isInteger(first) || first < 1 || first > 100) throw new RangeError('first must be 1..100 (NewStore)');
  const cursor = after === null ? '' : `, after: ${JSON.stringify(after)}`;
  return `query ReturnsProcessed {
  returns(first: ${first}${cursor}, filter: { returnedAt: { greaterThanOrEqualTo: ${JSON.stringify(window.from.toISOString())}, lessThan: ${JSON.stringify(window.to.toISOString())} } }) {
    edges { cursor node { id orderId totalRefundAmount } }
  }
}`;
}

/** The port through which the reconciler lists a day's orders and returns (adapter: libs/newstore-graphql). */
export interface NewStoreOrderListing {
  ordersCreated(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first: number,
  ): Promise<OrdersPage>;
  returnsProcessed(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first: number,
  ): Promise<ReturnsPage>;
}

/**
 * The opening event of an order rebuilt from GraphQL, for an order whose events
 * never reached the hub (reconciliation's resync): the same envelope and payload
 * fields as NewStore's `order.opened`, so it is keyed, identified and mapped like one.
 */
export function openingEventFromGraphQl(tenant: string, order: GraphQlOrder): NewStoreEnvelope {
  const createdAt = asUtc(order.createdAt);
  return {
    tenant,
    name: 'order.opened',
    published_at: createdAt,
    payload: {
      id: order.id,
      external_id: order.externalId,
      created_at: createdAt,
      placed_at: asUtc(order.placedAt),
      channel_type: order.channelType,
      channel: order.channel,
      demand_location_id: order.demandLocationId,
      is_exchange: order.isExchange,
      is_historical: order.isHistorical,
      subtotal: order.subtotal,
      shipping_total: order.shippingTotal,
      shipping_tax: order.shippingTax,
      tax_total: order.taxTotal,
      grand_total: order.grandTotal,
      currency: order.currency,
      items: order.items.map((item) => ({
        id: item.id,
        product_id: item.productId,
        pricebook_price: item.pricebookPrice,
        item_discounts: item.itemDiscounts,
        order_discounts: item.orderDiscounts,
        tax: item.tax,
        quantity: item.quantity,
        status: item.status,
        shipping_service_level: item.shippingServiceLevel,
        fulfillment_location_id: item.fulfillmentLocationId,
        ...(item.sku === undefined ? {} : { external_identifiers: { sku: item.sku } }),
      })),
    },
  };
}

/**
 * The cancellation of an order's items whose event never reached the hub, rebuilt from
 * GraphQL (reconciliation's resync of a missing cancellation): `order.items_cancelled`
 * with the items NewStore shows cancelled (`id`, `product_id`, the payload fields of
 * docs/domain.md section 1), published now, since GraphQL gives no cancellation time.
 * A second resync makes no second closing: the document's idempotency key is the order
 * and its cancelled items, whatever the event.
 */
export function cancellationEventFromGraphQl(
  tenant: string,
  order: GraphQlOrder,
  publishedAt: Date,
): NewStoreEnvelope | null {
  const cancelled = order.items.filter((item) => item.status === 'cancelled');
  if (cancelled.length === 0) return null;
  return {
    tenant,
    name: 'order.items_cancelled',
    published_at: publishedAt.toISOString(),
    payload: {
      id: order.id,
      items: cancelled.map((item) => ({ id: item.id, product_id: item.productId })),
    },
  };
}

/** A GraphQL datetime as an ISO instant: NewStore renders UTC without an offset (seed 003, "Datetime format"). */
export function asUtc(datetime: string): string {
  return /[zZ]|[+-]\d\d:?\d\d$/.test(datetime) ? datetime : `${datetime}Z`;
}
