/**
 * bench/erp-sink: documents/s through apps/erp-sink (a separate process, built) into
 * the ERP emulator at 0 ms and 50 ms ERP latency, at ERP_CONCURRENCY (default 4).
 * Reference measured in the same run: the NetSuite adapter alone posting the same
 * number of documents with the same concurrency (no Kafka, no ledger, no status
 * topic), i.e. what the ERP allows. Prints figures and ratios; asserts nothing.
 *
 *   npm run bench:erp-sink        (BENCH_DOCUMENTS=3000, ERP_CONCURRENCY=4)
 */
import { join } from 'node:path';
import { ErpDocument } from '@hub/contracts';
import { NetSuiteRestAdapter } from '@hub/erp';
import { KafkaInfrastructure } from '@hub/kafka';
import { loadConfig, kafkaEnv } from '@hub/config';
import pino from 'pino';
import { ErpEmulator } from '../../tools/emulators/erp/erp-emulator';
import { localInfra, ratio, ROOT, run, startProcess, stopProcess, table } from '../support';

const DOCUMENTS = Number(process.env.BENCH_DOCUMENTS ?? 3000);
const CONCURRENCY = Number(process.env.ERP_CONCURRENCY ?? 4);
/** ERP latencies to measure, in ms; NetSuite answers in about a second. */
const LATENCIES = (process.env.BENCH_LATENCIES ?? '0,50,1000').split(',').map(Number);

function documents(tag: string, count: number): ErpDocument[] {
  return Array.from({ length: count }, (_, index) => ({
    schemaVersion: 2,
    idempotencyKey: `salesOrder:bench:${tag}-${index}`,
    tenant: 'bench',
    orderId: `order-${tag}-${index % 200}`,
    documentType: 'salesOrder',
    externalId: `${tag}-${index}`,
    tranDate: '2024-01-02',
    currency: 'USD',
    total: '100.00',
    lines: [{ itemId: 'i1', sku: 'SKU1', quantity: 1, amount: '92.00', tax: '8.00' }],
    payments: [{ method: 'credit_card', amount: '100.00' }],
    source: { eventId: `e-${index}`, eventName: 'order.opened' },
  }));
}

async function direct(emulator: ErpEmulator, baseUrl: string, latencyMs: number, count: number): Promise<number> {
  emulator.setFaults({ latencyMs });
  const adapter = new NetSuiteRestAdapter({
    baseUrl,
    clientId: 'hub-client',
    clientSecret: 'hub-secret',
    requestTimeoutMs: 30_000,
  });
  const queue = documents(`direct${latencyMs}`, count);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let document = queue.pop(); document; document = queue.pop()) await adapter.upsert(document);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function throughSink(emulator: ErpEmulator, baseUrl: string, latencyMs: number, count: number) {
  emulator.setFaults({ latencyMs });
  const prefix = `bench-sink-${Date.now().toString(36)}.`;
  const settings = loadConfig('bench', kafkaEnv, { ...process.env, KAFKA_TOPIC_PREFIX: prefix });
  const kafka = new KafkaInfrastructure(settings, pino({ level: 'error' }), {});
  await kafka.connect(['erpDocuments', 'erpSyncStatus', 'erpDlq']);
  const tag = `sink${latencyMs}`;
  const batch = documents(tag, count);
  for (let index = 0; index < batch.length; index += 500) {
    await kafka.producer.send(
      kafka.topics.erpDocuments,
      batch.slice(index, index + 500).map((document) => ({ key: document.orderId, value: JSON.stringify(document) })),
    );
  }
  const before = emulator.records.size;
  const started = performance.now();
  const sink = await startProcess(
    process.execPath,
    [join(ROOT, 'dist/apps/erp-sink/src/main.js')],
    {
      PORT: '3902',
      HTTP_HOST: '127.0.0.1',
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_SCHEMA: `bench_sink_${latencyMs}_${Date.now().toString(36)}`,
      NETSUITE_BASE_URL: baseUrl,
      ERP_CONCURRENCY: String(CONCURRENCY),
      SINK_CONSUMER_GROUP: `${prefix}sink`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
    },
    async () => (await fetch('http://127.0.0.1:3902/health/ready')).ok,
    'erp-sink',
  );
  const ready = performance.now();
  while (emulator.records.size - before < count) await new Promise((resolve) => setTimeout(resolve, 50));
  const done = performance.now();
  await stopProcess(sink);
  await kafka.close();
  return { perSecond: count / ((done - ready) / 1000), startSeconds: (ready - started) / 1000 };
}

async function main() {
  await localInfra('up');
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const emulator = new ErpEmulator({ concurrencyLimit: Math.max(CONCURRENCY, 5) });
  const baseUrl = `${await emulator.listen(0)}/services/rest`;
  const rows: (string | number)[][] = [
    [
      'ERP latency',
      'documents',
      'erp-sink docs/s',
      'adapter alone docs/s',
      'ratio',
      'ideal (concurrency / latency)',
      'ratio to ideal',
      'sink start s',
    ],
  ];
  try {
    for (const latencyMs of LATENCIES) {
      // About 20 s of work at the ideal rate for a slow ERP; the full count otherwise.
      const count = latencyMs >= 500 ? CONCURRENCY * 20 : latencyMs === 0 ? DOCUMENTS : Math.min(DOCUMENTS, 1000);
      const ideal = latencyMs > 0 ? CONCURRENCY / (latencyMs / 1000) : undefined;
      const reference = await direct(emulator, baseUrl, latencyMs, count);
      const sink = await throughSink(emulator, baseUrl, latencyMs, count);
      rows.push([
        `${latencyMs} ms`,
        count,
        sink.perSecond.toFixed(1),
        reference.toFixed(1),
        ratio(sink.perSecond, reference),
        ideal === undefined ? '-' : ideal.toFixed(1),
        ideal === undefined ? '-' : ratio(sink.perSecond, ideal),
        sink.startSeconds.toFixed(1),
      ]);
    }
  } finally {
    await emulator.close();
  }
  process.stdout.write(
    `\nbench/erp-sink: ERP_CONCURRENCY=${CONCURRENCY}, ${process.env.KAFKA_TOPIC_PARTITIONS ?? 6} partitions, emulator in this process, sink as its own process, 1 broker, local Postgres\n\n`,
  );
  process.stdout.write(`${table(rows)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
