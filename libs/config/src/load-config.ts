import { z } from 'zod';
import { ConfigError } from './config-error';
import { isSecret } from './env-schema';

export type EnvShape = Record<string, z.ZodTypeAny>;
export type ConfigOf<S extends EnvShape> = z.infer<z.ZodObject<S>>;

/**
 * Parses the environment against a shape whose keys are the variable names.
 * Throws a {@link ConfigError} naming every bad or missing variable; nothing
 * should connect anywhere before this has returned.
 */
export function loadConfig<S extends EnvShape>(
  service: string,
  shape: S,
  source: NodeJS.ProcessEnv = process.env,
): ConfigOf<S> {
  const values: Record<string, string | undefined> = {};
  for (const variable of Object.keys(shape)) {
    const raw = source[variable];
    // An empty variable means "not set": it takes the default, or fails if required.
    values[variable] = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  }
  const result = z.object(shape).safeParse(values);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(environment)'),
      message:
        issue.code === 'invalid_type' && issue.received === 'undefined' ? 'is required but not set' : issue.message,
    }));
    throw new ConfigError(service, problems);
  }
  return result.data;
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
