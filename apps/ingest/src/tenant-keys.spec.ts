import { ConfigError } from '@hub/config';
import { TenantKeys } from './tenant-keys';

describe('webhook keys and the tenants they serve', () => {
  it('binds each key to its tenant, and refuses it for any other', () => {
    const keys = new TenantKeys(['acme:k1', 'acme:k2', 'beta:k3'], undefined);
    expect([...keys.tenants]).toEqual(['acme', 'beta']);
    expect(keys.refusal('Bearer k1', 'acme')).toBeUndefined();
    expect(keys.refusal('Bearer k2', 'acme')).toBeUndefined();
    expect(keys.refusal('Bearer k3', 'acme')).toMatch(/another tenant/);
    expect(keys.refusal('Bearer k1', 'gamma')).toMatch(/not served/);
    expect(keys.isKnownKey('Bearer k9')).toBe(false);
  });

  it('lets a key alone serve the one tenant of INGEST_TENANTS', () => {
    const keys = new TenantKeys(['k1'], ['acme']);
    expect(keys.refusal('Bearer k1', 'acme')).toBeUndefined();
    expect(keys.refusal('Bearer k1', 'beta')).toMatch(/not served/);
  });

  it('refuses at start-up what would let a key serve every tenant, naming the variable', () => {
    expect(() => new TenantKeys(['k1'], undefined)).toThrow(ConfigError);
    expect(() => new TenantKeys(['k1'], ['acme', 'beta'])).toThrow(/INGEST_API_KEYS: with several tenants/);
    expect(() => new TenantKeys(['gamma:k1'], ['acme'])).toThrow(/bound to "gamma"/);
    expect(() => new TenantKeys(['acme:k1'], ['../x'])).toThrow(/INGEST_TENANTS: "..\/x" is not a tenant name/);
  });
});
