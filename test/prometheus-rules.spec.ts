import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
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
    expect(run(['check', 'rules', 'rules.yml'])).toMatch(/SUCCESS: 20 rules found/);
  });

  it('give every alert a runbook: what it means, how to confirm, how to fix', () => {
    const rules = parse(readFileSync(join(RULES, 'rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[];
    };
    const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
    expect(alerts.length).toBeGreaterThan(10);
    for (const alert of alerts) {
      expect(alert.annotations?.runbook_url).toBe(`docs/runbooks/${alert.alert}.md`);
      const runbook = readFileSync(join(ROOT, alert.annotations!.runbook_url), 'utf8');
      expect(runbook.split('\n')[0]).toBe(`# ${alert.alert}`);
      for (const section of ['## What it means', '## How to confirm', '## How to fix'])
        expect(runbook).toContain(section);
    }
  });

  it("fire when they should and stay quiet when they should, as rules.test.yml says (promtool's unit tests)", () => {
    expect(run(['test', 'rules', 'rules.test.yml'])).toMatch(/SUCCESS/);
  });
});
