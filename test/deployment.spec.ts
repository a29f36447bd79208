import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { serviceEnvShape } from '@hub/platform';
import { parse, parseAllDocuments } from 'yaml';
import { enricherService } from '../apps/enricher/src/enricher.service-definition';
import { erpSinkService } from '../apps/erp-sink/src/erp-sink.service-definition';
import { ingestService } from '../apps/ingest/src/ingest.service-definition';
import { reconcilerService } from '../apps/reconciler/src/reconciler.service-definition';

const ROOT = join(__dirname, '..');

interface ComposeService {
  image?: string;
  build?: { context: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, unknown> | string[];
}

/** docker-compose.yml checked as docker-compose would read it (no Docker engine here). */
describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const definitions = {
    ingest: ingestService,
    enricher: enricherService,
    'erp-sink': erpSinkService,
    reconciler: reconcilerService,
  };

  it('runs Kafka, the registry, Postgres, Prometheus, Grafana and the four apps', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['enricher', 'erp-sink', 'grafana', 'ingest', 'kafka', 'postgres', 'prometheus', 'reconciler', 'registry'].sort(),
    );
  });

  it.each(Object.entries(definitions))(
    'builds %s from the Dockerfile with only variables the app knows',
    (name, definition) => {
      const service = compose.services[name];
      expect(service.build?.args?.APP).toBe(name);
      expect(existsSync(join(ROOT, 'apps', name, 'src', 'main.ts'))).toBe(true);
      const known = Object.keys(serviceEnvShape(definition as never));
      for (const variable of Object.keys(service.environment ?? {})) expect(known).toContain(variable);
      expect(service.environment?.PORT).toBe(String(definition.defaultPort));
    },
  );

  it('depends only on services it declares, and publishes each host port once', () => {
    const hostPorts: string[] = [];
    for (const service of Object.values(compose.services)) {
      const dependencies = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) expect(Object.keys(compose.services)).toContain(dependency);
      hostPorts.push(...(service.ports ?? []).map((mapping) => mapping.split(':')[0]));
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('has Prometheus scrape every app and Grafana dashboards that parse', () => {
    const prometheus = parse(readFileSync(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = prometheus.scrape_configs.flatMap((config) =>
      config.static_configs.flatMap((item) => item.targets),
    );
    expect(targets.sort()).toEqual(
      Object.entries(definitions)
        .map(([name, definition]) => `${name}:${definition.defaultPort}`)
        .sort(),
    );
    const dashboards = join(ROOT, 'deploy/grafana/dashboards');
    for (const file of readdirSync(dashboards)) {
      const dashboard = JSON.parse(readFileSync(join(dashboards, file), 'utf8')) as { uid: string; panels: unknown[] };
      expect(dashboard.uid).toBeTruthy();
      expect(dashboard.panels.length).toBeGreaterThan(0);
    }
  });
});

// Kubernetes objects are untyped YAML; the test reads the few fields it checks.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type KubernetesObject = Record<string, any>;

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const folder = join(ROOT, 'deploy/kubernetes');
  const kustomization = parse(readFileSync(join(folder, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const documents = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(folder, file), 'utf8')).map((document) => document.toJS() as KubernetesObject),
  );
  const definitions = {
    ingest: ingestService,
    enricher: enricherService,
    'erp-sink': erpSinkService,
    reconciler: reconcilerService,
  };

  it('builds an image that runs as a numeric non-root user under an init process', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const user = /^USER\s+(\S+)/m.exec(dockerfile.slice(dockerfile.lastIndexOf('FROM ')))?.[1];
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/m);
  });

  it('gives each app a configuration that production accepts: no local default left, once the secrets are there', () => {
    const config = documents.find((document) => document.kind === 'ConfigMap')!.data as Record<string, string>;
    // What the Secret parity-hub-secrets holds (created out of band): stand-in values.
    const secrets = {
      INGEST_API_KEYS: 'acme:webhook-key',
      DATABASE_URL: 'postgres://hub@postgres.example:5432/hub',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      NEWSTORE_CLIENT_SECRET: 'newstore-secret',
      NETSUITE_CLIENT_SECRET: 'netsuite-secret',
      RECONCILER_ADMIN_TOKENS: 'admin-token',
    };
    for (const [name, definition] of Object.entries(definitions)) {
      const container = documents.find((document) => document.kind === 'Deployment' && document.metadata.name === name)!
        .spec.template.spec.containers[0];
      const env = Object.fromEntries(
        (container.env as { name: string; value?: string }[]).map((variable) => [variable.name, variable.value]),
      );
      const shape = serviceEnvShape(definition as never);
      const source: Record<string, string | undefined> = { ...config, ...secrets, ...env };
      expect(source.NODE_ENV).toBe('production');
      expect(() => loadConfig(name, shape, source)).not.toThrow();
      // Without the secrets, production refuses to start on the emulators' defaults.
      if ('NEWSTORE_CLIENT_SECRET' in shape)
        expect(() => loadConfig(name, shape, { ...source, NEWSTORE_CLIENT_SECRET: undefined })).toThrow(
          /NEWSTORE_CLIENT_SECRET: must be set with NODE_ENV=production/,
        );
    }
  });

  it('deploys each app with probes on its health endpoints and only variables it knows', () => {
    const config = documents.find((document) => document.kind === 'ConfigMap')!;
    for (const [name, definition] of Object.entries(definitions)) {
      const deployment = documents.find(
        (document) => document.kind === 'Deployment' && document.metadata.name === name,
      );
      expect(deployment).toBeDefined();
      const container = deployment!.spec.template.spec.containers[0];
      // args: the image's entrypoint (tini) stays PID 1.
      expect(container.command).toBeUndefined();
      expect(container.args).toEqual(['node', `dist/apps/${name}/src/main.js`]);
      // The restricted Pod Security level; a numeric user, which runAsNonRoot can verify.
      expect(container.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: expect.any(Number),
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext.runAsUser).toBeGreaterThan(0);
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.ports[0].containerPort).toBe(definition.defaultPort);
      const known = Object.keys(serviceEnvShape(definition as never));
      for (const variable of container.env as { name: string }[]) expect(known).toContain(variable.name);
      for (const variable of Object.keys(config.data as object)) expect(known).toContain(variable);
      const service = documents.find((document) => document.kind === 'Service' && document.metadata.name === name);
      expect(service!.spec.ports[0].port).toBe(definition.defaultPort);
    }
  });
});
