import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { ReconcilerConfig } from '../reconciler.config';
import { Resync } from '../resync/resync';
import { dateOf, provider, tenantOf } from './command-context';

/** `resync --date D | --order ID... [--tenant T]`: replays the day's open discrepancies or the orders given. */
export const resyncCommand = hubCommand<ReconcilerConfig, { date?: string; orderIds: string[]; tenant?: string }>({
  usage:
    "resync --date D | --order ID... [--tenant T]\n    replay the events of the day's open discrepancies, or of the orders given",
  parse(argv) {
    const args = parseCommandArguments(argv, { values: ['date', 'order', 'tenant'] });
    const date = dateOf(args.one('date'));
    const orderIds = args.all('order');
    if (!date && orderIds.length === 0) throw new Error('give --date YYYY-MM-DD and/or --order ORDER_ID (repeatable)');
    return { date, orderIds, tenant: args.one('tenant') };
  },
  async run(context, { date, orderIds, tenant }) {
    const summary = await provider(context, Resync).run({
      tenant: tenantOf(context, tenant),
      businessDate: date,
      orderIds: orderIds.length ? orderIds : undefined,
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (summary.failed.length > 0) throw new Error(`${summary.failed.length} order(s) failed (see "failed" above)`);
  },
});
