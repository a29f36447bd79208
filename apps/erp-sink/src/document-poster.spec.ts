import { HubTracing } from '@hub/observability';
import { ErpDocument, HEADERS, SyncStatus } from '@hub/contracts';
import { ErpError, ErpPort } from '@hub/erp';
import { ConcurrencyLimit, ConsumedMessage, InvalidDocumentError, KafkaInfrastructure } from '@hub/kafka';
import { HUB_CONFIG, ServiceRuntime } from '@hub/platform';
import { sampleErpDocument } from '@hub/testing';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { DocumentPoster } from './document-poster';
import { ErpSinkMetrics } from './erp-sink.metrics';
import { ErpConnections } from './erp-connections';
import { ERP_DOCUMENT_CODEC, SYNC_STATUS_PUBLISHER } from './erp-sink.tokens';
import { IdempotencyLedgerRepository, LedgerEntry } from './idempotency-ledger.repository';
import { WaitingDocument, WaitingDocumentsRepository } from './waiting-documents.repository';

/** Every collaborator of the poster, as fakes that record what happened, in order. */
function fakes() {
  const journal: string[] = [];
  const ledger = new Map<string, LedgerEntry>();
  const parked = new Map<string, WaitingDocument>();
  const deadLetters: { topic: string; key: string | null; headers: Record<string, string> }[] = [];
  const erp = {
    name: 'fake',
    upsert: jest.fn(async (document: ErpDocument) => {
      journal.push(`upsert ${document.idempotencyKey}`);
      return { internalId: `erp-${document.externalId}` };
    }),
    deleteTransaction: jest.fn(),
    listTransactions: jest.fn(),
  };
  return {
    journal,
    ledger,
    parked,
    deadLetters,
    erp,
    providers: [
      DocumentPoster,
      ErpSinkMetrics,
      { provide: Registry, useValue: new Registry() },
      {
        provide: ErpConnections,
        useValue: {
          for: () => ({ account: 'default', port: erp satisfies ErpPort, requests: new ConcurrencyLimit(2) }),
        },
      },
      {
        provide: ERP_DOCUMENT_CODEC,
        useValue: {
          decode: async (value: Buffer | null) => {
            const parsed = JSON.parse(value?.toString('utf8') ?? 'null') as ErpDocument | null;
            if (!parsed?.idempotencyKey) throw new InvalidDocumentError('not an ERP document');
            return parsed;
          },
        },
      },
      {
        provide: IdempotencyLedgerRepository,
        useValue: {
          find: async (key: string) => ledger.get(key),
          record: async (status: SyncStatus) => {
            journal.push(`ledger ${status.idempotencyKey} ${status.status}`);
            ledger.set(status.idempotencyKey, { ...status, idempotencyKey: status.idempotencyKey });
          },
        },
      },
      {
        provide: WaitingDocumentsRepository,
        useValue: {
          whileReleasing: async <T>(_order: string, release: () => Promise<T>) => release(),
          isWaiting: async (key: string) => parked.has(key),
          park: async (key: string, dependsOn: string, _order: string, message: ConsumedMessage) => {
            journal.push(`park ${key}`);
            parked.set(key, { idempotencyKey: key, dependsOn, firstSeenAt: new Date(), message });
          },
          waitingOn: async (dependsOn: string) => [...parked.values()].filter((item) => item.dependsOn === dependsOn),
          firstSeen: async (key: string) => parked.get(key)?.firstSeenAt,
          release: async (key: string) => {
            journal.push(`release ${key}`);
            parked.delete(key);
          },
        },
      },
      {
        provide: KafkaInfrastructure,
        useValue: {
          topics: { erpDlq: 'erp.dlq.v1' },
          producer: {
            send: async (topic: string, messages: { key: string | null; headers: Record<string, string> }[]) => {
              for (const message of messages) {
                journal.push(`dead-letter ${message.headers[HEADERS.deadLetterId] ?? message.key}`);
                deadLetters.push({ topic, ...message });
              }
            },
          },
        },
      },
      {
        provide: SYNC_STATUS_PUBLISHER,
        useValue: {
          publish: async ({ value }: { value: Buffer }) => {
            const status = JSON.parse(value.toString('utf8')) as SyncStatus;
            journal.push(`status ${status.idempotencyKey} ${status.status}`);
          },
        },
      },
      {
        provide: HUB_CONFIG,
        useValue: {
          SINK_DEPENDENCY_MAX_WAIT_MS: 60_000,
          ENRICHER_RETRY_TIERS_MS: [1_000],
          SINK_CATALOGUE_MAX_WAIT_MS: 60_000,
        },
      },
      { provide: ServiceRuntime, useValue: { logger: pino({ level: 'silent' }), tracing: new HubTracing('test') } },
    ],
  };
}

function messageOf(document: ErpDocument, headers: Record<string, string> = {}): ConsumedMessage {
  return {
    topic: 'erp.documents.v1',
    partition: 0,
    offset: '7',
    key: document.orderId,
    value: Buffer.from(JSON.stringify(document)),
    headers,
    timestamp: '0',
  };
}

async function posterWith(world: ReturnType<typeof fakes>) {
  const module = await Test.createTestingModule({ providers: world.providers }).compile();
  return module.get(DocumentPoster);
}

describe('DocumentPoster', () => {
  it('posts a document, publishes its status and only then records it in the ledger', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const sale = sampleErpDocument('cashSale', 'A1');
    await poster.handle(messageOf(sale));
    expect(world.journal).toEqual([
      `upsert ${sale.idempotencyKey}`,
      `status ${sale.idempotencyKey} posted`,
      `ledger ${sale.idempotencyKey} posted`,
    ]);
  });

  it('skips a document the ledger has as posted, and posts it again when it is a replay', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const sale = sampleErpDocument('cashSale', 'A2');
    await poster.handle(messageOf(sale));
    await poster.handle(messageOf(sale));
    expect(world.erp.upsert).toHaveBeenCalledTimes(1);
    await poster.handle(messageOf(sale, { [HEADERS.replay]: 'resync' }));
    expect(world.erp.upsert).toHaveBeenCalledTimes(2);
  });

  it('throws on a temporary ERP failure and records nothing, so the same document is tried again', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const failure = new ErpError('temporary', 'Service Unavailable', { status: 503, retryAfterMs: 2_000 });
    world.erp.upsert.mockRejectedValueOnce(failure);
    const sale = sampleErpDocument('cashSale', 'A3');
    await expect(poster.handle(messageOf(sale))).rejects.toBe(failure);
    expect(world.ledger.size).toBe(0);
    expect(world.deadLetters).toHaveLength(0);
  });

  it("dead-letters a document the ERP refuses, with the ERP's message, and records it as failed", async () => {
    const world = fakes();
    const poster = await posterWith(world);
    world.erp.upsert.mockRejectedValueOnce(new ErpError('permanent', 'Invalid field value for item', { status: 400 }));
    const sale = sampleErpDocument('cashSale', 'A4');
    await poster.handle(messageOf(sale));
    expect(world.deadLetters).toEqual([
      expect.objectContaining({
        topic: 'erp.dlq.v1',
        headers: expect.objectContaining({
          [HEADERS.dlqReason]: 'Invalid field value for item',
          [HEADERS.deadLetterId]: sale.idempotencyKey,
        }),
      }),
    ]);
    expect(world.ledger.get(sale.idempotencyKey)?.status).toBe('failed');
  });

  it('keeps a posted document posted, with its ERP id, when the ERP refuses a replay of it (a closed period)', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const sale = sampleErpDocument('cashSale', 'A5');
    await poster.handle(messageOf(sale));
    world.erp.upsert.mockRejectedValueOnce(
      new ErpError('permanent', 'The accounting period is closed', { status: 400 }),
    );
    await poster.handle(messageOf(sale, { [HEADERS.replay]: 'resync' }));
    // The refusal of the update is dead-lettered and named; the record NetSuite holds is still the posted one.
    expect(world.deadLetters).toEqual([
      expect.objectContaining({
        headers: expect.objectContaining({ [HEADERS.dlqReason]: expect.stringMatching(/accounting period is closed/) }),
      }),
    ]);
    expect(world.ledger.get(sale.idempotencyKey)).toMatchObject({ status: 'posted', erpInternalId: 'erp-A5' });
  });

  it('dead-letters a value that is no ERP document without calling the ERP', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    await poster.handle({ ...messageOf(sampleErpDocument('cashSale', 'A5')), value: Buffer.from('{}') });
    expect(world.erp.upsert).not.toHaveBeenCalled();
    expect(world.deadLetters).toHaveLength(1);
    expect(world.deadLetters[0].headers[HEADERS.dlqReason]).toBe('not an ERP document');
  });

  it('parks a credit memo until its sales order is posted, then posts it', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const order = sampleErpDocument('salesOrder', 'B1');
    const memo = sampleErpDocument('creditMemo', 'B1-R', {
      orderId: order.orderId,
      dependsOn: { idempotencyKey: order.idempotencyKey, documentType: 'salesOrder', externalId: order.externalId },
    });
    await poster.handle(messageOf(memo));
    expect(world.erp.upsert).not.toHaveBeenCalled();
    expect(world.parked.has(memo.idempotencyKey)).toBe(true);
    await poster.handle(messageOf(order));
    expect(world.journal.filter((entry) => entry.startsWith('upsert'))).toEqual([
      `upsert ${order.idempotencyKey}`,
      `upsert ${memo.idempotencyKey}`,
    ]);
    expect(world.parked.size).toBe(0);
  });

  it('dead-letters a credit memo whose sales order the ERP refused', async () => {
    const world = fakes();
    const poster = await posterWith(world);
    const order = sampleErpDocument('salesOrder', 'C1');
    world.erp.upsert.mockRejectedValueOnce(new ErpError('permanent', 'inactive customer'));
    await poster.handle(messageOf(order));
    const memo = sampleErpDocument('creditMemo', 'C1-R', {
      orderId: order.orderId,
      dependsOn: { idempotencyKey: order.idempotencyKey, documentType: 'salesOrder', externalId: order.externalId },
    });
    await poster.handle(messageOf(memo));
    expect(world.erp.upsert).toHaveBeenCalledTimes(1);
    expect(world.deadLetters.map((letter) => letter.headers[HEADERS.dlqReason])).toEqual([
      'inactive customer',
      `depends on ${order.idempotencyKey}, which the ERP refused`,
    ]);
  });
});
