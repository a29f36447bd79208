import { decimal } from '@hub/contracts';
import { createServiceDataSource } from '@hub/persistence';
import { addDays } from '@hub/reconciliation';
import { testDatabaseUrl } from '@hub/testing';
import Big from 'big.js';
import { ExtractRepository } from '../src/reconciliation/extract.repository';
import type { PeriodReport } from '../src/reconciliation/period-reconciliation';
import { reconcilerTestbed } from './reconciler-testbed';

const TENANT = 'acme';
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
  const bed = reconcilerTestbed('recon_period', {
    newStore: { day: { tenant: TENANT, date: DAY, orders: 30, seed: 11 } },
    env: {
      RECONCILER_READ_ATTEMPTS: '1',
      // The test's days are in 2024: kept for the test, dropped below by the default retention.
      RECONCILER_EXTRACT_RETENTION_MONTHS: '120',
    },
  });
  const { schema, newStore } = bed;
  const admin = (path: string, body: unknown) => bed.admin('POST', path, body);
  /** A record keyed in by hand in the ERP (no hub document explains it). */
  const plantErpRecord = async (type: string, externalId: string, tranDate: string, total: string) => {
    const response = await fetch(`${bed.erpUrl}/_emulator/records/${type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ externalId, tranDate, total }),
    });
    expect(response.ok).toBe(true);
  };

  beforeAll(() => bed.start());

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
