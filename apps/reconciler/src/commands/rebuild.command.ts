import { parseCommandArguments } from '@hub/config';
import { hubCommand } from '@hub/platform';
import { Projector } from '../projections/projector';
import { ReconcilerConfig } from '../reconciler.config';
import { provider } from './command-context';

/** `rebuild`: drops the projections and replays every topic, printing progress. */
export const rebuildCommand = hubCommand<ReconcilerConfig, void>({
  usage: 'rebuild               drop the projections and replay the topics into them (service stopped)',
  parse: (args) => void parseCommandArguments(args, { values: [] }),
  async run(context) {
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
  },
});
