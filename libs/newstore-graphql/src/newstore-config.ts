import { ConfigOf, env, localDefault, secret } from '@hub/config';
import { z } from 'zod';
import { NewStoreEventStreamClient } from './newstore-event-stream.client';
import { NewStoreGraphQlClient } from './newstore-graphql.client';

/** How the hub reaches NewStore GraphQL; local defaults point at the NewStore emulator (npm run emulator:newstore). */
export const newStoreEnv = {
  NEWSTORE_GRAPHQL_URL: env.string('http://127.0.0.1:4001/api/v1/org/data/query'),
  NEWSTORE_TOKEN_URL: env.string('http://127.0.0.1:4001/auth/realms/{tenant}/protocol/openid-connect/token'),
  /** The default is the NewStore emulator's client: production must set its own. */
  NEWSTORE_CLIENT_ID: localDefault(env.string('hub')),
  /** The default is the NewStore emulator's. */
  NEWSTORE_CLIENT_SECRET: secret(z.string().min(1).default('hub-secret')),
  NEWSTORE_TIMEOUT_MS: env.integer(10_000, 100, 60_000),
  /**
   * NewStore's configuration API (event-stream integrations), https://{tenant}.p.newstore.net;
   * only the watchdog uses it. Unset outside production it is the emulator's.
   */
  NEWSTORE_API_URL: env.optionalString(),
  /** Also ask for each item's `externalIdentifiers { sku }`: no NewStore page documents that field, so off unless a tenant has it. */
  NEWSTORE_QUERY_ITEM_SKU: env.boolean(false),
  /**
   * Orders looked up at once are fetched in one `orders(filter: {id: {in: [...]}})`
   * query of at most this many (NewStore's `first` is at most 100); 1 queries each
   * order on its own.
   */
  NEWSTORE_LOOKUP_BATCH_SIZE: env.integer(50, 1, 100),
  /** Lookup queries in flight per tenant at most; lookups arriving meanwhile wait and share the next query. */
  NEWSTORE_MAX_PARALLEL_QUERIES: env.integer(4, 1, 64),
};

export type NewStoreSettings = ConfigOf<typeof newStoreEnv>;

/** The GraphQL client for these settings; `observe` receives each call's outcome and duration. */
export function createNewStoreClient(
  config: NewStoreSettings,
  observe?: (outcome: 'ok' | 'error', seconds: number) => void,
): NewStoreGraphQlClient {
  return new NewStoreGraphQlClient(
    {
      graphqlUrl: config.NEWSTORE_GRAPHQL_URL,
      tokenUrl: config.NEWSTORE_TOKEN_URL,
      clientId: config.NEWSTORE_CLIENT_ID,
      clientSecret: config.NEWSTORE_CLIENT_SECRET,
      timeoutMs: config.NEWSTORE_TIMEOUT_MS,
      queryItemSku: config.NEWSTORE_QUERY_ITEM_SKU,
      lookupBatchSize: config.NEWSTORE_LOOKUP_BATCH_SIZE,
      maxParallelQueries: config.NEWSTORE_MAX_PARALLEL_QUERIES,
    },
    observe,
  );
}

/** The event-stream configuration client for these settings, with the GraphQL client's tokens. */
export function createEventStreamClient(
  config: NewStoreSettings & { NODE_ENV?: string },
  tokens: NewStoreGraphQlClient,
): NewStoreEventStreamClient | undefined {
  const apiUrl = config.NEWSTORE_API_URL ?? (config.NODE_ENV === 'production' ? undefined : EMULATOR_API_URL);
  if (!apiUrl) return undefined;
  return new NewStoreEventStreamClient({ apiUrl, timeoutMs: config.NEWSTORE_TIMEOUT_MS }, tokens);
}

/** The NewStore emulator (npm run emulator:newstore): a local default, never one in production. */
const EMULATOR_API_URL = 'http://127.0.0.1:4001';
