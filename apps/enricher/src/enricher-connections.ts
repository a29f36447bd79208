import { loadTenantsFile, overlaySettings } from '@hub/config';
import { DeploymentMapping, GraphQlOrder, NewStoreOrders } from '@hub/newstore';
import { createNewStoreClient, NewStoreError, newStoreEnv } from '@hub/newstore-graphql';
import { erpEnv } from '@hub/erp';
import { InjectConfig } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import { EnricherConfig } from './enricher.config';
import { EnricherMetrics } from './enricher.metrics';
import { loadMappingFile } from './mapping-file';

interface TenantConnection {
  newStore: NewStoreOrders;
  mapping: DeploymentMapping;
}

/**
 * Each tenant's NewStore connection and mapping file (TENANTS_FILE; what a tenant
 * does not set comes from the environment). Without a tenants file, every tenant
 * shares the environment's. An event of a tenant the file does not name cannot be
 * enriched: it is dead-lettered with that reason.
 */
/** The tenant's time zone (TENANTS_FILE) where the mapping file names none: its documents' dates are local there. */
function withTenantZone(mapping: DeploymentMapping, timeZone: string | undefined): DeploymentMapping {
  return mapping.timeZone || !timeZone ? mapping : { ...mapping, timeZone };
}

@Injectable()
export class EnricherConnections implements NewStoreOrders {
  private readonly byTenant = new Map<string, TenantConnection>();
  private readonly shared?: TenantConnection;

  constructor(@InjectConfig() config: EnricherConfig, @Inject(EnricherMetrics) metrics: EnricherMetrics) {
    const observe = (outcome: 'ok' | 'error', seconds: number) => metrics.graphqlDuration.observe({ outcome }, seconds);
    if (!config.TENANTS_FILE) {
      this.shared = {
        newStore: createNewStoreClient(config, observe),
        mapping: loadMappingFile(config.ENRICHER_MAPPING_FILE),
      };
      return;
    }
    for (const entry of loadTenantsFile(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv }))
      this.byTenant.set(entry.tenant, {
        newStore: createNewStoreClient(overlaySettings(newStoreEnv, config, entry.newstore), observe),
        mapping: withTenantZone(loadMappingFile(entry.mappingFile ?? config.ENRICHER_MAPPING_FILE), entry.timeZone),
      });
  }

  private connection(tenant: string): TenantConnection {
    const connection = this.byTenant.get(tenant) ?? this.shared;
    if (!connection)
      throw new NewStoreError('permanent', `tenant "${tenant}" is not in TENANTS_FILE: no NewStore connection for it`);
    return connection;
  }

  order(tenant: string, orderId: string): Promise<GraphQlOrder | null> {
    return this.connection(tenant).newStore.order(tenant, orderId);
  }

  /** The tenant's ERP ids (its mapping file, validated at start-up). */
  mappingFor(tenant: string): DeploymentMapping {
    return this.connection(tenant).mapping;
  }
}
