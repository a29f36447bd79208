import { ConfigError } from '@hub/config';
import { TENANT_PATTERN } from '@hub/newstore';
import { BearerTokenVerifier } from '@hub/platform';

/**
 * Which tenants this hub serves, and which tenant each webhook key belongs to.
 * NewStore sets one `api_key` per event-stream integration, and an integration
 * belongs to one tenant: a key bound to a tenant (`tenant:key` in INGEST_API_KEYS)
 * is accepted for that tenant only. A key given alone is accepted for the one
 * tenant of INGEST_TENANTS, and is refused at start-up when that list names more.
 */
export class TenantKeys {
  readonly tenants: ReadonlySet<string>;
  private readonly verifier: BearerTokenVerifier;
  private readonly boundTo: (string | undefined)[];

  constructor(apiKeys: readonly string[], tenantList: readonly string[] | undefined) {
    const keys: string[] = [];
    this.boundTo = [];
    for (const entry of apiKeys) {
      const separator = entry.indexOf(':');
      const tenant = separator > 0 ? entry.slice(0, separator) : undefined;
      if (tenant !== undefined && TENANT_PATTERN.test(tenant) && separator < entry.length - 1) {
        this.boundTo.push(tenant);
        keys.push(entry.slice(separator + 1));
      } else {
        this.boundTo.push(undefined);
        keys.push(entry);
      }
    }
    const named = this.boundTo.filter((tenant): tenant is string => tenant !== undefined);
    const tenants = new Set(tenantList ?? named);
    const problems: { variable: string; message: string }[] = [];
    for (const tenant of tenants)
      if (!TENANT_PATTERN.test(tenant))
        problems.push({
          variable: 'INGEST_TENANTS',
          message: `"${tenant}" is not a tenant name (letters, digits, - and _)`,
        });
    if (tenants.size === 0)
      problems.push({
        variable: 'INGEST_TENANTS',
        message: 'name the tenants this hub serves, or bind each key to its tenant in INGEST_API_KEYS as tenant:key',
      });
    for (const tenant of named)
      if (!tenants.has(tenant))
        problems.push({
          variable: 'INGEST_API_KEYS',
          message: `a key is bound to "${tenant}", which INGEST_TENANTS does not list`,
        });
    if (this.boundTo.some((tenant) => tenant === undefined) && tenants.size > 1)
      problems.push({
        variable: 'INGEST_API_KEYS',
        message:
          'with several tenants, bind every key to its tenant as tenant:key (a key alone would be valid for all)',
      });
    if (problems.length > 0) throw new ConfigError('ingest', problems);
    this.tenants = tenants;
    this.verifier = new BearerTokenVerifier(keys);
  }

  /** Whether the header carries one of the keys (any tenant): checked before the body is read. */
  isKnownKey(authorization: string | undefined): boolean {
    return this.verifier.match(authorization) >= 0;
  }

  /**
   * Why the key may not deliver an event of this tenant, or undefined when it may:
   * a tenant this hub does not serve, or a key of another tenant's integration.
   */
  refusal(authorization: string | undefined, tenant: string): string | undefined {
    const index = this.verifier.match(authorization);
    if (index < 0) return 'unknown key';
    if (!this.tenants.has(tenant)) return `tenant "${tenant}" is not served by this hub (INGEST_TENANTS)`;
    const bound = this.boundTo[index] ?? [...this.tenants][0];
    if (bound !== tenant) return `this api_key belongs to the integration of another tenant, not "${tenant}"`;
    return undefined;
  }
}
