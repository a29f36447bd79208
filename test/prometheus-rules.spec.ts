import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const RULES = join(ROOT, 'deploy', 'prometheus');

/** promtool on PATH, or the one scripts/install.sh unpacked from Debian's prometheus package. */
function promtool(): string {
  const cached = join(
    process.env.PARITY_HUB_CACHE ?? join(homedir(), '.cache', 'parity-hub'),
    'prometheus/usr/bin/promtool',
  );
  if (existsSync(cached)) return cached;
  return 'promtool';
}

const run = (args: string[]) =>
  execFileSync(promtool(), args, { cwd: RULES, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('Prometheus rules (deploy/prometheus)', () => {
  it('are valid rules', () => {
    expect(run(['check', 'rules', 'rules.yml'])).toMatch(/SUCCESS: 14 rules found/);
  });

  it("fire when they should and stay quiet when they should, as rules.test.yml says (promtool's unit tests)", () => {
    expect(run(['test', 'rules', 'rules.test.yml'])).toMatch(/SUCCESS/);
  });
});
