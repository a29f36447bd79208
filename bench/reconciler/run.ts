/**
 * bench/reconciler:
 *  1. Rebuild rate: the projections rebuilt from BENCH_EVENTS (1,000,000) NewStore events by
 *     the built `rebuild` command, against Kafka's own ConsumerPerformance reading the same
 *     topic in the same run (the reference), with the command's wall time and peak RSS.
 *  2. A 100k-order day (BENCH_DAY_ORDERS, a comma-separated list: `100000,1000000`) reconciled
 *     through the admin API: wall time and the
 *     reconciler's peak RSS during the run, next to a 1k-order day's, to show memory stays flat.
 * Emulators run in this process, the reconciler as its own (built) process. Prints figures only.
 *
 *   npm run bench:reconciler
 */
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { kafkaEnv, loadConfig } from '@hub/config';
import { decimal, money, SyncStatus } from '@hub/contracts';
import { KafkaInfrastructure } from '@hub/kafka';
import { prepareEventRecord } from '@hub/newstore';
import { newStoreEnv, sampleErpDocument } from '@hub/testing';
import { Message } from 'kafkajs';
import pino from 'pino';
import { ErpEmulator } from '../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../../tools/emulators/newstore/newstore-emulator';
import { eventsOfOrder } from '../../tools/emulators/shared/newstore-events';
import { orderAt } from '../../tools/emulators/shared/retail-day';
import { localInfra, ratio, ROOT, run, startProcess, stopProcess, table } from '../support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
/** Days to reconcile besides the 1k-order baseline, comma-separated order counts. */
const DAY_ORDERS = (process.env.BENCH_DAY_ORDERS ?? '100000').split(',').map(Number);
/** Which parts run: `rebuild`, `day`, or both (the default). */
/** Consumers of each rebuild measured (RECONCILER_REBUILD_WORKERS), comma-separated. */
const REBUILD_WORKERS = (process.env.BENCH_REBUILD_WORKERS ?? '1,2').split(',').map(Number);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'rebuild,day').split(',').map((part) => part.trim()));
/** A directory for V8 CPU profiles of the reconciler processes (`--cpu-prof`), when set. */
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE_DIR;
const profileArgs = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
const TOKEN = 'bench-token';
/** A product of the emulated ERP account's catalogue. */
const PRODUCT = 'prod-1001';
const stamp = Date.now().toString(36);
// The emulator derives an order's seed as (seed ^ c) ^ index: seeds differing only in low bits
// give the same orders at other indexes. This one differs above bit 20, beyond any index here.
const SMALL_SEED = 3 ^ (1 << 20);

function kafkaFor(prefix: string) {
  const settings = loadConfig('bench', kafkaEnv, {
    ...process.env,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '3',
  });
  return new KafkaInfrastructure(settings, pino({ level: 'error' }), {});
}

/** Sends messages with a few batches in flight. */
async function produce(kafka: KafkaInfrastructure, topic: string, messages: Iterable<Message>): Promise<number> {
  let count = 0;
  let batch: Message[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const flush = async () => {
    const sending = kafka.producer.send(topic, batch);
    batch = [];
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };
  for (const message of messages) {
    batch.push(message);
    count += 1;
    if (batch.length === 2_000) await flush();
  }
  if (batch.length) await flush();
  await Promise.all(inFlight);
  return count;
}

/** The day's events in order-index order, as ingest would have stored them. */
function* eventRecords(
  tenant: string,
  date: string,
  orders: number,
  seed: number,
  limit = Infinity,
): Generator<Message> {
  let emitted = 0;
  for (let index = 0; index < orders && emitted < limit; index += 1) {
    for (const event of eventsOfOrder(orderAt({ tenant, date, orders, seed }, index), tenant)) {
      const prepared = prepareEventRecord(Buffer.from(JSON.stringify(event.envelope)), {
        receivedAt: new Date(event.at),
        contentType: 'application/json',
      });
      if (!prepared.ok) continue;
      yield { key: prepared.record.key, value: prepared.record.value, headers: prepared.record.headers };
      emitted += 1;
      if (emitted >= limit) return;
    }
  }
}

/** Peak resident memory of a running process, sampled from /proc until stopped. */
function sampleRss(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peak = Math.max(peak, Number(match[1]) * 1024);
    } catch {
      // The process has exited.
    }
  }, 50);
  return { stop: () => (clearInterval(timer), peak) };
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(0)} MiB`;

async function consumerPerformance(topic: string, messages: number) {
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const stdout = await localInfra(
    'tool',
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    brokers,
    '--topic',
    topic,
    '--messages',
    String(messages),
    '--timeout',
    '60000',
    '--group',
    `bench-consumer-perf-${stamp}`,
  );
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((line) => line.startsWith('start.time'));
  const names = lines[header].split(',').map((name) => name.trim());
  const values = lines[header + 1].split(',').map((value) => value.trim());
  const field = (name: string) => Number(values[names.indexOf(name)]);
  return { perSecond: field('nMsg.sec'), fetchPerSecond: field('fetch.nMsg.sec') };
}

async function rebuildBench() {
  const prefix = `bench-reconciler-rebuild-${stamp}.`;
  const kafka = kafkaFor(prefix);
  await kafka.connect([
    'newstoreEvents',
    'erpDocuments',
    'erpSyncStatus',
    'enricherDlq',
    'reconciliationDiscrepancies',
  ]);
  const orders = Math.ceil(EVENTS / 2); // about 2.2 events per order: enough orders for EVENTS events
  process.stdout.write(`producing ${EVENTS} events...\n`);
  const produced = await produce(
    kafka,
    kafka.topics.newstoreEvents,
    eventRecords('bench', '2024-01-02', orders, 3, EVENTS),
  );
  await kafka.close();
  const reference = await consumerPerformance(`${prefix}newstore.events.v1`, produced);
  const env = {
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_SCHEMA: `bench_reconciler_rebuild_${stamp}`,
    RECONCILER_TENANTS: 'bench',
    RECONCILER_ADMIN_TOKENS: TOKEN,
    RECONCILER_CONSUMER_GROUP: `${prefix}projections`,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
  };
  const runs: { workers: number; rate: number; wall: number; peak: number }[] = [];
  // Each count of consumers rebuilds the same topics from scratch (the rebuild truncates first).
  for (const workers of REBUILD_WORKERS) {
    const started = performance.now();
    const child = spawn(process.execPath, [...profileArgs, join(ROOT, 'dist/apps/reconciler/src/main.js'), 'rebuild'], {
      cwd: ROOT,
      env: { ...process.env, ...env, RECONCILER_REBUILD_WORKERS: String(workers) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const memory = sampleRss(child.pid!);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const wall = (performance.now() - started) / 1000;
    const peak = memory.stop();
    if (code !== 0) throw new Error(`rebuild exited with ${code}: ${output}`);
    const progress = [...output.matchAll(/rebuild: (\d+)\/(\d+) events .*?, (\d+) events\/s/g)].pop();
    runs.push({ workers, rate: progress ? Number(progress[3]) : produced / wall, wall, peak });
  }
  return { produced, reference, runs };
}

function postWithoutTimeout(url: string, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function dayBench(reconciler: { url: string; pid: number }, date: string) {
  const memory = sampleRss(reconciler.pid);
  const started = performance.now();
  // node:http, not fetch: fetch gives up on an answer that takes more than 5 minutes.
  const answer = await postWithoutTimeout(
    `${reconciler.url}/admin/reconciliations`,
    { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    JSON.stringify({ tenant: 'bench', date }),
  );
  const seconds = (performance.now() - started) / 1000;
  const peak = memory.stop();
  const body = JSON.parse(answer) as {
    runs: {
      status: string;
      newstoreOrders: number;
      openDiscrepancies: number;
      parityRatio: number;
      error: string | null;
    }[];
  };
  const [runRow] = body.runs;
  if (runRow.status !== 'succeeded') throw new Error(`reconciliation failed: ${runRow.error}`);
  return { seconds, peak, run: runRow };
}

/** The hub's side of a day: every order's events, a sale document and its posted status per order. */
async function seedDay(kafka: KafkaInfrastructure, erp: ErpEmulator, date: string, orders: number, seed: number) {
  const day = { tenant: 'bench', date, orders, seed };
  await produce(kafka, kafka.topics.newstoreEvents, eventRecords('bench', date, orders, seed));
  function* documents(): Generator<Message> {
    for (let index = 0; index < orders; index += 1) {
      const order = orderAt(day, index);
      const total = money(order.grandTotal, order.currency);
      // One line of the whole amount, which line parity compares with the ERP's line.
      const document = sampleErpDocument(order.channelType === 'web' ? 'salesOrder' : 'cashSale', order.externalId, {
        tenant: 'bench',
        orderId: order.id,
        idempotencyKey: `sale:bench:${order.id}`,
        tranDate: date,
        total,
        lines: [{ kind: 'item', itemId: `${order.id}-1`, productId: PRODUCT, quantity: 1, amount: total, tax: '0' }],
      });
      // One in a thousand ERP records has another amount: the run has something to find.
      const booked = index % 1000 === 0 ? decimal(document.total).plus(1).toString() : document.total;
      const record = erp.seed(document.documentType, document.externalId, date, booked, [
        { item: { externalId: PRODUCT }, quantity: 1, amount: booked },
      ]);
      const status: SyncStatus = {
        idempotencyKey: document.idempotencyKey,
        tenant: 'bench',
        orderId: order.id,
        documentType: document.documentType,
        externalId: document.externalId,
        status: 'posted',
        erpInternalId: record.id,
        attempts: 1,
        error: null,
        source: { topic: 'bench', partition: 0, offset: String(index) },
        postedAt: record.createdAt,
        updatedAt: record.createdAt,
      };
      yield { key: document.orderId, value: Buffer.from(JSON.stringify(document)) };
      statuses.push({ key: status.idempotencyKey, value: Buffer.from(JSON.stringify(status)) });
      // A return processed on the day: its cash refund, in the hub and the ERP (RT-<return id>), as NewStore lists it.
      const returned = order.return;
      const returnedAt = returned && new Date(Date.parse(order.createdAt) + returned.offsetMinutes * 60_000);
      if (returned && returnedAt!.toISOString().startsWith(date)) {
        const refund = money(returned.amount, order.currency);
        const refundDocument = sampleErpDocument('cashRefund', `RT-${returned.id}`, {
          tenant: 'bench',
          orderId: order.id,
          idempotencyKey: `refund:bench:${returned.id}`,
          tranDate: date,
          total: refund,
          lines: [
            { kind: 'item', itemId: returned.itemIds[0], productId: PRODUCT, quantity: 1, amount: refund, tax: '0' },
          ],
          source: { eventId: `return-${returned.id}`, eventName: 'return.processed' },
        });
        const refundRecord = erp.seed('cashRefund', refundDocument.externalId, date, refund, [
          { item: { externalId: PRODUCT }, quantity: 1, amount: refund },
        ]);
        yield { key: order.id, value: Buffer.from(JSON.stringify(refundDocument)) };
        statuses.push({
          key: refundDocument.idempotencyKey,
          value: Buffer.from(
            JSON.stringify({
              ...status,
              idempotencyKey: refundDocument.idempotencyKey,
              documentType: 'cashRefund',
              externalId: refundDocument.externalId,
              erpInternalId: refundRecord.id,
            } satisfies SyncStatus),
          ),
        });
      }
    }
  }
  const statuses: Message[] = [];
  await produce(kafka, kafka.topics.erpDocuments, documents());
  await produce(kafka, kafka.topics.erpSyncStatus, statuses);
}

function printRebuild(rebuild: Awaited<ReturnType<typeof rebuildBench>>) {
  process.stdout.write(
    `${table([
      [
        'rebuild',
        'consumers',
        'events',
        'events/s',
        'wall s',
        'peak RSS (main process)',
        'ConsumerPerformance msg/s',
        'ratio',
        'CP fetch msg/s',
        'ratio',
      ],
      ...rebuild.runs.map((run) => [
        'projections',
        run.workers,
        rebuild.produced,
        run.rate.toFixed(0),
        run.wall.toFixed(1),
        mib(run.peak),
        rebuild.reference.perSecond.toFixed(0),
        ratio(run.rate, rebuild.reference.perSecond),
        rebuild.reference.fetchPerSecond.toFixed(0),
        ratio(run.rate, rebuild.reference.fetchPerSecond),
      ]),
    ])}\n\n`,
  );
}

async function main() {
  await localInfra('up');
  Object.assign(
    process.env,
    Object.fromEntries(
      (await localInfra('env'))
        .split('\n')
        .map((line) => /^export (\w+)=(.*)$/.exec(line))
        .filter((match) => match)
        .map((match) => [match![1], match![2]]),
    ),
  );
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });

  if (PARTS.has('rebuild')) {
    process.stdout.write(`\nbench/reconciler rebuild: 1 broker, local Postgres, reconciler built, its own process\n\n`);
    printRebuild(await rebuildBench());
  }
  if (PARTS.has('day')) await dayPart();
}

async function dayPart() {
  const prefix = `bench-reconciler-day-${stamp}.`;
  const kafka = kafkaFor(prefix);
  await kafka.connect([
    'newstoreEvents',
    'erpDocuments',
    'erpSyncStatus',
    'enricherDlq',
    'reconciliationDiscrepancies',
  ]);
  // The 1k-order day is the memory baseline; each larger day gets its own date, seed and emulator.
  const days = [1_000, ...DAY_ORDERS].map((orders, index) => ({
    orders,
    date: `2024-01-0${index + 1}`,
    // Seeds differ above bit 21, beyond any order index here (see SMALL_SEED).
    seed: index === 0 ? SMALL_SEED : 3 ^ ((index - 1) << 21),
  }));
  const erp = new ErpEmulator({ concurrencyLimit: 10 });
  const newStores = days.map(
    (day) => new NewStoreEmulator({ day: { tenant: 'bench', date: day.date, orders: day.orders, seed: day.seed } }),
  );
  const erpBase = await erp.listen(0);
  const bases = await Promise.all(newStores.map((emulator) => emulator.listen(0)));
  for (const day of days) {
    process.stdout.write(`seeding a ${day.orders}-order day...\n`);
    await seedDay(kafka, erp, day.date, day.orders, day.seed);
  }
  await kafka.close();
  let reconciler: ChildProcess | undefined;
  const port = 3913;
  const start = async (graphqlBase: string) =>
    startProcess(
      process.execPath,
      [...profileArgs, join(ROOT, 'dist/apps/reconciler/src/main.js')],
      {
        PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        KAFKA_TOPIC_PREFIX: prefix,
        DATABASE_SCHEMA: `bench_reconciler_day_${stamp}`,
        RECONCILER_TENANTS: 'bench',
        RECONCILER_ADMIN_TOKENS: TOKEN,
        RECONCILER_CONSUMER_GROUP: `${prefix}projections`,
        RECONCILER_SCHEDULE_ENABLED: 'false',
        ...newStoreEnv(graphqlBase),
        NETSUITE_BASE_URL: `${erpBase}/services/rest`,
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
      },
      async () => (await fetch(`http://127.0.0.1:${port}/health/ready`)).ok,
      'reconciler',
    );
  /** Every projected topic (the retry tiers among them) consumed to its end, per the lag gauge; 30 minutes at most. */
  const caughtUp = async () => {
    const projected = ['newstoreEvents', 'erpDocuments', 'erpSyncStatus', 'enricherDlq', 'enricherRetries'];
    const deadline = Date.now() + 30 * 60_000;
    while (Date.now() < deadline) {
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const lags = new Map(
        [...metrics.matchAll(/^parity_projection_lag_messages\{[^}]*topic="([^"]+)"[^}]*\} (\d+)/gm)].map((match) => [
          match[1],
          Number(match[2]),
        ]),
      );
      if (projected.every((topic) => lags.get(topic) === 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    throw new Error('the projections did not catch up with the seeded topics in 30 minutes');
  };
  const results: Awaited<ReturnType<typeof dayBench>>[] = [];
  try {
    // One NewStore emulator serves one day: the reconciler is pointed at each in turn.
    for (const [index, day] of days.entries()) {
      if (reconciler) await stopProcess(reconciler);
      reconciler = await start(bases[index]);
      await caughtUp();
      results.push(await dayBench({ url: `http://127.0.0.1:${port}`, pid: reconciler.pid! }, day.date));
    }
    process.stdout.write(
      `\nbench/reconciler day: 1 broker, local Postgres, emulators in the bench process, reconciler built, its own process\n\n`,
    );
    process.stdout.write(
      `${table([
        ['day', 'NewStore orders', 'open discrepancies', 'parity', 'wall s', 'peak RSS during run', 'vs 1k day'],
        ...results.map((figures, index) => [
          `${days[index].orders} orders`,
          figures.run.newstoreOrders,
          figures.run.openDiscrepancies,
          figures.run.parityRatio.toFixed(4),
          figures.seconds.toFixed(1),
          mib(figures.peak),
          ratio(figures.peak, results[0].peak),
        ]),
      ])}\n`,
    );
  } finally {
    if (reconciler) await stopProcess(reconciler);
    await Promise.all([erp.close(), ...newStores.map((emulator) => emulator.close())]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
