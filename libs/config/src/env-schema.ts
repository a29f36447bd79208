import { z } from 'zod';

/**
 * Builders for environment variables. Every variable is a string in the
 * environment; these parse it into a typed value with a default that serves
 * local development, and a message that says what was expected.
 */

/** A mark a schema can carry, and the check for it (schemas are objects: marked by identity). */
function schemaMark() {
  const marked = new WeakSet<z.ZodTypeAny>();
  return {
    mark: <T extends z.ZodTypeAny>(schema: T): T => {
      marked.add(schema);
      return schema;
    },
    has: (schema: z.ZodTypeAny): boolean => marked.has(schema),
  };
}

const secrets = schemaMark();
/** Marks a schema as a secret: its value is never printed by {@link describeConfig}. */
export const secret = secrets.mark;
export const isSecret = secrets.has;

const localDefaults = schemaMark();
/**
 * Marks a schema whose default serves only the local emulators (a client id the
 * emulator accepts, say): with NODE_ENV=production it must be set.
 */
export const localDefault = localDefaults.mark;
export const hasLocalDefault = localDefaults.has;

export const env = {
  string: (defaultValue?: string) =>
    defaultValue === undefined ? z.string().min(1, 'is required') : z.string().min(1).default(defaultValue),

  optionalString: () => z.string().min(1).optional(),

  port: (defaultValue: number) =>
    z.coerce
      .number({ invalid_type_error: 'must be a TCP port number' })
      .int('must be a whole number')
      .min(0, 'must be a TCP port between 0 (any free port) and 65535')
      .max(65535, 'must be a TCP port between 0 (any free port) and 65535')
      .default(defaultValue),

  integer: (defaultValue: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce
      .number({ invalid_type_error: 'must be a whole number' })
      .int('must be a whole number')
      .min(min, `must be at least ${min}`)
      .max(max, `must be at most ${max}`)
      .default(defaultValue),

  boolean: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], {
        errorMap: () => ({ message: 'must be true or false' }),
      })
      .transform((value) => value === 'true' || value === '1' || value === 'yes')
      .default(defaultValue ? 'true' : 'false'),

  url: (defaultValue?: string) => {
    const schema = z.string().url('must be a URL such as http://host:port');
    return defaultValue === undefined ? schema : schema.default(defaultValue);
  },

  /** A comma-separated list; empty items are dropped. */
  list: (defaultValue?: string) => {
    const schema = z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
      )
      .refine((items) => items.length > 0, 'must list at least one value, comma-separated');
    return defaultValue === undefined ? schema : schema.default(defaultValue);
  },

  enumeration: <const T extends readonly [string, ...string[]]>(values: T, defaultValue: T[number]) =>
    z
      .enum(values, { errorMap: () => ({ message: `must be one of ${values.join(', ')}` }) })
      .default(defaultValue as never),
};

/**
 * The enricher's delay-retry tiers, in ms (NewStore advises 2, 4, 8 … 512 s; then the
 * DLQ). The sink reads them too: a document waits for its sale at least as long as
 * the sale may still be in retry.
 */
export const retryTiersEnv = {
  ENRICHER_RETRY_TIERS_MS: env
    .list('2000,4000,8000,16000,32000,64000,128000,256000,512000')
    .pipe(z.array(z.coerce.number().int().min(10, 'each tier is at least 10 ms'))),
};
