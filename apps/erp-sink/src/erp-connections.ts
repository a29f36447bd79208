import { ConfigProblem, loadTenantsFile, overlaySettings, tenantsFileProblems } from '@hub/config';
import { CircuitBreakingErpPort, createErpPort, erpConfigProblems, erpEnv, ErpPort, ErpSettings } from '@hub/erp';
import { ConcurrencyLimit } from '@hub/kafka';
import { newStoreEnv } from '@hub/newstore-graphql';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import { ErpSinkConfig } from './erp-sink.config';
import { ErpSinkMetrics } from './erp-sink.metrics';

/** One ERP account as the sink reaches it: its adapter behind its own circuit breaker, and its own request slots. */
export interface ErpConnection {
  account: string;
  port: ErpPort;
  /** ERP requests in flight to this account, across partitions and the sweep: at most ERP_CONCURRENCY. */
  requests: Pick<ConcurrencyLimit, 'run'>;
}

/** A document of a tenant the tenants file does not name: it cannot be posted anywhere. */
export class UnknownTenantError extends Error {
  constructor(readonly tenant: string) {
    super(`tenant "${tenant}" is not in TENANTS_FILE: no ERP account to post its documents to`);
    this.name = 'UnknownTenantError';
  }
}

/**
 * The account an adapter's settings reach, as logs and metrics name it: the NetSuite
 * account id, or the ERP's host. Never a whole URL, which may carry credentials in
 * its user part or query.
 */
export function erpAccountOf(settings: ErpSettings): string {
  if (settings.ERP_ADAPTER === 'generic-http') return `generic-http:${hostOf(settings.GENERIC_ERP_UPSERT_URL)}`;
  return `netsuite:${settings.NETSUITE_ACCOUNT_ID ?? hostOf(settings.NETSUITE_BASE_URL)}`;
}

function hostOf(template: string | undefined): string {
  try {
    return new URL((template ?? '').replace(/\{[^}]+\}/g, 'x')).host || 'unknown-host';
  } catch {
    return 'unknown-host';
  }
}

/** Everything an adapter is built from: two tenants whose ERP settings differ in anything never share an adapter. */
function adapterSettingsOf(settings: ErpSettings): string {
  return JSON.stringify(
    Object.keys(erpEnv)
      .sort()
      .map((variable) => [variable, settings[variable as keyof ErpSettings] ?? null]),
  );
}

/** TENANTS_FILE checked at start-up: its shape and secrets, and each tenant's ERP settings for their adapter. */
export function tenantErpProblems(config: ErpSettings & { TENANTS_FILE?: string; NODE_ENV?: string }): ConfigProblem[] {
  return tenantsFileProblems(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv }, (entry) =>
    erpConfigProblems({ ...overlaySettings(erpEnv, config, entry.erp), NODE_ENV: config.NODE_ENV }).map((problem) => ({
      variable: 'TENANTS_FILE',
      message: `${entry.tenant}.erp: ${problem.variable} ${problem.message}`,
    })),
  );
}

/**
 * The ERP connection of each tenant (TENANTS_FILE), one per ERP account: a breaker
 * that opens for one account and the concurrency slots of one account never hold up
 * another tenant's documents. Without a tenants file, every tenant shares the
 * environment's connection.
 */
@Injectable()
export class ErpConnections {
  private readonly byTenant = new Map<string, ErpConnection>();
  private readonly shared?: ErpConnection;

  constructor(
    @InjectConfig() config: ErpSinkConfig,
    @Inject(ErpSinkMetrics) metrics: ErpSinkMetrics,
    @Inject(ServiceRuntime) runtime: ServiceRuntime,
  ) {
    const connect = (settings: ErpSinkConfig, account: string): ErpConnection => {
      metrics.circuit(account, 'closed');
      return {
        account,
        port: new CircuitBreakingErpPort(
          createErpPort(settings, 'erp-sink'),
          { failureThreshold: config.ERP_CIRCUIT_FAILURE_THRESHOLD, openMs: config.ERP_CIRCUIT_OPEN_MS },
          (state) => {
            metrics.circuit(account, state);
            runtime.logger.warn({ state, account }, 'ERP circuit breaker changed state');
          },
        ),
        requests: new ConcurrencyLimit(config.ERP_CONCURRENCY),
      };
    };
    if (!config.TENANTS_FILE) {
      this.shared = connect(config, 'default');
      return;
    }
    // One connection per distinct adapter settings (credentials, role, method, headers, timeout): tenants
    // sharing an ERP account with their own credentials each post with theirs. Identical settings share
    // one connection, its breaker and its slots. The in-memory key holds secrets; the label none.
    const connections = new Map<string, ErpConnection>();
    const labels = new Map<string, number>();
    for (const entry of loadTenantsFile(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv })) {
      const settings = overlaySettings(erpEnv, config, entry.erp) as ErpSinkConfig;
      const key = adapterSettingsOf(settings);
      if (!connections.has(key)) {
        const account = erpAccountOf(settings);
        const seen = labels.get(account) ?? 0;
        labels.set(account, seen + 1);
        connections.set(key, connect(settings, seen === 0 ? account : `${account}#${seen + 1}`));
      }
      this.byTenant.set(entry.tenant, connections.get(key)!);
    }
  }

  for(tenant: string): ErpConnection {
    const connection = this.byTenant.get(tenant) ?? this.shared;
    if (!connection) throw new UnknownTenantError(tenant);
    return connection;
  }
}
