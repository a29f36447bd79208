import Big from 'big.js';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HEADERS } from '@hub/contracts';
import { readTopicToEnd } from '@hub/kafka';
import { freePort, newStoreEnv } from '@hub/testing';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { ErpEmulator, ErpRecord } from '../emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../emulators/newstore/newstore-emulator';
import { eventsOfOrder, fulfilmentsOf } from '../emulators/shared/newstore-events';
import { DayOrder } from '../emulators/shared/retail-day';
import { seededRandom } from '../emulators/shared/random';
import { checkRecords, describeRecordCheck, recordCheckPassed } from './checker';
import { ChaosCluster } from './cluster';
import { Fleet, Instance } from './fleet';
import { Fault, faultSchedule } from './schedule';

const ROOT = join(__dirname, '..', '..');
const TENANT = 'chaos';
const WEBHOOK_KEY = 'chaos-webhook-key';
/**
 * A second retailer on the same hub (issue 26): its own NewStore tenant and ERP account, each
 * with credentials of its own, its own webhook key bound to it. Its records must all be in its
 * account, none in the first's, and the reconciliation must find its day at full parity.
 */
const SECOND_TENANT = 'chaos-b';
const SECOND_WEBHOOK_KEY = 'chaos-b-webhook-key';
const SECOND_NEWSTORE_CLIENT = { clientId: 'hub-b', clientSecret: 'hub-b-secret' };
const SECOND_ERP_CLIENT = { clientId: 'hub-b-client', clientSecret: 'hub-b-erp-secret' };
/** The second tenant's share of the run's orders. */
const SECOND_TENANT_SHARE = 0.3;
const ADMIN_TOKEN = 'chaos-admin-token';

export interface ChaosOptions {
  orders: number;
  seed: number;
  /** How long NewStore takes to push the day; the faults land inside it. */
  pushSeconds: number;
  erpOutageSeconds: number;
  /** Longest wait for the pipeline to settle after the last event. */
  quietTimeoutSeconds: number;
  /** Where the JSON report and the apps' logs go. */
  reportDir: string;
  /** false: the apps are already built (dist/). */
  build: boolean;
  log: (line: string) => void;
}

export interface ChaosCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ChaosReport {
  seed: number;
  businessDate: string;
  orders: number;
  /** The orders of each tenant (they add up to `orders`). */
  ordersPerTenant: Record<string, number>;
  eventsOfTheDay: number;
  eventsDelivered: number;
  duplicatesSent: number;
  rawTopicMessages: number;
  rawTopicDistinctEvents: number;
  duplicatesAbsorbed: number;
  /**
   * Per topic: messages, copies of a message already on it (the same event, the same
   * document of the same event), and of those the writes the hub's producer made twice
   * (one send id twice: kafkajs resending after a leader moved). Every copy is absorbed
   * downstream: the enricher skips an event it processed, the sink a document it posted.
   */
  topicDuplicates: Record<string, TopicDuplicates>;
  retriesPerTier: Record<string, number>;
  erp: { records: number; peakConcurrency: number; peakAttempted: number; retriesSeenBySinks: Record<string, number> };
  faults: (Fault & { firedAtMs: number; outcome: string })[];
  restartsSurvived: number;
  pushSeconds: number;
  secondsFromLastEventToQuiet: number | null;
  resync1000: { orders: number; seconds: number } | null;
  checks: ChaosCheck[];
  passed: boolean;
  reportFile: string;
}

export interface TopicDuplicates {
  messages: number;
  duplicates: number;
  writtenTwiceByProducer: number;
}

function duplicatesOn(messages: { identity: string; sendId?: string }[]): TopicDuplicates {
  const identities = new Set(messages.map((message) => message.identity));
  const sends = messages.filter((message) => message.sendId !== undefined);
  return {
    messages: messages.length,
    duplicates: messages.length - identities.size,
    writtenTwiceByProducer: sends.length - new Set(sends.map((message) => message.sendId)).size,
  };
}

/**
 * A document message's identity: its idempotency key and the event it was made from
 * (a replayed copy is a resync's, counted apart). The value is the registry's wire
 * format (a zero byte, the schema id in four bytes, then the JSON) or plain JSON.
 */
function documentIdentity(value: Buffer | null, replay: string | undefined): string {
  if (!value) return 'tombstone';
  const json = value[0] === 0 ? value.subarray(5) : value;
  const document = JSON.parse(json.toString('utf8')) as { idempotencyKey: string; source?: { eventId?: string } };
  return `${document.idempotencyKey}|${document.source?.eventId ?? ''}|${replay === undefined ? '' : 'replay'}`;
}

/** What an interrupted run (Ctrl-C) must stop: set while a run is under way. */
let cleanup: (() => Promise<void>) | undefined;

/** Stops the run under way, if any: its apps, emulators, cluster and schemas. */
export async function interruptChaos(): Promise<void> {
  await cleanup?.();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sums a counter's series by one label across the instances' /metrics. An instance
 * that does not answer (one that died: a check says so) is counted under
 * `unreachable`, so the figures do not pass for complete.
 */
async function counterByLabel(urls: string[], metric: string, label: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const url of urls) {
    let text: string;
    try {
      text = await (await fetch(`${url}/metrics`)).text();
    } catch {
      sums.unreachable = (sums.unreachable ?? 0) + 1;
      continue;
    }
    for (const match of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      const value = new RegExp(`${label}="([^"]*)"`).exec(match[1])?.[1] ?? '';
      sums[value] = (sums[value] ?? 0) + Number(match[2]);
    }
  }
  return sums;
}

/**
 * `npm run chaos`: a generated business day pushed by the NewStore emulator's event
 * stream through the whole hub (3 brokers, two instances of the enricher and of
 * the sink) while faults strike on a seeded schedule; then a checker compares
 * what NewStore sent, what Kafka holds and what the ERP holds, plants one
 * discrepancy of each kind, and proves the reconciler finds and resyncs them.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  const stamp = `${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${Date.now().toString(36)}`;
  const runDir = join(options.reportDir, `chaos-${stamp}`);
  mkdirSync(runDir, { recursive: true });
  const businessDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const random = seededRandom(options.seed ^ 0x2545f491);
  const checks: ChaosCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  };

  // The days of both tenants, their events and what each ERP account must hold.
  const secondOrders = Math.round(options.orders * SECOND_TENANT_SHARE);
  const tenantDay = (tenant: string, orderCount: number, seed: number, client = {}) => {
    const emulator = new NewStoreEmulator({
      day: { tenant, date: businessDate, orders: orderCount, seed },
      ...client,
      visibility: 'published',
      // NewStore's GraphQL lags the stream: 1 % of orders 60-120 s, payments 2 s after their order.
      lag: { p99Ms: 10_000, tailShare: 0.01, tailMinMs: 60_000, tailMaxMs: 120_000, paymentExtraMs: 2_000 },
      pusher: {
        duplicateRate: 0.2,
        duplicateDelayMaxMs: 20_000,
        holdBackRate: 0.05,
        holdBackMax: 200,
        concurrency: 8,
      },
    });
    const dayOrders = Array.from({ length: orderCount }, (_, index) => emulator.store.order(index));
    const events = dayOrders.reduce((sum, order) => sum + eventsOfOrder(order, tenant).length, 0);
    emulator.pusher.settings = {
      ...emulator.pusher.settings,
      ratePerSecond: Math.max(1, Math.ceil(events / options.pushSeconds)),
    };
    return { emulator, orders: dayOrders, events };
  };
  const first = tenantDay(TENANT, options.orders - secondOrders, options.seed);
  const second = tenantDay(SECOND_TENANT, secondOrders, options.seed + 1, SECOND_NEWSTORE_CLIENT);
  const newStore = first.emulator;
  const orders: DayOrder[] = first.orders;
  const eventsOfTheDay = first.events + second.events;
  const plain = orders.filter(
    (order) => !order.isHistorical && !order.cancellation && !order.return && !order.appeasement,
  );
  const pick = (fits: (order: DayOrder) => boolean = () => true) => {
    const candidates = plain.filter(fits);
    const chosen = candidates[Math.floor(random() * candidates.length)];
    plain.splice(plain.indexOf(chosen), 1);
    return chosen;
  };
  const planted = {
    // A resync rebuilds a never-delivered order's sale from GraphQL; NewStore's fulfilment
    // requests of it are events only, lost with the rest: the planted one has none.
    neverDelivered: pick((order) => fulfilmentsOf(order).length === 0),
    removed: pick(),
    changed: pick(),
    duplicated: pick(),
  };
  newStore.pusher.droppedOrderIds.add(planted.neverDelivered.id);

  // ERP: answers in 20-100 ms, 10 % of calls fail with 500, more than 3 at once get 429:
  // NetSuite's concurrency governance, which the two sinks (2 requests each) overrun.
  const erp = new ErpEmulator({ concurrencyLimit: 3 });
  const erpFaults = { errorRate: 0.1, latencyMs: 20, latencyJitterMs: 80 };
  erp.setFaults(erpFaults);
  // The second tenant's account: the same weather, its own credentials, no outage (it goes on
  // while the first's ERP is down).
  const secondErp = new ErpEmulator({ concurrencyLimit: 3, ...SECOND_ERP_CLIENT });
  secondErp.setFaults(erpFaults);

  const cluster = new ChaosCluster();
  const prefix = `chaos-${stamp}.`;
  const schema = (app: string) => `chaos_${stamp.replace(/-/g, '_')}_${app}`;
  const applicationPrefix = `chaos-${stamp}`;
  let fleet: Fleet | undefined;
  const database = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  const faultsFired: ChaosReport['faults'] = [];
  const schedule = faultSchedule({
    seed: options.seed,
    windowMs: options.pushSeconds * 1000,
    erpOutageMs: options.erpOutageSeconds * 1000,
  });
  log(
    `chaos run: ${options.orders} orders (${eventsOfTheDay} events) of ${businessDate}, seed ${options.seed}, pushed over ${options.pushSeconds} s`,
  );
  log(
    `tenants: ${TENANT} ${first.orders.length} orders (${first.events} events), ${SECOND_TENANT} ${second.orders.length} orders (${second.events} events), each with its own NewStore, ERP account and keys`,
  );
  log('fault schedule (seconds after the push starts):');
  for (const fault of schedule)
    log(
      `  ${(fault.atMs / 1000).toFixed(1).padStart(6)} s  ${fault.description}${fault.target ? ` [${fault.target}]` : ''}`,
    );
  log('continuous: 20 % duplicates (up to 20 s late), 5 % of events held back up to 200 events, 8 deliveries at once;');
  log(
    '            GraphQL lag (1 % of orders 60-120 s, payments +2 s); ERP in 20-100 ms, 500 on 10 % of calls, 429 above 3 at once (the sinks send up to 4)',
  );

  let kafka: Kafka | undefined;
  let cleaned: Promise<void> | undefined;
  cleanup = () =>
    (cleaned ??= (async () => {
      await fleet?.stopAll().catch(() => undefined);
      await Promise.all([newStore.close(), erp.close(), second.emulator.close(), secondErp.close()]).catch(
        () => undefined,
      );
      await cluster.down().catch((error: unknown) => log(`cluster not stopped: ${(error as Error).message}`));
      for (const app of ['enricher', 'sink', 'reconciler'])
        await database.query(`DROP SCHEMA IF EXISTS "${schema(app)}" CASCADE`).catch(() => undefined);
      await database.end().catch(() => undefined);
    })());
  try {
    if (options.build) {
      log('building the apps...');
      await promisify(execFile)('npm', ['run', '--silent', 'build'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    }
    log('starting a 3-broker KRaft cluster and a schema registry...');
    await cluster.up();
    const variables = await cluster.variables();
    const brokers = variables.KAFKA_BROKERS.split(',');
    kafka = new Kafka({ clientId: 'chaos-checker', brokers, logLevel: logLevel.NOTHING });
    await database.connect();
    const newStoreBase = await newStore.listen(0);
    const erpBase = await erp.listen(0);
    const secondNewStoreBase = await second.emulator.listen(0);
    const secondErpBase = await secondErp.listen(0);
    // Each tenant's connections (docs/services.md, "Several tenants"); secrets by reference only.
    const tenantsFile = join(runDir, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify(
        {
          [TENANT]: {
            newstore: { ...newStoreEnv(newStoreBase), NEWSTORE_API_URL: newStoreBase },
            erp: { NETSUITE_BASE_URL: `${erpBase}/services/rest` },
          },
          [SECOND_TENANT]: {
            newstore: {
              ...newStoreEnv(secondNewStoreBase),
              NEWSTORE_API_URL: secondNewStoreBase,
              NEWSTORE_CLIENT_ID: SECOND_NEWSTORE_CLIENT.clientId,
              NEWSTORE_CLIENT_SECRET: { env: 'CHAOS_B_NEWSTORE_CLIENT_SECRET' },
            },
            erp: {
              NETSUITE_BASE_URL: `${secondErpBase}/services/rest`,
              NETSUITE_CLIENT_ID: SECOND_ERP_CLIENT.clientId,
              NETSUITE_CLIENT_SECRET: { env: 'CHAOS_B_NETSUITE_CLIENT_SECRET' },
            },
          },
        },
        null,
        2,
      ),
    );
    const databaseUrl = (name: string) => ({
      DATABASE_URL: variables.DATABASE_URL,
      DATABASE_APPLICATION_NAME: `${applicationPrefix}-${name}`,
    });
    const common = {
      KAFKA_BROKERS: variables.KAFKA_BROKERS,
      SCHEMA_REGISTRY_URL: variables.SCHEMA_REGISTRY_URL,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_REPLICATION_FACTOR: '3',
      ...newStoreEnv(newStoreBase),
      NETSUITE_BASE_URL: `${erpBase}/services/rest`,
      TENANTS_FILE: tenantsFile,
      CHAOS_B_NEWSTORE_CLIENT_SECRET: SECOND_NEWSTORE_CLIENT.clientSecret,
      CHAOS_B_NETSUITE_CLIENT_SECRET: SECOND_ERP_CLIENT.clientSecret,
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    };
    const instances: Instance[] = [
      {
        name: 'ingest-1',
        app: 'ingest',
        port: await freePort(),
        env: {
          ...common,
          // Each key bound to its tenant: an event of one tenant sent with the other's key is refused.
          INGEST_API_KEYS: `${TENANT}:${WEBHOOK_KEY},${SECOND_TENANT}:${SECOND_WEBHOOK_KEY}`,
          INGEST_TENANTS: `${TENANT},${SECOND_TENANT}`,
        },
      },
    ];
    for (const index of [1, 2])
      instances.push({
        name: `enricher-${index}`,
        app: 'enricher',
        port: await freePort(),
        env: {
          ...common,
          ...databaseUrl(`enricher-${index}`),
          DATABASE_SCHEMA: schema('enricher'),
          ENRICHER_CONSUMER_GROUP: `${prefix}enricher`,
        },
      });
    for (const index of [1, 2])
      instances.push({
        name: `erp-sink-${index}`,
        app: 'erp-sink',
        port: await freePort(),
        env: {
          ...common,
          ...databaseUrl(`erp-sink-${index}`),
          DATABASE_SCHEMA: schema('sink'),
          SINK_CONSUMER_GROUP: `${prefix}sink`,
          ERP_CONCURRENCY: '2',
        },
      });
    instances.push({
      name: 'reconciler-1',
      app: 'reconciler',
      port: await freePort(),
      env: {
        ...common,
        ...databaseUrl('reconciler-1'),
        DATABASE_SCHEMA: schema('reconciler'),
        RECONCILER_ADMIN_TOKENS: ADMIN_TOKEN,
        RECONCILER_CONSUMER_GROUP: `${prefix}projections`,
        RECONCILER_SCHEDULE_ENABLED: 'false',
        RECONCILER_RESYNC_DELETE_DUPLICATES: 'true',
        NEWSTORE_API_URL: newStoreBase,
      },
    });
    fleet = new Fleet(instances, join(runDir, 'logs'));
    log('starting ingest, 2 enrichers, 2 sinks and the reconciler (built apps, one process each)...');
    await fleet.startAll();
    const apps = fleet;

    // NewStore's event stream pushes the day to ingest's webhook.
    const integration = newStore.pusher.register({
      callback_parameters: { callback_url: `${apps.url('ingest-1')}/webhooks/newstore`, api_key: WEBHOOK_KEY },
    });
    const secondIntegration = second.emulator.pusher.register({
      callback_parameters: { callback_url: `${apps.url('ingest-1')}/webhooks/newstore`, api_key: SECOND_WEBHOOK_KEY },
    });
    const pushStarted = Date.now();
    newStore.pusher.start(integration.id);
    second.emulator.pusher.start(secondIntegration.id);
    log(
      `push started (${TENANT} ${newStore.pusher.settings.ratePerSecond} events/s, ${SECOND_TENANT} ${second.emulator.pusher.settings.ratePerSecond} events/s)`,
    );

    let brokerKilledNode: number | undefined;
    // A killed instance comes back 3 s later while the schedule goes on; brokers take turns.
    const restarts: Promise<void>[] = [];
    const fire = async (fault: Fault, firedAtMs: number): Promise<string> => {
      switch (fault.kind) {
        case 'kill-service':
        case 'kill-partner':
          await apps.kill(fault.target!);
          restarts.push(
            sleep(3_000)
              .then(() => apps.restart(fault.target!))
              .then(
                () => {
                  const after = `${((Date.now() - pushStarted - firedAtMs) / 1000).toFixed(1)} s after its kill`;
                  faultsFired.find((fired) => fired.firedAtMs === firedAtMs)!.outcome = `killed; ready again ${after}`;
                  log(`  ${fault.target} ready again ${after}`);
                },
                (error: unknown) => {
                  faultsFired.find((fired) => fired.firedAtMs === firedAtMs)!.outcome =
                    `failed: ${(error as Error).message}`;
                },
              ),
          );
          return 'killed; restart in 3 s';
        case 'broker-restart': {
          const node = 1 + Math.floor(random() * cluster.nodes);
          await cluster.stopBroker(node);
          await sleep(5_000);
          await cluster.startBroker(node);
          return `node ${node} stopped and started`;
        }
        case 'broker-kill-leader': {
          brokerKilledNode = await cluster.busiestLeader(brokers, prefix);
          await cluster.killBroker(brokerKilledNode);
          await sleep(15_000);
          await cluster.startBroker(brokerKilledNode);
          return `node ${brokerKilledNode} killed, started again`;
        }
        case 'registry-restart':
          await cluster.restartRegistry();
          return 'stopped and started';
        case 'postgres-cut': {
          const result = await database.query(
            `SELECT count(pg_terminate_backend(pid))::int AS cut FROM pg_stat_activity WHERE application_name LIKE $1`,
            [`${applicationPrefix}-%`],
          );
          return `${(result.rows[0] as { cut: number }).cut} connections terminated`;
        }
        case 'erp-outage':
          erp.setFaults({ ...erpFaults, outageUntil: Date.now() + options.erpOutageSeconds * 1000 });
          setTimeout(() => erp.setFaults(erpFaults), options.erpOutageSeconds * 1000 + 100).unref();
          return `until +${options.erpOutageSeconds} s`;
      }
    };
    for (const fault of schedule) {
      const wait = pushStarted + fault.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const firedAtMs = Date.now() - pushStarted;
      const fired = { ...fault, firedAtMs, outcome: 'under way' };
      faultsFired.push(fired);
      fired.outcome = await fire(fault, firedAtMs).catch((error: unknown) => `failed: ${(error as Error).message}`);
      const outcome = fired.outcome;
      log(`  +${(firedAtMs / 1000).toFixed(1)} s  ${fault.kind}${fault.target ? ` ${fault.target}` : ''}: ${outcome}`);
    }

    await Promise.all(restarts);
    await newStore.pusher.idle(integration.id);
    await second.emulator.pusher.idle(secondIntegration.id);
    const lastEventAt = Date.now();
    const pushed = newStore.pusher.get(integration.id);
    const secondPushed = second.emulator.pusher.get(secondIntegration.id);
    log(
      `push ended after ${((lastEventAt - pushStarted) / 1000).toFixed(0)} s: ${pushed.status}, ${pushed.delivered} delivered, ${pushed.duplicatesSent} duplicates sent`,
    );
    check(
      'the integration delivered the day',
      pushed.status === 'running' && pushed.dayDelivered,
      `${pushed.status}${pushed.stoppedReason ? ` (${pushed.stoppedReason})` : ''}, ${pushed.rejected.size} rejected`,
    );
    check(
      `the second tenant's integration delivered its day (${SECOND_TENANT}, its own key)`,
      secondPushed.status === 'running' && secondPushed.dayDelivered,
      `${secondPushed.status}${secondPushed.stoppedReason ? ` (${secondPushed.stoppedReason})` : ''}, ${secondPushed.delivered} delivered, ${secondPushed.rejected.size} rejected`,
    );
    // NewStore has the never-delivered order; only its events were lost on the way.
    newStore.store.markOrderPublished(planted.neverDelivered, 0);

    // Quiet: every expected record of the delivered orders is in the ERP, and nothing moves.
    const delivered = orders.filter((order) => order.id !== planted.neverDelivered.id);
    // The emulators run in this process: their records are read in place. Fetching them as JSON every
    // second (13,000 records with their bodies at 10,000 orders) took the event loop the emulators
    // answer on, and slowed the ERP the sinks post to.
    const recordsOf = (emulator: ErpEmulator) => Promise.resolve([...emulator.records.values()]);
    const erpRecords = () => recordsOf(erp);
    let quietAt: number | undefined;
    let records: ErpRecord[] = [];
    let secondRecords: ErpRecord[] = [];
    {
      let previous = -1;
      let stableSince = Date.now();
      let lastProgress = Date.now();
      const deadline = Date.now() + options.quietTimeoutSeconds * 1000;
      while (Date.now() < deadline) {
        records = await erpRecords();
        secondRecords = await recordsOf(secondErp);
        if (records.length + secondRecords.length !== previous) {
          previous = records.length + secondRecords.length;
          stableSince = Date.now();
        }
        const progress = checkRecords(delivered, records);
        const complete = recordCheckPassed(progress) && recordCheckPassed(checkRecords(second.orders, secondRecords));
        if (complete && Date.now() - stableSince >= 5_000) {
          quietAt = stableSince;
          break;
        }
        if (Date.now() - lastProgress >= 15_000) {
          lastProgress = Date.now();
          log(`  waiting for quiet: ${describeRecordCheck(progress)}`);
        }
        await sleep(1_000);
      }
    }
    const secondsToQuiet = quietAt === undefined ? null : Math.max(0, (quietAt - lastEventAt) / 1000);
    log(
      quietAt === undefined
        ? `not quiet after ${options.quietTimeoutSeconds} s`
        : `quiet ${secondsToQuiet!.toFixed(1)} s after the last event`,
    );
    if (quietAt === undefined) {
      // Evidence for whoever investigates (not a check): what the hub says of the orders still
      // missing a record, through its public order API (the reconciler's GET /admin/orders/{id}):
      // the order's events, each document and its ERP outcome, its dead letters.
      const stuck = [...new Set(checkRecords(delivered, records).missing.map((item) => item.orderId))].slice(0, 20);
      log(`  the hub's story of the orders still missing a record (${stuck.length}):`);
      for (const orderId of stuck) {
        const story = await fetch(
          `${apps.url('reconciler-1')}/admin/orders/${encodeURIComponent(orderId)}?tenant=${TENANT}`,
          {
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          },
        )
          .then(async (response) =>
            response.ok ? ((await response.json()) as StoryOfOrder) : `${response.status} ${await response.text()}`,
          )
          .catch((error: unknown) => `unreadable: ${(error as Error).message}`);
        log(`    ${orderId}: ${typeof story === 'string' ? story : describeStory(story)}`);
      }
    }
    const firstCheck = checkRecords(delivered, records);
    check(
      'every delivered order holds exactly its ERP records, once each, with NewStore amounts',
      recordCheckPassed(firstCheck),
      describeRecordCheck(firstCheck),
    );
    // Nothing crosses: a record of the other tenant in an account is "unexplained" there, and missing
    // from its own.
    const secondCheck = checkRecords(second.orders, secondRecords);
    check(
      `every order of ${SECOND_TENANT} holds exactly its records in its own ERP account, and no record crosses`,
      recordCheckPassed(secondCheck) && recordCheckPassed(firstCheck),
      `${SECOND_TENANT}: ${describeRecordCheck(secondCheck)}; ${TENANT}'s account: ${firstCheck.unexplained.length} unexplained`,
    );
    check(
      'no instance crashed on its own',
      apps.crashed().length === 0,
      apps.crashed().length ? apps.crashed().join(', ') : 'none',
    );

    // Kafka: the raw topic holds every event NewStore delivered; the DLQ holds nothing.
    const raw: { eventId?: string; sendId?: string }[] = [];
    await readTopicToEnd(
      kafka,
      `${prefix}newstore.events.v1`,
      async (batch) =>
        void raw.push(
          ...batch.map((message) => ({
            eventId: message.headers[HEADERS.eventId],
            sendId: message.headers[HEADERS.sendId],
          })),
        ),
      { timeoutMs: 120_000, groupPrefix: 'chaos-checker' },
    );
    const distinct = new Set(raw.map((message) => message.eventId)).size;
    // The documents topic: one document of one event is one message; more are duplicates.
    const documents: { identity: string; sendId?: string }[] = [];
    await readTopicToEnd(
      kafka,
      `${prefix}erp.documents.v1`,
      async (batch) =>
        void documents.push(
          ...batch.map((message) => ({
            identity: documentIdentity(message.value, message.headers[HEADERS.replay]),
            sendId: message.headers[HEADERS.sendId],
          })),
        ),
      { timeoutMs: 120_000, groupPrefix: 'chaos-checker' },
    );
    const topicDuplicates = {
      'newstore.events.v1': duplicatesOn(
        raw.map((message) => ({ identity: message.eventId ?? '', sendId: message.sendId })),
      ),
      'erp.documents.v1': duplicatesOn(documents),
    };
    check(
      'no event lost between NewStore and the raw topic',
      distinct >= pushed.delivered + secondPushed.delivered,
      `${pushed.delivered + secondPushed.delivered} delivered by NewStore (both tenants), ${distinct} distinct events on newstore.events.v1 (${raw.length} messages)`,
    );
    const dead: Record<string, number> = {};
    for (const topic of ['enricher.dlq.v1', 'erp.dlq.v1']) {
      dead[topic] = 0;
      await readTopicToEnd(kafka, `${prefix}${topic}`, async (batch) => void (dead[topic] += batch.length), {
        timeoutMs: 60_000,
        groupPrefix: 'chaos-checker',
      });
    }
    check(
      'no dead letter (none was planted)',
      Object.values(dead).every((count) => count === 0),
      Object.entries(dead)
        .map(([topic, count]) => `${count} on ${topic}`)
        .join(', '),
    );

    // Plant the ERP-side discrepancies, then reconcile.
    const recordOf = (order: DayOrder) => records.find((record) => record.externalId === order.externalId)!;
    const removedRecord = recordOf(planted.removed);
    const changedRecord = recordOf(planted.changed);
    const duplicatedRecord = recordOf(planted.duplicated);
    await fetch(`${erpBase}/_emulator/records/${removedRecord.id}`, { method: 'DELETE' });
    await fetch(`${erpBase}/_emulator/records/${changedRecord.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ total: new Big(changedRecord.total).plus(7).toString() }),
    });
    await fetch(`${erpBase}/_emulator/records/${duplicatedRecord.type}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        externalId: duplicatedRecord.externalId,
        tranDate: duplicatedRecord.tranDate,
        total: duplicatedRecord.total,
      }),
    });
    const reconciler = apps.url('reconciler-1');
    const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${reconciler}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (response.status >= 300 && response.status !== 502)
        throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as T;
    };
    const projectionsCaughtUp = async () => {
      for (let attempt = 0; attempt < 300; attempt += 1) {
        const metrics = await (await fetch(`${reconciler}/metrics`)).text();
        const lags = [...metrics.matchAll(/^parity_projection_lag_messages\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
        if (lags.length > 0 && lags.every((lag) => lag === 0)) return;
        await sleep(1_000);
      }
    };
    type Run = { status: string; openDiscrepancies: number; parityRatio: number | null; error: string | null };
    await projectionsCaughtUp();
    const firstRun = (
      await admin<{ runs: Run[] }>('POST', '/admin/reconciliations', { tenant: TENANT, date: businessDate })
    ).runs[0];
    const report = await admin<{ discrepancies: { kind: string; orderId: string }[] }>(
      'GET',
      `/admin/reports/${businessDate}?tenant=${TENANT}`,
    );
    const found = report.discrepancies.map(({ kind, orderId }) => `${kind}:${orderId}`).sort();
    const plantedKinds = [
      `missing_in_hub:${planted.neverDelivered.id}`,
      `missing_in_erp:${planted.removed.id}`,
      `amount_mismatch:${planted.changed.id}`,
      `duplicate_in_erp:${planted.duplicated.id}`,
    ].sort();
    check(
      'the reconciliation finds exactly the planted discrepancies, by kind',
      firstRun.status === 'succeeded' && JSON.stringify(found) === JSON.stringify(plantedKinds),
      `${firstRun.status}${firstRun.error ? ` (${firstRun.error})` : ''}; found ${found.join(', ') || 'none'}`,
    );

    // Resync closes them; a second reconciliation shows none open and full parity.
    const resync = await admin<{
      ordersInjected: string[];
      ordersReplayed: string[];
      duplicatesDeleted: string[];
      failed: { orderId: string; action: string; error: string }[];
    }>('POST', '/admin/resync', { tenant: TENANT, date: businessDate });
    log(
      `resync: ${resync.ordersInjected.length} injected, ${resync.ordersReplayed.length} replayed, ${resync.duplicatesDeleted.length} duplicates deleted` +
        resync.failed.map((failure) => `; ${failure.orderId} failed (${failure.action}: ${failure.error})`).join(''),
    );
    const settle = async (what: string) => {
      const deadline = Date.now() + options.quietTimeoutSeconds * 1000;
      let previous = '';
      let stableSince = Date.now();
      while (Date.now() < deadline) {
        records = await erpRecords();
        const state = JSON.stringify(records.map((record) => [record.id, record.total, record.writes]));
        if (state !== previous) {
          previous = state;
          stableSince = Date.now();
        }
        if (recordCheckPassed(checkRecords(orders, records)) && Date.now() - stableSince >= 5_000) return true;
        await sleep(1_000);
      }
      log(`${what}: not settled after ${options.quietTimeoutSeconds} s`);
      return false;
    };
    await settle('resync');
    await projectionsCaughtUp();
    const secondRun = (
      await admin<{ runs: Run[] }>('POST', '/admin/reconciliations', { tenant: TENANT, date: businessDate })
    ).runs[0];
    check(
      'a second reconciliation after the resync: succeeded, 0 open, parity 100 %',
      secondRun.status === 'succeeded' && secondRun.openDiscrepancies === 0 && secondRun.parityRatio === 1,
      `${secondRun.status}, ${secondRun.openDiscrepancies} open, parity ${secondRun.parityRatio}`,
    );
    // The second tenant's day, reconciled from its own NewStore and ERP account: nothing to find.
    const secondTenantRun = (
      await admin<{ runs: Run[] }>('POST', '/admin/reconciliations', { tenant: SECOND_TENANT, date: businessDate })
    ).runs[0];
    check(
      `the reconciliation of ${SECOND_TENANT}'s day: succeeded, 0 open, parity 100 %`,
      secondTenantRun.status === 'succeeded' &&
        secondTenantRun.openDiscrepancies === 0 &&
        secondTenantRun.parityRatio === 1,
      `${secondTenantRun.status}${secondTenantRun.error ? ` (${secondTenantRun.error})` : ''}, ${secondTenantRun.openDiscrepancies} open, parity ${secondTenantRun.parityRatio}`,
    );
    const final = checkRecords(orders, records);
    check(
      'after the resync every order of the day holds exactly its ERP records, once each',
      recordCheckPassed(final),
      describeRecordCheck(final),
    );

    // Resync of 1,000 orders (or the day, if smaller): until every group has consumed it.
    const resyncOrders = orders.slice(0, 1_000).map((order) => order.id);
    const writesBefore = records.reduce((sum, record) => sum + record.writes, 0);
    const resyncStarted = Date.now();
    await admin('POST', '/admin/resync', { tenant: TENANT, orderIds: resyncOrders });
    const expectedWrites = orders
      .slice(0, 1_000)
      .reduce((sum, order) => sum + checkRecords([order], records).matched, 0);
    let resyncSeconds: number | null = null;
    while (Date.now() - resyncStarted < options.quietTimeoutSeconds * 1000) {
      const now = await erpRecords();
      const writes = now.reduce((sum, record) => sum + record.writes, 0);
      if (writes - writesBefore >= expectedWrites) {
        resyncSeconds = (Date.now() - resyncStarted) / 1000;
        break;
      }
      await sleep(250);
    }
    log(
      resyncSeconds === null
        ? 'resync of 1,000 orders: not done in time'
        : `resync of ${resyncOrders.length} orders: ${expectedWrites} ERP upserts in ${resyncSeconds.toFixed(1)} s`,
    );
    check(
      `a resync of ${resyncOrders.length} orders re-posts their records`,
      resyncSeconds !== null,
      resyncSeconds === null ? 'not done in time' : `${resyncSeconds.toFixed(1)} s`,
    );
    records = await erpRecords();
    const afterResync = checkRecords(orders, records);
    check(
      'the resync of those orders created nothing twice',
      recordCheckPassed(afterResync),
      describeRecordCheck(afterResync),
    );

    const retriesPerTier = await counterByLabel(
      apps.names('enricher').map((name) => apps.url(name)),
      'parity_enricher_retries_total',
      'tier',
    );
    const result: ChaosReport = {
      seed: options.seed,
      businessDate,
      orders: options.orders,
      ordersPerTenant: { [TENANT]: first.orders.length, [SECOND_TENANT]: second.orders.length },
      eventsOfTheDay,
      eventsDelivered: pushed.delivered + secondPushed.delivered,
      duplicatesSent: pushed.duplicatesSent + secondPushed.duplicatesSent,
      rawTopicMessages: raw.length,
      rawTopicDistinctEvents: distinct,
      duplicatesAbsorbed: raw.length - distinct,
      topicDuplicates,
      retriesPerTier,
      erp: {
        records: records.length + secondRecords.length,
        peakConcurrency: erp.peakConcurrency,
        peakAttempted: erp.peakAttempted,
        retriesSeenBySinks: await counterByLabel(
          apps.names('erp-sink').map((name) => apps.url(name)),
          'parity_erp_retries_total',
          'reason',
        ),
      },
      faults: faultsFired,
      restartsSurvived:
        [...apps.restarts.values()].reduce((sum, count) => sum + count, 0) +
        faultsFired.filter((fault) => fault.kind.startsWith('broker') || fault.kind === 'registry-restart').length,
      pushSeconds: (lastEventAt - pushStarted) / 1000,
      secondsFromLastEventToQuiet: secondsToQuiet,
      resync1000: resyncSeconds === null ? null : { orders: resyncOrders.length, seconds: resyncSeconds },
      checks,
      passed: checks.every((item) => item.ok),
      reportFile: join(runDir, 'report.json'),
    };
    check(
      'every scheduled fault was carried out',
      faultsFired.every((fault) => !fault.outcome.startsWith('failed')),
      faultsFired
        .filter((fault) => fault.outcome.startsWith('failed'))
        .map((fault) => `${fault.kind}: ${fault.outcome}`)
        .join('; ') || `${faultsFired.length} faults`,
    );
    result.passed = checks.every((item) => item.ok);
    writeFileSync(result.reportFile, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await cleanup();
    cleanup = undefined;
  }
}

/** The report as the terminal shows it. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [
    '',
    `chaos report (${report.passed ? 'PASSED' : 'FAILED'}), seed ${report.seed}, business day ${report.businessDate}`,
    `  orders                         ${report.orders} (${Object.entries(report.ordersPerTenant)
      .map(([tenant, count]) => `${tenant} ${count}`)
      .join(', ')})`,
    `  events of the day              ${report.eventsOfTheDay} (delivered by NewStore: ${report.eventsDelivered})`,
    `  duplicates sent by NewStore    ${report.duplicatesSent}; raw topic ${report.rawTopicMessages} messages, ${report.rawTopicDistinctEvents} distinct events: ${report.duplicatesAbsorbed} duplicates absorbed downstream`,
    ...Object.entries(report.topicDuplicates).map(
      ([topic, counted]) =>
        `  duplicates on ${topic.padEnd(19)} ${counted.duplicates} of ${counted.messages} messages, ${counted.writtenTwiceByProducer} written twice by the producer (absorbed: enriched once, posted once)`,
    ),
    `  enricher retries per tier      ${
      Object.entries(report.retriesPerTier)
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([tier, count]) => `${tier}: ${count}`)
        .join(', ') || 'none'
    }`,
    `  faults                         ${report.faults.length}; restarts survived ${report.restartsSurvived}`,
    `  push lasted                    ${report.pushSeconds.toFixed(0)} s`,
    `  last event to quiet            ${report.secondsFromLastEventToQuiet === null ? 'never' : `${report.secondsFromLastEventToQuiet.toFixed(1)} s`}`,
    `  resync of ${report.resync1000?.orders ?? 1000} orders          ${report.resync1000 ? `${report.resync1000.seconds.toFixed(1)} s` : 'not done'}`,
    `  ERP records                    ${report.erp.records} (requests at once: ${report.erp.peakAttempted} sent, ${report.erp.peakConcurrency} admitted)`,
    `  sink retries by reason         ${
      Object.entries(report.erp.retriesSeenBySinks)
        .map(([reason, count]) => `${reason}: ${count}`)
        .join(', ') || 'none'
    } (counted by the sink instances running at the end)`,
    '  checks:',
    ...report.checks.map((item) => `    ${item.ok ? 'PASS' : 'FAIL'}  ${item.name}: ${item.detail}`),
    `  report file                    ${report.reportFile}`,
    '',
  ];
  return lines.join('\n');
}

/** What the chaos run reads of the reconciler's order API (GET /admin/orders/{id}). */
interface StoryOfOrder {
  events: { name: string | null; duplicate?: boolean }[];
  documents: {
    documentType: string;
    externalId: string;
    status: string | null;
    attempts?: number | null;
    error?: string | null;
  }[];
  deadLetters: { reason?: string | null }[];
}

/** One line per order: its events by name, each document with its ERP outcome, its dead letters. */
function describeStory(story: StoryOfOrder): string {
  const events = story.events.map((event) => `${event.name ?? '?'}${event.duplicate ? ' (copy)' : ''}`).join(', ');
  const documents = story.documents
    .map(
      (document) =>
        `${document.documentType} ${document.externalId} ${document.status ?? 'no outcome'}${document.error ? ` (${document.error})` : ''}`,
    )
    .join('; ');
  const dead = story.deadLetters.map((letter) => letter.reason ?? 'dead letter').join('; ');
  return `events [${events}]; documents [${documents || 'none'}]${dead ? `; dead letters [${dead}]` : ''}`;
}
