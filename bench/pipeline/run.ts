/**
 * bench/pipeline: end to end, from the NewStore emulator's event-stream push to the
 * ERP emulator's record, through ingest, the enricher and the sink (built, one
 * process each) on the local broker, at zero GraphQL lag and zero ERP latency.
 * Prints orders/s (push start to the last expected ERP record) and the p50/p99
 * latency from an order's order.opened delivered by NewStore to its sale in the
 * ERP. Reference in the same run: the same emulator pushing the same day to a
 * no-op HTTP endpoint (bench/ingest/noop-peer.ts), i.e. how fast the day can be
 * delivered at all with the same push concurrency.
 *
 *   npm run bench:pipeline        (BENCH_ORDERS=2000, BENCH_PUSH_CONCURRENCY=16)
 */
import { join } from 'node:path';
import { ErpEmulator, ErpRecord } from '../../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../../tools/emulators/newstore/newstore-emulator';
import { checkRecords, recordCheckPassed } from '../../tools/chaos/checker';
import { Fleet } from '../../tools/chaos/fleet';
import { freePort, newStoreEnv } from '@hub/testing';
import { localInfra, ratio, ROOT, run, startProcess, stopProcess, table } from '../support';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2_000);
const PUSH_CONCURRENCY = Number(process.env.BENCH_PUSH_CONCURRENCY ?? 16);
const TENANT = 'bench';
const KEY = 'bench-key';
const stamp = Date.now().toString(36);

const day = (seed: number) => ({ tenant: TENANT, date: '2024-01-03', orders: ORDERS, seed });
const pusher = { duplicateRate: 0, concurrency: PUSH_CONCURRENCY, ratePerSecond: 0 };

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? NaN;
}

/** The reference: the same day pushed to an endpoint that only parses the body. */
async function pushCeiling(): Promise<number> {
  const port = await freePort();
  const peer = await startProcess(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench/ingest/noop-peer.ts')],
    { PORT: String(port) },
    async () => (await fetch(`http://127.0.0.1:${port}/health`, { method: 'POST' })).ok,
    'no-op peer',
  );
  const newStore = new NewStoreEmulator({ day: day(41), pusher });
  try {
    const integration = newStore.pusher.register({
      callback_parameters: { callback_url: `http://127.0.0.1:${port}/events` },
    });
    const started = performance.now();
    newStore.pusher.start(integration.id);
    await newStore.pusher.idle(integration.id);
    return ORDERS / ((performance.now() - started) / 1000);
  } finally {
    await newStore.close();
    await stopProcess(peer);
  }
}

async function main() {
  await localInfra('up');
  const variables = Object.fromEntries(
    (await localInfra('env'))
      .split('\n')
      .map((line) => /^export (\w+)=(.*)$/.exec(line))
      .filter((match) => match)
      .map((match) => [match![1], match![2]]),
  ) as Record<string, string>;
  Object.assign(process.env, variables);
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });

  const reference = await pushCeiling();
  const erp = new ErpEmulator({ concurrencyLimit: 64 });
  const newStore = new NewStoreEmulator({ day: day(42), pusher });
  const erpBase = await erp.listen(0);
  const newStoreBase = await newStore.listen(0);
  const prefix = `bench-pipeline-${stamp}.`;
  const common = {
    ...variables,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '6',
    ...newStoreEnv(newStoreBase),
    NETSUITE_BASE_URL: `${erpBase}/services/rest`,
    LOG_LEVEL: 'warn',
  };
  const fleet = new Fleet(
    [
      {
        name: 'ingest',
        app: 'ingest',
        port: await freePort(),
        env: { ...common, INGEST_API_KEYS: `${TENANT}:${KEY}` },
      },
      {
        name: 'enricher',
        app: 'enricher',
        port: await freePort(),
        env: { ...common, DATABASE_SCHEMA: `bench_pipeline_enricher_${stamp}`, ENRICHER_CONSUMER_GROUP: `${prefix}e` },
      },
      {
        name: 'erp-sink',
        app: 'erp-sink',
        port: await freePort(),
        env: {
          ...common,
          DATABASE_SCHEMA: `bench_pipeline_sink_${stamp}`,
          SINK_CONSUMER_GROUP: `${prefix}s`,
          ERP_CONCURRENCY: '12',
        },
      },
    ],
    join(ROOT, 'bench', 'results', `pipeline-${stamp}`),
  );
  try {
    await fleet.startAll();
    const orders = Array.from({ length: ORDERS }, (_, index) => newStore.store.order(index));
    const integration = newStore.pusher.register({
      callback_parameters: { callback_url: `${fleet.url('ingest')}/webhooks/newstore`, api_key: KEY },
    });
    const started = performance.now();
    newStore.pusher.start(integration.id);
    let records: ErpRecord[] = [];
    for (;;) {
      records = [...erp.records.values()];
      if (recordCheckPassed(checkRecords(orders, records))) break;
      if (performance.now() - started > 600_000) throw new Error('the ERP did not get every document in 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const bySale = new Map(records.map((record) => [record.externalId, record]));
    const latencies = orders
      .filter((order) => !order.isHistorical)
      .map((order) => Date.parse(bySale.get(order.externalId)!.createdAt) - newStore.store.publishedAtOf(order.id)!)
      .sort((a, b) => a - b);
    const rate = ORDERS / seconds;
    process.stdout.write(
      `\nbench/pipeline: NewStore emulator push -> ingest -> enricher -> erp-sink -> ERP emulator; 1 broker, local Postgres, zero lag, 0 ms ERP\n\n`,
    );
    process.stdout.write(
      `${table([
        [
          'orders',
          'ERP records',
          'seconds',
          'orders/s',
          'p50 ms',
          'p99 ms',
          'push to a no-op endpoint, orders/s',
          'ratio',
        ],
        [
          ORDERS,
          records.length,
          seconds.toFixed(1),
          rate.toFixed(0),
          percentile(latencies, 0.5).toFixed(0),
          percentile(latencies, 0.99).toFixed(0),
          reference.toFixed(0),
          ratio(rate, reference),
        ],
      ])}\n`,
    );
  } finally {
    await fleet.stopAll();
    await Promise.all([erp.close(), newStore.close()]);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
