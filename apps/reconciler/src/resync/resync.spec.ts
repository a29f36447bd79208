import { HEADERS } from '@hub/contracts';
import { ErpError } from '@hub/erp';
import { NewStoreError } from '@hub/newstore-graphql';
import { KafkaInfrastructure, readOffsets } from '@hub/kafka';
import { HUB_CONFIG, ServiceRuntime } from '@hub/platform';
import { sampleGraphQlOrder } from '@hub/testing';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ReconcilerMetrics } from '../reconciler.metrics';
import { ERP_PORTS, NEWSTORE_CLIENT } from '../reconciler.tokens';
import { OrderReads } from '../reconciliation/order-reads.repository';
import { DiscrepancyRow, ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { Resync } from './resync';

// The topics' reader, faked: what a topic holds at the positions asked is given per test (`onTopic`).
jest.mock('@hub/kafka', () => ({ ...jest.requireActual<object>('@hub/kafka'), readOffsets: jest.fn() }));
const onTopic = (held: Record<string, { partition: number; offset: string; key: string }[]>) =>
  jest.mocked(readOffsets).mockImplementation(async (_kafka, topic, wanted) =>
    (held[topic] ?? [])
      .filter((message) => wanted.get(message.partition)?.has(message.offset))
      .map((message) => ({
        ...message,
        topic,
        timestamp: '0',
        value: Buffer.from('{}'),
        headers: { [HEADERS.eventId]: `e-${message.offset}` },
      })),
  );

const order = (id: string) => sampleGraphQlOrder({ id, externalId: `EXT-${id}` });

const discrepancy = (overrides: Partial<DiscrepancyRow>): DiscrepancyRow => ({
  id: '1',
  tenant: 'acme',
  businessDate: '2026-11-26',
  kind: 'missing_in_hub',
  orderId: 'o-1',
  subject: 'o-1',
  documentType: null,
  externalId: null,
  expected: null,
  found: null,
  delta: null,
  erpInternalIds: [],
  detail: '',
  firstSeenAt: '2026-11-27T02:00:00Z',
  lastSeenAt: '2026-11-27T02:00:00Z',
  resolvedAt: null,
  resyncRequestedAt: null,
  ...overrides,
});

async function resyncWith(options: {
  discrepancies?: DiscrepancyRow[];
  inNewStore?: string[];
  deleteDuplicates?: boolean;
  hubErpId?: string;
  /** Failures NewStore's order lookup throws first, one per call. */
  newStoreFailures?: Error[];
  /** Internal ids whose delete the ERP refuses. */
  undeletable?: string[];
  /** Orders the hub has: their events' and documents' positions. */
  known?: { orderId: string; events: string[]; documents: string[] }[];
}) {
  const sent: { topic: string; key: string | null; headers: Record<string, string> }[] = [];
  const deleted: string[] = [];
  const marked: string[][] = [];
  const module = await Test.createTestingModule({
    providers: [
      Resync,
      ReconcilerMetrics,
      { provide: Registry, useValue: new Registry() },
      {
        provide: ReconciliationRepository,
        useValue: {
          discrepancies: async (_tenant: string, day: string) =>
            (options.discrepancies ?? []).filter((item) => item.businessDate === day),
          markResyncRequested: async (ids: string[]) => marked.push(ids),
        },
      },
      {
        provide: OrderReads,
        useValue: {
          // Unless a test says otherwise, no order has events in the hub: everything resynced is fetched from NewStore.
          orderEvents: async (_tenant: string, ids: string[]) =>
            (options.known ?? [])
              .filter((known) => ids.includes(known.orderId))
              .map((known) => ({ orderId: known.orderId, partition: 0, offsets: known.events })),
          documentPositions: async (_tenant: string, ids: string[]) =>
            (options.known ?? [])
              .filter((known) => ids.includes(known.orderId))
              .flatMap((known) => known.documents.map((offset) => ({ orderId: known.orderId, partition: 0, offset }))),
          hubErpIds: async (subjects: string[]) => new Map(subjects.map((subject) => [subject, options.hubErpId])),
        },
      },
      {
        provide: KafkaInfrastructure,
        useValue: {
          topics: { newstoreEvents: 'newstore.events.v1', erpDocuments: 'erp.documents.v1' },
          producer: {
            send: async (topic: string, messages: { key: string | null; headers: Record<string, string> }[]) =>
              messages.forEach((message) => sent.push({ topic, ...message })),
          },
        },
      },
      {
        provide: NEWSTORE_CLIENT,
        useValue: {
          order: async (_tenant: string, id: string) => {
            const failure = options.newStoreFailures?.shift();
            if (failure) throw failure;
            return (options.inNewStore ?? []).includes(id) ? order(id) : null;
          },
        },
      },
      {
        provide: ERP_PORTS,
        useValue: {
          erpOf: () => ({
            deleteTransaction: async (_type: string, id: string) => {
              if (options.undeletable?.includes(id)) throw new ErpError('temporary', 'HTTP 500', { status: 500 });
              deleted.push(id);
            },
          }),
        },
      },
      {
        provide: HUB_CONFIG,
        useValue: {
          RECONCILER_RESYNC_DELETE_DUPLICATES: options.deleteDuplicates ?? false,
          RECONCILER_READ_ATTEMPTS: 3,
          RECONCILER_RETRY_BASE_MS: 5,
        },
      },
      { provide: ServiceRuntime, useValue: { logger: pino({ level: 'silent' }) } },
    ],
  }).compile();
  return { resync: module.get(Resync), metrics: module.get(Registry), sent, deleted, marked };
}

describe('Resync', () => {
  it('re-posts the documents as built when asked (source stored), and replays the events of an order without any', async () => {
    onTopic({
      'erp.documents.v1': [
        { partition: 0, offset: '10', key: 'o-1' },
        { partition: 0, offset: '11', key: 'o-1' },
      ],
      'newstore.events.v1': [{ partition: 0, offset: '3', key: 'o-2' }],
    });
    const { resync, sent } = await resyncWith({
      known: [
        { orderId: 'o-1', events: ['1', '2'], documents: ['10', '11'] },
        { orderId: 'o-2', events: ['3'], documents: [] },
      ],
    });
    const summary = await resync.run({ tenant: 'acme', orderIds: ['o-1', 'o-2'], source: 'stored' });
    expect(summary).toMatchObject({
      documentsReposted: 2,
      ordersReposted: ['o-1'],
      eventsReplayed: 1,
      ordersReplayed: ['o-2'],
      failed: [],
    });
    expect(sent.map((message) => [message.topic, message.key])).toEqual([
      ['erp.documents.v1', 'o-1'],
      ['erp.documents.v1', 'o-1'],
      ['newstore.events.v1', 'o-2'],
    ]);
    expect(sent.every((message) => message.headers[HEADERS.replay] !== undefined)).toBe(true);
  });

  it("resyncs an order's open discrepancies of several days in one pass: its events replayed once", async () => {
    onTopic({ 'newstore.events.v1': [{ partition: 0, offset: '1', key: 'o-1' }] });
    const { resync, sent, marked } = await resyncWith({
      known: [{ orderId: 'o-1', events: ['1'], documents: [] }],
      discrepancies: [
        discrepancy({ id: '7', kind: 'line_mismatch', businessDate: '2026-11-25' }),
        discrepancy({ id: '8', kind: 'amount_mismatch', businessDate: '2026-11-26' }),
      ],
    });
    const summary = await resync.run({
      tenant: 'acme',
      businessDates: ['2026-11-26', '2026-11-25'],
      orderIds: ['o-1'],
    });
    expect(summary).toMatchObject({ eventsReplayed: 1, ordersReplayed: ['o-1'], failed: [] });
    expect(sent).toHaveLength(1);
    expect(marked).toEqual([['7', '8']]);
  });

  it('fails an order whose documents the topic no longer holds, naming them, and re-posts what it holds', async () => {
    onTopic({ 'erp.documents.v1': [{ partition: 0, offset: '10', key: 'o-1' }] });
    const { resync, sent } = await resyncWith({ known: [{ orderId: 'o-1', events: ['1'], documents: ['10', '11'] }] });
    const summary = await resync.run({ tenant: 'acme', orderIds: ['o-1'], source: 'stored' });
    expect(summary.documentsReposted).toBe(1);
    expect(summary.failed).toEqual([
      {
        orderId: 'o-1',
        action: 'repost',
        error: '1 of its documents are no longer on erp.documents.v1 (0:11): resync it from NewStore instead',
      },
    ]);
    expect(sent).toHaveLength(1);
  });

  it('injects an order the hub never received as its opening event, keyed by order id and marked as a replay', async () => {
    const { resync, sent } = await resyncWith({ inNewStore: ['o-1'] });
    const summary = await resync.run({ tenant: 'acme', orderIds: ['o-1', 'o-gone'] });
    expect(summary).toMatchObject({ ordersInjected: ['o-1'], ordersNotFound: ['o-gone'], eventsReplayed: 0 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ topic: 'newstore.events.v1', key: 'o-1' });
    expect(sent[0].headers[HEADERS.replay]).toEqual(expect.any(String));
    expect(sent[0].headers['resync-source']).toBe('newstore-graphql');
  });

  it("takes the day's open discrepancies and marks them as resync requested", async () => {
    const { resync, marked } = await resyncWith({
      discrepancies: [discrepancy({ id: '7', orderId: 'o-1' }), discrepancy({ id: '8', orderId: 'o-2' })],
      inNewStore: ['o-1', 'o-2'],
    });
    const summary = await resync.run({ tenant: 'acme', businessDate: '2026-11-26' });
    expect(summary.ordersInjected).toEqual(['o-1', 'o-2']);
    expect(marked).toEqual([['7', '8']]);
  });

  it('leaves ERP duplicates to a person unless deleting them is configured', async () => {
    const duplicate = discrepancy({
      kind: 'duplicate_in_erp',
      subject: 'cashSale:acme:1',
      documentType: 'cashSale',
      erpInternalIds: ['100', '101'],
      detail: '2 records',
    });
    const manual = await resyncWith({ discrepancies: [duplicate], hubErpId: '100' });
    expect((await manual.resync.run({ tenant: 'acme', businessDate: '2026-11-26' })).manual).toEqual([
      { kind: 'duplicate_in_erp', orderId: 'o-1', detail: '2 records' },
    ]);
    expect(manual.deleted).toEqual([]);
  });

  it("deletes the ERP duplicates but never the hub's own record, and not at all when the hub's record is unknown", async () => {
    const duplicate = discrepancy({
      kind: 'duplicate_in_erp',
      subject: 'cashSale:acme:1',
      documentType: 'cashSale',
      erpInternalIds: ['100', '101', '102'],
    });
    const known = await resyncWith({ discrepancies: [duplicate], deleteDuplicates: true, hubErpId: '101' });
    expect((await known.resync.run({ tenant: 'acme', businessDate: '2026-11-26' })).duplicatesDeleted).toEqual([
      '100',
      '102',
    ]);
    expect(known.deleted).toEqual(['100', '102']);
    const unknown = await resyncWith({ discrepancies: [duplicate], deleteDuplicates: true });
    const summary = await unknown.resync.run({ tenant: 'acme', businessDate: '2026-11-26' });
    expect(unknown.deleted).toEqual([]);
    expect(summary.manual[0].detail).toContain('does not know which record is its own');
  });

  it("deletes nothing when the hub's own record is not among the ERP's (a stale projection), and says so (issue 26, item 11)", async () => {
    const duplicate = discrepancy({
      kind: 'duplicate_in_erp',
      subject: 'cashSale:acme:1',
      documentType: 'cashSale',
      erpInternalIds: ['100', '101'],
    });
    const stale = await resyncWith({ discrepancies: [duplicate], deleteDuplicates: true, hubErpId: '999' });
    const summary = await stale.resync.run({ tenant: 'acme', businessDate: '2026-11-26' });
    expect(stale.deleted).toEqual([]);
    expect(summary.duplicatesDeleted).toEqual([]);
    expect(summary.manual[0].detail).toContain("the hub's own record 999 is not among them");
  });

  it('asks NewStore again after a temporary failure before it gives an order up', async () => {
    const { resync } = await resyncWith({
      inNewStore: ['o-1'],
      newStoreFailures: [
        new NewStoreError('temporary', 'HTTP 503', 503),
        new NewStoreError('temporary', 'HTTP 502', 502),
      ],
    });
    expect((await resync.run({ tenant: 'acme', orderIds: ['o-1'] })).ordersInjected).toEqual(['o-1']);
  });

  it('goes on past an order that fails, names it in `failed` and the metric, and leaves its discrepancy unmarked', async () => {
    const duplicate = discrepancy({
      id: '9',
      kind: 'duplicate_in_erp',
      orderId: 'o-dup',
      subject: 'cashSale:acme:9',
      documentType: 'cashSale',
      erpInternalIds: ['200', '201'],
    });
    const { resync, marked, metrics } = await resyncWith({
      discrepancies: [duplicate, discrepancy({ id: '7', orderId: 'o-1' }), discrepancy({ id: '8', orderId: 'o-2' })],
      inNewStore: ['o-1', 'o-2'],
      deleteDuplicates: true,
      hubErpId: '200',
      undeletable: ['201'],
      // o-1's lookup fails three times (every attempt); o-2's then succeeds.
      newStoreFailures: [0, 1, 2].map(() => new NewStoreError('temporary', 'HTTP 503', 503)),
    });
    const summary = await resync.run({ tenant: 'acme', businessDate: '2026-11-26' });
    expect(summary.failed).toEqual([
      { orderId: 'o-dup', action: 'delete-duplicate', error: 'HTTP 500' },
      { orderId: 'o-1', action: 'inject', error: 'HTTP 503' },
    ]);
    expect(summary.ordersInjected).toEqual(['o-2']);
    expect(marked).toEqual([['8']]);
    expect(await metrics.getSingleMetricAsString('parity_resync_actions_total')).toContain(
      'parity_resync_actions_total{action="failed"} 2',
    );
  });
});
