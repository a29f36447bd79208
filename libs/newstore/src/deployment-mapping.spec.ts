import {
  applyDeploymentMapping,
  deploymentMappingSchema,
  GraphQlOrder,
  MappingGapError,
  notBookedBy,
  timeZoneFor,
} from '@hub/newstore';
import { exampleDeploymentMapping, sampleErpDocument } from '@hub/testing';

const mapping = exampleDeploymentMapping();

const order = {
  id: 'o-1',
  channelType: 'store',
  channel: 'store-lon-04',
  demandLocationId: 'store-lon-04',
  paymentAccount: {
    instruments: [{ paymentMethod: 'credit_card', paymentProvider: 'adyen', paymentAccountTransactions: [] }],
  },
  items: [{ id: 'i1', productId: 'prod-gift-card', shippingServiceLevel: 'IN_STORE_HANDOVER' }],
} as unknown as GraphQlOrder;

describe('deployment mapping', () => {
  it('ships an example that validates', () => {
    expect(mapping.locations['store-lon-04']).toMatchObject({
      location: '301',
      subsidiary: '3',
      placeholderCustomer: '804',
      timeZone: 'Europe/London',
    });
  });

  it("adds the deployment's ERP ids, the store's placeholder customer, payment and gift-card items", () => {
    const document = sampleErpDocument('cashSale', 'CS-1', {
      currency: 'GBP',
      customer: undefined,
      erp: undefined,
      lines: [
        { kind: 'item', itemId: 'i1', productId: 'prod-gift-card', quantity: 1, amount: '50.00', tax: '0.00' },
        {
          kind: 'payment',
          itemId: 'payment-1',
          quantity: 1,
          amount: '-50.00',
          tax: '0.00',
          paymentMethod: 'credit_card',
          paymentProvider: 'adyen',
        },
      ],
      payments: [{ method: 'credit_card', amount: '50.00' }],
    });
    expect(applyDeploymentMapping(document, order, mapping)).toMatchObject({
      customer: { erpId: '804' },
      erp: { subsidiary: '3', location: '301', channel: '12', shippingMethod: '604', currency: '2' },
      lines: [
        { itemId: 'i1', giftCard: true, erpItem: '704' },
        { kind: 'payment', erpItem: '501' },
      ],
      payments: [{ method: 'credit_card', erpItem: '501' }],
    });
  });

  it('books the lines that are no NewStore product on the ERP items the mapping names, and the tax code of the currency', () => {
    const document = sampleErpDocument('cashSale', 'CS-2', {
      erp: undefined,
      lines: [
        { kind: 'item', itemId: 'i1', productId: 'prod-1001', quantity: 1, amount: '10.00', tax: '0.80' },
        { kind: 'discount', itemId: 'i1-discount', quantity: 1, amount: '-1.00', tax: '0.00' },
        { kind: 'rounding', itemId: 'cash-rounding', quantity: 1, amount: '0.02', tax: '0.00' },
        { kind: 'payment', itemId: 'payment-1', quantity: 1, amount: '-9.82', tax: '0.00', paymentMethod: 'cash' },
      ],
    });
    const mapped = applyDeploymentMapping(document, order, mapping);
    expect(mapped.lines.map((line) => line.erpItem)).toEqual([undefined, '701', '702', '503']);
    expect(mapped.erp).toMatchObject({ currency: '1', taxType: '21', taxCode: '31' });
  });

  it('names what is missing from the mapping file', () => {
    const unknownStore = { ...order, channel: null, demandLocationId: 'store-xyz' } as GraphQlOrder;
    const strict = { ...mapping, defaultLocation: undefined };
    expect(() => applyDeploymentMapping(sampleErpDocument('cashSale', 'CS-2'), unknownStore, strict)).toThrow(
      MappingGapError,
    );
    expect(() => applyDeploymentMapping(sampleErpDocument('cashSale', 'CS-2'), unknownStore, strict)).toThrow(
      /no ERP location for demand location "store-xyz"; add it to the mapping file/,
    );
    expect(() =>
      applyDeploymentMapping(sampleErpDocument('cashSale', 'CS-3', { currency: 'JPY' }), order, mapping),
    ).toThrow(/no ERP currency for JPY/);
    const anonymous = sampleErpDocument('cashSale', 'CS-4', { customer: undefined });
    const noPlaceholder = {
      ...mapping,
      locations: { 'store-lon-04': { location: '301', subsidiary: '3' } },
    };
    expect(() => applyDeploymentMapping(anonymous, order, noPlaceholder)).toThrow(
      /no placeholder customer for location "store-lon-04"/,
    );
  });

  it('refuses a mapping file with every problem named at once', () => {
    const issues = deploymentMappingSchema.safeParse({
      ...mapping,
      paymentItems: [],
      currencies: { usd: '1' },
      timeZone: 'Mars/Olympus',
      extra: 1,
    });
    expect(issues.success).toBe(false);
    const paths = issues.success ? [] : issues.error.issues.map((issue) => issue.path.join('.') || issue.message);
    expect(paths).toEqual(expect.arrayContaining(['paymentItems', 'currencies.usd', 'timeZone']));
    expect(issues.success ? '' : issues.error.message).toMatch(/extra/);
  });

  it("books a location's documents in its time zone, else the mapping's, else the tenant's", () => {
    expect(timeZoneFor(mapping, 'store-sfo-02')).toBe('America/Los_Angeles');
    expect(
      timeZoneFor({ ...mapping, timeZone: undefined, defaultLocation: undefined }, 'elsewhere', 'Asia/Tokyo'),
    ).toBe('Asia/Tokyo');
  });

  it("books a web appeasement unless the deployment skips them, and a distribution centre's fulfilment only when asked (docs/domain.md section 3)", () => {
    const appeasement = sampleErpDocument('cashRefund', 'AP-1', {
      source: { eventId: 'e', eventName: 'refund_request.issued' },
    });
    const web = { channelType: 'web' };
    expect(notBookedBy(mapping, appeasement, web)).toBeUndefined();
    expect(notBookedBy({ ...mapping, webAppeasements: 'skip' }, appeasement, web)).toMatch(/webAppeasements/);
    expect(notBookedBy({ ...mapping, webAppeasements: 'skip' }, appeasement, { channelType: 'store' })).toBeUndefined();
    const fulfilment = (from: string) =>
      sampleErpDocument('itemFulfillment', 'FF-1', {
        fulfilledFrom: from,
        source: { eventId: 'e', eventName: 'fulfillment_request.items_completed' },
      });
    expect(notBookedBy(mapping, fulfilment('store-sfo-02'), web)).toBeUndefined();
    expect(notBookedBy(mapping, fulfilment('dc-east'), web)).toMatch(/distribution centres/);
    const dcs = { ...mapping, fulfilments: { stores: true, distributionCentres: true } };
    expect(notBookedBy(dcs, fulfilment('dc-east'), web)).toBeUndefined();
    // Booked from a distribution centre: it leaves from the DC's ERP location; an unmapped one is a gap.
    const shipped = { ...order, items: [{ ...order.items[0], productId: 'prod-1' }] };
    expect(applyDeploymentMapping(fulfilment('dc-east'), shipped, dcs).lines[0].erpLocation).toBe('150');
    expect(() => applyDeploymentMapping(fulfilment('dc-west'), shipped, dcs)).toThrow(
      /no ERP location for fulfilment location "dc-west"/,
    );
  });
});
