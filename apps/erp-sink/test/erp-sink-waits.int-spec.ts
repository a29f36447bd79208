import { readTopic, sampleErpDocument as document, startServiceForTest, waitFor } from '@hub/testing';
import { erpSinkService } from '../src/erp-sink.service-definition';
import { SINK_TEST_ENV, sinkTestbed } from './sink-testbed';

/**
 * What the sink waits for and how long: an item NetSuite's catalogue lacks, a sale a
 * credit memo depends on, a return months after its sale; and a start that would
 * re-read a whole topic because the broker forgot the group's offsets.
 */
describe('erp-sink: documents that wait', () => {
  const bed = sinkTestbed('sink_waits', { env: SINK_TEST_ENV, erp: { concurrencyLimit: 2 } });
  const { kafka, emulator, database, send, ledger, posted, metrics } = bed;

  beforeAll(() => bed.start());

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
    await bed.restart({ SINK_CATALOGUE_MAX_WAIT_MS: '300' });
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
    await bed.restart({ LEDGER_PURGE_INTERVAL_MS: '1000' });
    const sale = document('cashSale', 'CS-OLD', { orderId: 'order-old' });
    const other = document('creditMemo', 'CM-OLD', { orderId: 'order-other' });
    await send(sale, other);
    await posted('CS-OLD');
    await posted('CM-OLD');
    await waitFor(async () => (await ledger(other.idempotencyKey))?.status === 'posted', { what: 'ledger rows' });
    // 120 days pass: both rows were written long ago; the credit memo's 30-day expiry is past.
    await database.query(
      `UPDATE "${bed.schema}".idempotency_ledger SET updated_at = now() - interval '120 days',
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
      startServiceForTest(erpSinkService, { ...bed.env, SINK_CONSUMER_GROUP: groupName })
        .then(async (service) => {
          await service.close();
          return 'started';
        })
        .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    expect(await startWith(`${bed.group}-recent`)).toBe('started');
    // The ledger's last write two hours ago: the service was stopped, and its group's offsets are gone.
    await database.query(`UPDATE "${bed.schema}".idempotency_ledger SET updated_at = now() - interval '2 hours'`);
    const started = await startWith(`${bed.group}-forgotten`);
    expect(started).toMatch(
      /consumer group .*-forgotten has no committed offsets, but this service has \d+ documents in its ledger/,
    );
    expect(started).toMatch(/KAFKA_GROUP_WITHOUT_OFFSETS=earliest/);
  });
});
