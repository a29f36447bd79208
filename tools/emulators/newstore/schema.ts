import { buildSchema } from 'graphql';

/**
 * The part of NewStore's GraphQL schema the hub uses: entity and field names as in
 * NewStore's API and ERP playbooks (DOMAIN.md section 2); connections expose both
 * `edges { cursor node }` and `nodes`, filters follow the connection-filter style.
 */
export const newStoreSchema = buildSchema(`
  type Query {
    order(id: String!, tenant: String): Order
    orders(filter: OrderFilter, orderBy: [OrdersOrderBy!], first: Int, last: Int, after: String, before: String): OrdersConnection!
    returns(filter: ReturnFilter, first: Int, last: Int, after: String): ReturnsConnection!
  }

  enum OrdersOrderBy { NATURAL CREATED_AT_ASC CREATED_AT_DESC }

  input StringFilter { equalTo: String, notEqualTo: String, in: [String!], notIn: [String!] }
  input BooleanFilter { equalTo: Boolean }
  input DatetimeFilter { equalTo: String, greaterThan: String, greaterThanOrEqualTo: String, lessThan: String, lessThanOrEqualTo: String }
  input OrderItemFilter { status: StringFilter, productId: StringFilter }
  input OrderItemsFilter { some: OrderItemFilter, every: OrderItemFilter }
  input OrderFilter {
    id: StringFilter
    externalId: StringFilter
    createdAt: DatetimeFilter
    placedAt: DatetimeFilter
    channelType: StringFilter
    isExchange: BooleanFilter
    isHistorical: BooleanFilter
    items: OrderItemsFilter
    exchangesExist: Boolean
  }
  input ReturnFilter { orderId: StringFilter, returnedAt: DatetimeFilter }

  type PageInfo { hasNextPage: Boolean!, hasPreviousPage: Boolean!, startCursor: String, endCursor: String }

  type OrdersConnection { edges: [OrderEdge!]!, nodes: [Order!]!, pageInfo: PageInfo!, totalCount: Int! }
  type OrderEdge { cursor: String!, node: Order! }
  type ReturnsConnection { edges: [ReturnEdge!]!, nodes: [Return!]!, pageInfo: PageInfo!, totalCount: Int! }
  type ReturnEdge { cursor: String!, node: Return! }

  type Order {
    id: String!
    externalId: String!
    createdAt: String!
    placedAt: String!
    demandLocationId: String
    currency: String!
    isExchange: Boolean!
    isHistorical: Boolean!
    channel: String
    channelType: String!
    shippingTax: Float!
    shippingTotal: Float!
    taxExempt: Boolean!
    taxStrategy: String
    taxTotal: Float!
    subtotal: Float!
    discountTotal: Float!
    grandTotal: Float!
    discounts: [Discount!]!
    paymentAccount: PaymentAccount
    items: [OrderItem!]!
  }
  type Discount { couponCode: String }
  type PaymentAccount { id: String!, instruments: [PaymentInstrument!]! }
  type PaymentInstrument {
    paymentMethod: String!
    paymentOrigin: String
    paymentProvider: String
    paymentAccountTransactions: [PaymentAccountTransaction!]!
  }
  type PaymentAccountTransaction { amount: Float!, currency: String!, transactionType: String! }
  type OrderItem {
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
    externalIdentifiers: ExternalIdentifiers
  }
  type ExternalIdentifiers { sku: String, ean13: String, upc: String }
  type Return {
    id: String!
    orderId: String!
    returnedAt: String!
    totalRefundAmount: Float!
    currency: String!
    items: [ReturnItem!]!
  }
  type ReturnItem { id: String!, productId: String, quantity: Int! }
`);
