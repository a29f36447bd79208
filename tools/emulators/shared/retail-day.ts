import { deriveSeed, seededRandom, uuidFrom } from './random';

/**
 * A seeded, deterministic business day of a retailer on NewStore: e-commerce and
 * in-store orders with items, prices, discounts, taxes, shipping and payments,
 * exchanges, cancellations, returns and appeasement refunds. Order `i` is made
 * from (seed, i) alone, so a day of 100k orders is never held in memory: it is
 * generated page by page, in creation order.
 */
export interface RetailDayOptions {
  tenant: string;
  /** Business day, YYYY-MM-DD (UTC). */
  date: string;
  orders: number;
  seed: number;
}

export interface DayItem {
  id: string;
  productId: string;
  sku: string;
  quantity: number;
  listPrice: number;
  pricebookPrice: number;
  itemDiscounts: number;
  orderDiscounts: number;
  tax: number;
  shippingServiceLevel: string;
  fulfillmentLocationId: string;
  status: 'ordered' | 'cancelled' | 'returned';
}

export interface DayTransaction {
  amount: number;
  currency: string;
  transactionType: 'authorize' | 'capture' | 'refund';
}

export interface DayInstrument {
  paymentMethod: 'credit_card' | 'cash' | 'gift_card' | 'store_credit';
  paymentProvider: string;
  paymentOrigin: 'web' | 'store';
  transactions: DayTransaction[];
}

export interface DayOrder {
  index: number;
  id: string;
  externalId: string;
  createdAt: string;
  channelType: 'web' | 'store';
  channel: string;
  demandLocationId: string;
  currency: string;
  isExchange: boolean;
  isHistorical: boolean;
  taxExempt: boolean;
  taxStrategy: 'us_tax' | 'vat_included';
  couponCodes: string[];
  items: DayItem[];
  subtotal: number;
  discountTotal: number;
  shippingTotal: number;
  shippingTax: number;
  taxTotal: number;
  grandTotal: number;
  /** Cash sales are rounded to 0.05; the rounded amount rides on amount_authorized. */
  roundedAmount?: number;
  instruments: DayInstrument[];
  cancellation?: { itemIds: string[]; amount: number };
  return?: { id: string; itemIds: string[]; amount: number; tax: number; offsetMinutes: number };
  appeasement?: { id: string; amount: number; reasonCode: string; offsetMinutes: number };
}

const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP', 'CAD'];
const STORES = ['store-nyc-01', 'store-sfo-02', 'store-ber-03', 'store-lon-04'];
const SHIP_LEVELS = ['GROUND', 'EXPRESS', 'NEXT_DAY'];
const COUPONS = ['WELCOME10', 'SPRING5', 'VIP20'];

const cents = (value: number) => Math.round(value * 100) / 100;

export function dayStart(date: string): number {
  const start = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(start)) throw new Error(`invalid date "${date}": expected YYYY-MM-DD`);
  return start;
}

/** Order `index` of the day; creation times rise with the index, so the day is in creation order. */
export function orderAt(options: RetailDayOptions, index: number): DayOrder {
  if (index < 0 || index >= options.orders) throw new RangeError(`order ${index} is outside the day`);
  const random = seededRandom(deriveSeed(options.seed, index));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const start = dayStart(options.date);
  // Spread evenly over the day with jitter inside the slot, keeping creation order.
  const slot = 86_400_000 / options.orders;
  const createdAt = new Date(Math.floor(start + index * slot + random() * slot * 0.9)).toISOString();
  const channelType = random() < 0.55 ? 'web' : 'store';
  const store = pick(STORES);
  const currency = pick(CURRENCIES);
  const isExchange = random() < 0.03;
  const itemCount = 1 + Math.floor(random() * 4);
  const coupon = random() < 0.2 ? pick(COUPONS) : undefined;
  const orderDiscountRate = coupon ? 0.1 : 0;
  const taxRate = currency === 'USD' || currency === 'CAD' ? 0.08 : 0.2;
  const items: DayItem[] = Array.from({ length: itemCount }, (_, itemIndex) => {
    const listPrice = cents(5 + Math.floor(random() * 200) + 0.99);
    const pricebookPrice = random() < 0.3 ? cents(listPrice * 0.8) : listPrice;
    const quantity = random() < 0.85 ? 1 : 2;
    const itemDiscounts = random() < 0.1 ? cents(pricebookPrice * quantity * 0.05) : 0;
    const orderDiscounts = cents((pricebookPrice * quantity - itemDiscounts) * orderDiscountRate);
    const tax = cents((pricebookPrice * quantity - itemDiscounts - orderDiscounts) * taxRate);
    const inStore = channelType === 'store' && random() < 0.9;
    const productNumber = 1000 + Math.floor(random() * 5000);
    return {
      id: `${index}-${itemIndex}-${uuidFrom(random).slice(0, 8)}`,
      productId: `prod-${productNumber}`,
      sku: `SKU${productNumber}`,
      quantity,
      listPrice,
      pricebookPrice,
      itemDiscounts,
      orderDiscounts,
      tax,
      shippingServiceLevel: inStore ? 'IN_STORE_HANDOVER' : pick(SHIP_LEVELS),
      fulfillmentLocationId: inStore ? store : 'dc-east',
      status: 'ordered',
    };
  });
  const subtotal = cents(items.reduce((sum, item) => sum + item.pricebookPrice * item.quantity, 0));
  const discountTotal = cents(items.reduce((sum, item) => sum + item.itemDiscounts + item.orderDiscounts, 0));
  const ships = items.some((item) => item.shippingServiceLevel !== 'IN_STORE_HANDOVER');
  const shippingTotal = ships ? pick([0, 4.99, 9.99]) : 0;
  const shippingTax = cents(shippingTotal * taxRate);
  const taxTotal = cents(items.reduce((sum, item) => sum + item.tax, 0) + shippingTax);
  const grandTotal = cents(subtotal - discountTotal + shippingTotal + taxTotal);

  const instruments: DayInstrument[] = [];
  let roundedAmount: number | undefined;
  const method =
    channelType === 'web'
      ? pick(['credit_card', 'credit_card', 'gift_card'] as const)
      : pick(['credit_card', 'cash'] as const);
  if (isExchange) {
    // Exchanges are balanced by store credit from the returned order.
    const credit = cents(Math.min(grandTotal, grandTotal * 0.7));
    instruments.push(instrument('store_credit', 'newstore', channelType, currency, credit));
    if (grandTotal - credit > 0)
      instruments.push(instrument('credit_card', 'adyen', channelType, currency, cents(grandTotal - credit)));
  } else if (method === 'cash') {
    roundedAmount = cents(Math.round(grandTotal * 20) / 20);
    instruments.push(instrument('cash', 'cash', 'store', currency, roundedAmount));
  } else if (method === 'gift_card') {
    instruments.push(instrument('gift_card', 'giftcards-inc', channelType, currency, grandTotal));
  } else {
    instruments.push(instrument('credit_card', 'adyen', channelType, currency, grandTotal));
  }

  const order: DayOrder = {
    index,
    id: uuidFrom(random),
    externalId: `${channelType === 'web' ? 'W' : 'S'}${options.date.replace(/-/g, '')}-${String(index).padStart(6, '0')}`,
    createdAt,
    channelType,
    channel: channelType === 'web' ? 'webshop' : store,
    demandLocationId: channelType === 'web' ? 'web-us' : store,
    currency,
    isExchange,
    isHistorical: random() < 0.01,
    taxExempt: false,
    taxStrategy: taxRate === 0.2 ? 'vat_included' : 'us_tax',
    couponCodes: coupon ? [coupon] : [],
    items,
    subtotal,
    discountTotal,
    shippingTotal,
    shippingTax,
    taxTotal,
    grandTotal,
    roundedAmount,
    instruments,
  };
  if (items.length > 1 && random() < 0.08) {
    const cancelled = items.slice(-1);
    cancelled.forEach((item) => (item.status = 'cancelled'));
    order.cancellation = {
      itemIds: cancelled.map((item) => item.id),
      amount: cents(
        cancelled.reduce(
          (sum, item) =>
            sum + item.pricebookPrice * item.quantity - item.itemDiscounts - item.orderDiscounts + item.tax,
          0,
        ),
      ),
    };
  }
  const returnable = items.filter((item) => item.status === 'ordered');
  if (returnable.length > 0 && random() < 0.1) {
    const returned = returnable.slice(0, 1);
    const tax = cents(returned.reduce((sum, item) => sum + item.tax, 0));
    order.return = {
      id: uuidFrom(random),
      itemIds: returned.map((item) => item.id),
      amount: cents(
        returned.reduce(
          (sum, item) => sum + item.pricebookPrice * item.quantity - item.itemDiscounts - item.orderDiscounts,
          0,
        ) + tax,
      ),
      tax,
      offsetMinutes: 30 + Math.floor(random() * 600),
    };
  }
  if (random() < 0.03) {
    order.appeasement = {
      id: uuidFrom(random),
      amount: cents(Math.min(grandTotal, 5 + Math.floor(random() * 20))),
      reasonCode: pick(['late_delivery', 'damaged', 'goodwill']),
      offsetMinutes: 60 + Math.floor(random() * 300),
    };
  }
  return order;
}

function instrument(
  paymentMethod: DayInstrument['paymentMethod'],
  paymentProvider: string,
  channelType: 'web' | 'store',
  currency: string,
  amount: number,
): DayInstrument {
  return {
    paymentMethod,
    paymentProvider,
    paymentOrigin: channelType,
    transactions: [
      { amount, currency, transactionType: 'authorize' },
      { amount, currency, transactionType: 'capture' },
    ],
  };
}

/** Every order of the day, lazily, in creation order. */
export function* ordersOfDay(options: RetailDayOptions, from = 0): Generator<DayOrder> {
  for (let index = from; index < options.orders; index += 1) yield orderAt(options, index);
}
