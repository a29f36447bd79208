import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/**
 * Stops a child process as the hub's services expect to be stopped: SIGTERM (finish
 * the work in hand, commit, disconnect), then SIGKILL if it has not exited after
 * `graceMs`. Resolves once it has exited; at once if it already had.
 */
export async function stopChildProcess(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
