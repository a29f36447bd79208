import { freePort, spawnApp, startServiceForTest, uniqueName, waitFor } from '@hub/testing';
import { Client } from 'pg';
import { enricherService } from '../apps/enricher/src/enricher.service-definition';
import { erpSinkService } from '../apps/erp-sink/src/erp-sink.service-definition';
import { ingestService } from '../apps/ingest/src/ingest.service-definition';
import { reconcilerService } from '../apps/reconciler/src/reconciler.service-definition';

describe('the four services', () => {
  const schemas: string[] = [];

  afterAll(async () => {
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it.each([
    ['ingest', ingestService, false],
    ['enricher', enricherService, true],
    ['erp-sink', erpSinkService, true],
    ['reconciler', reconcilerService, true],
  ] as const)(
    '%s starts, is ready when its dependencies answer, serves metrics (also on a port of their own), and stops',
    async (name, definition, usesDatabase) => {
      const schema = uniqueName(name);
      schemas.push(schema);
      const metricsPort = await freePort();
      const service = await startServiceForTest(definition as never, {
        METRICS_PORT: String(metricsPort),
        KAFKA_TOPIC_PREFIX: `${uniqueName(name)}.`,
        DATABASE_SCHEMA: schema,
        INGEST_API_KEYS: 'acme:k',
        RECONCILER_ADMIN_TOKENS: 'k',
        RECONCILER_CONSUMER_GROUP: uniqueName('projections'),
        RECONCILER_SCHEDULE_ENABLED: 'false',
      });
      try {
        const ready = await fetch(`${service.url}/health/ready`);
        expect(ready.status).toBe(200);
        const report = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
        expect(report.checks.kafka.ok).toBe(true);
        expect(report.checks.postgres?.ok).toBe(usesDatabase ? true : undefined);
        expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
        const metrics = await (await fetch(`${service.url}/metrics`)).text();
        expect(metrics).toContain(`process_cpu_user_seconds_total{service="${name}"}`);
        // The metrics port serves the metrics and nothing else: monitoring let in there reaches no API.
        const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(own.status).toBe(200);
        expect(await own.text()).toContain(`process_cpu_user_seconds_total{service="${name}"}`);
        for (const path of ['/health/ready', '/admin/reconciliations', '/webhooks/newstore'])
          expect(`${path}: ${(await fetch(`http://127.0.0.1:${metricsPort}${path}`)).status}`).toBe(`${path}: 404`);
      } finally {
        await service.close();
      }
      // Closed with the service.
      await expect(fetch(`http://127.0.0.1:${metricsPort}/metrics`)).rejects.toThrow();
    },
  );

  it('stops start-up with a message naming each missing or malformed variable, before connecting anywhere', async () => {
    const app = spawnApp('ingest', [], { INGEST_API_KEYS: '', PORT: 'eighty', KAFKA_BROKERS: '127.0.0.1:1' });
    expect(await app.exited).toBe(78);
    const { stderr } = app.output();
    expect(stderr).toMatch(/Invalid configuration for ingest/);
    expect(stderr).toMatch(/INGEST_API_KEYS: is required but not set/);
    expect(stderr).toMatch(/PORT: must be a TCP port number/);
  });

  it('prints --help for a service and for one command without reading its configuration or connecting', async () => {
    // No admin tokens, an unreachable broker: help must not need either.
    const env = {
      RECONCILER_ADMIN_TOKENS: '',
      KAFKA_BROKERS: '127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
    };
    const all = spawnApp('reconciler', ['--help'], env);
    expect(await all.exited).toBe(0);
    expect(all.output().stdout).toMatch(/reconcile --date D \| --from D --to D/);
    expect(all.output().stdout).toMatch(/migrate/);
    const one = spawnApp('reconciler', ['report', '--help'], env);
    expect(await one.exited).toBe(0);
    expect(one.output().stdout).toMatch(/report --date D \[--tenant T\] \[--format text\|csv\|json\]/);
    const sink = spawnApp('erp-sink', ['replay-dlq', '-h'], env);
    expect(await sink.exited).toBe(0);
    expect(sink.output().stdout).toMatch(/--dry-run/);
  });

  it("refuses a command's wrong argument at once, naming what it takes, before reading its configuration or connecting", async () => {
    // An unreachable broker and database: a refusal that came after connecting would take its retries first.
    const env = {
      RECONCILER_ADMIN_TOKENS: '',
      KAFKA_BROKERS: '127.0.0.1:1',
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
    };
    const bogus = spawnApp('reconciler', ['reconcile', '--bogus'], env);
    expect(await bogus.exited).toBe(64);
    expect(bogus.output().stderr).toMatch(/^reconcile: Unknown option '--bogus': use --date VALUE/);
    expect(bogus.output().stderr).toMatch(/reconcile --date D \| --from D --to D/);
    const date = spawnApp('reconciler', ['report', '--date', '2026-02-30'], env);
    expect(await date.exited).toBe(64);
    expect(date.output().stderr).toMatch(/2026-02-30/);
    const limit = spawnApp('erp-sink', ['replay-dlq', '--limit', 'many'], env);
    expect(await limit.exited).toBe(64);
    expect(limit.output().stderr).toMatch(/--limit takes a whole number/);
    // Nothing was read from the environment: the missing admin tokens were never reported.
    for (const app of [bogus, date, limit]) expect(app.output().stderr).not.toMatch(/Invalid configuration/);
  });

  it('migrates as its own step: the first run applies, the second finds nothing to do', async () => {
    const schema = uniqueName('migrate');
    schemas.push(schema);
    const first = spawnApp('erp-sink', ['migrate'], { DATABASE_SCHEMA: schema });
    expect(await first.exited).toBe(0);
    expect(first.output().stdout).toMatch(/applied: CreateIdempotencyLedger/);
    const second = spawnApp('erp-sink', ['migrate'], { DATABASE_SCHEMA: schema });
    expect(await second.exited).toBe(0);
    expect(second.output().stdout).toMatch(/database already up to date/);
  });

  it('closes what a start had opened when it fails half-way (Kafka connected, the schema not migrated)', async () => {
    const schema = uniqueName('halfway');
    schemas.push(schema);
    const applicationName = uniqueName('halfway-sink');
    await expect(
      startServiceForTest(erpSinkService, {
        KAFKA_TOPIC_PREFIX: `${uniqueName('halfway')}.`,
        DATABASE_SCHEMA: schema,
        DATABASE_MIGRATE: 'false',
        DATABASE_APPLICATION_NAME: applicationName,
      }),
    ).rejects.toThrow(/pending migrations.*run the migration Job/);
    // Nothing of it stays open: no connection of its pool is left in Postgres.
    const client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ open: number }>(
        'SELECT count(*)::int AS open FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      expect(rows[0].open).toBe(0);
    } finally {
      await client.end();
    }
  });

  it('finishes in-flight work and stops cleanly on SIGTERM', async () => {
    const app = spawnApp('ingest', [], {
      INGEST_API_KEYS: 'acme:k',
      PORT: '0',
      KAFKA_TOPIC_PREFIX: `${uniqueName('sigterm')}.`,
    });
    await waitFor(() => /listening/.test(app.output().stdout), { timeoutMs: 60_000, what: 'ingest listening' });
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output().stdout).toMatch(/stopped cleanly/);
    expect(app.output().stdout).not.toMatch(/"k"/);
  });
});
