import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const STATE_FILE = join(__dirname, '..', 'node_modules', '.cache', 'parity-hub-test-infra.json');

/** Stops what global-setup started, and only that. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return;
  const state = JSON.parse(readFileSync(STATE_FILE, 'utf8')) as { mode: string; stopAfter?: boolean; ids?: string[] };
  if (state.mode === 'local' && state.stopAfter && !process.env.KEEP_TEST_INFRA) {
    execFileSync('bash', [join(__dirname, '..', 'infra', 'local.sh'), 'down'], { stdio: 'inherit' });
  }
  if (state.mode === 'containers' && state.ids) {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    for (const id of state.ids) {
      await client.container
        .getById(id)
        .stop()
        .catch(() => undefined);
    }
  }
}
