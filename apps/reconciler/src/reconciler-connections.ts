import { ConfigProblem, loadTenantsFile, overlaySettings, tenantsFileProblems } from '@hub/config';
import { createErpPort, erpConfigProblems, erpEnv, ErpPort } from '@hub/erp';
import { GraphQlOrder, NewStoreOrderListing, NewStoreOrders, OrdersPage, ReturnsPage } from '@hub/newstore';
import {
  createEventStreamClient,
  createNewStoreClient,
  EventStreamApi,
  NewStoreError,
  NewStoreGraphQlClient,
  newStoreEnv,
} from '@hub/newstore-graphql';
import { InjectConfig } from '@hub/platform';
import { assertTimeZone } from '@hub/reconciliation';
import { BadRequestException, Injectable } from '@nestjs/common';
import { ReconcilerConfig } from './reconciler.config';

/** One tenant as the reconciler reaches it: its NewStore tenant, its ERP account, its business day and schedule. */
export interface TenantSetup {
  tenant: string;
  newStore: NewStoreGraphQlClient;
  /** NewStore's event-stream configuration API (the watchdog's); absent without NEWSTORE_API_URL in production. */
  eventStream: EventStreamApi | undefined;
  erp: ErpPort;
  /** IANA zone of the tenant's business day. */
  timeZone: string;
  /** Local time (HH:MM, in `timeZone`) of the tenant's daily run. */
  dailyAt: string;
}

/** The ERP, per tenant: the day's transactions, and a duplicate's deletion by resync. */
export interface ErpPorts {
  erpOf(tenant: string): Pick<ErpPort, 'listTransactions' | 'deleteTransaction' | 'readRecord'>;
}

/**
 * The tenants the reconciler serves and each one's connections. With TENANTS_FILE:
 * the file's tenants, each with its own NewStore and ERP settings (laid over the
 * environment's), time zone and daily time (RECONCILER_TIME_ZONE and
 * RECONCILER_DAILY_AT where it sets none). Without: RECONCILER_TENANTS, all on the
 * environment's connections. It answers NewStore calls for a tenant with that
 * tenant's client, so the reconciliation and the resync need not know.
 */
@Injectable()
export class ReconcilerConnections implements NewStoreOrders, NewStoreOrderListing, ErpPorts {
  readonly tenants: string[];
  private readonly setups = new Map<string, TenantSetup>();

  constructor(@InjectConfig() private readonly config: ReconcilerConfig) {
    if (!config.TENANTS_FILE) {
      const newStore = createNewStoreClient(config);
      const eventStream = createEventStreamClient(config, newStore);
      const erp = createErpPort(config, 'reconciler');
      for (const tenant of config.RECONCILER_TENANTS)
        this.setups.set(tenant, {
          tenant,
          newStore,
          eventStream,
          erp,
          timeZone: config.RECONCILER_TIME_ZONE,
          dailyAt: config.RECONCILER_DAILY_AT,
        });
    } else {
      for (const entry of loadTenantsFile(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv })) {
        const settings = { ...overlaySettings(newStoreEnv, config, entry.newstore), NODE_ENV: config.NODE_ENV };
        const newStore = createNewStoreClient(settings);
        this.setups.set(entry.tenant, {
          tenant: entry.tenant,
          newStore,
          eventStream: createEventStreamClient(settings, newStore),
          erp: createErpPort(
            { ...overlaySettings(erpEnv, config, entry.erp), NODE_ENV: config.NODE_ENV },
            'reconciler',
          ),
          timeZone: entry.timeZone ?? config.RECONCILER_TIME_ZONE,
          dailyAt: entry.dailyAt ?? config.RECONCILER_DAILY_AT,
        });
      }
    }
    this.tenants = [...this.setups.keys()];
  }

  of(tenant: string): TenantSetup {
    const setup = this.setups.get(tenant);
    if (!setup)
      throw new NewStoreError(
        'permanent',
        `tenant "${tenant}" is not one of the reconciler's: ${this.tenants.join(', ')}`,
      );
    return setup;
  }

  /** The tenant's zone; a tenant the reconciler does not serve is dated in RECONCILER_TIME_ZONE. */
  timeZoneOf(tenant: string): string {
    return this.setups.get(tenant)?.timeZone ?? this.config.RECONCILER_TIME_ZONE;
  }

  /**
   * The watchdog's client: each call goes to its tenant's event-stream API. Undefined
   * when no tenant has one (NEWSTORE_API_URL unset in production).
   */
  eventStreamApi(): EventStreamApi | undefined {
    if (![...this.setups.values()].some((setup) => setup.eventStream)) return undefined;
    const api = (tenant: string): EventStreamApi => {
      const { eventStream } = this.of(tenant);
      if (!eventStream) throw new NewStoreError('permanent', `tenant "${tenant}" has no NEWSTORE_API_URL`);
      return eventStream;
    };
    return {
      integration: (tenant, id) => api(tenant).integration(tenant, id),
      logEntries: (tenant, id) => api(tenant).logEntries(tenant, id),
      rejectedEvents: (tenant, id) => api(tenant).rejectedEvents(tenant, id),
      retryRejected: (tenant, id, eventId) => api(tenant).retryRejected(tenant, id, eventId),
      deleteRejected: (tenant, id, eventId) => api(tenant).deleteRejected(tenant, id, eventId),
      start: (tenant, id) => api(tenant).start(tenant, id),
    };
  }

  erpOf(tenant: string): ErpPort {
    return this.of(tenant).erp;
  }

  order(tenant: string, orderId: string): Promise<GraphQlOrder | null> {
    return this.of(tenant).newStore.order(tenant, orderId);
  }

  ordersCreated(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first: number,
  ): Promise<OrdersPage> {
    return this.of(tenant).newStore.ordersCreated(tenant, window, after, first);
  }

  returnsProcessed(
    tenant: string,
    window: { from: Date; to: Date },
    after: string | null,
    first: number,
  ): Promise<ReturnsPage> {
    return this.of(tenant).newStore.returnsProcessed(tenant, window, after, first);
  }
}

/** TENANTS_FILE checked at start-up for the reconciler: each tenant's ERP settings and zone. */
export function reconcilerTenantProblems(config: ReconcilerConfig): ConfigProblem[] {
  return tenantsFileProblems(config.TENANTS_FILE, { newstore: newStoreEnv, erp: erpEnv }, (entry) => {
    const problems = erpConfigProblems({
      ...overlaySettings(erpEnv, config, entry.erp),
      NODE_ENV: config.NODE_ENV,
    }).map((problem) => ({
      variable: 'TENANTS_FILE',
      message: `${entry.tenant}.erp: ${problem.variable} ${problem.message}`,
    }));
    if (entry.timeZone)
      try {
        assertTimeZone(entry.timeZone);
      } catch (error) {
        problems.push({ variable: 'TENANTS_FILE', message: `${entry.tenant}.timeZone: ${(error as Error).message}` });
      }
    return problems;
  });
}

/** The tenant an admin request names (the first one when it names none); another is a 400 naming the served ones. */
export function tenantOfRequest(tenants: string[], requested: string | undefined): string {
  const tenant = requested ?? tenants[0];
  if (!tenants.includes(tenant))
    throw new BadRequestException({
      error: 'unknown tenant',
      message: `tenant "${tenant}" is not one of ${tenants.join(', ')}`,
    });
  return tenant;
}
