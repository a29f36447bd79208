import { ERP_DOCUMENT_TYPES, syncStatusSchema } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec } from '@hub/kafka';
import { runHubCommand } from '@hub/platform';
import { readTopic, sampleErpDocument as document, waitFor } from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';
import { SINK_TEST_ENV, sinkTestbed } from './sink-testbed';

describe('erp-sink against a real broker, Postgres and the ERP emulator', () => {
  const bed = sinkTestbed('sink', { env: SINK_TEST_ENV, erp: { concurrencyLimit: 2 } });
  const { kafka, emulator, database, send, ledger, posted, metrics } = bed;

  beforeAll(() => bed.start());
  beforeEach(() => emulator.setFaults({}));

  it('posts each document type with its fields; the ERP id is in the ledger and on the status topic', async () => {
    // A customer refund has no item lines (it applies credits: docs/domain.md section 4), and an item
    // fulfilment is only ever made from its sales order: not this document.
    const types = ERP_DOCUMENT_TYPES.filter((type) => type !== 'customerRefund' && type !== 'itemFulfillment');
    // NetSuite's total is the sum of the lines (and taxes, shipping): the emulator computes it as NetSuite does.
    const amountOf = (type: (typeof types)[number]) => `${10 + types.indexOf(type)}.00`;
    await send(
      ...types.map((type) =>
        document(type, `T-${type}`, {
          total: amountOf(type),
          lines: [
            { kind: 'item', itemId: 'i1', productId: 'prod-1001', quantity: 1, amount: amountOf(type), tax: '0.00' },
          ],
        }),
      ),
    );
    for (const type of types) {
      const record = await posted(`T-${type}`);
      expect(record).toMatchObject({ type, total: String(10 + types.indexOf(type)), tranDate: '2024-01-02' });
      expect(record.body).toMatchObject({
        memo: `NewStore order order-T-${type}`,
        entity: { id: '801' },
        item: { items: [{ item: { externalId: 'prod-1001' }, quantity: 1, amount: 10 + types.indexOf(type) }] },
      });
      const entry = await waitFor(() => ledger(`${type}:acme:T-${type}`), { what: 'ledger row' });
      expect(entry).toMatchObject({ status: 'posted', erp_internal_id: record.id, attempts: 1 });
    }
    const statuses = (await readTopic(kafka.kafka, kafka.topics.erpSyncStatus)).map((message) =>
      syncStatusSchema.parse(JSON.parse(message.value!.toString())),
    );
    const salesOrder = statuses.find((status) => status.externalId === 'T-salesOrder')!;
    expect(salesOrder).toMatchObject({
      status: 'posted',
      erpInternalId: emulator.recordsWithExternalId('T-salesOrder')[0].id,
      documentType: 'salesOrder',
    });
    expect(salesOrder.source.topic).toBe(kafka.topics.erpDocuments);
  });

  it('posts a document delivered three times, and again after a restart, exactly once', async () => {
    const repeated = document('salesOrder', 'DUP-1');
    await send(repeated, repeated, repeated);
    await posted('DUP-1');
    await waitFor(
      async () =>
        /parity_erp_duplicates_skipped_total\{document_type="salesOrder"[^}]*\} ([2-9]|\d{2,})/.test(await metrics()),
      {
        what: 'two duplicates skipped',
      },
    );
    await bed.restart();
    await send(repeated, document('salesOrder', 'DUP-2'));
    await posted('DUP-2');
    expect(emulator.recordsWithExternalId('DUP-1')).toHaveLength(1);
    expect(emulator.recordsWithExternalId('DUP-1')[0].writes).toBe(1);
  });

  it('sends a document the ERP refuses to the DLQ with the ERP message, and posts it after the fix and a replay', async () => {
    emulator.setFaults({ rejectExternalIds: ['BAD-1'] });
    await send(document('cashSale', 'BAD-1'));
    const failed = await waitFor(
      async () => (await ledger('cashSale:acme:BAD-1'))?.status === 'failed' && ledger('cashSale:acme:BAD-1'),
      { what: 'failed status' },
    );
    expect(failed && failed.last_error).toMatch(/inactive.*USER_ERROR/);
    const dead = await waitFor(
      async () => (await readTopic(kafka.kafka, kafka.topics.erpDlq)).find((message) => message.key === 'order-BAD-1'),
      { what: 'DLQ entry' },
    );
    expect(dead.headers['dlq-reason']).toMatch(/inactive/);
    expect(emulator.recordsWithExternalId('BAD-1')).toHaveLength(0);

    emulator.setFaults({});
    await runHubCommand(erpSinkService, 'replay-dlq', ['--order', 'order-BAD-1'], {
      ...process.env,
      ...bed.env,
      LOG_LEVEL: 'warn',
    });
    await posted('BAD-1');
    await waitFor(async () => (await ledger('cashSale:acme:BAD-1'))?.status === 'posted', {
      what: 'posted after replay',
    });
  });

  it('lists, limits and replays dead letters by idempotency key, for documents in the registry wire format too', async () => {
    const codec = new DocumentCodec(createSchemaRegistry(bed.settings), `${bed.prefix}.erp.documents.v1-value`);
    const rejected = ['WIRE-1', 'WIRE-2', 'WIRE-3'].map((externalId) => document('cashSale', externalId));
    emulator.setFaults({ rejectExternalIds: rejected.map((item) => item.externalId) });
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      await Promise.all(rejected.map(async (item) => ({ key: item.orderId, value: await codec.encode(item) }))),
    );
    const keys = rejected.map((item) => item.idempotencyKey);
    await waitFor(
      async () => {
        const dead = (await readTopic(kafka.kafka, kafka.topics.erpDlq)).map((message) => message.headers['dlq-id']);
        return keys.every((key) => dead.includes(key));
      },
      { what: 'three dead letters with their keys' },
    );
    emulator.setFaults({});
    const run = async (args: string[]) => {
      const printed: string[] = [];
      const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk));
        return true;
      });
      try {
        await runHubCommand(erpSinkService, 'replay-dlq', args, { ...process.env, ...bed.env, LOG_LEVEL: 'warn' });
      } finally {
        write.mockRestore();
      }
      return printed.join('');
    };
    const documentsEnd = async () =>
      (await kafka.admin.fetchTopicOffsets(kafka.topics.erpDocuments)).map(
        ({ partition, high }) => `${partition}:${high}`,
      );
    const before = await documentsEnd();
    const listed = await run(['--key', keys[0], '--key', keys[1], '--dry-run']);
    expect(listed).toContain(`id=${keys[0]}`);
    expect(listed).toContain(`id=${keys[1]}`);
    expect(listed).not.toContain(`id=${keys[2]}`);
    expect(listed).toMatch(/2 dead letter\(s\) in .* would be replayed .*dry run: nothing sent/);
    // A dry run puts nothing back on erp.documents.v1, so nothing can reach the ERP.
    expect(await documentsEnd()).toEqual(before);
    expect(emulator.recordsWithExternalId('WIRE-1')).toHaveLength(0);

    const replayed = await run(['--key', keys[0], '--key', keys[1], '--limit', '1']);
    expect(replayed).toMatch(/replayed 1 dead letter\(s\)/);
    // Which of the two comes first in the DLQ depends on which the sink refused first (orders run in parallel).
    const [first, other] = replayed.includes(`id=${keys[0]}`) ? ['WIRE-1', 'WIRE-2'] : ['WIRE-2', 'WIRE-1'];
    expect(replayed).toContain(`id=cashSale:acme:${first}`);
    await posted(first);
    expect(emulator.recordsWithExternalId(other)).toHaveLength(0);
    await expect(run(['--limit', 'many'])).rejects.toThrow(/--limit takes a whole number/);
  });

  it('skips nothing during an ERP outage: everything is posted once after recovery, and the circuit opens meanwhile', async () => {
    emulator.setFaults({ outageUntil: Date.now() + 2_500 });
    const documents = Array.from({ length: 8 }, (_, index) =>
      document('salesOrder', `OUT-${index}`, { orderId: `order-out-${index % 3}` }),
    );
    await send(...documents);
    await waitFor(async () => /parity_erp_circuit_state\{[^}]*\} 2/.test(await metrics()), {
      what: 'circuit open',
      intervalMs: 50,
    });
    for (const item of documents) await posted(item.externalId);
    for (const item of documents) expect(emulator.recordsWithExternalId(item.externalId)).toHaveLength(1);
    expect(await metrics()).toMatch(/parity_erp_retries_total\{reason="erp-503"/);
  });

  it('honours 429 and Retry-After, and never sends more requests at once than ERP_CONCURRENCY', async () => {
    emulator.peakAttempted = 0;
    emulator.setFaults({ latencyMs: 80 });
    const documents = Array.from({ length: 12 }, (_, index) =>
      document('cashSale', `CONC-${index}`, { orderId: `order-conc-${index}` }),
    );
    await send(...documents);
    for (const item of documents) await posted(item.externalId);
    expect(emulator.peakAttempted).toBeLessThanOrEqual(2);
    // A tighter ERP limit than ours: 429s, honoured, and still each document once.
    const tight = new ErpEmulator({ concurrencyLimit: 1, retryAfterSeconds: { concurrency: 1 } });
    const tightUrl = await tight.listen(0);
    await bed.restart({ NETSUITE_BASE_URL: `${tightUrl}/services/rest` });
    tight.setFaults({ latencyMs: 150 });
    const more = Array.from({ length: 6 }, (_, index) =>
      document('cashSale', `TIGHT-${index}`, { orderId: `order-tight-${index}` }),
    );
    await send(...more);
    for (const item of more)
      await waitFor(() => tight.recordsWithExternalId(item.externalId)[0], {
        what: item.externalId,
        timeoutMs: 60_000,
      });
    expect(await metrics()).toMatch(/parity_erp_retries_total\{reason="erp-429"/);
    for (const item of more) expect(tight.recordsWithExternalId(item.externalId)).toHaveLength(1);
    await bed.stop();
    await tight.close();
    await bed.start({ NETSUITE_BASE_URL: bed.erpUrl });
  });

  it('rebuilds a dropped ledger from erp.sync-status.v1 and posts nothing twice', async () => {
    await bed.stop();
    await database.query(`DROP SCHEMA "${bed.schema}" CASCADE`);
    await bed.start();
    expect(await ledger('salesOrder:acme:T-salesOrder')).toMatchObject({ status: 'posted' });
    const writesBefore = emulator.recordsWithExternalId('T-salesOrder')[0].writes;
    await send(document('salesOrder', 'T-salesOrder'), document('salesOrder', 'AFTER-REBUILD'));
    await posted('AFTER-REBUILD');
    expect(emulator.recordsWithExternalId('T-salesOrder')[0].writes).toBe(writesBefore);
  });
});
