import { buildSchema, GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * The part of NewStore's GraphQL schema the hub and NewStore's own examples use,
 * built from NewStore's pages (seeds 000-004, listed in docs/domain.md "Sources"; each field cites where it
 * is named). What the seeds show, this schema holds to:
 *
 * - every list is a relay connection, nested ones too, read through
 *   `edges { cursor node }` or `nodes` (seed 000 `items { nodes { … } }`, seed 001
 *   `discounts { edges { node { couponCode } } }`, `instruments { edges … }`,
 *   `paymentAccountTransactions { edges … }`, seed 003 "Pagination": "Relay Style");
 *   `pageInfo` and `totalCount` as the Relay connection spec that seed 003 links
 *   to defines them;
 * - datetimes are the `Datetime` scalar, filtered with date or datetime literals
 *   (seed 000 `createdAt: {greaterThanOrEqualTo: "2025-01-02", lessThan: …}`),
 *   rendered without offset unless `Force-Render-Timezone: true` (seed 003
 *   "Datetime format"); a variable declared `String!` there fails validation, as
 *   on a PostGraphile server;
 * - cursors are opaque (`after: "WyJjcmVhdGVkX2F0X2Rlc2Mi…"`, seeds 000 and 003):
 *   the `Cursor` scalar;
 * - filters in the connection-filter style (`equalTo`, `in`, `some`, seed 003);
 *   `orderBy: CREATED_AT_DESC` (seeds 000, 003).
 *
 * Assumed, because no seed says: `order(id: String!)` (the seeds pass a literal;
 * a server written from the same pages answered `$id: String!`); amounts as
 * `Float` (no seed shows a value); `externalIdentifiers { sku ean13 upc }` on an
 * item, mirroring the event payload's `external_identifiers` (docs/domain.md), which
 * the hub queries only when a deployment turns it on.
 */
const schemaText = `
  scalar Datetime
  scalar Cursor

  type Query {
    "seed 001/002/003: order(id: \\"…\\", tenant: \\"dodici\\")"
    order(id: String!, tenant: String): Order
    "seeds 000, 003: orders(orderBy, first, after, filter)"
    orders(filter: OrderFilter, orderBy: [OrdersOrderBy!], first: Int, last: Int, after: Cursor, before: Cursor): OrdersConnection!
    "seed 003: returns(filter: {exchangeDetails: {originalOrderId: {equalTo: …}}}, first: 10) { nodes { id } }"
    returns(filter: ReturnFilter, first: Int, last: Int, after: Cursor, before: Cursor): ReturnsConnection!
  }

  enum OrdersOrderBy { NATURAL CREATED_AT_ASC CREATED_AT_DESC }

  input StringFilter { equalTo: String, notEqualTo: String, in: [String!], notIn: [String!] }
  input BooleanFilter { equalTo: Boolean }
  input DatetimeFilter {
    equalTo: Datetime
    greaterThan: Datetime
    greaterThanOrEqualTo: Datetime
    lessThan: Datetime
    lessThanOrEqualTo: Datetime
  }
  input ItemFilter { status: StringFilter, productId: StringFilter }
  input OrderToManyItemFilter { some: ItemFilter, every: ItemFilter, none: ItemFilter }
  input OrderFilter {
    id: StringFilter
    externalId: StringFilter
    createdAt: DatetimeFilter
    placedAt: DatetimeFilter
    channelType: StringFilter
    isExchange: BooleanFilter
    isHistorical: BooleanFilter
    items: OrderToManyItemFilter
    exchangesExist: Boolean
  }
  input ExchangeDetailFilter { originalOrderId: StringFilter }
  """
  seed 003 filters returns by exchangeDetails. orderId and returnedAt are assumed: no page shows
  them on returns; they mirror seed 000's day filter on orders (createdAt) and the return.processed
  payload's order_id and returned_at (docs/domain.md section 2).
  """
  input ReturnFilter { orderId: StringFilter, returnedAt: DatetimeFilter, exchangeDetails: ExchangeDetailFilter }

  type PageInfo { hasNextPage: Boolean!, hasPreviousPage: Boolean!, startCursor: Cursor, endCursor: Cursor }

  type OrdersConnection { edges: [OrdersEdge!]!, nodes: [Order!]!, pageInfo: PageInfo!, totalCount: Int! }
  type OrdersEdge { cursor: Cursor!, node: Order! }
  type ReturnsConnection { edges: [ReturnsEdge!]!, nodes: [Return!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ReturnsEdge { cursor: Cursor!, node: Return! }

  type Order {
    id: String!
    externalId: String!
    createdAt: Datetime!
    placedAt: Datetime!
    demandLocationId: String
    currency: String!
    isExchange: Boolean!
    isHistorical: Boolean!
    channel: String
    channelType: String!
    associateEmail: String
    shippingTax: Float!
    shippingTotal: Float!
    taxExempt: Boolean!
    taxStrategy: String
    taxTotal: Float!
    subtotal: Float!
    grandTotal: Float!
    discounts(first: Int, after: Cursor): DiscountsConnection!
    paymentAccount: PaymentAccount
    items(first: Int, after: Cursor): ItemsConnection!
    exchanges(first: Int, after: Cursor): ExchangesConnection!
  }

  type DiscountsConnection { edges: [DiscountsEdge!]!, nodes: [Discount!]!, pageInfo: PageInfo!, totalCount: Int! }
  type DiscountsEdge { cursor: Cursor!, node: Discount! }
  "seed 001 couponCode; seed 000 (heavy query) nodeId, orderId"
  type Discount { nodeId: ID!, orderId: String!, couponCode: String }

  "seed 000 paymentAccount { id }; seed 001 instruments"
  type PaymentAccount { id: String!, instruments(first: Int, after: Cursor): InstrumentsConnection! }
  type InstrumentsConnection { edges: [InstrumentsEdge!]!, nodes: [Instrument!]!, pageInfo: PageInfo!, totalCount: Int! }
  type InstrumentsEdge { cursor: Cursor!, node: Instrument! }
  type Instrument {
    paymentMethod: String!
    paymentOrigin: String
    paymentProvider: String
    paymentAccountTransactions(first: Int, after: Cursor): PaymentAccountTransactionsConnection!
  }
  type PaymentAccountTransactionsConnection {
    edges: [PaymentAccountTransactionsEdge!]!
    nodes: [PaymentAccountTransaction!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type PaymentAccountTransactionsEdge { cursor: Cursor!, node: PaymentAccountTransaction! }
  "seed 001; transaction types seen: authorize, capture (docs/domain.md)"
  type PaymentAccountTransaction { amount: Float!, currency: String!, transactionType: String! }

  type ItemsConnection { edges: [ItemsEdge!]!, nodes: [Item!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ItemsEdge { cursor: Cursor!, node: Item! }
  "seed 001 (playbook fields), seed 003 (id, status), seed 000 (listPrice, extendedAttributes)"
  type Item {
    id: String!
    productId: String!
    quantity: Int!
    status: String!
    listPrice: Float!
    pricebookPrice: Float!
    itemDiscounts: Float!
    orderDiscounts: Float!
    tax: Float!
    shippingServiceLevel: String
    fulfillmentLocationId: String
    extendedAttributes(first: Int, after: Cursor): ExtendedAttributesConnection!
    externalIdentifiers: ExternalIdentifiers
  }
  type ExtendedAttributesConnection {
    edges: [ExtendedAttributesEdge!]!
    nodes: [ExtendedAttribute!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type ExtendedAttributesEdge { cursor: Cursor!, node: ExtendedAttribute! }
  type ExtendedAttribute { nodeId: ID!, name: String!, value: String, order: Order }
  type ExternalIdentifiers { sku: String, ean13: String, upc: String }

  type ExchangesConnection { edges: [ExchangesEdge!]!, nodes: [Exchange!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ExchangesEdge { cursor: Cursor!, node: Exchange! }
  "seed 003 (Filter orders having exchanges)"
  type Exchange { exchangeOrderId: String!, returnId: String! }

  """
  seed 003's returns connection (nodes { id }). The other fields are assumed: the return.processed
  payload's fields (order_id, returned_at, total_refund_amount, currency, items[{id, product_id,
  quantity}], docs/domain.md section 2) in GraphQL's camelCase, as orders carry theirs (seed 001).
  """
  type Return {
    id: String!
    orderId: String!
    returnedAt: Datetime!
    totalRefundAmount: Float!
    currency: String!
    items(first: Int, after: Cursor): ReturnItemsConnection!
  }
  type ReturnItemsConnection { edges: [ReturnItemsEdge!]!, nodes: [ReturnItem!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ReturnItemsEdge { cursor: Cursor!, node: ReturnItem! }
  type ReturnItem { id: String!, productId: String, quantity: Int! }
`;

/** A date (`2025-01-02`) or an ISO 8601 datetime, with or without an offset (seed 000 filters, seed 003 values). */
const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function parseDatetime(value: unknown): string {
  if (typeof value !== 'string' || !DATETIME.test(value) || Number.isNaN(Date.parse(value)))
    throw new GraphQLError(`Datetime cannot represent ${JSON.stringify(value)}: expected an ISO 8601 date or datetime`);
  return value;
}

export const newStoreSchema = buildSchema(schemaText);

// Scalars get their behaviour here: buildSchema gives only their names.
const datetime = newStoreSchema.getType('Datetime') as GraphQLScalarType;
datetime.parseValue = parseDatetime;
datetime.parseLiteral = (node) => {
  if (node.kind !== Kind.STRING) throw new GraphQLError('Datetime literals are strings');
  return parseDatetime(node.value);
};
datetime.serialize = (value) => String(value);

const cursor = newStoreSchema.getType('Cursor') as GraphQLScalarType;
cursor.parseValue = (value) => {
  if (typeof value !== 'string') throw new GraphQLError('Cursor values are strings');
  return value;
};
cursor.parseLiteral = (node) => {
  if (node.kind !== Kind.STRING) throw new GraphQLError('Cursor literals are strings');
  return node.value;
};
cursor.serialize = (value) => String(value);
