import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, ConfigProblem } from './config-error';
import { isSecret } from './env-schema';
import { ConfigOf, EnvShape } from './load-config';

/**
 * One deployment, several retailers (or one retailer's brands): `TENANTS_FILE` gives
 * each tenant its own NewStore connection, ERP adapter, account and credentials,
 * mapping file, time zone and schedule. A connection is written with the same
 * variable names as the environment (`NEWSTORE_CLIENT_ID`, `NETSUITE_ACCOUNT_ID`,
 * `ERP_ADAPTER` ...), parsed by the same schemas, and laid over the environment's
 * values: what a tenant does not set, it shares. Secrets are referenced, never
 * inlined: `{"env": "VARIABLE"}` or `{"file": "/run/secrets/..."}`.
 *
 * ```json
 * { "acme": { "newstore": { "NEWSTORE_CLIENT_SECRET": { "env": "ACME_NEWSTORE_SECRET" } },
 *             "erp": { "NETSUITE_ACCOUNT_ID": "1234567", "NETSUITE_CLIENT_SECRET": { "file": "/run/secrets/acme" } },
 *             "mappingFile": "config/mapping.acme.json", "timeZone": "America/New_York", "dailyAt": "03:00" } }
 * ```
 */
/** Where the tenants file is; unset: one connection, the environment's, for every tenant. */
export const tenantsEnv = {
  TENANTS_FILE: z.string().min(1).optional(),
};

export interface TenantEntry {
  tenant: string;
  /** Values as the environment would carry them (strings), secrets resolved. */
  newstore: Record<string, string>;
  erp: Record<string, string>;
  mappingFile?: string;
  timeZone?: string;
  dailyAt?: string;
}

const reference = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
const value = z.union([z.string(), z.number(), z.boolean(), reference]);
const entrySchema = z
  .object({
    newstore: z.record(value).default({}),
    erp: z.record(value).default({}),
    mappingFile: z.string().min(1).optional(),
    timeZone: z.string().min(1).optional(),
    dailyAt: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day, HH:MM')
      .optional(),
  })
  .strict();
const fileSchema = z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'a tenant name'), entrySchema);

export interface TenantSections {
  newstore: EnvShape;
  erp: EnvShape;
}

/**
 * Reads and validates the tenants file: its shape, every variable name against the
 * section's schema, every value by that schema, secrets as references that resolve.
 * All problems are reported at once, as `TENANTS_FILE` problems naming the place.
 */
export function loadTenantsFile(
  path: string,
  sections: TenantSections,
  environment: NodeJS.ProcessEnv = process.env,
): TenantEntry[] {
  const problems: ConfigProblem[] = [];
  const problem = (where: string, message: string) =>
    problems.push({ variable: 'TENANTS_FILE', message: `${where}: ${message}` });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('tenants', [
      { variable: 'TENANTS_FILE', message: `cannot read ${path} as JSON: ${(error as Error).message}` },
    ]);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      'tenants',
      parsed.error.issues.map((issue) => ({
        variable: 'TENANTS_FILE',
        message: `${issue.path.join('.') || 'the file'}: ${issue.message}`,
      })),
    );
  if (Object.keys(parsed.data).length === 0) problem(path, 'names no tenant');
  const entries: TenantEntry[] = [];
  for (const [tenant, entry] of Object.entries(parsed.data)) {
    const resolved: TenantEntry = { tenant, newstore: {}, erp: {} };
    for (const section of ['newstore', 'erp'] as const) {
      const shape = sections[section];
      for (const [name, given] of Object.entries(entry[section])) {
        const where = `${tenant}.${section}.${name}`;
        const schema = shape[name];
        if (!schema) {
          problem(where, `not a ${section} setting (one of ${Object.keys(shape).join(', ')})`);
          continue;
        }
        const isReference = typeof given === 'object';
        if (isSecret(schema) && !isReference) {
          problem(where, 'a secret is referenced, never written here: {"env": "VARIABLE"} or {"file": "/path"}');
          continue;
        }
        let text: string;
        if (typeof given !== 'object') text = String(given);
        else if ('env' in given) {
          const found = environment[given.env];
          if (found === undefined || found === '') {
            problem(where, `the environment variable ${given.env} is not set`);
            continue;
          }
          text = found;
        } else {
          try {
            text = readFileSync(given.file, 'utf8').trim();
          } catch (error) {
            problem(where, `cannot read ${given.file}: ${(error as Error).message}`);
            continue;
          }
        }
        const checked = schema.safeParse(text);
        if (!checked.success) {
          // A secret's value is never echoed.
          problem(where, isSecret(schema) ? 'the referenced value is invalid' : checked.error.issues[0].message);
          continue;
        }
        resolved[section][name] = text;
      }
    }
    entries.push({ ...resolved, mappingFile: entry.mappingFile, timeZone: entry.timeZone, dailyAt: entry.dailyAt });
  }
  if (problems.length > 0) throw new ConfigError('tenants', problems);
  return entries;
}

/** The environment's settings with a tenant's values laid over them, parsed by the same schema. */
export function overlaySettings<S extends EnvShape>(
  shape: S,
  base: ConfigOf<S>,
  overlay: Record<string, string>,
): ConfigOf<S> {
  const picked = Object.fromEntries<z.ZodTypeAny>(Object.keys(overlay).map((name) => [name, shape[name]]));
  return { ...base, ...z.object(picked).parse(overlay) };
}

/**
 * The start-up rule of a service that reads TENANTS_FILE: the file's own problems,
 * then `check`'s for each tenant (its settings as that service uses them).
 */
export function tenantsFileProblems(
  path: string | undefined,
  sections: TenantSections,
  check: (entry: TenantEntry) => ConfigProblem[],
): ConfigProblem[] {
  if (!path) return [];
  try {
    return loadTenantsFile(path, sections).flatMap(check);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
