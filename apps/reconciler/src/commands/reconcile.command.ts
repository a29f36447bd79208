import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { ReconcilerConfig } from '../reconciler.config';
import { DailyReconciliation } from '../reconciliation/daily-reconciliation';
import { PeriodReconciliation, periodText } from '../reconciliation/period-reconciliation';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { textSummary } from '../reports/report-format';
import { dateOf, formatOf, provider, ReconcilerCommandContext, tenantOf } from './command-context';

type ReconcileOptions =
  { period: string; tenant?: string; format: 'text' | 'json' } | { from: string; to: string; tenant?: string };

/**
 * `reconcile --date D | --from D --to D [--tenant T]`: runs now and prints each day's summary.
 * `reconcile --month YYYY-MM | --year YYYY [--format text|json]`: the period from the stored extracts.
 */
export const reconcileCommand = hubCommand<ReconcilerConfig, ReconcileOptions>({
  usage:
    'reconcile --date D | --from D --to D [--tenant T]\n    reconcile NewStore, hub and ERP for a business day (or range) and print the summary\n' +
    'reconcile --month YYYY-MM | --year YYYY [--tenant T] [--format text|json]\n    report a month or a year from the stored daily extracts (days not stored are reconciled first)',
  parse(argv) {
    const args = parseCommandArguments(argv, {
      values: ['date', 'from', 'to', 'tenant', 'month', 'year', 'format'],
    });
    const tenant = args.one('tenant');
    const month = args.one('month');
    const year = args.one('year');
    if (month !== undefined && !/^\d{4}-\d{2}$/.test(month)) throw new Error(`--month "${month}": give YYYY-MM`);
    if (year !== undefined && !/^\d{4}$/.test(year)) throw new Error(`--year "${year}": give YYYY`);
    const period = month ?? year;
    if (period) return { period, tenant, format: formatOf(args.one('format'), ['text', 'json']) };
    if (args.one('format') !== undefined) throw new Error('--format goes with --month or --year');
    const from = dateOf(args.one('date') ?? args.one('from'));
    const to = dateOf(args.one('date') ?? args.one('to'));
    if (!from || !to) throw new Error('give --date YYYY-MM-DD, or --from YYYY-MM-DD --to YYYY-MM-DD');
    return { from, to, tenant };
  },
  run: (context, options) => ('from' in options ? reconcileDays(context, options) : reconcilePeriod(context, options)),
});

async function reconcilePeriod(
  context: ReconcilerCommandContext,
  options: Extract<ReconcileOptions, { period: string }>,
): Promise<void> {
  const report = await provider(context, PeriodReconciliation).run(
    tenantOf(context, options.tenant),
    options.period,
    'command',
  );
  if (options.format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(periodText(report));
  if (report.status !== 'complete')
    throw new Error(`${options.period} is incomplete: ${report.missing.map((day) => day.businessDate).join(', ')}`);
}

async function reconcileDays(
  context: ReconcilerCommandContext,
  options: Extract<ReconcileOptions, { from: string }>,
): Promise<void> {
  const tenant = tenantOf(context, options.tenant);
  const repository = provider(context, ReconciliationRepository);
  const runs = await provider(context, DailyReconciliation).runRange(tenant, options.from, options.to, 'command');
  for (const run of runs) {
    const discrepancies = await repository.discrepancies(tenant, run.businessDate);
    const day = await repository.dayStatus(tenant, run.businessDate);
    process.stdout.write(textSummary(tenant, run.businessDate, day, discrepancies));
  }
  if (runs.some((run) => run.status === 'failed')) throw new Error('a reconciliation run failed (see above)');
}
