import { parseCommandArguments } from '@hub/config';
import { HubCommandContext } from '@hub/platform';
import { assertBusinessDate } from '@hub/reconciliation';
import { ReconcilerConfig } from './reconciler.config';
import { DailyReconciliation } from './reconciliation/daily-reconciliation';
import { EventStreamWatchdog, IntegrationStatus } from './event-stream/event-stream-watchdog';
import { PeriodReconciliation, periodText } from './reconciliation/period-reconciliation';
import { Projector } from './projections/projector';
import { ReconciliationRepository } from './reconciliation/reconciliation.repository';
import { Resync } from './resync/resync';
import { ReconcilerConnections } from './reconciler-connections';
import { discrepanciesCsv, textSummary } from './reports/report-format';

type Context = HubCommandContext<ReconcilerConfig>;

const parseArguments = parseCommandArguments;

function tenantOf(context: Context, requested: string | undefined): string {
  const { tenants } = provider(context, ReconcilerConnections);
  const tenant = requested ?? tenants[0];
  if (!tenants.includes(tenant))
    throw new Error(`tenant "${tenant}" is not one of RECONCILER_TENANTS or TENANTS_FILE (${tenants.join(', ')})`);
  return tenant;
}

/** One of the reconciler's providers, from the command's Nest context. */
const provider = <T>(context: Context, type: new (...args: never[]) => T): T =>
  context.app.get(type, { strict: false });

/** `rebuild`: drops the projections and replays every topic, printing progress. */
async function rebuild(context: Context): Promise<void> {
  parseArguments(context.args, { values: [] });
  const projector = provider(context, Projector);
  let last = 0;
  const result = await projector.rebuild((progress) => {
    if (performance.now() - last < 1_000 && progress.done < progress.total) return;
    last = performance.now();
    const share = progress.total === 0 ? 100 : (progress.done / progress.total) * 100;
    process.stdout.write(
      `rebuild: ${progress.done}/${progress.total} events (${share.toFixed(1)} %), ${progress.eventsPerSecond} events/s, ${progress.etaSeconds ?? '?'} s left\n`,
    );
  });
  await projector.stop();
  if (result.state !== 'done') throw new Error(`rebuild failed: ${result.error ?? 'unknown error'}`);
  process.stdout.write(`rebuild done: ${result.done} events\n`);
}

/**
 * `project`: consumes the projected topics into the projections until SIGTERM or
 * SIGINT, then finishes its batch and leaves the group. A rebuild starts
 * RECONCILER_REBUILD_WORKERS - 1 of these as helpers; a parent with an IPC channel
 * is told `projecting` once the consumer runs.
 */
async function project(context: Context): Promise<void> {
  parseArguments(context.args, { values: [] });
  const projector = provider(context, Projector);
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    // The parent (a rebuild) is gone: nobody will stop this helper.
    process.once('disconnect', () => resolve());
  });
  await projector.start();
  process.send?.('projecting');
  await stopped;
  await projector.stop();
}

/**
 * `reconcile --date D | --from D --to D [--tenant T]`: runs now and prints each day's summary.
 * `reconcile --month YYYY-MM | --year YYYY [--format text|json]`: the period from the stored extracts.
 */
async function reconcile(context: Context): Promise<void> {
  const args = parseArguments(context.args, { values: ['date', 'from', 'to', 'tenant', 'month', 'year', 'format'] });
  const period = args.one('month') ?? args.one('year');
  if (period) {
    const report = await provider(context, PeriodReconciliation).run(
      tenantOf(context, args.one('tenant')),
      period,
      'command',
    );
    const format = args.one('format') ?? 'text';
    if (format === 'json') process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (format === 'text') process.stdout.write(periodText(report));
    else throw new Error('--format: one of text, json');
    if (report.status !== 'complete')
      throw new Error(`${period} is incomplete: ${report.missing.map((day) => day.businessDate).join(', ')}`);
    return;
  }
  const from = args.one('date') ?? args.one('from');
  const to = args.one('date') ?? args.one('to');
  if (!from || !to) throw new Error('give --date YYYY-MM-DD, or --from YYYY-MM-DD --to YYYY-MM-DD');
  const tenant = tenantOf(context, args.one('tenant'));
  const repository = provider(context, ReconciliationRepository);
  const runs = await provider(context, DailyReconciliation).runRange(tenant, from, to, 'command');
  for (const run of runs) {
    const discrepancies = await repository.discrepancies(tenant, run.businessDate);
    const day = await repository.dayStatus(tenant, run.businessDate);
    process.stdout.write(textSummary(tenant, run.businessDate, day, discrepancies));
  }
  if (runs.some((run) => run.status === 'failed')) throw new Error('a reconciliation run failed (see above)');
}

/** `resync --date D | --order ID... [--tenant T]`: replays the day's open discrepancies or the orders given. */
async function resync(context: Context): Promise<void> {
  const args = parseArguments(context.args, { values: ['date', 'order', 'tenant'] });
  const date = args.one('date');
  if (date) assertBusinessDate(date);
  const orderIds = args.all('order');
  if (!date && orderIds.length === 0) throw new Error('give --date YYYY-MM-DD and/or --order ORDER_ID (repeatable)');
  const summary = await provider(context, Resync).run({
    tenant: tenantOf(context, args.one('tenant')),
    businessDate: date,
    orderIds: orderIds.length ? orderIds : undefined,
  });
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  if (summary.failed.length > 0) throw new Error(`${summary.failed.length} order(s) failed (see "failed" above)`);
}

/** `report --date D [--tenant T] [--format text|csv|json] [--all]`: the day's last run and discrepancies. */
async function report(context: Context): Promise<void> {
  const args = parseArguments(context.args, { values: ['date', 'tenant', 'format'], flags: ['all'] });
  const date = args.one('date');
  if (!date) throw new Error('give --date YYYY-MM-DD');
  assertBusinessDate(date);
  const tenant = tenantOf(context, args.one('tenant'));
  const repository = provider(context, ReconciliationRepository);
  const day = await repository.dayStatus(tenant, date);
  const discrepancies = await repository.discrepancies(tenant, date, { all: args.flags.has('all') });
  const format = args.one('format') ?? 'text';
  if (format === 'text') process.stdout.write(textSummary(tenant, date, day, discrepancies));
  else if (!day.lastSuccessfulRun)
    throw new Error(`no successful reconciliation of ${tenant} on ${date}: its parity is unknown (see --format text)`);
  else if (format === 'csv') process.stdout.write(discrepanciesCsv(discrepancies));
  else if (format === 'json') process.stdout.write(`${JSON.stringify({ ...day, discrepancies }, null, 2)}\n`);
  else throw new Error('--format: one of text, csv, json');
  if (!day.lastSuccessfulRun) process.exitCode = 1;
}

/**
 * `eventstream status [--format text|json] | rejected | retry --event ID | delete --event ID | start [--tenant T]`:
 * the NewStore event-stream integrations of WATCHDOG_INTEGRATIONS, as the admin API.
 */
async function eventstream(context: Context): Promise<void> {
  const [action = 'status', ...rest] = context.args;
  const args = parseArguments(rest, { values: ['tenant', 'event', 'format'] });
  const watchdog = provider(context, EventStreamWatchdog);
  if (!watchdog.enabled) throw new Error('no integration to watch: set WATCHDOG_INTEGRATIONS=tenant:integrationId');
  const tenant = tenantOf(context, args.one('tenant'));
  const event = () => {
    const id = args.one('event');
    if (!id) throw new Error(`${action} needs --event EVENT_ID (see "eventstream rejected")`);
    return id;
  };
  const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  if (action === 'status') {
    await watchdog.poll();
    if (args.one('format') === 'json') print(watchdog.status());
    else process.stdout.write(watchdog.status().map(watchdogLine).join(''));
  } else if (action === 'rejected') print(await watchdog.rejectedEvents(tenant));
  else if (action === 'retry') await watchdog.retryRejected(tenant, event());
  else if (action === 'delete') await watchdog.deleteRejected(tenant, event());
  else if (action === 'start') {
    await watchdog.restart(tenant);
    print(watchdog.status());
  } else throw new Error(`unknown action "${action}": status, rejected, retry, delete or start`);
}

/** One integration's standing as a person reads it. */
function watchdogLine(status: IntegrationStatus): string {
  const standing = status.error
    ? `NOT CHECKED (${status.error})`
    : status.status === 'running'
      ? 'running'
      : `${status.status.toUpperCase()}${status.stoppedReason ? ` (${status.stoppedReason})` : ''}`;
  return `watchdog ${status.tenant}: integration ${status.integrationId} ${standing}, ${status.rejectedEvents} rejected events${status.silent ? ', SILENT' : ''}, checked ${status.checkedAt ?? 'never'}\n`;
}

export const reconcilerCommands = { rebuild, project, reconcile, resync, report, eventstream };
