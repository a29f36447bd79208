import { execFile, spawn, ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stopChildProcess } from '@hub/platform';

export const ROOT = join(__dirname, '..');
export const run = promisify(execFile);

/** Starts a process and resolves once `ready()` succeeds; the process is killed by `stop`. */
export async function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  what: string,
): Promise<ChildProcess> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await ready().catch(() => false)) return child;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  child.kill('SIGKILL');
  throw new Error(`${what} did not become ready`);
}

export const stopProcess = (child: ChildProcess) => stopChildProcess(child);

export async function localInfra(command: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'infra', 'local.sh'), command, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export function ratio(value: number, reference: number): string {
  return reference > 0 ? `${(value / reference).toFixed(2)}x` : 'n/a';
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column]).length)));
  return rows.map((row) => row.map((cell, column) => String(cell).padEnd(widths[column])).join('  ')).join('\n');
}
