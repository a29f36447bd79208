import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { newStoreTestClient, ServiceUnderTest, waitFor, freePort } from '@hub/testing';
import { parse, stringify } from 'yaml';
import { hubTestbed } from './hub-testbed';

const ROOT = join(__dirname, '..');

/** What an OTLP/HTTP JSON export carries, as far as the test reads it. */
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: {
      spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; attributes?: OtlpAttribute[] }[];
    }[];
  }[];
}
type OtlpAttribute = { key: string; value: { stringValue?: string } };
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, string | undefined>;
}

function receivedSpans(payload: OtlpExport): ReceivedSpan[] {
  const values = (attributes: OtlpAttribute[] = []) =>
    Object.fromEntries(attributes.map((attribute) => [attribute.key, attribute.value.stringValue]));
  return payload.resourceSpans.flatMap((resource) =>
    resource.scopeSpans.flatMap((scope) =>
      scope.spans.map((span) => ({
        service: values(resource.resource.attributes)['service.name'] ?? '',
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        attributes: values(span.attributes),
      })),
    ),
  );
}
const TENANT = 'acme';
const DAY = '2024-01-02';
const ADMIN = 'live-admin-token';
const WEBHOOK_KEY = 'live-webhook-key';

/** Debian's prometheus (scripts/install.sh unpacks it into the cache), or one on the PATH. */
function prometheusBinary(): string {
  const cached = join(
    process.env.PARITY_HUB_CACHE ?? join(homedir(), '.cache', 'parity-hub'),
    'prometheus/usr/bin/prometheus',
  );
  if (existsSync(cached)) return cached;
  const onPath = (process.env.PATH ?? '').split(':').find((folder) => existsSync(join(folder, 'prometheus')));
  if (!onPath) throw new Error("Prometheus is not installed: scripts/install.sh unpacks Debian's prometheus package");
  return join(onPath, 'prometheus');
}

interface Series {
  metric: Record<string, string>;
  /** [unix seconds, value as text] */
  value: [number, string];
}

/**
 * The live check: the four apps run a day pushed by the NewStore emulator's event
 * stream into ingest, on to the ERP emulator, then a reconciliation and a rebuild;
 * Debian's Prometheus scrapes them (with the alerting and recording rules loaded);
 * every expression of every dashboard, and every metric every rule reads, must have
 * series. A panel nobody feeds fails here.
 */
describe('dashboards and alert rules against a live Prometheus scraping a day of traffic', () => {
  const bed = hubTestbed('live', {
    newStore: {
      day: { tenant: TENANT, date: DAY, orders: 30, seed: 11 },
      visibility: 'published',
      lag: { timeScale: 0.001 },
      pusher: { concurrency: 4, duplicateRate: 0, timeScale: 0.0001 },
    },
    erp: { concurrencyLimit: 10 },
    // The enricher's tiers, which the reconciler projects.
    env: { ENRICHER_RETRY_TIERS_MS: '200,400,800' },
  });
  const { erp } = bed;
  // An OTLP/HTTP receiver (what a collector offers): the apps send their spans to it.
  const spans: ReceivedSpan[] = [];
  const collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      spans.push(...receivedSpans(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  let prometheus: ChildProcess | undefined;
  let prometheusUrl = '';
  const apps: Record<string, ServiceUnderTest> = {};

  const query = async (expr: string): Promise<Series[]> => {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await response.json()) as { status: string; data?: { result: Series[] }; error?: string };
    if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
    return body.data!.result;
  };

  beforeAll(async () => {
    const newStoreBase = bed.newStoreUrl;
    // The integration exists before the reconciler starts, so its watchdog watches it.
    const bearer = await newStoreTestClient(newStoreBase).token(TENANT);
    const integrations = `${newStoreBase}/api/v1/org/integrations/eventstream`;
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    // Every app sends its spans to the collector.
    const tracing = {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    apps.ingest = await bed.start('ingest', { ...tracing, INGEST_API_KEYS: `${TENANT}:${WEBHOOK_KEY}` });
    const { id } = (await (
      await fetch(integrations, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          callback_parameters: { callback_url: `${apps.ingest.url}/webhooks/newstore`, api_key: WEBHOOK_KEY },
        }),
      })
    ).json()) as { id: string };
    apps.enricher = await bed.start('enricher', tracing);
    apps['erp-sink'] = await bed.start('erp-sink', tracing);
    apps.reconciler = await bed.start('reconciler', {
      ...tracing,
      NEWSTORE_API_URL: newStoreBase,
      RECONCILER_ADMIN_TOKENS: ADMIN,
      WATCHDOG_INTEGRATIONS: `${TENANT}:${id}`,
      WATCHDOG_INTERVAL_MS: '500',
    });

    // Prometheus scrapes every app each second, with the hub's rules loaded.
    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const folder = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(
      join(folder, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [join(ROOT, 'deploy/prometheus/rules.yml')],
        scrape_configs: Object.entries(apps).map(([job, app]) => ({
          job_name: job,
          static_configs: [{ targets: [new URL(app.url).host], labels: { namespace: 'live-check' } }],
        })),
      }),
    );
    prometheus = spawn(
      prometheusBinary(),
      [
        `--config.file=${join(folder, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(folder, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    await waitFor(async () => (await query('up == 1')).length === 4, { what: 'Prometheus scraping the four apps' });

    // The day: NewStore pushes it through ingest; the documents reach the ERP.
    await fetch(`${integrations}/${id}/_start`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` } });
    await waitFor(async () => erp.records.size >= 30, { what: 'the day in the ERP', timeoutMs: 90_000 });
    // A refused request (a wrong key), a reconciliation of the day, a rebuild of the projections.
    await fetch(`${apps.ingest.url}/webhooks/newstore`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    await waitFor(
      async () =>
        (
          await fetch(`${apps.reconciler.url}/admin/reconciliations`, {
            method: 'POST',
            headers: admin,
            body: JSON.stringify({ tenant: TENANT, date: DAY }),
          })
        ).status === 200,
      { what: 'a reconciliation of the day', timeoutMs: 60_000, intervalMs: 1_000 },
    );
    const started = await fetch(`${apps.reconciler.url}/admin/rebuild`, {
      method: 'POST',
      headers: { authorization: admin.authorization },
    });
    expect(started.status).toBe(202);
    await waitFor(
      async () => {
        const progress = (await (
          await fetch(`${apps.reconciler.url}/admin/rebuild`, { headers: { authorization: admin.authorization } })
        ).json()) as {
          state: string;
        };
        if (progress.state !== 'done') throw new Error(JSON.stringify(progress));
        return true;
      },
      { what: 'the rebuild', timeoutMs: 60_000 },
    );
    // Two more scrapes of every app after the last of the traffic (Prometheus says when it scraped).
    const trafficEnded = Date.now() / 1000;
    await waitFor(
      async () => {
        const scrapes = await query('timestamp(up)');
        return (
          scrapes.length === Object.keys(apps).length &&
          scrapes.every((series) => Number(series.value[1]) >= trafficEnded + 2)
        );
      },
      { what: 'two scrapes of every app after the traffic', timeoutMs: 30_000 },
    );
  });

  // After the testbed's own clean-up (Jest runs afterAll hooks as declared): the services have sent their last spans.
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await new Promise((resolve) => collector.close(resolve));
  });

  it('sends one trace per event across the apps: the webhook, its enrichment with the GraphQL call, the ERP post, joined over Kafka', async () => {
    // A sale's trace: its ERP post, made from the enrichment of order.opened, with the GraphQL call.
    const { post, trace } = await waitFor(
      async () => {
        for (const candidate of spans.filter((span) => /^erp post (cashSale|salesOrder)$/.test(span.name))) {
          const found = spans.filter((span) => span.traceId === candidate.traceId);
          const parent = found.find((span) => span.spanId === candidate.parentSpanId);
          if (parent?.name === 'enrich order.opened' && found.some((span) => span.name === 'newstore webhook'))
            return { post: candidate, trace: found };
        }
        return undefined;
      },
      { what: "a sale's whole trace", timeoutMs: 30_000 },
    );
    expect(post.service).toBe('parity-hub-erp-sink');
    const byId = new Map(trace.map((span) => [span.spanId, span]));
    const enrich = byId.get(post.parentSpanId ?? '')!;
    expect(enrich).toMatchObject({ service: 'parity-hub-enricher', name: 'enrich order.opened' });
    expect(enrich.attributes['parity.order_id']).toBe(post.attributes['parity.order_id']);
    const webhook = byId.get(enrich.parentSpanId ?? '')!;
    expect(webhook).toMatchObject({ service: 'parity-hub-ingest', name: 'newstore webhook' });
    expect(webhook.attributes['parity.order_id']).toBe(post.attributes['parity.order_id']);
    expect(trace.find((span) => span.name === 'newstore graphql order')?.parentSpanId).toBe(enrich.spanId);
    // The reconciliation of the day is a span of its own.
    expect(spans.some((span) => span.service === 'parity-hub-reconciler' && span.name === 'reconciliation')).toBe(true);
  });

  it('answers every expression of every dashboard panel with series', async () => {
    const empty: string[] = [];
    let checked = 0;
    for (const file of readdirSync(join(ROOT, 'deploy/grafana/dashboards')).filter((name) => name.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/dashboards', file), 'utf8')) as {
        panels: { title: string; targets: { expr: string }[] }[];
      };
      for (const panel of dashboard.panels)
        for (const target of panel.targets) {
          checked += 1;
          const expr = target.expr
            .replace(/\$__rate_interval/g, '1m')
            .replace(/\$namespace/g, 'live-check')
            .replace(/\$(job|tenant)/g, '.*');
          if ((await query(expr)).length === 0) empty.push(`${file} / ${panel.title}: ${expr}`);
        }
    }
    expect(checked).toBeGreaterThan(40);
    expect(empty).toEqual([]);
  });

  it('has series for every metric the alerting rules read, and for every recording rule', async () => {
    const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as {
      groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
    };
    const missing: string[] = [];
    for (const rule of rules.groups.flatMap((group) => group.rules)) {
      const name = rule.alert ?? rule.record!;
      if (rule.record && (await query(rule.record)).length === 0) missing.push(`${name}: no series`);
      for (const metric of new Set(rule.expr.match(/parity_[a-z_]+/g) ?? []))
        if ((await query(`{__name__="${metric}", namespace="live-check"}`)).length === 0)
          missing.push(`${name}: ${metric}`);
    }
    expect(missing).toEqual([]);
  });
});
