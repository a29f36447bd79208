import { decimal } from '@hub/contracts';
import { KafkaInfrastructure } from '@hub/kafka';
import { createServiceDataSource } from '@hub/persistence';
import { addDays } from '@hub/reconciliation';
import {
  dropSchema,
  newStoreEnv,
  ServiceUnderTest,
  startServiceForTest,
  testDatabaseUrl,
  testKafkaSettings,
  testLogger,
  uniqueName,
} from '@hub/testing';
import Big from 'big.js';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';
import { ExtractRepository } from '../src/reconciliation/extract.repository';
import type { PeriodReport } from '../src/reconciliation/period-reconciliation';
import { reconcilerService } from '../src/reconciler.service-definition';

const TENANT = 'acme';
const TOKEN = 'test-token';
/** The day with NewStore's orders; the 59 days before it are stored too (NewStore had none on them). */
const DAY = '2024-01-31';
const FIRST = addDays(DAY, -59);

/**
 * Seed 000: a month is reported from the daily listings stored by each day's run,
 * not from one long NewStore query. 60 days are reconciled and stored, NewStore is
 * switched off, and the month is still reported, with totals that match what
 * NewStore and the ERP listed; a month not stored cannot be, and says which days.
 */
describe('reconciler: a month from the stored daily extracts', () => {
  const prefix = uniqueName('recon_period');
  const schema = uniqueName('reconciler_period');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  const newStore = new NewStoreEmulator({ day: { tenant: TENANT, date: DAY, orders: 30, seed: 11 } });
  const erp = new ErpEmulator();
  let reconciler: ServiceUnderTest;
  let erpBase: string;

  const admin = async (path: string, body: unknown) => {
    const response = await fetch(`${reconciler.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  /** A record keyed in by hand in the ERP (no hub document explains it). */
  const plantErpRecord = async (type: string, externalId: string, tranDate: string, total: string) => {
    const response = await fetch(`${erpBase}/_emulator/records/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ externalId, tranDate, total }),
    });
    expect(response.ok).toBe(true);
  };

  beforeAll(async () => {
    await kafka.connect(['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq']);
    erpBase = await erp.listen(0);
    reconciler = await startServiceForTest(reconcilerService, {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      DATABASE_SCHEMA: schema,
      ...newStoreEnv(await newStore.listen(0)),
      NETSUITE_BASE_URL: `${erpBase}/services/rest`,
      RECONCILER_TENANTS: TENANT,
      RECONCILER_ADMIN_TOKENS: TOKEN,
      RECONCILER_CONSUMER_GROUP: `${prefix}-projections`,
      RECONCILER_SCHEDULE_ENABLED: 'false',
      RECONCILER_READ_ATTEMPTS: '1',
      // The test's days are in 2024: kept for the test, dropped below by the default retention.
      RECONCILER_EXTRACT_RETENTION_MONTHS: '120',
    });
  });

  afterAll(async () => {
    await reconciler.close();
    await kafka.close();
    await Promise.all([newStore.close(), erp.close()]);
    await dropSchema(schema);
  });

  it('reports a stored month with NewStore switched off: totals per day, kind and document type that match both systems', async () => {
    await plantErpRecord('cashSale', 'CS-keyed-in-1', '2024-01-05', '19.99');
    await plantErpRecord('cashSale', 'CS-keyed-in-2', '2024-01-17', '5.01');
    await plantErpRecord('creditMemo', 'CM-keyed-in-1', '2023-12-20', '3.30');
    const daily = await admin('/admin/reconciliations', { tenant: TENANT, from: FIRST, to: DAY });
    expect(daily.status).toBe(200);
    const runs = daily.body.runs as { businessDate: string; status: string; openDiscrepancies: number }[];
    expect(runs).toHaveLength(60);
    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);

    await newStore.close();
    const month = await admin('/admin/reconciliations/periods', { tenant: TENANT, month: '2024-01' });
    expect(month.status).toBe(200);
    const report = month.body as unknown as PeriodReport;
    expect(report).toMatchObject({ period: '2024-01', from: '2024-01-01', to: '2024-01-31', status: 'complete' });
    expect(report.fetched).toEqual([]);
    expect(report.days).toHaveLength(31);
    expect(report.days.every((day) => day.storedAt !== null)).toBe(true);

    // NewStore's figures as the emulator holds them: not historical orders, their grand totals summed exactly.
    const orders = Array.from({ length: newStore.store.size }, (_, index) => newStore.store.order(index));
    const sold = orders.filter((order) => !order.isHistorical);
    const total = sold.reduce((sum, order) => sum.plus(decimal(order.grandTotal)), new Big(0));
    expect(report.totals.newstore).toMatchObject({ orders: sold.length, historical: orders.length - sold.length });
    expect(new Big(report.totals.newstore.total).eq(total)).toBe(true);
    const lastDay = report.days.find((day) => day.businessDate === DAY)!;
    expect(lastDay.newstore.orders).toBe(sold.length);
    // The ERP's: the two cash sales keyed in by hand in January, not December's credit memo.
    expect(Object.keys(report.totals.documents)).toEqual(['cashSale']);
    const { hub, erp: erpSide } = report.totals.documents.cashSale;
    expect([hub.count, erpSide.count, new Big(erpSide.total).toString()]).toEqual([0, 2, '25']);
    expect(report.days.find((day) => day.businessDate === '2024-01-05')!.documents.cashSale.erp.total).toBe('19.99');
    // The open discrepancies per kind are the month's days' own: the hub saw nothing, so NewStore's orders are missing in it.
    const januaryOpen = runs
      .filter((run) => run.businessDate >= '2024-01-01')
      .reduce((sum, run) => sum + run.openDiscrepancies, 0);
    expect(Object.values(report.totals.open).reduce((sum, count) => sum + (count ?? 0), 0)).toBe(januaryOpen);
    expect(report.totals.open).toMatchObject({ missing_in_hub: sold.length });
  });

  it('cannot report a month that is not stored while NewStore is off, and names its days', async () => {
    const month = await admin('/admin/reconciliations/periods', { tenant: TENANT, month: '2024-02' });
    expect(month.status).toBe(502);
    expect(month.body.error).toBe('period incomplete');
    const report = month.body.report as PeriodReport;
    expect(report.status).toBe('incomplete');
    expect(report.missing.map((day) => day.businessDate)).toHaveLength(29);
    expect(month.body.message).toMatch(/^2024-02-01: .*NewStore/);

    const bad = await admin('/admin/reconciliations/periods', { tenant: TENANT, month: '2024-13' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('"2024-13" is not a month');
    const both = await admin('/admin/reconciliations/periods', { tenant: TENANT, month: '2024-01', year: '2024' });
    expect(both.status).toBe(400);
  });

  it('drops the month partitions older than the retention', async () => {
    const dataSource = createServiceDataSource({ url: testDatabaseUrl(), schema });
    await dataSource.initialize();
    try {
      const extracts = new ExtractRepository(dataSource);
      expect((await extracts.storedDays(TENANT, FIRST, DAY)).size).toBe(60);
      expect(await extracts.dropExpired(25, '2026-11-27')).toEqual(['2023-12', '2024-01']);
      expect((await extracts.storedDays(TENANT, FIRST, DAY)).size).toBe(0);
      const [{ count }] = await dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'extract\\_%\\_20%'`,
        [schema],
      );
      expect(count).toBe(0);
    } finally {
      await dataSource.destroy();
    }
  });
});
