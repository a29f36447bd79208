import type { ErpDocument, ErpDocumentType } from '@hub/contracts';

/** A valid ERP document for tests and benchmarks; the external id makes it unique. */
export function sampleErpDocument(
  type: ErpDocumentType,
  externalId: string,
  overrides: Partial<ErpDocument> = {},
): ErpDocument {
  return {
    schemaVersion: 2,
    idempotencyKey: `${type}:acme:${externalId}`,
    tenant: 'acme',
    orderId: `order-${externalId}`,
    documentType: type,
    externalId,
    tranDate: '2024-01-02',
    currency: 'USD',
    total: '50.00',
    // A product, customer and ids the ERP emulator's demo account holds (tools/emulators/erp/erp-account.ts).
    lines: [{ kind: 'item', itemId: 'i1', productId: 'prod-1001', quantity: 2, amount: '46.00', tax: '4.00' }],
    payments: [{ method: 'credit_card', amount: '50.00' }],
    customer: { erpId: '801' },
    erp: { subsidiary: '1', location: '101', currency: '1', taxType: '21', taxCode: '31' },
    source: { eventId: `event-${externalId}`, eventName: 'order.opened' },
    ...overrides,
  };
}
