import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';

export interface SchemaRegistrySettings {
  SCHEMA_REGISTRY_URL: string;
  SCHEMA_REGISTRY_USERNAME?: string;
  SCHEMA_REGISTRY_PASSWORD?: string;
}

/** A client of the Confluent-compatible registry (Apicurio's ccompat API locally). */
export function createSchemaRegistry(settings: SchemaRegistrySettings): SchemaRegistry {
  const auth =
    settings.SCHEMA_REGISTRY_USERNAME && settings.SCHEMA_REGISTRY_PASSWORD
      ? { username: settings.SCHEMA_REGISTRY_USERNAME, password: settings.SCHEMA_REGISTRY_PASSWORD }
      : undefined;
  return new SchemaRegistry({ host: settings.SCHEMA_REGISTRY_URL, auth });
}
