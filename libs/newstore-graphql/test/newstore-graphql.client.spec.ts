import { mapEventToDocument, NewStoreEnvelope } from '@hub/newstore';
import { NewStoreError, NewStoreGraphQlClient } from '@hub/newstore-graphql';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';

describe('NewStore GraphQL client against the NewStore emulator', () => {
  const emulator = new NewStoreEmulator({
    day: { tenant: 'acme', date: '2024-01-02', orders: 300, seed: 5 },
    visibility: 'published',
    lag: { timeScale: 0 },
  });
  let client: NewStoreGraphQlClient;
  let base: string;

  beforeAll(async () => {
    base = await emulator.listen(0);
    client = new NewStoreGraphQlClient({
      graphqlUrl: `${base}/api/v1/org/data/query`,
      tokenUrl: `${base}/auth/realms/{tenant}/protocol/openid-connect/token`,
      clientId: 'hub',
      clientSecret: 'hub-secret',
      timeoutMs: 2_000,
    });
  });
  afterAll(() => emulator.close());

  it('answers null while GraphQL lags the event, and the order once it is visible', async () => {
    const order = emulator.store.order(3);
    expect(await client.order('acme', order.id)).toBeNull();
    emulator.store.markPublished(order.id);
    const found = await client.order('acme', order.id);
    expect(found).toMatchObject({ id: order.id, externalId: order.externalId, grandTotal: order.grandTotal });
    expect(found?.createdAt).toMatch(/Z$/);
  });

  it('turns each kind of event of the emulated day into the document DOMAIN.md prescribes', async () => {
    const seen = new Map<string, number>();
    for (let index = 0; index < emulator.store.size; index += 1) {
      const order = emulator.store.order(index);
      emulator.store.markPublished(order.id);
      const graphQlOrder = await client.order('acme', order.id);
      for (const event of eventsOfOrder(order, 'acme')) {
        const outcome = mapEventToDocument({
          envelope: event.envelope as NewStoreEnvelope,
          eventId: `e-${index}`,
          order: graphQlOrder,
        });
        const label =
          outcome.kind === 'document'
            ? `${event.envelope.name}->${outcome.document.documentType}`
            : `${event.envelope.name}:${outcome.kind}`;
        seen.set(label, (seen.get(label) ?? 0) + 1);
        if (outcome.kind !== 'document') continue;
        const document = outcome.document;
        expect(document.externalId).toMatch(/^[A-Za-z0-9_-]+$/);
        if (event.envelope.name === 'order.opened') {
          expect(document.documentType).toBe(
            order.channelType === 'web' || order.items.some((item) => item.shippingServiceLevel !== 'IN_STORE_HANDOVER')
              ? 'salesOrder'
              : 'cashSale',
          );
          expect(document.total).toBe(order.grandTotal);
          expect(document.payments.reduce((sum, payment) => sum + payment.amount, 0)).toBeCloseTo(
            order.roundedAmount ?? order.grandTotal,
            2,
          );
        } else {
          expect(document.dependsOn?.idempotencyKey).toMatch(new RegExp(`^(salesOrder|cashSale):acme:${order.id}$`));
        }
      }
    }
    expect([...seen.keys()].sort()).toEqual(
      expect.arrayContaining([
        'order.opened->salesOrder',
        'order.opened->cashSale',
        'order.opened:skip',
        'order.items_cancelled->creditMemo',
        'refund_request.issued->cashRefund',
        'payment_account.amount_authorized:skip',
      ]),
    );
    expect([...seen.keys()].some((label) => /return.processed->(cashRefund|customerRefund)/.test(label))).toBe(true);
  });

  it('classifies GraphQL outages as temporary', async () => {
    emulator.graphqlErrorRate = 1;
    try {
      const error = (await client
        .order('acme', emulator.store.order(1).id)
        .catch((caught: unknown) => caught)) as NewStoreError;
      expect(error).toBeInstanceOf(NewStoreError);
      expect(error).toMatchObject({ kind: 'temporary', status: 503 });
    } finally {
      emulator.graphqlErrorRate = 0;
    }
  });
});
