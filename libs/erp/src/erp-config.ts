import { readFileSync } from 'node:fs';
import { ConfigError, ConfigOf, ConfigProblem, env, secret } from '@hub/config';
import { z } from 'zod';
import { ErpPort } from './erp-port';
import { GenericHttpAdapter } from './generic-http.adapter';
import { NetSuiteRestAdapter } from './netsuite-rest.adapter';

/** How the hub reaches the ERP; local defaults point at the ERP emulator (npm run emulator:erp). */
export const erpEnv = {
  ERP_ADAPTER: env.enumeration(['netsuite', 'generic-http'], 'netsuite'),
  /** oauth2 (client credentials: certificate or secret) or tba (token-based auth, HMAC-SHA256). */
  NETSUITE_AUTH: env.enumeration(['oauth2', 'tba'], 'oauth2'),
  NETSUITE_ACCOUNT_ID: env.optionalString(),
  NETSUITE_CONSUMER_KEY: env.optionalString(),
  NETSUITE_CONSUMER_SECRET: secret(z.string().min(1).optional()),
  NETSUITE_TOKEN_ID: env.optionalString(),
  NETSUITE_TOKEN_SECRET: secret(z.string().min(1).optional()),
  NETSUITE_BASE_URL: env.url('http://127.0.0.1:4002/services/rest'),
  NETSUITE_TOKEN_URL: z.string().url().optional(),
  NETSUITE_CLIENT_ID: env.string('hub-client'),
  /**
   * Client secret, used when no private key is set. Unset outside production it is
   * the ERP emulator's (`hub-secret`); production uses the certificate below, or sets it.
   */
  NETSUITE_CLIENT_SECRET: secret(z.string().min(1).optional()),
  NETSUITE_PRIVATE_KEY_FILE: env.optionalString(),
  NETSUITE_CERTIFICATE_ID: env.optionalString(),
  GENERIC_ERP_UPSERT_URL: z.string().min(1).optional(),
  GENERIC_ERP_LIST_URL: z.string().min(1).optional(),
  GENERIC_ERP_DELETE_URL: z.string().min(1).optional(),
  GENERIC_ERP_METHOD: env.enumeration(['PUT', 'POST'], 'PUT'),
  GENERIC_ERP_IDEMPOTENCY_HEADER: env.string('Idempotency-Key'),
  GENERIC_ERP_TOKEN: secret(z.string().min(1).optional()),
  ERP_REQUEST_TIMEOUT_MS: env.integer(30_000, 100, 900_000),
  /**
   * How a NewStore product id names its NetSuite item (docs/domain.md section 3, "Items"):
   * `externalId` (the item's external id is the product id; sent as a reference, NetSuite
   * resolves it) or `name` (the item's name, `itemid`, is the product id; looked up by
   * SuiteQL once and cached).
   */
  NETSUITE_ITEM_LOOKUP: env.enumeration(['externalId', 'name'], 'externalId'),
  /**
   * How the customer of a sale is found (docs/domain.md section 3, "Customer"): `email`
   * (an active customer with the e-mail in the subsidiary, else created) or `externalId`
   * (always the customer the hub created from NewStore's customer id).
   */
  NETSUITE_CUSTOMER_MATCH: env.enumeration(['email', 'externalId'], 'email'),
  /** Custom body fields that carry NewStore's order and event ids (unset: not sent; the memo names the order). */
  NETSUITE_ORDER_ID_FIELD: env.optionalString(),
  NETSUITE_EVENT_ID_FIELD: env.optionalString(),
};

export type ErpSettings = ConfigOf<typeof erpEnv>;

/** The ERP emulator's client secret (tools/emulators/erp): a local default, never one in production. */
const EMULATOR_CLIENT_SECRET = 'hub-secret';

/**
 * What the ERP settings lack for the chosen adapter and authentication (rules across
 * variables): checked with the rest of the configuration, before anything connects.
 */
export function erpConfigProblems(config: ErpSettings & { NODE_ENV?: string }): ConfigProblem[] {
  if (config.ERP_ADAPTER === 'generic-http')
    return config.GENERIC_ERP_UPSERT_URL
      ? []
      : [{ variable: 'GENERIC_ERP_UPSERT_URL', message: 'is required with ERP_ADAPTER=generic-http' }];
  if (config.NETSUITE_AUTH === 'tba')
    return TBA_VARIABLES.filter((variable) => !config[variable]).map((variable) => ({
      variable,
      message: 'is required with NETSUITE_AUTH=tba',
    }));
  if (config.NETSUITE_PRIVATE_KEY_FILE) {
    try {
      readFileSync(config.NETSUITE_PRIVATE_KEY_FILE, 'utf8');
      return [];
    } catch (error) {
      return [{ variable: 'NETSUITE_PRIVATE_KEY_FILE', message: `cannot be read: ${(error as Error).message}` }];
    }
  }
  return clientSecretOf(config)
    ? []
    : [
        {
          variable: 'NETSUITE_PRIVATE_KEY_FILE',
          message: 'or NETSUITE_CLIENT_SECRET is required for ERP_ADAPTER=netsuite',
        },
      ];
}

const TBA_VARIABLES = [
  'NETSUITE_ACCOUNT_ID',
  'NETSUITE_CONSUMER_KEY',
  'NETSUITE_CONSUMER_SECRET',
  'NETSUITE_TOKEN_ID',
  'NETSUITE_TOKEN_SECRET',
] as const;

function clientSecretOf(config: ErpSettings & { NODE_ENV?: string }): string | undefined {
  return config.NETSUITE_CLIENT_SECRET ?? (config.NODE_ENV === 'production' ? undefined : EMULATOR_CLIENT_SECRET);
}

/**
 * The configured ERP adapter. The hub reaches the ERP only through these settings;
 * settings with {@link erpConfigProblems} are refused here too.
 */
export function createErpPort(config: ErpSettings & { NODE_ENV?: string }, service: string): ErpPort {
  const problems = erpConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(service, problems);
  if (config.ERP_ADAPTER === 'generic-http') {
    return new GenericHttpAdapter({
      upsertUrlTemplate: config.GENERIC_ERP_UPSERT_URL!,
      listUrlTemplate: config.GENERIC_ERP_LIST_URL,
      deleteUrlTemplate: config.GENERIC_ERP_DELETE_URL,
      method: config.GENERIC_ERP_METHOD,
      idempotencyHeader: config.GENERIC_ERP_IDEMPOTENCY_HEADER,
      bearerToken: config.GENERIC_ERP_TOKEN,
      requestTimeoutMs: config.ERP_REQUEST_TIMEOUT_MS,
    });
  }
  if (config.NETSUITE_AUTH === 'tba') {
    return new NetSuiteRestAdapter({
      baseUrl: config.NETSUITE_BASE_URL,
      clientId: config.NETSUITE_CLIENT_ID,
      tokenBasedAuth: {
        accountId: config.NETSUITE_ACCOUNT_ID!,
        consumerKey: config.NETSUITE_CONSUMER_KEY!,
        consumerSecret: config.NETSUITE_CONSUMER_SECRET!,
        tokenId: config.NETSUITE_TOKEN_ID!,
        tokenSecret: config.NETSUITE_TOKEN_SECRET!,
      },
      requestTimeoutMs: config.ERP_REQUEST_TIMEOUT_MS,
      ...bookingSettings(config),
    });
  }
  const privateKeyPem = config.NETSUITE_PRIVATE_KEY_FILE
    ? readFileSync(config.NETSUITE_PRIVATE_KEY_FILE, 'utf8')
    : undefined;
  return new NetSuiteRestAdapter({
    baseUrl: config.NETSUITE_BASE_URL,
    tokenUrl: config.NETSUITE_TOKEN_URL,
    clientId: config.NETSUITE_CLIENT_ID,
    clientSecret: privateKeyPem ? undefined : clientSecretOf(config),
    privateKeyPem,
    certificateId: config.NETSUITE_CERTIFICATE_ID,
    requestTimeoutMs: config.ERP_REQUEST_TIMEOUT_MS,
    ...bookingSettings(config),
  });
}

/** How the NetSuite adapter names items and customers, and which custom fields it fills. */
function bookingSettings(config: ErpSettings) {
  return {
    itemLookup: config.NETSUITE_ITEM_LOOKUP,
    customerMatch: config.NETSUITE_CUSTOMER_MATCH,
    customFields: { orderId: config.NETSUITE_ORDER_ID_FIELD, eventId: config.NETSUITE_EVENT_ID_FIELD },
  };
}
