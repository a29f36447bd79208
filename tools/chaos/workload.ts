import Big from 'big.js';
import { writeFileSync } from 'node:fs';
import { newStoreEnv } from '@hub/testing';
import { ErpEmulator, ErpRecord } from '../emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../emulators/newstore/newstore-emulator';
import { eventsOfOrder, fulfilmentsOf } from '../emulators/shared/newstore-events';
import { DayOrder } from '../emulators/shared/retail-day';

export const TENANT = 'chaos';
/**
 * A second retailer on the same hub (issue 26): its own NewStore tenant and ERP account, each
 * with credentials of its own, its own webhook key bound to it. Its records must all be in its
 * account, none in the first's, and the reconciliation must find its day at full parity.
 */
export const SECOND_TENANT = 'chaos-b';
/** The second tenant's share of the run's orders. */
const SECOND_TENANT_SHARE = 0.3;
const SECOND_NEWSTORE_CLIENT = { clientId: 'hub-b', clientSecret: 'hub-b-secret' };
const SECOND_ERP_CLIENT = { clientId: 'hub-b-client', clientSecret: 'hub-b-erp-secret' };
/** A tenant's own OAuth clients at NewStore and at its ERP account (the emulators' defaults otherwise). */
interface Clients {
  newStore: { clientId: string; clientSecret: string };
  erp: { clientId: string; clientSecret: string };
}

/**
 * The ERP's weather: answers in 20-100 ms, 10 % of calls fail with 500, more than 3 at once
 * get 429 (NetSuite's concurrency governance, which the two sinks, 2 requests each, overrun).
 */
const ERP_WEATHER = { errorRate: 0.1, latencyMs: 20, latencyJitterMs: 80 };

/** One retailer of the run: its NewStore (the day, its event stream), its ERP account, its webhook key. */
export interface TenantDay {
  tenant: string;
  webhookKey: string;
  newStore: NewStoreEmulator;
  erp: ErpEmulator;
  orders: DayOrder[];
  events: number;
}

/** The orders whose discrepancy the run plants, one of each kind the reconciliation must find. */
export interface PlantedOrders {
  /** Its events are lost on the way: NewStore has the order, the hub never hears of it. */
  neverDelivered: DayOrder;
  /** Its ERP record is deleted. */
  removed: DayOrder;
  /** Its ERP record's total is changed. */
  changed: DayOrder;
  /** Its ERP record is created a second time. */
  duplicated: DayOrder;
}

/** Where the hub reaches the workload's services, and the environment that tells it so. */
export interface WorkloadEndpoints {
  newStore: string;
  erp: string;
  /** The tenants file (docs/services.md, "Several tenants"), and the secrets it names by reference. */
  env: Record<string, string>;
}

/**
 * The run's business day, from NewStore's side: two tenants, each with a generated day
 * pushed by its event stream (duplicates, held-back events, GraphQL lagging the stream)
 * and an ERP account in bad weather; the orders planted with a discrepancy; and what
 * each account must hold in the end.
 */
export class Workload {
  readonly first: TenantDay;
  readonly second: TenantDay;
  readonly planted: PlantedOrders;
  private readonly integrations = new Map<TenantDay, string>();
  /** The first tenant's ERP, once listening: where the run changes records behind the hub's back. */
  private erpUrl = '';

  constructor(options: {
    orders: number;
    seed: number;
    pushSeconds: number;
    businessDate: string;
    random: () => number;
  }) {
    const secondOrders = Math.round(options.orders * SECOND_TENANT_SHARE);
    const day = (tenant: string, webhookKey: string, orders: number, seed: number, clients?: Clients) =>
      tenantDay(
        { tenant, webhookKey, orders, seed, date: options.businessDate, pushSeconds: options.pushSeconds },
        clients,
      );
    this.first = day(TENANT, 'chaos-webhook-key', options.orders - secondOrders, options.seed);
    this.second = day(SECOND_TENANT, 'chaos-b-webhook-key', secondOrders, options.seed + 1, {
      newStore: SECOND_NEWSTORE_CLIENT,
      erp: SECOND_ERP_CLIENT,
    });
    this.planted = plant(this.first.orders, options.random);
    this.first.newStore.pusher.droppedOrderIds.add(this.planted.neverDelivered.id);
  }

  get tenants(): TenantDay[] {
    return [this.first, this.second];
  }

  get eventsOfTheDay(): number {
    return this.first.events + this.second.events;
  }

  /** What the run says of the workload before it starts. */
  describe(log: (line: string) => void): void {
    log(
      `tenants: ${this.tenants.map((day) => `${day.tenant} ${day.orders.length} orders (${day.events} events)`).join(', ')}, each with its own NewStore, ERP account and keys`,
    );
    log(
      'continuous: 20 % duplicates (up to 20 s late), 5 % of events held back up to 200 events, 8 deliveries at once;',
    );
    log(
      '            GraphQL lag (1 % of orders 60-120 s, payments +2 s); ERP in 20-100 ms, 500 on 10 % of calls, 429 above 3 at once (the sinks send up to 4)',
    );
  }

  /** Starts the emulators; writes the tenants file the hub reads its connections from (secrets by reference only). */
  async listen(tenantsFile: string): Promise<WorkloadEndpoints> {
    const [newStore, erp, secondNewStore, secondErp] = [
      await this.first.newStore.listen(0),
      await this.first.erp.listen(0),
      await this.second.newStore.listen(0),
      await this.second.erp.listen(0),
    ];
    const tenants = {
      [TENANT]: {
        newstore: { ...newStoreEnv(newStore), NEWSTORE_API_URL: newStore },
        erp: { NETSUITE_BASE_URL: `${erp}/services/rest` },
      },
      [SECOND_TENANT]: {
        newstore: {
          ...newStoreEnv(secondNewStore),
          NEWSTORE_API_URL: secondNewStore,
          NEWSTORE_CLIENT_ID: SECOND_NEWSTORE_CLIENT.clientId,
          NEWSTORE_CLIENT_SECRET: { env: 'CHAOS_B_NEWSTORE_CLIENT_SECRET' },
        },
        erp: {
          NETSUITE_BASE_URL: `${secondErp}/services/rest`,
          NETSUITE_CLIENT_ID: SECOND_ERP_CLIENT.clientId,
          NETSUITE_CLIENT_SECRET: { env: 'CHAOS_B_NETSUITE_CLIENT_SECRET' },
        },
      },
    };
    writeFileSync(tenantsFile, JSON.stringify(tenants, null, 2));
    this.erpUrl = erp;
    return {
      newStore,
      erp,
      env: {
        ...newStoreEnv(newStore),
        NETSUITE_BASE_URL: `${erp}/services/rest`,
        TENANTS_FILE: tenantsFile,
        CHAOS_B_NEWSTORE_CLIENT_SECRET: SECOND_NEWSTORE_CLIENT.clientSecret,
        CHAOS_B_NETSUITE_CLIENT_SECRET: SECOND_ERP_CLIENT.clientSecret,
      },
    };
  }

  /** The webhook keys ingest accepts, each bound to its tenant. */
  get ingestKeys(): string {
    return this.tenants.map((day) => `${day.tenant}:${day.webhookKey}`).join(',');
  }

  /** Each tenant's event stream starts pushing its day to the webhook. */
  startPush(webhook: string, log: (line: string) => void): void {
    for (const day of this.tenants) {
      const integration = day.newStore.pusher.register({
        callback_parameters: { callback_url: webhook, api_key: day.webhookKey },
      });
      this.integrations.set(day, integration.id);
      day.newStore.pusher.start(integration.id);
    }
    log(
      `push started (${this.tenants.map((day) => `${day.tenant} ${day.newStore.pusher.settings.ratePerSecond} events/s`).join(', ')})`,
    );
  }

  /** Waits until both streams have delivered all they will; what each integration says of its push. */
  async pushEnded() {
    for (const day of this.tenants) await day.newStore.pusher.idle(this.integrations.get(day)!);
    const [first, second] = this.tenants.map((day) => day.newStore.pusher.get(this.integrations.get(day)!));
    // NewStore has the never-delivered order; only its events were lost on the way.
    this.first.newStore.store.markOrderPublished(this.planted.neverDelivered, 0);
    return { first, second };
  }

  /** The first tenant's ERP refuses every call for the given time, then its weather comes back. */
  erpOutage(seconds: number): void {
    this.first.erp.setFaults({ ...ERP_WEATHER, outageUntil: Date.now() + seconds * 1000 });
    setTimeout(() => this.first.erp.setFaults(ERP_WEATHER), seconds * 1000 + 100).unref();
  }

  /**
   * Each account's records, read in place: the emulators run in this process. Fetching them as
   * JSON every second (13,000 records with their bodies at 10,000 orders) took the event loop the
   * emulators answer on, and slowed the ERP the sinks post to.
   */
  records(day: TenantDay = this.first): ErpRecord[] {
    return [...day.erp.records.values()];
  }

  /**
   * Changes the first tenant's ERP behind the hub's back, as a person in the ERP would, and
   * returns the discrepancies the next reconciliation must find (`kind:orderId`, sorted).
   */
  async plantDiscrepancies(): Promise<string[]> {
    const records = this.records();
    const recordOf = (order: DayOrder) => records.find((record) => record.externalId === order.externalId)!;
    const removed = recordOf(this.planted.removed);
    const changed = recordOf(this.planted.changed);
    const duplicated = recordOf(this.planted.duplicated);
    await fetch(`${this.erpUrl}/_emulator/records/${removed.id}`, { method: 'DELETE' });
    await fetch(`${this.erpUrl}/_emulator/records/${changed.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ total: new Big(changed.total).plus(7).toString() }),
    });
    await fetch(`${this.erpUrl}/_emulator/records/${duplicated.type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        externalId: duplicated.externalId,
        tranDate: duplicated.tranDate,
        total: duplicated.total,
      }),
    });
    return [
      `missing_in_hub:${this.planted.neverDelivered.id}`,
      `missing_in_erp:${this.planted.removed.id}`,
      `amount_mismatch:${this.planted.changed.id}`,
      `duplicate_in_erp:${this.planted.duplicated.id}`,
    ].sort();
  }

  async close(): Promise<void> {
    await Promise.all(this.tenants.flatMap((day) => [day.newStore.close(), day.erp.close()])).catch(() => undefined);
  }
}

function tenantDay(
  day: { tenant: string; webhookKey: string; orders: number; seed: number; date: string; pushSeconds: number },
  clients?: Clients,
): TenantDay {
  const newStore = new NewStoreEmulator({
    day: { tenant: day.tenant, date: day.date, orders: day.orders, seed: day.seed },
    ...clients?.newStore,
    visibility: 'published',
    // NewStore's GraphQL lags the stream: 1 % of orders 60-120 s, payments 2 s after their order.
    lag: { p99Ms: 10_000, tailShare: 0.01, tailMinMs: 60_000, tailMaxMs: 120_000, paymentExtraMs: 2_000 },
    pusher: { duplicateRate: 0.2, duplicateDelayMaxMs: 20_000, holdBackRate: 0.05, holdBackMax: 200, concurrency: 8 },
  });
  const orders = Array.from({ length: day.orders }, (_, index) => newStore.store.order(index));
  const events = orders.reduce((sum, order) => sum + eventsOfOrder(order, day.tenant).length, 0);
  newStore.pusher.settings = {
    ...newStore.pusher.settings,
    ratePerSecond: Math.max(1, Math.ceil(events / day.pushSeconds)),
  };
  // The second account: the same weather, its own credentials, no outage (it goes on while the first's ERP is down).
  const erp = new ErpEmulator({ concurrencyLimit: 3, ...clients?.erp });
  erp.setFaults(ERP_WEATHER);
  return { tenant: day.tenant, webhookKey: day.webhookKey, newStore, erp, orders, events };
}

/** Draws the planted orders among the plain ones (no history, cancellation, return or appeasement). */
function plant(orders: DayOrder[], random: () => number): PlantedOrders {
  const plain = orders.filter(
    (order) => !order.isHistorical && !order.cancellation && !order.return && !order.appeasement,
  );
  const pick = (fits: (order: DayOrder) => boolean = () => true) => {
    const candidates = plain.filter(fits);
    const chosen = candidates[Math.floor(random() * candidates.length)];
    plain.splice(plain.indexOf(chosen), 1);
    return chosen;
  };
  return {
    // A resync rebuilds a never-delivered order's sale from GraphQL; NewStore's fulfilment
    // requests of it are events only, lost with the rest: the planted one has none.
    neverDelivered: pick((order) => fulfilmentsOf(order).length === 0),
    removed: pick(),
    changed: pick(),
    duplicated: pick(),
  };
}
