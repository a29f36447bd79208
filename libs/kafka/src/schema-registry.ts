import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export interface SchemaRegistrySettings {
  SCHEMA_REGISTRY_URL: string;
  SCHEMA_REGISTRY_USERNAME?: string;
  SCHEMA_REGISTRY_PASSWORD?: string;
}

function authOf(settings: SchemaRegistrySettings) {
  return settings.SCHEMA_REGISTRY_USERNAME && settings.SCHEMA_REGISTRY_PASSWORD
    ? { username: settings.SCHEMA_REGISTRY_USERNAME, password: settings.SCHEMA_REGISTRY_PASSWORD }
    : undefined;
}

/** A client of the Confluent-compatible registry (Apicurio's ccompat API locally). */
export function createSchemaRegistry(settings: SchemaRegistrySettings): SchemaRegistry {
  return new SchemaRegistry({ host: settings.SCHEMA_REGISTRY_URL, auth: authOf(settings) });
}

/** Sets a subject's compatibility level: what the client cannot do but after a first registration. */
export type SetSubjectCompatibility = (subject: string, level: string) => Promise<void>;

/**
 * `PUT /config/{subject}` of the Confluent API (Apicurio's ccompat API implements
 * it, also for a subject with no schema yet).
 */
export function subjectCompatibility(settings: SchemaRegistrySettings): SetSubjectCompatibility {
  const auth = authOf(settings);
  return async (subject, level) => {
    const response = await fetch(
      `${settings.SCHEMA_REGISTRY_URL.replace(/\/$/, '')}/config/${encodeURIComponent(subject)}`,
      {
        method: 'PUT',
        headers: {
          'content-type': 'application/vnd.schemaregistry.v1+json',
          ...(auth
            ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` }
            : {}),
        },
        body: JSON.stringify({ compatibility: level }),
        signal: AbortSignal.timeout(10_000),
      },
    );
    if (!response.ok)
      throw Object.assign(
        new Error(
          `schema registry: compatibility ${level} of ${subject} refused: HTTP ${response.status} ${await response.text()}`,
        ),
        { status: response.status },
      );
  };
}
