import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { EventStreamWatchdog, IntegrationStatus } from '../event-stream/event-stream-watchdog';
import { ReconcilerConfig } from '../reconciler.config';
import { formatOf, provider, tenantOf } from './command-context';

const ACTIONS = ['status', 'rejected', 'retry', 'delete', 'start'] as const;
type Action = (typeof ACTIONS)[number];

interface EventStreamOptions {
  action: Action;
  tenant?: string;
  event?: string;
  format: 'text' | 'json';
}

/**
 * `eventstream status [--format text|json] | rejected | retry --event ID | delete --event ID | start [--tenant T]`:
 * the NewStore event-stream integrations of WATCHDOG_INTEGRATIONS, as the admin API.
 */
export const eventstreamCommand = hubCommand<ReconcilerConfig, EventStreamOptions>({
  usage:
    'eventstream status | rejected | retry --event ID | delete --event ID | start [--tenant T]\n    the NewStore event-stream integrations (WATCHDOG_INTEGRATIONS): why one stopped, its rejected events, a safe restart',
  parse(argv) {
    const [action = 'status', ...rest] = argv;
    if (!(ACTIONS as readonly string[]).includes(action))
      throw new Error(`unknown action "${action}": status, rejected, retry, delete or start`);
    const args = parseCommandArguments(rest, { values: ['tenant', 'event', 'format'] });
    const event = args.one('event');
    if ((action === 'retry' || action === 'delete') && !event)
      throw new Error(`${action} needs --event EVENT_ID (see "eventstream rejected")`);
    return {
      action: action as Action,
      tenant: args.one('tenant'),
      event,
      format: formatOf(args.one('format'), ['text', 'json']),
    };
  },
  async run(context, { action, event, format, ...options }) {
    const watchdog = provider(context, EventStreamWatchdog);
    if (!watchdog.enabled) throw new Error('no integration to watch: set WATCHDOG_INTEGRATIONS=tenant:integrationId');
    const tenant = tenantOf(context, options.tenant);
    const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    if (action === 'status') {
      await watchdog.poll();
      if (format === 'json') print(watchdog.status());
      else process.stdout.write(watchdog.status().map(watchdogLine).join(''));
    } else if (action === 'rejected') print(await watchdog.rejectedEvents(tenant));
    else if (action === 'retry') await watchdog.retryRejected(tenant, event!);
    else if (action === 'delete') await watchdog.deleteRejected(tenant, event!);
    else {
      await watchdog.restart(tenant);
      print(watchdog.status());
    }
  },
});

/** One integration's standing as a person reads it. */
function watchdogLine(status: IntegrationStatus): string {
  const standing = status.error
    ? `NOT CHECKED (${status.error})`
    : status.status === 'running'
      ? 'running'
      : `${status.status.toUpperCase()}${status.stoppedReason ? ` (${status.stoppedReason})` : ''}`;
  return `watchdog ${status.tenant}: integration ${status.integrationId} ${standing}, ${status.rejectedEvents} rejected events${status.silent ? ', SILENT' : ''}, checked ${status.checkedAt ?? 'never'}\n`;
}
