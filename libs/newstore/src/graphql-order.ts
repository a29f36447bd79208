import { NewStoreEnvelope } from './envelope';

/**
 * An order as NewStore GraphQL returns it to the enricher: only the fields the ERP
 * playbooks query (DOMAIN.md section 2). Datetimes are UTC, with or without the Z.
 */
export interface GraphQlOrder {
  id: string;
  externalId: string;
  createdAt: string;
  channelType: string;
  channel: string | null;
  demandLocationId: string | null;
  currency: string;
  isExchange: boolean;
  isHistorical: boolean;
  taxTotal: number;
  shippingTotal: number;
  shippingTax: number;
  subtotal: number;
  discountTotal: number;
  grandTotal: number;
  discounts: { couponCode: string | null }[];
  paymentAccount: {
    instruments: {
      paymentMethod: string;
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
    externalIdentifiers: { sku: string | null } | null;
  }[];
}

/** The query the enricher sends: minimal fields, the id as a variable, never string-built. */
export const ORDER_QUERY = `query EnrichOrder($id: String!, $tenant: String) {
  order(id: $id, tenant: $tenant) {
    id externalId createdAt channelType channel demandLocationId currency isExchange isHistorical
    taxTotal shippingTotal shippingTax subtotal discountTotal grandTotal
    discounts { couponCode }
    paymentAccount { instruments { paymentMethod paymentProvider paymentAccountTransactions { amount currency transactionType } } }
    items { id productId quantity status pricebookPrice itemDiscounts orderDiscounts tax shippingServiceLevel externalIdentifiers { sku } }
  }
}`;

/** The port through which the enricher and the reconciler read NewStore (adapter: libs/newstore-graphql). */
export interface NewStoreOrders {
  /** The order, or null while GraphQL does not have it (it lags the event stream). */
  order(tenant: string, orderId: string): Promise<GraphQlOrder | null>;
}

/** An order as the daily reconciliation lists it: only what it compares (DOMAIN.md: minimal fields). */
export interface OrderSummary {
  id: string;
  externalId: string;
  grandTotal: number;
  isHistorical: boolean;
  itemCount: number;
}

export interface OrdersPage {
  orders: OrderSummary[];
  endCursor: string | null;
  hasNextPage: boolean;
}

/** Orders created in [from, to), oldest first, one page of at most 100 (NewStore's `first` limit) after a cursor. */
export const ORDERS_CREATED_QUERY = `query OrdersCreated($from: String!, $to: String!, $first: Int!, $after: String) {
  orders(filter: { createdAt: { greaterThanOrEqualTo: $from, lessThan: $to } }, orderBy: [CREATED_AT_ASC], first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id externalId grandTotal isHistorical items { id } }
  }
}`;

/** The port through which the reconciler lists a day's orders (adapter: libs/newstore-graphql). */
export interface NewStoreOrderListing {
  ordersCreated(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first: number,
  ): Promise<OrdersPage>;
}

/**
 * The opening event of an order rebuilt from GraphQL, for an order whose events
 * never reached the hub (reconciliation's resync): the same envelope and payload
 * fields as NewStore's `order.opened`, so it is keyed, identified and mapped like one.
 */
export function openingEventFromGraphQl(tenant: string, order: GraphQlOrder): NewStoreEnvelope {
  const createdAt = /[zZ]|[+-]\d\d:\d\d$/.test(order.createdAt) ? order.createdAt : `${order.createdAt}Z`;
  return {
    tenant,
    name: 'order.opened',
    published_at: createdAt,
    payload: {
      id: order.id,
      external_id: order.externalId,
      created_at: createdAt,
      placed_at: createdAt,
      channel_type: order.channelType,
      channel: order.channel,
      demand_location_id: order.demandLocationId,
      is_exchange: order.isExchange,
      is_historical: order.isHistorical,
      subtotal: order.subtotal,
      discount_total: order.discountTotal,
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
        external_identifiers: { sku: item.externalIdentifiers?.sku ?? null },
      })),
    },
  };
}
