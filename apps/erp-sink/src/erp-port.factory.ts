import { readFileSync } from 'node:fs';
import { ConfigError } from '@hub/config';
import { ErpPort, GenericHttpAdapter, NetSuiteRestAdapter } from '@hub/erp';
import { ErpSinkConfig } from './erp-sink.config';

/** The configured ERP adapter. The hub reaches the ERP only through these settings. */
export function createErpPort(config: ErpSinkConfig): ErpPort {
  if (config.ERP_ADAPTER === 'generic-http') {
    if (!config.GENERIC_ERP_UPSERT_URL) {
      throw new ConfigError('erp-sink', [
        { variable: 'GENERIC_ERP_UPSERT_URL', message: 'is required with ERP_ADAPTER=generic-http' },
      ]);
    }
    return new GenericHttpAdapter({
      upsertUrlTemplate: config.GENERIC_ERP_UPSERT_URL,
      listUrlTemplate: config.GENERIC_ERP_LIST_URL,
      method: config.GENERIC_ERP_METHOD,
      idempotencyHeader: config.GENERIC_ERP_IDEMPOTENCY_HEADER,
      bearerToken: config.GENERIC_ERP_TOKEN,
      requestTimeoutMs: config.ERP_REQUEST_TIMEOUT_MS,
    });
  }
  if (config.NETSUITE_AUTH === 'tba') {
    const required = [
      'NETSUITE_ACCOUNT_ID',
      'NETSUITE_CONSUMER_KEY',
      'NETSUITE_CONSUMER_SECRET',
      'NETSUITE_TOKEN_ID',
      'NETSUITE_TOKEN_SECRET',
    ] as const;
    const missing = required.filter((variable) => !config[variable]);
    if (missing.length > 0) {
      throw new ConfigError(
        'erp-sink',
        missing.map((variable) => ({ variable, message: 'is required with NETSUITE_AUTH=tba' })),
      );
    }
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
    });
  }
  let privateKeyPem: string | undefined;
  if (config.NETSUITE_PRIVATE_KEY_FILE) {
    try {
      privateKeyPem = readFileSync(config.NETSUITE_PRIVATE_KEY_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError('erp-sink', [
        { variable: 'NETSUITE_PRIVATE_KEY_FILE', message: `cannot be read: ${(error as Error).message}` },
      ]);
    }
  }
  if (!privateKeyPem && !config.NETSUITE_CLIENT_SECRET) {
    throw new ConfigError('erp-sink', [
      {
        variable: 'NETSUITE_PRIVATE_KEY_FILE',
        message: 'or NETSUITE_CLIENT_SECRET is required for ERP_ADAPTER=netsuite',
      },
    ]);
  }
  return new NetSuiteRestAdapter({
    baseUrl: config.NETSUITE_BASE_URL,
    tokenUrl: config.NETSUITE_TOKEN_URL,
    clientId: config.NETSUITE_CLIENT_ID,
    clientSecret: config.NETSUITE_CLIENT_SECRET,
    privateKeyPem,
    certificateId: config.NETSUITE_CERTIFICATE_ID,
    requestTimeoutMs: config.ERP_REQUEST_TIMEOUT_MS,
  });
}
