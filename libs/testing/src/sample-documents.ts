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
    lines: [{ itemId: 'i1', sku: 'SKU-1', quantity: 2, amount: '46.00', tax: '4.00' }],
    payments: [{ method: 'credit_card', amount: '50.00' }],
    source: { eventId: `event-${externalId}`, eventName: 'order.opened' },
    ...overrides,
  };
}
