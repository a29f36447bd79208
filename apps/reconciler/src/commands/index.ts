import { eventstreamCommand } from './eventstream.command';
import { projectCommand } from './project.command';
import { rebuildCommand } from './rebuild.command';
import { reconcileCommand } from './reconcile.command';
import { reportCommand } from './report.command';
import { resyncCommand } from './resync.command';

/** The reconciler's commands (`node main.js <name> ...`), one per file, each checking its arguments before anything connects. */
export const reconcilerCommands = {
  rebuild: rebuildCommand,
  project: projectCommand,
  reconcile: reconcileCommand,
  resync: resyncCommand,
  report: reportCommand,
  eventstream: eventstreamCommand,
};
