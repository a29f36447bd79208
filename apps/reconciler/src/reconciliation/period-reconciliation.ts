import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { addDays, assertBusinessDate, businessDateOf, datesBetween } from '@hub/reconciliation';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { DailyReconciliation } from './daily-reconciliation';
import { ExtractRepository, PeriodDay } from './extract.repository';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerConnections } from '../reconciler-connections';

export interface PeriodReport {
  tenant: string;
  /** "2026-10" or "2026". */
  period: string;
  from: string;
  /** The last whole day of the period (a period still running stops at yesterday's settled end). */
  to: string;
  /** `incomplete`: some days are neither stored nor could be reconciled now (see `missing`). */
  status: 'complete' | 'incomplete';
  /** Days that were not stored and were reconciled now, from NewStore and the ERP. */
  fetched: string[];
  missing: { businessDate: string; reason: string }[];
  totals: Awaited<ReturnType<ExtractRepository['periodTotals']>>;
  days: PeriodDay[];
}

export class PeriodError extends Error {}

/**
 * A month or a year of one tenant, from the stored daily extracts and the
 * projections: NewStore is asked only for the days not stored yet, one day at a
 * time, through the daily reconciliation (which stores them). Totals per day, per
 * kind and per document type, and the open amount delta per currency.
 */
@Injectable()
export class PeriodReconciliation {
  private readonly logger: Logger;

  constructor(
    @InjectConfig()
    private readonly config: Pick<ReconcilerConfig, 'RECONCILER_SETTLE_MINUTES'>,
    @Inject(ExtractRepository) private readonly extracts: ExtractRepository,
    @Inject(DailyReconciliation) private readonly daily: Pick<DailyReconciliation, 'run'>,
    @Inject(ReconcilerConnections) private readonly tenants: Pick<ReconcilerConnections, 'timeZoneOf'>,
    @Inject(ServiceRuntime) runtime: Pick<ServiceRuntime, 'logger'>,
  ) {
    this.logger = runtime.logger.child({ context: 'period-reconciliation' });
  }

  /** The days of "YYYY-MM" or "YYYY", up to the last whole, settled day in `zone`. */
  range(period: string, zone: string, now = new Date()): { from: string; to: string } {
    let from: string;
    let last: string;
    if (/^\d{4}-\d{2}$/.test(period)) {
      from = `${period}-01`;
      assertValid(from, period);
      const [year, month] = period.split('-').map(Number);
      last = addDays(month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`, -1);
    } else if (/^\d{4}$/.test(period)) {
      from = `${period}-01-01`;
      last = `${period}-12-31`;
    } else throw new PeriodError(`"${period}" is neither a month (YYYY-MM) nor a year (YYYY)`);
    const settled = new Date(now.getTime() - this.config.RECONCILER_SETTLE_MINUTES * 60_000);
    const lastWhole = addDays(businessDateOf(settled, zone), -1);
    const to = last < lastWhole ? last : lastWhole;
    if (to < from) throw new PeriodError(`${period} has no whole day yet: its first day ends after the settle window`);
    return { from, to };
  }

  async run(tenant: string, period: string, trigger: string): Promise<PeriodReport> {
    const { from, to } = this.range(period, this.tenants.timeZoneOf(tenant));
    const stored = await this.extracts.storedDays(tenant, from, to);
    const fetched: string[] = [];
    const missing: PeriodReport['missing'] = [];
    for (const day of datesBetween(from, to)) {
      if (stored.has(day)) continue;
      // One day at a time: a long period never becomes one long NewStore query.
      const run = await this.daily.run(tenant, day, trigger);
      if (run.status === 'succeeded') fetched.push(day);
      else missing.push({ businessDate: day, reason: run.error ?? run.status });
    }
    const [totals, days] = await Promise.all([
      this.extracts.periodTotals(tenant, from, to),
      this.extracts.periodDays(tenant, from, to),
    ]);
    const report: PeriodReport = {
      tenant,
      period,
      from,
      to,
      status: missing.length === 0 ? 'complete' : 'incomplete',
      fetched,
      missing,
      totals,
      days,
    };
    const log = { tenant, period, from, to, stored: stored.size, fetched: fetched.length, missing: missing.length };
    if (missing.length > 0) this.logger.error({ ...log, days: missing }, 'period reconciliation incomplete');
    else this.logger.info(log, 'period reconciliation finished');
    return report;
  }
}

function assertValid(date: string, period: string) {
  try {
    assertBusinessDate(date);
  } catch {
    throw new PeriodError(`"${period}" is not a month`);
  }
}

/** What a person reads in the terminal: totals, then one line per day. */
export function periodText(report: PeriodReport): string {
  const { totals } = report;
  const lines = [
    `Reconciliation of ${report.tenant}, ${report.period} (${report.from} to ${report.to}): ${report.status.toUpperCase()}`,
  ];
  if (report.fetched.length) lines.push(`  not stored, fetched now: ${report.fetched.join(', ')}`);
  for (const day of report.missing) lines.push(`  MISSING ${day.businessDate}: ${day.reason}`);
  lines.push(
    `  NewStore orders ${totals.newstore.orders} (total ${totals.newstore.total}), historical ${totals.newstore.historical}`,
  );
  for (const [type, sides] of Object.entries(totals.documents))
    lines.push(`  ${type}: hub ${sides.hub.count} (${sides.hub.total}), ERP ${sides.erp.count} (${sides.erp.total})`);
  const kinds = Object.entries(totals.open);
  lines.push(
    `  open discrepancies: ${kinds.length ? kinds.map(([kind, count]) => `${kind} ${count}`).join(', ') : 'none'}`,
  );
  for (const [currency, delta] of Object.entries(totals.amountDelta))
    lines.push(`  amount delta ${currency}: ${delta.delta} over ${delta.discrepancies} discrepancies`);
  lines.push('', 'day         stored  NewStore  total        hub   open');
  for (const day of report.days) {
    const open = Object.values(day.open).reduce((sum, count) => sum + (count ?? 0), 0);
    lines.push(
      `${day.businessDate}  ${day.storedAt ? 'yes' : 'NO '}     ${String(day.newstore.orders).padStart(8)}  ${day.newstore.total.padStart(11)}  ${String(day.hub.orders).padStart(5)}  ${String(open).padStart(5)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
