/**
 * npm run bench: every benchmark in one go (ingest, enricher, erp-sink, reconciler
 * rebuild and day, the end-to-end pipeline), one after the other on this machine,
 * each printing its figures next to its reference measured in the same run. Writes
 * reports/bench-<date>.md: the machine, the versions, and each bench's tables.
 * BENCH_ONLY=ingest,pipeline runs some of them; each bench's own settings
 * (BENCH_EVENTS, ...) are set here to the defaults docs/testing.md documents.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT } from './support';

const BENCHES: { name: string; script: string; env: Record<string, string> }[] = [
  { name: 'ingest', script: 'bench/ingest/run.ts', env: {} },
  { name: 'enricher', script: 'bench/enricher/run.ts', env: { BENCH_EVENTS: '10000' } },
  { name: 'erp-sink', script: 'bench/erp-sink/run.ts', env: { BENCH_DOCUMENTS: '3000', ERP_CONCURRENCY: '12' } },
  {
    name: 'reconciler',
    script: 'bench/reconciler/run.ts',
    // BENCH_DAY_ORDERS=100000,1000000 adds the million-order day (about 15 minutes more).
    env: { BENCH_EVENTS: '1000000', BENCH_DAY_ORDERS: process.env.BENCH_DAY_ORDERS ?? '100000' },
  },
  { name: 'pipeline', script: 'bench/pipeline/run.ts', env: { BENCH_ORDERS: '2000' } },
];

/** Runs one bench as its own process; its output is echoed and kept. */
function runBench(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, script)],
      { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** The figures of a bench's output: its tables and summary lines, without progress and log lines. */
function figures(output: string): string {
  return output
    .split('\n')
    .filter((line) => !line.startsWith('{') && !/^(producing|seeding|building|\[infra\])/.test(line))
    .join('\n')
    .trim();
}

async function versions(): Promise<string[]> {
  const installed = (name: string) =>
    (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  const pom = readFileSync(join(ROOT, 'infra', 'pom.xml'), 'utf8');
  const property = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1] ?? '?';
  const database = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  let postgres = '?';
  try {
    await database.connect();
    postgres = ((await database.query('SHOW server_version')).rows[0] as { server_version: string }).server_version;
  } finally {
    await database.end().catch(() => undefined);
  }
  return [
    `Node.js ${process.version}`,
    `Apache Kafka ${property('kafka.version')} (KRaft, 1 node), Apicurio Registry ${property('apicurio.version')}`,
    `PostgreSQL ${postgres}`,
    `kafkajs ${installed('kafkajs')}, @nestjs/core ${installed('@nestjs/core')}, fastify ${installed('fastify')}, pg ${installed('pg')}, typeorm ${installed('typeorm')}`,
  ];
}

async function main() {
  const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
  const selected = BENCHES.filter((bench) => !only || only.includes(bench.name));
  const date = new Date().toISOString().slice(0, 10);
  const sections: string[] = [];
  const failed: string[] = [];
  for (const bench of selected) {
    process.stdout.write(`\n=== bench ${bench.name} ===\n`);
    const started = performance.now();
    const { code, output } = await runBench(bench.script, bench.env);
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);
    if (code !== 0) failed.push(bench.name);
    sections.push(
      `## ${bench.name}\n\n\`${bench.script}\`, ${
        Object.entries(bench.env)
          .map(([name, value]) => `${name}=${value}`)
          .join(' ') || 'defaults'
      }; ${minutes} min${code === 0 ? '' : `; **failed (exit ${code})**`}\n\n\`\`\`\n${figures(output)}\n\`\`\`\n`,
    );
  }
  const cpu = cpus();
  const report = [
    `# parity-hub benchmarks, ${date}`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB.`,
    '',
    ...(await versions()).map((line) => `- ${line}`),
    '',
    'Every figure stands next to its reference measured in the same bench run, as a ratio. The benches ran one after another on the same machine, the broker and Postgres shared.',
    '',
    ...sections,
  ].join('\n');
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  const file = join(ROOT, 'reports', `bench-${date}.md`);
  writeFileSync(file, report);
  process.stdout.write(`\nreport: ${file}\n`);
  if (failed.length) {
    process.stderr.write(`benches that failed: ${failed.join(', ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
