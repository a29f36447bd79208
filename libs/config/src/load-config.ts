import { z } from 'zod';
import { ConfigError, ConfigProblem } from './config-error';
import { hasLocalDefault, isSecret } from './env-schema';

export type EnvShape = Record<string, z.ZodTypeAny>;
export type ConfigOf<S extends EnvShape> = z.infer<z.ZodObject<S>>;

/**
 * A rule across variables (one adapter needs a URL, another a key file): problems,
 * each naming its variable. Rules are part of the schema, so they are reported with
 * every other problem, before anything connects.
 */
export type ConfigRule<C> = (config: C) => ConfigProblem[];

/**
 * Parses the environment against a shape whose keys are the variable names.
 * Throws a {@link ConfigError} naming every bad or missing variable; nothing
 * should connect anywhere before this has returned.
 */
export function loadConfig<S extends EnvShape>(
  service: string,
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
  rules: ConfigRule<ConfigOf<S>>[] = [],
): ConfigOf<S> {
  const values: Record<string, string | undefined> = {};
  for (const variable of Object.keys(shape)) {
    const raw = source[variable];
    // An empty variable means "not set": it takes the default, or fails if required.
    values[variable] = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }
  const schema = z.object(shape).superRefine((config, context) => {
    for (const rule of rules)
      for (const problem of rule(config))
        context.addIssue({ code: z.ZodIssueCode.custom, path: [problem.variable], message: problem.message });
  });
  const result = schema.safeParse(values);
  const problems: ConfigProblem[] = result.success
    ? []
    : result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message:
          issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required but not set' : issue.message,
      }));
  // Production's own refusals are named in the same run as every other problem: each
  // variable is read on its own for them, whatever else is wrong.
  if ((values.NODE_ENV ?? defaultOf(shape.NODE_ENV)) === 'production') {
    const data: Record<string, unknown> = {};
    for (const [variable, variableSchema] of Object.entries(shape)) {
      const parsed = variableSchema.safeParse(values[variable]);
      if (parsed.success) data[variable] = parsed.data;
    }
    problems.push(...localOnlyValues(shape, values, data));
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return (result as { data: ConfigOf<S> }).data;
}

function defaultOf(schema: z.ZodTypeAny | undefined): unknown {
  const parsed = schema?.safeParse(undefined);
  return parsed?.success ? parsed.data : undefined;
}

/**
 * Values that only make sense on a developer's machine: this machine's address,
 * the emulators' secrets, the example mapping. Their defaults let `npm run up`
 * work with no configuration; in production they would point the hub at nothing
 * (or at an emulator), so they stop the start.
 */
const LOCAL_ONLY: { pattern: RegExp; what: string }[] = [
  { pattern: /\b(127\.0\.0\.1|localhost)\b/, what: "this machine's address" },
  { pattern: /^hub-secret$/, what: "the emulators' secret" },
  { pattern: /mapping\.example\.json$/, what: 'the example mapping' },
];

/**
 * Values no deployment means: a placeholder of the example manifests (`CHANGE-ME-…`),
 * and a URL whose host still holds a template word in capitals
 * (`https://ACCOUNT.suitetalk.api.netsuite.com`). Refused even when set on purpose.
 */
const PLACEHOLDERS: { pattern: RegExp; what: string }[] = [
  { pattern: /CHANGE[-_ ]?ME/i, what: 'a placeholder (CHANGE-ME)' },
  {
    pattern: /^[a-z][a-z0-9+.-]*:\/\/(?:[^/@]*@)?(?:[^/.:]*\.)*[A-Z][A-Z_]{2,}(?:[.:/]|$)/,
    what: 'a URL template left unfilled',
  },
];

function localOnlyValues(
  shape: EnvShape,
  values: Record<string, string | undefined>,
  data: Record<string, unknown>,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [variable, schema] of Object.entries(shape)) {
    const value = data[variable];
    // A list (KAFKA_BROKERS) is looked at item by item.
    const items = (Array.isArray(value) ? value : [value]).filter((item): item is string => typeof item === 'string');
    if (items.length === 0) continue;
    const set = values[variable] !== undefined;
    const shown = (item: string) => (isSecret(schema) ? '' : ` ("${item}")`);
    if (!set && hasLocalDefault(schema)) {
      problems.push({
        variable,
        message: `must be set with NODE_ENV=production: its default${shown(items.join(','))} is the emulators', for local use only`,
      });
      continue;
    }
    const placeholder = items
      .map((item) => ({ item, found: PLACEHOLDERS.find(({ pattern }) => pattern.test(item)) }))
      .find(({ found }) => found);
    if (placeholder?.found) {
      problems.push({
        variable,
        message: `is ${placeholder.found.what}${shown(placeholder.item)}: set the real value for NODE_ENV=production`,
      });
      continue;
    }
    const local = items
      .map((item) => ({ item, found: LOCAL_ONLY.find(({ pattern }) => pattern.test(item)) }))
      .find(({ found }) => found);
    if (!local?.found) continue;
    // A loopback address set on purpose (a sidecar proxy) is allowed; a default never is, nor a known secret.
    if (set && local.found.what === "this machine's address") continue;
    problems.push({
      variable,
      message: set
        ? `is ${local.found.what}, for local use only: set the real value for NODE_ENV=production`
        : `must be set with NODE_ENV=production: its default${shown(local.item)} is ${local.found.what}, for local use only`,
    });
  }
  return problems;
}

/** The configuration as text for a start-up log line, with every secret masked. */
export function describeConfig<S extends EnvShape>(shape: S, config: ConfigOf<S>): Record<string, unknown> {
  const described: Record<string, unknown> = {};
  for (const [variable, schema] of Object.entries(shape)) {
    const value = (config as Record<string, unknown>)[variable];
    described[variable] = isSecret(schema) && value !== undefined ? '[secret]' : value;
  }
  return described;
}

/**
 * A rule made of a builder that throws a {@link ConfigError} (a key list, a mapping
 * file): its problems, so the builder's own checks run with the schema's.
 */
export function problemsOf<C>(build: (config: C) => unknown): ConfigRule<C> {
  return (config) => {
    try {
      build(config);
      return [];
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
  };
}
