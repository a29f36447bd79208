import { HubTracing } from '@hub/observability';
import { ErpDocument, HEADERS } from '@hub/contracts';
import { InvalidDocumentError } from '@hub/kafka';
import { GraphQlOrder } from '@hub/newstore';
import { NewStoreError } from '@hub/newstore-graphql';
import { HUB_CONFIG, ServiceRuntime } from '@hub/platform';
import { sampleGraphQlOrder, withRefundTransaction } from '@hub/testing';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { EnricherMetrics } from './enricher.metrics';
import { DEPLOYMENT_MAPPING, DOCUMENT_PUBLISHER, ERP_DOCUMENT_CODEC, NEWSTORE_ORDERS } from './enricher.tokens';
import { EventEnricher } from './event-enricher';
import { loadMappingFile } from './mapping-file';

/** An in-store order of a store the example mapping knows. */
const nycOrder = sampleGraphQlOrder({
  channel: 'store-nyc-01',
  demandLocationId: 'store-nyc-01',
  items: sampleGraphQlOrder().items.map((item) => ({ ...item, fulfillmentLocationId: 'store-nyc-01' })),
});

type Sent = { topic: string; key: string; value: Buffer; headers: Record<string, string> };

async function enricherWith(options: {
  order?: () => Promise<GraphQlOrder | null>;
  encode?: (document: ErpDocument) => Promise<Buffer>;
  send?: () => Promise<void>;
  tenantInExternalId?: boolean;
}) {
  const sent: Sent[] = [];
  const module = await Test.createTestingModule({
    providers: [
      EventEnricher,
      EnricherMetrics,
      { provide: Registry, useValue: new Registry() },
      { provide: NEWSTORE_ORDERS, useValue: { order: options.order ?? (async () => nycOrder) } },
      {
        provide: ERP_DOCUMENT_CODEC,
        useValue: {
          encode: options.encode ?? (async (document: ErpDocument) => Buffer.from(JSON.stringify(document))),
        },
      },
      {
        provide: DOCUMENT_PUBLISHER,
        useValue: {
          publish: async (message: Omit<Sent, 'topic'>) => {
            await options.send?.();
            sent.push({ topic: 'erp.documents.v1', ...message });
          },
        },
      },
      // The example deployment's mapping, as the enricher loads it at start-up.
      { provide: DEPLOYMENT_MAPPING, useValue: { mappingFor: () => loadMappingFile('config/mapping.example.json') } },
      { provide: HUB_CONFIG, useValue: { ENRICHER_TENANT_IN_EXTERNAL_ID: options.tenantInExternalId ?? false } },
      { provide: ServiceRuntime, useValue: { logger: pino({ level: 'silent' }), tracing: new HubTracing('test') } },
    ],
  }).compile();
  return { enricher: module.get(EventEnricher), sent };
}

const opened = Buffer.from(
  JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: 'o-1', items: [{}, {}] } }),
);
const headers = { [HEADERS.eventId]: 'event-1', [HEADERS.eventName]: 'order.opened' };

describe('EventEnricher', () => {
  it('emits the document of an opened order to erp.documents.v1, keyed by order id, with the event headers', async () => {
    const { enricher, sent } = await enricherWith({});
    await expect(enricher.enrich(opened, headers)).resolves.toEqual({ kind: 'enriched' });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'erp.documents.v1', key: 'o-1' });
    expect(sent[0].headers).toMatchObject({
      [HEADERS.eventId]: 'event-1',
      [HEADERS.eventName]: 'order.opened',
      [HEADERS.tenant]: 'acme',
    });
    const document = JSON.parse(sent[0].value.toString('utf8')) as ErpDocument;
    expect(document).toMatchObject({ orderId: 'o-1', documentType: 'cashSale', saleTotal: '108.00', total: '0.00' });
    // The mapping file's ids are applied.
    expect(document.erp).toMatchObject({ location: '101', subsidiary: '1' });
  });

  it('dead-letters an order whose channel the mapping file lacks, naming the file to fix', async () => {
    const { enricher, sent } = await enricherWith({
      order: async () => sampleGraphQlOrder({ channel: 'store-unknown' }),
    });
    const outcome = await enricher.enrich(opened, headers);
    expect(outcome).toMatchObject({ kind: 'dead' });
    expect(outcome.kind === 'dead' && outcome.reason).toContain('ENRICHER_MAPPING_FILE');
    expect(sent).toHaveLength(0);
  });

  it('passes a replay marker on, so the sink posts a replayed document again', async () => {
    const { enricher, sent } = await enricherWith({});
    await enricher.enrich(opened, { ...headers, [HEADERS.replay]: '2026-11-27T00:00:00Z' });
    expect(sent[0].headers[HEADERS.replay]).toBe('2026-11-27T00:00:00Z');
  });

  it('puts the tenant in external ids when several tenants share one ERP account', async () => {
    const { enricher, sent } = await enricherWith({ tenantInExternalId: true });
    await enricher.enrich(opened, headers);
    expect((JSON.parse(sent[0].value.toString('utf8')) as ErpDocument).externalId).toMatch(/^acme/);
  });

  it('asks for a retry while GraphQL does not have the order, or NewStore fails for a while', async () => {
    const missing = await enricherWith({ order: async () => null });
    expect(await missing.enricher.enrich(opened, headers)).toMatchObject({ kind: 'retry' });
    const down = await enricherWith({
      order: async () => {
        throw new NewStoreError('temporary', 'HTTP 503', 503);
      },
    });
    expect(await down.enricher.enrich(opened, headers)).toEqual({ kind: 'retry', reason: 'HTTP 503' });
    expect(missing.sent).toHaveLength(0);
  });

  it('dead-letters what can never become a document, with the reason', async () => {
    const { enricher } = await enricherWith({});
    expect(await enricher.enrich(Buffer.from('not json'), headers)).toEqual({
      kind: 'dead',
      reason: 'not a valid NewStore event envelope',
    });
    const refused = await enricherWith({
      order: async () => {
        throw new NewStoreError('permanent', 'HTTP 403: forbidden', 403);
      },
    });
    expect(await refused.enricher.enrich(opened, headers)).toEqual({ kind: 'dead', reason: 'HTTP 403: forbidden' });
    const invalid = await enricherWith({
      encode: async () => {
        throw new InvalidDocumentError('lines: at least one');
      },
    });
    expect(await invalid.enricher.enrich(opened, headers)).toEqual({ kind: 'dead', reason: 'lines: at least one' });
    const tooLarge = await enricherWith({
      send: async () => {
        throw Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
      },
    });
    expect(await tooLarge.enricher.enrich(opened, headers)).toMatchObject({ kind: 'dead' });
  });

  it("publishes none of a web return's chain when one of its records can never be published", async () => {
    const webOrder = withRefundTransaction(
      sampleGraphQlOrder({ channelType: 'web', channel: 'webshop', demandLocationId: 'web-us' }),
      21.6,
    );
    const returned = Buffer.from(
      JSON.stringify({
        tenant: 'acme',
        name: 'return.processed',
        payload: {
          id: 'ret-1',
          order_id: webOrder.id,
          total_refund_amount: 21.6,
          currency: 'USD',
          items: [{ id: 'i-1', product_id: 'prod-1001', refund_amount: 21.6, refund_tax: 1.6 }],
        },
      }),
    );
    const returnHeaders = { [HEADERS.eventId]: 'event-r', [HEADERS.eventName]: 'return.processed' };
    const whole = await enricherWith({ order: async () => webOrder });
    await expect(whole.enricher.enrich(returned, returnHeaders)).resolves.toEqual({ kind: 'enriched' });
    expect(whole.sent.map((message) => (JSON.parse(message.value.toString()) as ErpDocument).documentType)).toEqual([
      'returnAuthorization',
      'creditMemo',
      'customerRefund',
    ]);
    // The last record of the chain is refused: the first two must not reach the sink without it.
    const { enricher, sent } = await enricherWith({
      order: async () => webOrder,
      encode: async (document) => {
        if (document.documentType === 'customerRefund') throw new InvalidDocumentError('apply: required');
        return Buffer.from(JSON.stringify(document));
      },
    });
    await expect(enricher.enrich(returned, returnHeaders)).resolves.toEqual({
      kind: 'dead',
      reason: 'apply: required',
    });
    expect(sent).toEqual([]);
  });

  it('skips an event that implies no ERP document without asking GraphQL', async () => {
    const order = jest.fn(async () => sampleGraphQlOrder());
    const { enricher, sent } = await enricherWith({ order });
    const other = Buffer.from(
      JSON.stringify({ tenant: 'acme', name: 'fulfillment_request.created', payload: { id: 'f-1' } }),
    );
    expect(await enricher.enrich(other, headers)).toEqual({ kind: 'skipped' });
    expect(order).not.toHaveBeenCalled();
    expect(sent).toHaveLength(0);
  });
});
