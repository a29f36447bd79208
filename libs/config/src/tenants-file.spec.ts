import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config-error';
import { env, secret } from './env-schema';
import { loadTenantsFile, overlaySettings } from './tenants-file';

const sections = {
  newstore: { NEWSTORE_CLIENT_ID: env.string('hub'), NEWSTORE_CLIENT_SECRET: secret(z.string().min(1).default('x')) },
  erp: {
    ERP_ADAPTER: env.enumeration(['netsuite', 'generic-http'], 'netsuite'),
    NETSUITE_ACCOUNT_ID: env.optionalString(),
    ERP_REQUEST_TIMEOUT_MS: env.integer(30_000, 100, 900_000),
  },
};

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tenants-')), 'tenants.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problemsOf(call: () => unknown): string[] {
  try {
    call();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.message);
    throw error;
  }
  return [];
}

describe('TENANTS_FILE', () => {
  it('gives each tenant its settings, secrets resolved from the environment or a file', () => {
    const secretFile = file('from-a-file\n');
    const entries = loadTenantsFile(
      file({
        acme: {
          newstore: { NEWSTORE_CLIENT_ID: 'acme-hub', NEWSTORE_CLIENT_SECRET: { env: 'ACME_SECRET' } },
          erp: { NETSUITE_ACCOUNT_ID: 1234567, ERP_REQUEST_TIMEOUT_MS: 5000 },
          mappingFile: 'config/mapping.acme.json',
          timeZone: 'America/New_York',
          dailyAt: '03:00',
        },
        globex: { newstore: { NEWSTORE_CLIENT_SECRET: { file: secretFile } } },
      }),
      sections,
      { ACME_SECRET: 'from-the-env' },
    );
    expect(entries).toEqual([
      {
        tenant: 'acme',
        newstore: { NEWSTORE_CLIENT_ID: 'acme-hub', NEWSTORE_CLIENT_SECRET: 'from-the-env' },
        erp: { NETSUITE_ACCOUNT_ID: '1234567', ERP_REQUEST_TIMEOUT_MS: '5000' },
        mappingFile: 'config/mapping.acme.json',
        timeZone: 'America/New_York',
        dailyAt: '03:00',
      },
      { tenant: 'globex', newstore: { NEWSTORE_CLIENT_SECRET: 'from-a-file' }, erp: {} },
    ]);
    // Laid over the environment's settings: what the tenant does not set, it shares.
    const base = { ERP_ADAPTER: 'netsuite' as const, NETSUITE_ACCOUNT_ID: undefined, ERP_REQUEST_TIMEOUT_MS: 30_000 };
    expect(overlaySettings(sections.erp, base, entries[0].erp)).toEqual({
      ERP_ADAPTER: 'netsuite',
      NETSUITE_ACCOUNT_ID: '1234567',
      ERP_REQUEST_TIMEOUT_MS: 5_000,
    });
  });

  it('refuses an inlined secret, an unknown setting, a bad value and a reference that does not resolve, all at once, without echoing the secret', () => {
    const problems = problemsOf(() =>
      loadTenantsFile(
        file({
          acme: {
            newstore: { NEWSTORE_CLIENT_SECRET: 'hunter2', NEWSTORE_CLIENTID: 'typo' },
            erp: { ERP_ADAPTER: 'sap', ERP_REQUEST_TIMEOUT_MS: { env: 'UNSET_VARIABLE' } },
          },
          globex: { newstore: { NEWSTORE_CLIENT_SECRET: { file: '/nonexistent/secret' } } },
        }),
        sections,
        {},
      ),
    );
    expect(problems).toEqual([
      expect.stringContaining('acme.newstore.NEWSTORE_CLIENT_SECRET: a secret is referenced, never written here'),
      expect.stringContaining('acme.newstore.NEWSTORE_CLIENTID: not a newstore setting'),
      expect.stringContaining('acme.erp.ERP_ADAPTER:'),
      'acme.erp.ERP_REQUEST_TIMEOUT_MS: the environment variable UNSET_VARIABLE is not set',
      expect.stringContaining('globex.newstore.NEWSTORE_CLIENT_SECRET: cannot read /nonexistent/secret'),
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('refuses a file that is no JSON, a bad tenant name, an unknown field and a bad schedule', () => {
    expect(problemsOf(() => loadTenantsFile(file('{not json'), sections))[0]).toMatch(/cannot read .* as JSON/);
    expect(
      problemsOf(() =>
        loadTenantsFile(file({ 'bad name': {}, acme: { timezone: 'UTC' }, globex: { dailyAt: '25:00' } }), sections),
      ),
    ).toEqual([
      expect.stringContaining('bad name: a tenant name'),
      expect.stringContaining("acme: Unrecognized key(s) in object: 'timezone'"),
      'globex.dailyAt: must be a time of day, HH:MM',
    ]);
    expect(problemsOf(() => loadTenantsFile(file({}), sections))).toEqual([expect.stringContaining('names no tenant')]);
  });
});
