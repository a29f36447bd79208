import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErpDocument } from '@hub/contracts';
import { NetSuiteRestAdapter } from '@hub/erp';
import {
  applyDeploymentMapping,
  deploymentMappingSchema,
  GraphQlOrder,
  mapEventToDocument,
  NewStoreEnvelope,
} from '@hub/newstore';
import { emulatorNetSuiteAdapter, sampleGraphQlOrder } from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';

/**
 * An order's later life as NetSuite books it (docs/domain.md sections 3 and 4),
 * through the same steps the hub takes: the event mapped, the deployment's ids
 * added (config/mapping.example.json), the document posted by the adapter to the
 * ERP emulator, which refuses what NetSuite refuses.
 */
const mapping = deploymentMappingSchema.parse(
  JSON.parse(readFileSync(join(__dirname, '../../../config/mapping.example.json'), 'utf8')),
);

/** A web order of two items (60 + 4.80 tax, 40 + 3.20 tax, 10 off the first) and 5 shipping, paid by card. */
const webOrder = (id: string): GraphQlOrder =>
  sampleGraphQlOrder({
    id,
    externalId: `W-${id}`,
    channelType: 'web',
    channel: 'webshop',
    demandLocationId: 'web-us',
    shippingTotal: 5,
    grandTotal: 103,
    items: sampleGraphQlOrder().items.map((item, index) => ({
      ...item,
      productId: `prod-100${index + 1}`,
      shippingServiceLevel: 'GROUND',
      ...(index === 0 ? { itemDiscounts: 10 } : {}),
    })),
    paymentAccount: {
      instruments: [
        {
          paymentMethod: 'credit_card',
          paymentOrigin: 'web',
          paymentProvider: 'adyen',
          paymentAccountTransactions: [{ amount: 103, currency: 'USD', transactionType: 'capture' }],
        },
      ],
    },
  });

function documentOf(name: string, payload: Record<string, unknown>, order: GraphQlOrder): ErpDocument {
  const envelope: NewStoreEnvelope = {
    tenant: 'acme',
    name,
    published_at: '2024-01-05T12:00:00Z',
    payload: { id: order.id, ...payload },
  };
  const outcome = mapEventToDocument({ envelope, eventId: `${name}-${order.id}`, order });
  if (outcome.kind !== 'document') throw new Error(`${name}: ${JSON.stringify(outcome)}`);
  return applyDeploymentMapping(
    { ...outcome.document, ...(name === 'order.opened' ? { customer: { erpId: '805' } } : {}) },
    order,
    mapping,
  );
}

describe("an order's later life in NetSuite (docs/domain.md sections 3 and 4)", () => {
  const emulator = new ErpEmulator();
  let adapter: NetSuiteRestAdapter;

  beforeAll(async () => {
    adapter = emulatorNetSuiteAdapter(`${await emulator.listen(0)}/services/rest`);
  });
  afterAll(() => emulator.close());

  const itemLines = (externalId: string) => {
    const [record] = emulator.recordsWithExternalId(externalId);
    return (record.body.item as { items: Record<string, unknown>[] }).items;
  };

  it('closes a cancelled line, its discount and its tax, gives the payment line back, and closing twice changes nothing', async () => {
    const order = webOrder('c1');
    const sale = documentOf('order.opened', {}, order);
    await adapter.upsert(sale);
    expect(emulator.recordsWithExternalId(sale.externalId)[0]).toMatchObject({ total: '0', payments: '-103' });
    const cancel = documentOf('order.items_cancelled', { items: [{ id: 'i-1' }] }, order);
    const first = await adapter.upsert(cancel);
    expect(first.internalId).toBe(emulator.recordsWithExternalId(sale.externalId)[0].id);
    const lines = itemLines(sale.externalId);
    // Item 1 (60, discount -10, tax 4.80) closed; item 2 open; the card line now holds 103 - 54.80.
    expect(lines.map((line) => [line.isClosed === true, line.amount])).toEqual([
      [true, 0],
      [true, 0],
      [false, 40],
      [false, -48.2],
    ]);
    expect(lines[0]).toMatchObject({ quantity: 0 });
    const [record] = emulator.recordsWithExternalId(sale.externalId);
    expect(record).toMatchObject({ total: '0', payments: '-48.2' });
    // Only NetSuite's records: no credit memo for a cancellation.
    expect([...emulator.records.values()].filter((candidate) => candidate.type === 'creditMemo')).toEqual([]);
    const writes = record.writes;
    await adapter.upsert(cancel);
    expect(emulator.recordsWithExternalId(sale.externalId)[0].writes).toBe(writes);
  });

  it('closes every line and the shipping on order.cancelled, the order then totals nothing', async () => {
    const order = webOrder('c2');
    const sale = documentOf('order.opened', {}, order);
    await adapter.upsert(sale);
    await adapter.upsert(documentOf('order.items_cancelled', { items: [{ id: 'i-2' }] }, order));
    await adapter.upsert(documentOf('order.cancelled', {}, order));
    const [record] = emulator.recordsWithExternalId(sale.externalId);
    expect(record).toMatchObject({ total: '0', payments: '0' });
    expect(record.body.shippingCost).toBe(0);
    expect(itemLines(sale.externalId).every((line) => line.isClosed === true && line.amount === 0)).toBe(true);
  });
});
