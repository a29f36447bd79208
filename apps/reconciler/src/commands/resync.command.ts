import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { ReconcilerConfig } from '../reconciler.config';
import { Resync, ResyncSource } from '../resync/resync';
import { dateOf, provider, tenantOf } from './command-context';

/** `resync --date D | --order ID... [--tenant T] [--source newstore|stored]`: the day's open discrepancies or the orders given. */
export const resyncCommand = hubCommand<
  ReconcilerConfig,
  { date?: string; orderIds: string[]; tenant?: string; source: ResyncSource }
>({
  usage:
    "resync --date D | --order ID... [--tenant T] [--source newstore|stored]\n    resync the day's open discrepancies, or the orders given: their events replayed and enriched\n    from NewStore today (newstore, the default), or their documents re-posted as built (stored)",
  parse(argv) {
    const args = parseCommandArguments(argv, { values: ['date', 'order', 'tenant', 'source'] });
    const date = dateOf(args.one('date'));
    const orderIds = args.all('order');
    if (!date && orderIds.length === 0) throw new Error('give --date YYYY-MM-DD and/or --order ORDER_ID (repeatable)');
    const source = args.one('source') ?? 'newstore';
    if (source !== 'newstore' && source !== 'stored')
      throw new Error(`--source takes newstore or stored, not "${source}"`);
    return { date, orderIds, tenant: args.one('tenant'), source };
  },
  async run(context, { date, orderIds, tenant, source }) {
    const summary = await provider(context, Resync).run({
      tenant: tenantOf(context, tenant),
      businessDate: date,
      orderIds: orderIds.length ? orderIds : undefined,
      source,
    });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    if (summary.failed.length > 0) throw new Error(`${summary.failed.length} order(s) failed (see "failed" above)`);
  },
});
