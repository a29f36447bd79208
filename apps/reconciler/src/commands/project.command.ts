import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { Projector } from '../projections/projector';
import { ReconcilerConfig } from '../reconciler.config';
import { provider } from './command-context';

/**
 * `project`: consumes the projected topics into the projections until SIGTERM or
 * SIGINT, then finishes its batch and leaves the group. A rebuild starts
 * RECONCILER_REBUILD_WORKERS - 1 of these as helpers; a parent with an IPC channel
 * is told `projecting` once the consumer runs.
 */
export const projectCommand = hubCommand<ReconcilerConfig, void>({
  usage:
    'project               consume the topics into the projections until stopped (a rebuild helper, see RECONCILER_REBUILD_WORKERS)',
  parse: (args) => void parseCommandArguments(args, { values: [] }),
  async run(context) {
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
  },
});
