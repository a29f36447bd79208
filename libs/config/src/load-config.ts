import { z } from 'zod';
import { ConfigError, ConfigProblem } from './config-error';
import { isSecret } from './env-schema';

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
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(environment)'),
      message:
        issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required but not set' : issue.message,
    }));
    throw new ConfigError(service, problems);
  }
  const data = result.data as Record<string, unknown>;
  if (data.NODE_ENV === 'production') {
    const problems = localOnlyValues(shape, values, data);
    if (problems.length > 0) throw new ConfigError(service, problems);
  }
  return result.data;
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

function localOnlyValues(
  shape: EnvShape,
  values: Record<string, string | undefined>,
  data: Record<string, unknown>,
): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  for (const [variable, schema] of Object.entries(shape)) {
    const value = data[variable];
    if (typeof value !== 'string') continue;
    const local = LOCAL_ONLY.find(({ pattern }) => pattern.test(value));
    if (!local) continue;
    // A loopback address set on purpose (a sidecar proxy) is allowed; a default never is, nor a known secret.
    if (values[variable] !== undefined && local.what === "this machine's address") continue;
    const shown = isSecret(schema) ? '' : ` ("${value}")`;
    problems.push({
      variable,
      message:
        values[variable] === undefined
          ? `must be set with NODE_ENV=production: its default${shown} is ${local.what}, for local use only`
          : `is ${local.what}, for local use only: set the real value for NODE_ENV=production`,
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
