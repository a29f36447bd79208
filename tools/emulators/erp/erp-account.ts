/**
 * The NetSuite account the ERP emulator holds: the records a transaction may
 * reference. NetSuite refuses a reference to anything its account does not have
 * (docs/domain.md section 4, "References"), so the emulator does too, and the hub
 * cannot lean on names it made up. Internal ids are account-specific
 * configuration (docs/domain.md section 3, "Per-deployment maps"):
 * {@link demoAccount} holds the ids that config/mapping.example.json maps to.
 */

/**
 * NetSuite item types as SuiteQL's `item.itemtype` answers them (inventory item,
 * non-inventory, discount, payment, other charge, gift certificate, service).
 */
export type ItemType = 'InvtPart' | 'NonInvtPart' | 'Discount' | 'Payment' | 'OthCharge' | 'GiftCert' | 'Service';

export interface AccountItem {
  id: string;
  /** The item's name (SuiteQL `itemid`). */
  itemId: string;
  externalId?: string;
  type: ItemType;
  inactive?: boolean;
}

export interface AccountCustomer {
  id: string;
  externalId?: string;
  /** Personal data, as NetSuite holds it; the emulator never logs it. */
  email?: string;
  firstName?: string;
  lastName?: string;
  companyName?: string;
  isPerson: boolean;
  subsidiary: string;
  currency?: string;
  phone?: string;
  inactive?: boolean;
}

export interface ErpAccount {
  subsidiaries: string[];
  locations: string[];
  classes: string[];
  departments: string[];
  /** Internal id and ISO symbol. */
  currencies: { id: string; symbol: string }[];
  /** SuiteTax tax types and tax codes (docs/domain.md section 4, "Tax"). */
  taxTypes: string[];
  taxCodes: string[];
  shipMethods: string[];
  items: AccountItem[];
  customers: AccountCustomer[];
}

/** The products of the emulated retail day (tools/emulators/shared/retail-day.ts: prod-1000 … prod-5999). */
const RETAIL_DAY_PRODUCTS = { first: 1000, last: 5999 };

/**
 * The demo account: what config/mapping.example.json names, and an inventory item
 * for every product of the emulated retail day, whose name and external id are
 * NewStore's product id (docs/domain.md section 3, "Items"). `extraItems` adds a
 * test's own products.
 */
export function demoAccount(options: { extraItems?: string[] } = {}): ErpAccount {
  const products: AccountItem[] = [];
  for (let number = RETAIL_DAY_PRODUCTS.first; number <= RETAIL_DAY_PRODUCTS.last; number += 1)
    products.push({
      id: String(100_000 + number),
      itemId: `prod-${number}`,
      externalId: `prod-${number}`,
      type: 'InvtPart',
    });
  (options.extraItems ?? []).forEach((product, index) =>
    products.push({ id: String(200_000 + index), itemId: product, externalId: product, type: 'InvtPart' }),
  );
  return {
    subsidiaries: ['1', '2', '3'],
    // Each store and its damage location, and the distribution centre (config/mapping.example.json).
    locations: ['100', '101', '102', '201', '301', '111', '112', '211', '311', '150'],
    classes: ['11', '12'],
    departments: [],
    currencies: [
      { id: '1', symbol: 'USD' },
      { id: '2', symbol: 'GBP' },
      { id: '3', symbol: 'CAD' },
      { id: '4', symbol: 'EUR' },
      { id: '5', symbol: 'KWD' },
    ],
    taxTypes: ['21', '22', '23', '24', '25'],
    taxCodes: ['31', '32', '33', '34', '35'],
    shipMethods: ['601', '602', '603', '604'],
    items: [
      { id: '501', itemId: 'Card payment (Adyen)', type: 'Payment' },
      { id: '502', itemId: 'Card payment', type: 'Payment' },
      { id: '503', itemId: 'Cash payment', type: 'Payment' },
      { id: '504', itemId: 'Gift card redemption', type: 'Payment' },
      { id: '505', itemId: 'Store credit', type: 'Payment' },
      { id: '701', itemId: 'Discount', type: 'Discount' },
      { id: '702', itemId: 'Cash rounding', type: 'OthCharge' },
      { id: '703', itemId: 'Appeasement', type: 'OthCharge' },
      { id: '704', itemId: 'Gift card', type: 'GiftCert' },
      ...products,
    ],
    customers: [
      {
        id: '801',
        firstName: 'Store',
        lastName: 'NYC 01',
        isPerson: true,
        subsidiary: '1',
        email: 'store-nyc-01@example.com',
      },
      {
        id: '802',
        firstName: 'Store',
        lastName: 'SFO 02',
        isPerson: true,
        subsidiary: '1',
        email: 'store-sfo-02@example.com',
      },
      {
        id: '803',
        firstName: 'Store',
        lastName: 'BER 03',
        isPerson: true,
        subsidiary: '2',
        email: 'store-ber-03@example.com',
      },
      { id: '805', firstName: 'Web', lastName: 'Unknown buyer', isPerson: true, subsidiary: '1' },
      {
        id: '804',
        firstName: 'Store',
        lastName: 'LON 04',
        isPerson: true,
        subsidiary: '3',
        email: 'store-lon-04@example.com',
      },
    ],
  };
}
