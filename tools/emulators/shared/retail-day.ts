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

/**
 * Currencies of the day, with a three-decimal one (KWD: ISO 4217 minor unit 3)
 * so that a hub rounding everything to cents shows up; draws consume one random
 * number whatever the list, so the rest of a seeded day does not change.
 */
/** A return is processed at most this long after its order was created. */
export const RETURN_OFFSET_MAX_MINUTES = 630;

const CURRENCIES = ['USD', 'USD', 'KWD', 'EUR', 'GBP', 'CAD'];
const STORES = ['store-nyc-01', 'store-sfo-02', 'store-ber-03', 'store-lon-04'];
const SHIP_LEVELS = ['GROUND', 'EXPRESS', 'NEXT_DAY'];
const COUPONS = ['WELCOME10', 'SPRING5', 'VIP20'];
/**
 * Item prices in minor units of a two-decimal currency; 0.10 and 0.20 (and others
 * whose float sums drift: 0.1 + 0.2 = 0.30000000000000004) make sure totals are
 * exact only when computed exactly.
 */
const PRICE_CENTS = [10, 20, 110, 220, 330, 499, 999, 1_010, 2_020, 4_999, 12_999, 19_999];

/** Minor-unit digits of a currency (ISO 4217, from the runtime's ICU data). */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Integer minor units as the JSON number NewStore would send (its shortest text is the exact decimal). */
function toAmount(minor: number, digits: number): number {
  return Number((minor / 10 ** digits).toFixed(digits));
}

/** A rate applied to integer minor units, rounded half up to a whole unit. */
const rate = (minor: number, share: number) => Math.round(minor * share);

export function dayStart(date: string): number {
  const start = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(start)) throw new Error(`invalid date "${date}": expected YYYY-MM-DD`);
  return start;
}

/**
 * Order `index` of the day; creation times rise with the index, so the day is in
 * creation order. Every amount is computed in integer minor units and only then
 * written as a decimal: grandTotal = subtotal - discounts + shipping + taxTotal,
 * taxTotal = item taxes + shipping tax, exactly.
 */
export function orderAt(options: RetailDayOptions, index: number): DayOrder {
  if (index < 0 || index >= options.orders) throw new RangeError(`order ${index} is outside the day`);
  const random = seededRandom(deriveSeed(options.seed, index));
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const start = dayStart(options.date);
  const slot = 86_400_000 / options.orders;
  const createdAt = new Date(Math.floor(start + index * slot + random() * slot * 0.9)).toISOString();
  const channelType = random() < 0.55 ? 'web' : 'store';
  const store = pick(STORES);
  const currency = pick(CURRENCIES);
  const digits = currencyDigits(currency);
  // A price list in cents scaled to the currency's minor unit (KWD keeps three digits).
  const scale = 10 ** (digits - 2);
  const amount = (minor: number) => toAmount(minor, digits);
  const isExchange = random() < 0.03;
  const itemCount = 1 + Math.floor(random() * 4);
  const coupon = random() < 0.2 ? pick(COUPONS) : undefined;
  const orderDiscountRate = coupon ? 0.1 : 0;
  const taxRate = currency === 'USD' || currency === 'CAD' ? 0.08 : 0.2;
  const minor: { price: number; itemDiscounts: number; orderDiscounts: number; tax: number; quantity: number }[] = [];
  const items: DayItem[] = Array.from({ length: itemCount }, (_, itemIndex) => {
    const listMinor = pick(PRICE_CENTS) * scale + (digits === 3 ? Math.floor(random() * 10) : 0);
    const priceMinor = random() < 0.3 ? rate(listMinor, 0.8) : listMinor;
    const quantity = random() < 0.85 ? 1 : 2;
    const itemDiscounts = random() < 0.1 ? rate(priceMinor * quantity, 0.05) : 0;
    const orderDiscounts = rate(priceMinor * quantity - itemDiscounts, orderDiscountRate);
    const tax = rate(priceMinor * quantity - itemDiscounts - orderDiscounts, taxRate);
    minor.push({ price: priceMinor, itemDiscounts, orderDiscounts, tax, quantity });
    const inStore = channelType === 'store' && random() < 0.9;
    const productNumber = 1000 + Math.floor(random() * 5000);
    return {
      id: `${index}-${itemIndex}-${uuidFrom(random).slice(0, 8)}`,
      productId: `prod-${productNumber}`,
      sku: `SKU${productNumber}`,
      quantity,
      listPrice: amount(listMinor),
      pricebookPrice: amount(priceMinor),
      itemDiscounts: amount(itemDiscounts),
      orderDiscounts: amount(orderDiscounts),
      tax: amount(tax),
      shippingServiceLevel: inStore ? 'IN_STORE_HANDOVER' : pick(SHIP_LEVELS),
      // A store ships its endless-aisle items itself (ship from store); web orders leave the distribution centre.
      fulfillmentLocationId: channelType === 'store' ? store : 'dc-east',
      status: 'ordered',
    };
  });
  const total = (pickMinor: (item: (typeof minor)[number]) => number) =>
    minor.reduce((sum, item) => sum + pickMinor(item), 0);
  const subtotalMinor = total((item) => item.price * item.quantity);
  const discountMinor = total((item) => item.itemDiscounts + item.orderDiscounts);
  const ships = items.some((item) => item.shippingServiceLevel !== 'IN_STORE_HANDOVER');
  const shippingMinor = ships ? pick([0, 499, 999]) * scale : 0;
  const shippingTaxMinor = rate(shippingMinor, taxRate);
  const taxMinor = total((item) => item.tax) + shippingTaxMinor;
  const grandMinor = subtotalMinor - discountMinor + shippingMinor + taxMinor;
  const grandTotal = amount(grandMinor);

  const instruments: DayInstrument[] = [];
  let roundedAmount: number | undefined;
  const method =
    channelType === 'web'
      ? pick(['credit_card', 'credit_card', 'gift_card'] as const)
      : pick(['credit_card', 'cash'] as const);
  if (isExchange) {
    const creditMinor = rate(grandMinor, 0.7);
    instruments.push(instrument('store_credit', 'newstore', channelType, currency, amount(creditMinor)));
    if (grandMinor - creditMinor > 0)
      instruments.push(instrument('credit_card', 'adyen', channelType, currency, amount(grandMinor - creditMinor)));
  } else if (method === 'cash') {
    // Cash is rounded to the nearest 5 minor units (0.05; seed 004's AU$233.87 → AU$233.90 is the model).
    roundedAmount = amount(Math.round(grandMinor / 5) * 5);
    instruments.push(instrument('cash', 'cash', 'store', currency, roundedAmount));
  } else if (method === 'gift_card') {
    instruments.push(instrument('gift_card', 'giftcards-inc', channelType, currency, grandTotal));
  } else {
    instruments.push(instrument('credit_card', 'adyen', channelType, currency, grandTotal));
  }

  const order: DayOrder = {
    index,
    id: indexed(uuidFrom(random), index),
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
    subtotal: amount(subtotalMinor),
    discountTotal: amount(discountMinor),
    shippingTotal: amount(shippingMinor),
    shippingTax: amount(shippingTaxMinor),
    taxTotal: amount(taxMinor),
    grandTotal,
    roundedAmount,
    instruments,
  };
  const lineMinor = (position: number) =>
    minor[position].price * minor[position].quantity - minor[position].itemDiscounts - minor[position].orderDiscounts;
  if (items.length > 1 && random() < 0.08) {
    const position = items.length - 1;
    items[position].status = 'cancelled';
    order.cancellation = {
      itemIds: [items[position].id],
      amount: amount(lineMinor(position) + minor[position].tax),
    };
  }
  const returnable = items
    .map((item, position) => ({ item, position }))
    .filter(({ item }) => item.status === 'ordered');
  if (returnable.length > 0 && random() < 0.1) {
    const { item, position } = returnable[0];
    order.return = {
      id: indexed(uuidFrom(random), index),
      itemIds: [item.id],
      amount: amount(lineMinor(position) + minor[position].tax),
      tax: amount(minor[position].tax),
      offsetMinutes: 30 + Math.floor(random() * (RETURN_OFFSET_MAX_MINUTES - 30)),
    };
  }
  if (random() < 0.03) {
    order.appeasement = {
      id: indexed(uuidFrom(random), index),
      amount: amount(Math.min(grandMinor, (5 + Math.floor(random() * 20)) * 100 * scale)),
      reasonCode: pick(['late_delivery', 'damaged', 'goodwill']),
      offsetMinutes: 60 + Math.floor(random() * 300),
    };
  }
  return order;
}

/**
 * A generated id made unique within the day: its last 12 hex digits are the order's
 * index. Orders are drawn from 32-bit seeds, so in a day of a million orders about a
 * hundred pairs share a seed (birthday bound) and would otherwise share their ids.
 */
function indexed(uuid: string, index: number): string {
  return `${uuid.slice(0, 24)}${index.toString(16).padStart(12, '0')}`;
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

/**
 * The order's instruments with the refunds NewStore has recorded so far (docs/domain.md
 * section 3, "Returns": a return is booked once its refund transactions add up to
 * `total_refund_amount`): the return's and the appeasement's, each a `refund`
 * transaction (the type is assumed; seed 001 shows `authorize` and `capture`), paid
 * back last instrument first, no instrument more than it captured (but the last,
 * which takes what the others cannot).
 */
export function instrumentsWithRefunds(order: DayOrder, recorded: (refundId: string) => boolean): DayInstrument[] {
  const digits = currencyDigits(order.currency);
  const minorOf = (value: number) => Math.round(value * 10 ** digits);
  const instruments = order.instruments.map((instrument) => ({
    ...instrument,
    transactions: [...instrument.transactions],
    left: minorOf(Math.max(0, ...instrument.transactions.map((transaction) => transaction.amount))),
  }));
  for (const refund of [order.return, order.appeasement]) {
    if (!refund || !recorded(refund.id)) continue;
    let due = minorOf(refund.amount);
    for (const instrument of [...instruments].reverse()) {
      const share = Math.min(due, instrument.left);
      if (share <= 0) continue;
      instrument.transactions.push({
        amount: toAmount(share, digits),
        currency: order.currency,
        transactionType: 'refund',
      });
      instrument.left -= share;
      due -= share;
    }
    // An appeasement on top of a return can pay back more than was captured: the last instrument takes the rest.
    const last = instruments[instruments.length - 1];
    if (due > 0 && last)
      last.transactions.push({ amount: toAmount(due, digits), currency: order.currency, transactionType: 'refund' });
  }
  return instruments.map(({ left: _left, ...instrument }) => instrument);
}

/** Every order of the day, lazily, in creation order. */
export function* ordersOfDay(options: RetailDayOptions, from = 0): Generator<DayOrder> {
  for (let index = from; index < options.orders; index += 1) yield orderAt(options, index);
}

/**
 * Whether the order's sale is a sales order (a web order, or one with any item shipped)
 * rather than a cash sale (docs/domain.md section 3): a cancellation closes lines of the
 * first and never changes the second.
 */
export function bookedAsSalesOrder(order: Pick<DayOrder, 'channelType' | 'items'>): boolean {
  return order.channelType === 'web' || order.items.some((item) => item.shippingServiceLevel !== 'IN_STORE_HANDOVER');
}
