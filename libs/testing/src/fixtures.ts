import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeploymentMapping,
  deploymentMappingSchema,
  EventRecord,
  NewStoreEnvelope,
  prepareEventRecord,
} from '@hub/newstore';
import { NewStoreGraphQlClient, NewStoreGraphQlSettings } from '@hub/newstore-graphql';
import { Client } from 'pg';
import { testDatabaseUrl } from './settings';

/** Drops a test's own Postgres schema. */
export async function dropSchema(schema: string): Promise<void> {
  const database = new Client({ connectionString: testDatabaseUrl() });
  await database.connect();
  try {
    await database.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await database.end();
  }
}

/** The record ingest would store for this envelope (key, raw bytes, headers with the event id). */
export function eventRecordOf(envelope: unknown): EventRecord {
  const prepared = prepareEventRecord(Buffer.from(JSON.stringify(envelope as NewStoreEnvelope)), {
    receivedAt: new Date(),
    contentType: 'application/json',
  });
  if (!prepared.ok) throw new Error(`invalid test event: ${JSON.stringify(prepared.problems)}`);
  return prepared.record;
}

/** The enricher's NewStore settings pointing at an emulator listening on `base`. */
export function newStoreEnv(base: string): Record<string, string> {
  return {
    NEWSTORE_GRAPHQL_URL: `${base}/api/v1/org/data/query`,
    NEWSTORE_TOKEN_URL: `${base}/auth/realms/{tenant}/protocol/openid-connect/token`,
  };
}

/** A NewStore GraphQL client for the emulator listening on `base`, with the emulator's client credentials. */
export function newStoreTestClient(
  base: string,
  timeoutMs = 5_000,
  settings: Partial<NewStoreGraphQlSettings> = {},
  observe?: (outcome: 'ok' | 'error', seconds: number) => void,
): NewStoreGraphQlClient {
  const urls = newStoreEnv(base);
  return new NewStoreGraphQlClient(
    {
      graphqlUrl: urls.NEWSTORE_GRAPHQL_URL,
      tokenUrl: urls.NEWSTORE_TOKEN_URL,
      clientId: 'hub',
      clientSecret: 'hub-secret',
      timeoutMs,
      ...settings,
    },
    observe,
  );
}

/** The mapping file the repository ships (config/mapping.example.json), validated: the ids the ERP emulator's demo account holds. */
export function exampleDeploymentMapping(): DeploymentMapping {
  return deploymentMappingSchema.parse(
    JSON.parse(readFileSync(join(__dirname, '../../../config/mapping.example.json'), 'utf8')),
  );
}
