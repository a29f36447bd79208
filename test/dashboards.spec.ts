import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { EnricherMetrics } from '../apps/enricher/src/enricher.metrics';
import { ErpSinkMetrics } from '../apps/erp-sink/src/erp-sink.metrics';
import { IngestMetrics } from '../apps/ingest/src/ingest.metrics';
import { EventStreamWatchdog } from '../apps/reconciler/src/event-stream/event-stream-watchdog';
import { ReconcilerMetrics } from '../apps/reconciler/src/reconciler.metrics';

const ROOT = join(__dirname, '..');
const FOLDER = join(ROOT, 'deploy/grafana/dashboards');

interface Panel {
  title: string;
  type: string;
  datasource: { uid: string };
  targets: { expr: string; datasource: { uid: string } }[];
  fieldConfig: { defaults: { unit?: string; thresholds?: { steps: unknown[] } } };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string }[] };
}

const dashboards = readdirSync(FOLDER)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({
    file,
    dashboard: JSON.parse(readFileSync(join(FOLDER, file), 'utf8')) as Dashboard,
  }));

/** Every metric the apps export, as their own metrics classes register them. */
function exportedMetrics(): Set<string> {
  const registry = new Registry();
  new IngestMetrics(registry);
  new EnricherMetrics(registry);
  new ErpSinkMetrics(registry);
  new ReconcilerMetrics(registry);
  new EventStreamWatchdog(
    undefined,
    {
      integrations: new Map(),
      intervalMs: 60_000,
      autoRestart: false,
      silenceMinutes: 60,
      tradingHours: { from: '09:00', to: '21:00' },
      timeZoneOf: () => 'UTC',
    },
    registry,
    pino({ level: 'silent' }),
  );
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (metric.type.toString() === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

/** The expression as Prometheus gets it from Grafana, with every variable set to "all". */
const asQuery = (expr: string) => expr.replace(/\$__rate_interval/g, '5m').replace(/\$(namespace|job|tenant)/g, '.*');

describe('Grafana dashboards (deploy/grafana/dashboards)', () => {
  it('are the pipeline, parity, ingest, enricher and erp-sink dashboards, each with a unique uid', () => {
    expect(dashboards.map(({ file }) => file).sort()).toEqual(
      ['enricher.json', 'erp-sink.json', 'ingest.json', 'parity.json', 'pipeline.json'].sort(),
    );
    expect(new Set(dashboards.map(({ dashboard }) => dashboard.uid)).size).toBe(dashboards.length);
  });

  it('choose the data source, namespace and job by variable, and give every panel a unit and thresholds', () => {
    for (const { dashboard } of dashboards) {
      const variables = dashboard.templating.list.map((variable) => variable.name);
      expect(variables.slice(0, 3)).toEqual(['datasource', 'namespace', 'job']);
      for (const panel of dashboard.panels) {
        const where = `${dashboard.title} / ${panel.title}`;
        expect(`${where}: ${panel.datasource.uid}`).toBe(`${where}: \${datasource}`);
        expect(`${where}: ${panel.fieldConfig.defaults.unit ?? 'no unit'}`).not.toMatch(/no unit$/);
        expect(panel.fieldConfig.defaults.thresholds?.steps.length).toBeGreaterThan(0);
        for (const target of panel.targets) {
          expect(target.datasource.uid).toBe('${datasource}');
          // Every selector is scoped to the chosen namespace and job.
          for (const selector of target.expr.match(/parity_[a-z_]+\{[^}]*\}/g) ?? [])
            expect(`${where}: ${selector}`).toMatch(/namespace=~"\$namespace", job=~"\$job"/);
          expect(`${where}: ${target.expr}`).not.toMatch(/parity_[a-z_]+(\[|\)|\s|$)/);
        }
      }
    }
  });

  it('query only metrics the apps export', () => {
    const exported = exportedMetrics();
    for (const { dashboard } of dashboards)
      for (const panel of dashboard.panels)
        for (const target of panel.targets)
          for (const metric of target.expr.match(/parity_[a-z_]+/g) ?? [])
            expect(
              `${dashboard.title} / ${panel.title}: ${metric} ${exported.has(metric) ? 'exported' : 'unknown'}`,
            ).toMatch(/ exported$/);
  });

  it('hold valid PromQL: promtool checks every expression as a recording rule', () => {
    const cache = join(
      process.env.PARITY_HUB_CACHE ?? join(homedir(), '.cache', 'parity-hub'),
      'prometheus/usr/bin/promtool',
    );
    const promtool = existsSync(cache) ? cache : 'promtool';
    const rules = dashboards.flatMap(({ file, dashboard }) =>
      dashboard.panels.flatMap((panel, index) =>
        panel.targets.map((target, targetIndex) => ({
          record: `dashboard:${file.replace('.json', '').replace('-', '_')}:panel${index}_${targetIndex}`,
          expr: asQuery(target.expr),
        })),
      ),
    );
    const file = join(mkdtempSync(join(tmpdir(), 'dashboards-')), 'rules.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules }] }));
    expect(execFileSync(promtool, ['check', 'rules', file], { encoding: 'utf8' })).toMatch(
      new RegExp(`SUCCESS: ${rules.length} rules found`),
    );
  });
});
