/**
 * bench/ingest: webhook throughput and latency against the real local broker.
 *
 * Drives apps/ingest with autocannon (a separate process) at a few concurrencies,
 * and in the same run measures two references on this machine:
 *  - Kafka's own ProducerPerformance (kafka-tools), same record size, acks=all;
 *  - an HTTP→Kafka peer doing one kafkajs send per request (bench/ingest/naive-peer.ts);
 *  - the HTTP ceiling: a no-op Fastify endpoint parsing the same body (bench/ingest/noop-peer.ts).
 *    Strimzi Kafka Bridge, the reference the issue names, is not obtainable here (see docs/testing.md).
 * Prints events/s, p50/p99/p99.9 latency and the ratios. Not a test: nothing is asserted.
 *
 *   npm run bench:ingest            (BENCH_DURATION_S=10 BENCH_CONCURRENCY=10,50,200)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { localInfra, ratio, ROOT, run, startProcess, stopProcess, table } from '../support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '10,50,200').split(',').map(Number);
const API_KEY = 'bench-key';

function sampleEvent(): string {
  // A realistic order.opened of about 1 KiB; [<id>] is replaced by a fresh order id per request (load.ts).
  return JSON.stringify({
    tenant: 'bench',
    name: 'order.opened',
    published_at: '2026-11-22T10:00:00.000Z',
    payload: {
      id: '[<id>]',
      external_id: 'B-100234',
      channel_type: 'web',
      currency: 'USD',
      subtotal: 129.9,
      tax_total: 10.39,
      shipping_total: 5,
      grand_total: 145.29,
      customer_email: 'someone@example.com',
      shipping_address: { line1: '1 Main Street', city: 'Springfield', zip: '12345', country: 'US' },
      items: Array.from({ length: 4 }, (_, index) => ({
        id: `item-${index}`,
        product_id: `sku-${1000 + index}`,
        pricebook_price: 32.475,
        list_price: 39.99,
        tax: 2.6,
        quantity: 1,
        shipping_service_level: 'GROUND',
        external_identifiers: { sku: `SKU${1000 + index}`, ean13: '4006381333931' },
      })),
    },
  });
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  non2xx: number;
  errors: number;
}

async function autocannon(
  url: string,
  connections: number,
  headers: Record<string, string>,
  bodyFile: string,
): Promise<LoadResult> {
  const args = [
    '-r',
    'ts-node/register/transpile-only',
    join(ROOT, 'bench/ingest/load.ts'),
    url,
    String(connections),
    String(DURATION_S),
    bodyFile,
  ];
  for (const [name, value] of Object.entries(headers)) args.push(`${name}=${value}`);
  const { stdout } = await run(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, cwd: ROOT });
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number; p99_9: number };
    non2xx: number;
    errors: number;
  };
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

async function producerPerformance(
  brokers: string,
  topic: string,
  recordSize: number,
): Promise<{ rps: number; p99: number }> {
  const output = await localInfra(
    'tool',
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    '300000',
    '--record-size',
    String(recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${brokers}`,
    'acks=all',
    'enable.idempotence=true',
  );
  const last = output.trim().split('\n').pop() ?? '';
  const rps = Number(/([\d.]+) records\/sec/.exec(last)?.[1] ?? 0);
  const p99 = Number(/([\d.]+) ms 99th/.exec(last)?.[1] ?? 0);
  return { rps, p99 };
}

async function main() {
  await localInfra('up', 'kafka');
  await run('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:19092';
  const prefix = `bench-${Date.now().toString(36)}.`;
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [`${prefix}perf`, `${prefix}peer`].map((topic) => ({ topic, numPartitions: 6 })),
  });
  await admin.disconnect();

  const body = sampleEvent();
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'bench-ingest-')), 'event.json');
  writeFileSync(bodyFile, body);
  const ingest = await startProcess(
    process.execPath,
    [join(ROOT, 'dist/apps/ingest/src/main.js')],
    {
      PORT: '3900',
      HTTP_HOST: '127.0.0.1',
      KAFKA_BROKERS: brokers,
      KAFKA_TOPIC_PREFIX: prefix,
      INGEST_API_KEYS: `bench:${API_KEY}`,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'test',
    },
    async () => (await fetch('http://127.0.0.1:3900/health/ready')).ok,
    'ingest',
  );
  const peer = await startProcess(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench/ingest/naive-peer.ts')],
    { PORT: '3901', KAFKA_BROKERS: brokers, PEER_TOPIC: `${prefix}peer` },
    async () => (await fetch('http://127.0.0.1:3901/health', { method: 'POST' })).ok,
    'peer',
  );
  const noop = await startProcess(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench/ingest/noop-peer.ts')],
    { PORT: '3904' },
    async () => (await fetch('http://127.0.0.1:3904/health', { method: 'POST' })).ok,
    'no-op http',
  );
  const rows: (string | number)[][] = [
    ['target', 'conns', 'events/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'non-2xx', 'errors'],
  ];
  const best = { ingest: 0, peer: 0, ingestP99: 0, peerP99: 0 };
  const ceilings: string[] = [];
  try {
    for (const connections of CONCURRENCIES) {
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
      const hub = await autocannon('http://127.0.0.1:3900/webhooks/newstore', connections, headers, bodyFile);
      const naive = await autocannon('http://127.0.0.1:3901/events', connections, headers, bodyFile);
      const ceiling = await autocannon('http://127.0.0.1:3904/events', connections, headers, bodyFile);
      ceilings.push(`${connections} connections: ${ratio(hub.rps, ceiling.rps)}`);
      rows.push(['ingest', connections, hub.rps.toFixed(0), hub.p50, hub.p99, hub.p999, hub.non2xx, hub.errors]);
      rows.push([
        'per-request peer',
        connections,
        naive.rps.toFixed(0),
        naive.p50,
        naive.p99,
        naive.p999,
        naive.non2xx,
        naive.errors,
      ]);
      rows.push([
        'no-op Fastify (HTTP ceiling)',
        connections,
        ceiling.rps.toFixed(0),
        ceiling.p50,
        ceiling.p99,
        ceiling.p999,
        ceiling.non2xx,
        ceiling.errors,
      ]);
      if (hub.rps > best.ingest) Object.assign(best, { ingest: hub.rps, ingestP99: hub.p99 });
      if (naive.rps > best.peer) Object.assign(best, { peer: naive.rps, peerP99: naive.p99 });
    }
  } finally {
    await stopProcess(ingest);
    await stopProcess(peer);
    await stopProcess(noop);
  }
  const perf = await producerPerformance(brokers, `${prefix}perf`, Buffer.byteLength(body));
  rows.push(['ProducerPerformance', '-', perf.rps.toFixed(0), '-', perf.p99, '-', '-', '-']);

  process.stdout.write(
    `\nbench/ingest: ${DURATION_S}s per run, record ${Buffer.byteLength(body)} bytes, acks=all, 1 broker on this machine\n\n`,
  );
  process.stdout.write(`${table(rows)}\n\n`);
  process.stdout.write(
    `ingest best / per-request peer best: ${ratio(best.ingest, best.peer)} events/s (p99 ${best.ingestP99} ms vs ${best.peerP99} ms)\n`,
  );
  process.stdout.write(`ingest best / ProducerPerformance:   ${ratio(best.ingest, perf.rps)} records/s\n`);
  process.stdout.write(`ingest / no-op Fastify, same body:   ${ceilings.join(', ')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
