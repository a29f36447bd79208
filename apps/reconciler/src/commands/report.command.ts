import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { discrepanciesCsv, textSummary } from '../reports/report-format';
import { dateOf, formatOf, provider, tenantOf } from './command-context';

interface ReportOptions {
  date: string;
  tenant?: string;
  format: 'text' | 'csv' | 'json';
  all: boolean;
}

/** `report --date D [--tenant T] [--format text|csv|json] [--all]`: the day's last run and discrepancies. */
export const reportCommand = hubCommand<ReconcilerConfig, ReportOptions>({
  usage: "report --date D [--tenant T] [--format text|csv|json] [--all]\n    the day's last run and its discrepancies",
  parse(argv) {
    const args = parseCommandArguments(argv, { values: ['date', 'tenant', 'format'], flags: ['all'] });
    const date = dateOf(args.one('date'));
    if (!date) throw new Error('give --date YYYY-MM-DD');
    return {
      date,
      tenant: args.one('tenant'),
      format: formatOf(args.one('format'), ['text', 'csv', 'json']),
      all: args.flags.has('all'),
    };
  },
  async run(context, { date, format, all, ...options }) {
    const tenant = tenantOf(context, options.tenant);
    const repository = provider(context, ReconciliationRepository);
    const day = await repository.dayStatus(tenant, date);
    const discrepancies = await repository.discrepancies(tenant, date, { all });
    if (format === 'text') process.stdout.write(textSummary(tenant, date, day, discrepancies));
    else if (!day.lastSuccessfulRun)
      throw new Error(
        `no successful reconciliation of ${tenant} on ${date}: its parity is unknown (see --format text)`,
      );
    else if (format === 'csv') process.stdout.write(discrepanciesCsv(discrepancies));
    else process.stdout.write(`${JSON.stringify({ ...day, discrepancies }, null, 2)}\n`);
    if (!day.lastSuccessfulRun) process.exitCode = 1;
  },
});
