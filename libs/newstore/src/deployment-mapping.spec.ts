import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyDeploymentMapping, deploymentMappingSchema, GraphQlOrder, MappingGapError } from '@hub/newstore';
import { sampleErpDocument } from '@hub/testing';

const mapping = deploymentMappingSchema.parse(
  JSON.parse(readFileSync(join(__dirname, '../../../config/mapping.example.json'), 'utf8')),
);

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
    expect(mapping.locations['store-lon-04']).toEqual({ location: '301', subsidiary: '3' });
  });

  it("adds the deployment's ERP ids, the most specific payment item and gift-card lines", () => {
    const document = sampleErpDocument('cashSale', 'CS-1', {
      lines: [{ itemId: 'i1', quantity: 1, amount: '50.00', tax: '0.00' }],
      payments: [{ method: 'credit_card', amount: '50.00' }],
    });
    expect(applyDeploymentMapping(document, order, mapping)).toMatchObject({
      erp: {
        subsidiary: '3',
        location: '301',
        channel: 'RETAIL',
        customer: 'CUST-ANONYMOUS-STORE',
        shippingMethod: 'SHIP-PICKUP',
      },
      lines: [{ itemId: 'i1', giftCard: true }],
      payments: [{ method: 'credit_card', erpItem: 'PMT-CARD-ADYEN' }],
    });
  });

  it('books the lines that are no NewStore item on the ERP items the mapping names', () => {
    const document = sampleErpDocument('cashSale', 'CS-2', {
      lines: [
        { itemId: 'i1', quantity: 1, amount: '10.00', tax: '0.00' },
        { kind: 'shippingTax', itemId: 'shipping-tax', quantity: 1, amount: '0.00', tax: '0.40' },
        { kind: 'rounding', itemId: 'cash-rounding', quantity: 1, amount: '0.02', tax: '0.00' },
      ],
    });
    expect(applyDeploymentMapping(document, order, mapping).lines.map((line) => line.sku)).toEqual([
      undefined,
      'ITEM-SHIPPING-TAX',
      'ITEM-CASH-ROUNDING',
    ]);
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
    const issues = deploymentMappingSchema.safeParse({ ...mapping, paymentItems: [], extra: 1 });
    expect(issues.success).toBe(false);
  });
});
