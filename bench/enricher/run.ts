/**
 * bench/enricher: documents/s through apps/enricher (its own process, built) against
 * the NewStore emulator with no lag, and the time to drain a backlog of 10k events
 * with 20 % of them in retry (GraphQL lags their orders past the first attempt).
 * Reference in the same run: the GraphQL client alone fetching the same orders with
 * the same concurrency (3), i.e. what NewStore's side allows. Prints figures only.
 *
 *   npm run bench:enricher        (BENCH_EVENTS=10000)
 */
import { join } from 'node:path';
import { kafkaEnv, loadConfig } from '@hub/config';
import { KafkaInfrastructure } from '@hub/kafka';
import { NewStoreEnvelope, prepareEventRecord } from '@hub/newstore';
import { NewStoreGraphQlClient } from '@hub/newstore-graphql';
import pino from 'pino';
import { eventsOfOrder } from '../../tools/emulators/shared/newstore-events';
import { NewStoreEmulator } from '../../tools/emulators/newstore/newstore-emulator';
import { localInfra, ratio, ROOT, run, startProcess, stopProcess, table } from '../support';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 10_000);

async function scenario(name: string, retryShare: number, emulator: NewStoreEmulator, base: string, orders: number) {
  const prefix = `bench-enricher-${name}-${Date.now().toString(36)}.`;
  const settings = loadConfig('bench', kafkaEnv, { ...process.env, KAFKA_TOPIC_PREFIX: prefix });
  const kafka = new KafkaInfrastructure(settings, pino({ level: 'error' }), {});
  await kafka.connect(['newstoreEvents', 'erpDocuments', 'enricherDlq']);
  let expected = 0;
  const batch = [];
  for (let index = 0; index < orders; index += 1) {
    const order = emulator.store.order(index);
    // The share in retry is visible 1.5 s after publication: the first attempt fails, the 1 s tier's retry succeeds.
    emulator.store.setLag(order.id, index % 100 < retryShare * 100 ? 1_500 : 0);
    emulator.store.markPublished(order.id);
    if (!order.isHistorical) expected += 1;
    const prepared = prepareEventRecord(
      Buffer.from(JSON.stringify(eventsOfOrder(order, 'bench')[0].envelope as NewStoreEnvelope)),
      {
        receivedAt: new Date(),
        contentType: 'application/json',
      },
    );
    if (prepared.ok) batch.push(prepared.record);
    if (batch.length === 500) await kafka.producer.send(kafka.topics.newstoreEvents, batch.splice(0));
  }
  if (batch.length) await kafka.producer.send(kafka.topics.newstoreEvents, batch.splice(0));
  const started = performance.now();
  const enricher = await startProcess(
    process.execPath,
    [join(ROOT, 'dist/apps/enricher/src/main.js')],
    {
      PORT: '3903',
      HTTP_HOST: '127.0.0.1',
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_SCHEMA: `bench_enricher_${name}_${Date.now().toString(36)}`,
      NEWSTORE_GRAPHQL_URL: `${base}/api/v1/org/data/query`,
      NEWSTORE_TOKEN_URL: `${base}/auth/realms/{tenant}/protocol/openid-connect/token`,
      ENRICHER_RETRY_TIERS_MS: '1000,2000,4000',
      ENRICHER_CONSUMER_GROUP: `${prefix}group`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
    },
    async () => (await fetch('http://127.0.0.1:3903/health/ready')).ok,
    'enricher',
  );
  const admin = kafka.kafka.admin();
  await admin.connect();
  const produced = async () =>
    (await admin.fetchTopicOffsets(kafka.topics.erpDocuments)).reduce((sum, { high }) => sum + Number(high), 0);
  while ((await produced()) < expected) await new Promise((resolve) => setTimeout(resolve, 200));
  const seconds = (performance.now() - started) / 1000;
  await admin.disconnect();
  await stopProcess(enricher);
  await kafka.close();
  return { documents: expected, seconds, perSecond: expected / seconds };
}

/**
 * The GraphQL client alone fetching the orders: one query per order with 3 callers,
 * or (batched) the enricher's settings, 64 callers sharing queries of up to 50 ids.
 */
async function graphqlAlone(
  emulator: NewStoreEmulator,
  base: string,
  orders: number,
  batched = false,
): Promise<number> {
  const client = new NewStoreGraphQlClient({
    graphqlUrl: `${base}/api/v1/org/data/query`,
    tokenUrl: `${base}/auth/realms/{tenant}/protocol/openid-connect/token`,
    clientId: 'hub',
    clientSecret: 'hub-secret',
    timeoutMs: 10_000,
    ...(batched ? { lookupBatchSize: 50, maxParallelQueries: 4 } : {}),
  });
  const ids = Array.from({ length: orders }, (_, index) => emulator.store.order(index).id);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: batched ? 64 : 3 }, async () => {
      for (let id = ids.pop(); id; id = ids.pop()) await client.order('bench', id);
    }),
  );
  return orders / ((performance.now() - started) / 1000);
}

async function main() {
  await localInfra('up');
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const emulator = new NewStoreEmulator({
    day: { tenant: 'bench', date: '2024-01-02', orders: EVENTS, seed: 9 },
    visibility: 'published',
    lag: { paymentExtraMs: 0 },
  });
  const base = await emulator.listen(0);
  try {
    const reference = await graphqlAlone(emulator, base, Math.min(EVENTS, 3_000));
    const batchedReference = await graphqlAlone(emulator, base, Math.min(EVENTS, 3_000), true);
    const noLag = await scenario('nolag', 0, emulator, base, Math.min(EVENTS, 3_000));
    const backlog = await scenario('backlog', 0.2, emulator, base, EVENTS);
    process.stdout.write(
      `\nbench/enricher: order.opened events, NewStore emulator in this process, enricher as its own process, 1 broker, local Postgres\n\n`,
    );
    process.stdout.write(
      `${table([
        [
          'scenario',
          'documents',
          'seconds',
          'documents/s',
          'GraphQL alone, per order',
          'ratio',
          'GraphQL alone, batched',
          'ratio',
        ],
        ...[['no lag', noLag] as const, ['backlog, 20 % in retry', backlog] as const].map(([name, run]) => [
          name,
          run.documents,
          run.seconds.toFixed(1),
          run.perSecond.toFixed(0),
          reference.toFixed(0),
          ratio(run.perSecond, reference),
          batchedReference.toFixed(0),
          ratio(run.perSecond, batchedReference),
        ]),
      ])}\n`,
    );
  } finally {
    await emulator.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
