import { NetSuiteRestAdapter, NetSuiteSettings } from '@hub/erp';

/** The hub's NetSuite adapter, signing in with the ERP emulator's default client credentials. */
export function emulatorNetSuiteAdapter(
  baseUrl: string,
  overrides: Partial<NetSuiteSettings> = {},
): NetSuiteRestAdapter {
  return new NetSuiteRestAdapter({
    baseUrl,
    clientId: 'hub-client',
    clientSecret: 'hub-secret',
    requestTimeoutMs: 2_000,
    ...overrides,
  });
}
