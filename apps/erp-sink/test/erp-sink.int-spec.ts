import { ERP_DOCUMENT_TYPES, ErpDocument, syncStatusSchema } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec, KafkaInfrastructure } from '@hub/kafka';
import { runHubCommand } from '@hub/platform';
import {
  readTopic,
  sampleErpDocument,
  startServiceForTest,
  testDatabaseUrl,
  testKafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
  ServiceUnderTest,
} from '@hub/testing';
import { Client } from 'pg';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { erpSinkService } from '../src/erp-sink.service-definition';

const document = sampleErpDocument;

describe('erp-sink against a real broker, Postgres and the ERP emulator', () => {
  const prefix = uniqueName('sink');
  const schema = uniqueName('erp_sink');
  const group = uniqueName('sink-group');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  const emulator = new ErpEmulator({ concurrencyLimit: 2 });
  const database = new Client({ connectionString: testDatabaseUrl() });
  let env: Record<string, string>;
  let sink: ServiceUnderTest;

  const start = async () => {
    sink = await startServiceForTest(erpSinkService, env);
  };
  const send = (...documents: ErpDocument[]) =>
    kafka.producer.send(
      kafka.topics.erpDocuments,
      documents.map((item) => ({ key: item.orderId, value: JSON.stringify(item) })),
    );
  const ledger = async (key: string) =>
    (
      await database.query(
        `SELECT status, erp_internal_id, attempts, last_error FROM "${schema}".idempotency_ledger WHERE idempotency_key = $1`,
        [key],
      )
    ).rows[0] as
      { status: string; erp_internal_id: string | null; attempts: number; last_error: string | null } | undefined;
  const posted = (externalId: string) =>
    waitFor(() => emulator.recordsWithExternalId(externalId)[0], { what: `${externalId} in the ERP` });
  const metrics = async () => (await fetch(`${sink.url}/metrics`)).text();

  beforeAll(async () => {
    await database.connect();
    await kafka.connect(['erpDocuments', 'erpSyncStatus', 'erpDlq']);
    const erpUrl = await emulator.listen(0);
    env = {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KAFKA_TOPIC_PARTITIONS: '3',
      DATABASE_SCHEMA: schema,
      NETSUITE_BASE_URL: `${erpUrl}/services/rest`,
      ERP_CONCURRENCY: '2',
      ERP_RETRY_BASE_MS: '100',
      ERP_RETRY_MAX_MS: '1000',
      ERP_CIRCUIT_FAILURE_THRESHOLD: '3',
      ERP_CIRCUIT_OPEN_MS: '300',
      SINK_CONSUMER_GROUP: group,
      SINK_WAITING_SWEEP_MS: '200',
      ENRICHER_RETRY_TIERS_MS: '1000,2000',
      SINK_DEPENDENCY_MAX_WAIT_MS: '60000',
      SINK_CATALOGUE_MAX_WAIT_MS: '60000',
    };
    await start();
  });

  afterAll(async () => {
    await sink?.close();
    await kafka.close();
    await emulator.close();
    await database.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await database.end();
  });

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
    await sink.close();
    await start();
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
      ...env,
      LOG_LEVEL: 'warn',
    });
    await posted('BAD-1');
    await waitFor(async () => (await ledger('cashSale:acme:BAD-1'))?.status === 'posted', {
      what: 'posted after replay',
    });
  });

  it('lists, limits and replays dead letters by idempotency key, for documents in the registry wire format too', async () => {
    const codec = new DocumentCodec(
      createSchemaRegistry(testKafkaSettings(prefix)),
      `${prefix}.erp.documents.v1-value`,
    );
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
        await runHubCommand(erpSinkService, 'replay-dlq', args, { ...process.env, ...env, LOG_LEVEL: 'warn' });
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
    await sink.close();
    env = { ...env, NETSUITE_BASE_URL: `${tightUrl}/services/rest` };
    await start();
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
    await sink.close();
    await tight.close();
    env = { ...env, NETSUITE_BASE_URL: emulatorUrl() };
    await start();
  });

  function emulatorUrl(): string {
    const address = emulator.app.server.address();
    return typeof address === 'object' && address ? `http://127.0.0.1:${address.port}/services/rest` : '';
  }

  it('rebuilds a dropped ledger from erp.sync-status.v1 and posts nothing twice', async () => {
    await sink.close();
    await database.query(`DROP SCHEMA "${schema}" CASCADE`);
    await start();
    expect(await ledger('salesOrder:acme:T-salesOrder')).toMatchObject({ status: 'posted' });
    const writesBefore = emulator.recordsWithExternalId('T-salesOrder')[0].writes;
    await send(document('salesOrder', 'T-salesOrder'), document('salesOrder', 'AFTER-REBUILD'));
    await posted('AFTER-REBUILD');
    expect(emulator.recordsWithExternalId('T-salesOrder')[0].writes).toBe(writesBefore);
  });

  it("waits for an item NetSuite's catalogue lacks, named in the log and metrics, and posts the sale once it exists", async () => {
    const sale = document('cashSale', 'CS-CATALOGUE', {
      lines: [{ kind: 'item', itemId: 'i1', productId: 'prod-new-season', quantity: 1, amount: '20.00', tax: '0.00' }],
    });
    const refund = document('cashRefund', 'RT-CATALOGUE', {
      customer: undefined,
      dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'cashSale', externalId: 'CS-CATALOGUE' },
    });
    await send(sale, refund);
    await waitFor(async () => /parity_erp_retries_total\{reason="catalogue"[^}]*\} [1-9]/.test(await metrics()), {
      what: 'sale waiting for the catalogue',
    });
    expect(await ledger(sale.idempotencyKey)).toBeUndefined();
    expect(emulator.recordsWithExternalId('CS-CATALOGUE')).toHaveLength(0);
    // The retailer adds the item to NetSuite: the next sweep posts the sale, then its refund.
    emulator.addItem({ id: '990001', itemId: 'prod-new-season', externalId: 'prod-new-season', type: 'InvtPart' });
    await posted('CS-CATALOGUE');
    await posted('RT-CATALOGUE');
    expect(await ledger(sale.idempotencyKey)).toMatchObject({ status: 'posted' });
  });

  it('dead-letters a document whose item never arrives, once the catalogue wait is over, with the product named', async () => {
    await sink.close();
    env = { ...env, SINK_CATALOGUE_MAX_WAIT_MS: '300' };
    await start();
    const sale = document('cashSale', 'CS-NEVER', {
      lines: [
        { kind: 'item', itemId: 'i1', productId: 'prod-discontinued', quantity: 1, amount: '20.00', tax: '0.00' },
      ],
    });
    await send(sale);
    const entry = await waitFor(
      async () => (await ledger(sale.idempotencyKey))?.status === 'failed' && ledger(sale.idempotencyKey),
      {
        what: 'sale dead-lettered after the catalogue wait',
      },
    );
    expect(entry).toMatchObject({
      last_error: expect.stringMatching(/NetSuite has no item for NewStore product "prod-discontinued" \(tenant acme/),
    });
    const dead = await readTopic(kafka.kafka, kafka.topics.erpDlq);
    expect(dead.some((message) => message.headers?.['dlq-reason']?.toString().includes('prod-discontinued'))).toBe(
      true,
    );
  });

  it('posts a return 120 days after its sale: a posted sale never expires from the ledger, other rows do', async () => {
    await sink.close();
    env = { ...env, LEDGER_PURGE_INTERVAL_MS: '1000' };
    await start();
    const sale = document('cashSale', 'CS-OLD', { orderId: 'order-old' });
    const other = document('creditMemo', 'CM-OLD', { orderId: 'order-other' });
    await send(sale, other);
    await posted('CS-OLD');
    await posted('CM-OLD');
    await waitFor(async () => (await ledger(other.idempotencyKey))?.status === 'posted', { what: 'ledger rows' });
    // 120 days pass: both rows were written long ago; the credit memo's 30-day expiry is past.
    await database.query(
      `UPDATE "${schema}".idempotency_ledger SET updated_at = now() - interval '120 days',
         expires_at = CASE WHEN expires_at = 'infinity' THEN expires_at ELSE now() - interval '90 days' END
       WHERE idempotency_key = ANY($1)`,
      [[sale.idempotencyKey, other.idempotencyKey]],
    );
    await waitFor(async () => (await ledger(other.idempotencyKey)) === undefined, { what: 'expired row purged' });
    expect(await ledger(sale.idempotencyKey)).toMatchObject({ status: 'posted' });
    const lateReturn = document('cashRefund', 'RT-LATE', {
      orderId: 'order-old',
      tranDate: '2024-05-01',
      customer: undefined,
      dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'cashSale', externalId: 'CS-OLD' },
    });
    await send(lateReturn);
    const refund = await posted('RT-LATE');
    expect(refund.body).toMatchObject({ entity: emulator.recordsWithExternalId('CS-OLD')[0].body.entity });
    expect(await ledger(lateReturn.idempotencyKey)).toMatchObject({ status: 'posted' });
  });

  it('holds a credit memo that arrives before its sales order, and posts it after the sales order', async () => {
    const salesOrder = document('salesOrder', 'SO-DEP', { orderId: 'order-dep' });
    const creditMemo = document('creditMemo', 'CM-DEP', {
      orderId: 'order-dep',
      // No customer of its own: it is booked on its sale's, which NetSuite holds only once the sale is posted.
      customer: undefined,
      dependsOn: { idempotencyKey: salesOrder.idempotencyKey, documentType: 'salesOrder', externalId: 'SO-DEP' },
    });
    await send(creditMemo);
    await waitFor(async () => /parity_erp_retries_total\{reason="dependency"/.test(await metrics()), {
      what: 'credit memo parked',
    });
    expect(emulator.recordsWithExternalId('CM-DEP')).toHaveLength(0);
    await send(salesOrder);
    const memo = await posted('CM-DEP');
    const order = emulator.recordsWithExternalId('SO-DEP')[0];
    expect(Number(memo.id)).toBeGreaterThan(Number(order.id));
    expect(memo.body).toMatchObject({ entity: order.body.entity, memo: 'NewStore order order-dep' });
  });

  it('refuses to start a consumer group that has no offsets when its ledger holds documents, naming what to do (issue 26, item 13)', async () => {
    // A group the broker forgot (a new name stands for it here), with a ledger written just now: a crash
    // before the group's first commit, not a forgotten group. It starts.
    const startWith = (groupName: string) =>
      startServiceForTest(erpSinkService, { ...env, SINK_CONSUMER_GROUP: groupName })
        .then(async (service) => {
          await service.close();
          return 'started';
        })
        .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    expect(await startWith(`${group}-recent`)).toBe('started');
    // The ledger's last write two hours ago: the service was stopped, and its group's offsets are gone.
    await database.query(`UPDATE "${schema}".idempotency_ledger SET updated_at = now() - interval '2 hours'`);
    const started = await startWith(`${group}-forgotten`);
    expect(started).toMatch(
      /consumer group .*-forgotten has no committed offsets, but this service has \d+ documents in its ledger/,
    );
    expect(started).toMatch(/KAFKA_GROUP_WITHOUT_OFFSETS=earliest/);
  });
});
