/* eslint-disable @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-argument -- Kubernetes objects are untyped YAML, read field by field */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { loadConfig, retryTiersEnv } from '@hub/config';
import { TOPICS } from '@hub/contracts';
import { minInsyncReplicasFor, RETRY_RETENTION_MS } from '@hub/kafka';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { serviceConfigRules, serviceEnvShape } from '@hub/platform';
import { parse, parseAllDocuments } from 'yaml';
import { enricherService } from '../apps/enricher/src/enricher.service-definition';
import { erpSinkService } from '../apps/erp-sink/src/erp-sink.service-definition';
import { ingestService } from '../apps/ingest/src/ingest.service-definition';
import { reconcilerService } from '../apps/reconciler/src/reconciler.service-definition';
import { ErpEmulator } from '../tools/emulators/erp/erp-emulator';
import { NewStoreEmulator } from '../tools/emulators/newstore/newstore-emulator';

const ROOT = join(__dirname, '..');

/** The four apps by name, as their deployment objects are named. */
const SERVICES = {
  ingest: ingestService,
  enricher: enricherService,
  'erp-sink': erpSinkService,
  reconciler: reconcilerService,
};

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
  const definitions = SERVICES;

  it('runs Kafka, the registry, Postgres, Prometheus, Grafana, the four apps, both emulators and the demo', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      [
        'demo',
        'enricher',
        'erp-emulator',
        'erp-sink',
        'grafana',
        'ingest',
        'kafka',
        'newstore-emulator',
        'postgres',
        'prometheus',
        'reconciler',
        'registry',
      ].sort(),
    );
  });

  it("checks each emulator's health where it answers 200, and every service a dependant waits on", async () => {
    const services = compose.services as Record<string, ComposeService & { healthcheck?: { test: string[] } }>;
    for (const name of ['prometheus', 'grafana', 'postgres', 'registry', 'kafka'])
      expect(`${name}: ${services[name].healthcheck ? 'checked' : 'no check'}`).toBe(`${name}: checked`);
    // A node fetch that counts any answer as healthy (a 404 included) checks nothing: each requires r.ok.
    const fetches = Object.entries(services)
      .map(([name, service]) => [name, (service.healthcheck?.test ?? []).join(' ')] as const)
      .filter(([, test]) => test.includes('fetch('));
    expect(fetches.length).toBeGreaterThanOrEqual(6);
    for (const [name, test] of fetches) expect(`${name}: ${/r\.ok \?/.test(test)}`).toBe(`${name}: true`);
    const emulators = [
      ['newstore-emulator', new NewStoreEmulator({ day: { tenant: 'demo', date: '2024-01-02', orders: 1, seed: 1 } })],
      ['erp-emulator', new ErpEmulator()],
    ] as const;
    for (const [name, emulator] of emulators) {
      const base = await emulator.listen(0);
      const path = /fetch\('http:\/\/127\.0\.0\.1:\d+(\/[^']*)'\)/.exec(
        fetches.find(([service]) => service === name)![1],
      )![1];
      const response = await fetch(`${base}${path}`);
      await emulator.close();
      expect(`${name} ${path}: ${response.status}`).toBe(`${name} ${path}: 200`);
    }
  });

  it('points the apps at the emulators, waits on health checks, and restarts what stops', () => {
    const services = compose.services as Record<string, ComposeService & { healthcheck?: unknown; restart?: string }>;
    for (const [name, service] of Object.entries(services)) {
      // A dependency waited on as healthy has a health check; everything but the one-shot demo restarts.
      for (const [dependency, condition] of Object.entries(
        (service.depends_on ?? {}) as Record<string, { condition: string }>,
      ))
        if (condition.condition === 'service_healthy')
          expect(`${dependency}: ${services[dependency].healthcheck ? 'checked' : 'no check'}`).toBe(
            `${dependency}: checked`,
          );
      expect(`${name}: ${service.restart}`).toBe(`${name}: ${name === 'demo' ? 'no' : 'unless-stopped'}`);
    }
    const env = (name: string) => services[name].environment ?? {};
    expect(env('enricher').NEWSTORE_GRAPHQL_URL).toMatch(/^http:\/\/newstore-emulator:4001\//);
    expect(env('erp-sink').NETSUITE_BASE_URL).toMatch(/^http:\/\/erp-emulator:4002\//);
    expect(env('reconciler').NETSUITE_BASE_URL).toBe(env('erp-sink').NETSUITE_BASE_URL);
    expect(env('reconciler').NEWSTORE_API_URL).toBe('http://newstore-emulator:4001');
    // The demo pushes the day to ingest's webhook with a key ingest accepts for the demo tenant.
    expect(env('demo').WEBHOOK_URL).toBe('http://ingest:3000/webhooks/newstore');
    expect(env('ingest').INGEST_API_KEYS).toBe(`demo:${env('demo').WEBHOOK_KEY}`);
    expect(existsSync(join(ROOT, 'tools/emulators/newstore/push-day.ts'))).toBe(true);
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
    for (const file of readdirSync(dashboards).filter((name) => name.endsWith('.json'))) {
      const dashboard = JSON.parse(readFileSync(join(dashboards, file), 'utf8')) as { uid: string; panels: unknown[] };
      expect(dashboard.uid).toBeTruthy();
      expect(dashboard.panels.length).toBeGreaterThan(0);
    }
  });
});

// Kubernetes objects are untyped YAML; the tests read the fields they check, and the
// models of kubernetes-models validate each object against the API's schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type KubernetesObject = Record<string, any>;

const EXAMPLE_OVERLAY = join(ROOT, 'deploy/kubernetes/overlays/example');

/**
 * The example overlay as the cluster would receive it: `kubectl kustomize` (kubectl is on
 * this machine). With a tag: the same overlay releasing another version, as a deployment
 * bumps `images[].newTag` (a copy beside, its base reached by a relative path as kustomize wants).
 */
function renderOverlay(tag?: string, overlay = EXAMPLE_OVERLAY): KubernetesObject[] {
  let directory = overlay;
  if (tag) {
    directory = mkdtempSync(join(tmpdir(), 'overlay-'));
    const overlay = readFileSync(join(EXAMPLE_OVERLAY, 'kustomization.yaml'), 'utf8')
      .replace('../../base', relative(directory, join(ROOT, 'deploy/kubernetes/base')))
      .replace(/newTag: .*/, `newTag: ${tag}`);
    writeFileSync(join(directory, 'kustomization.yaml'), overlay);
    writeFileSync(join(directory, 'namespace.yaml'), readFileSync(join(EXAMPLE_OVERLAY, 'namespace.yaml')));
  }
  let rendered: string;
  try {
    rendered = execFileSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(`kubectl kustomize failed (is kubectl installed?): ${(error as Error).message}`);
  } finally {
    if (tag) rmSync(directory, { recursive: true, force: true });
  }
  return parseAllDocuments(rendered).map((document) => document.toJS() as KubernetesObject);
}

/**
 * Strimzi's models are published as ES modules only, which Jest's CommonJS cannot load:
 * one Node process imports them and validates every Strimzi object of a rendering, and
 * the first refusal is thrown here, naming the object.
 */
function validateStrimzi(objects: KubernetesObject[]): void {
  if (objects.length === 0) return;
  const script = `import { KafkaTopic } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2/KafkaTopic';
    import { KafkaUser } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2/KafkaUser';
    const models = { KafkaTopic, KafkaUser };
    let input = ''; process.stdin.on('data', (chunk) => (input += chunk));
    process.stdin.on('end', () => {
      for (const object of JSON.parse(input)) {
        try { new models[object.kind](object).validate(); }
        catch (error) { console.error(object.kind + '/' + object.metadata.name + ': ' + error.message); process.exit(1); }
      }
    });`;
  try {
    execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      input: JSON.stringify(objects),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    throw new Error(`Strimzi schema refused ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }
}

const STRIMZI_KINDS = new Set(['kafka.strimzi.io/v1beta2/KafkaTopic', 'kafka.strimzi.io/v1beta2/KafkaUser']);

/** The model class of each kind the overlay renders. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/Ingress': Ingress,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
};

/** Every object validates against its kind's schema (Kubernetes, Prometheus Operator, Strimzi, KEDA). */
function expectValid(objects: KubernetesObject[]): void {
  const kindOf = (object: KubernetesObject) => `${object.apiVersion}/${object.kind}`;
  for (const object of objects.filter((candidate) => !STRIMZI_KINDS.has(kindOf(candidate)))) {
    const Model = MODELS[kindOf(object)];
    expect(`${kindOf(object)}: ${Model ? 'modelled' : 'no model'}`).toMatch(/modelled$/);
    expect(() => new Model(object).validate()).not.toThrow();
  }
  expect(() => validateStrimzi(objects.filter((object) => STRIMZI_KINDS.has(kindOf(object))))).not.toThrow();
}

describe('Kubernetes (deploy/kubernetes: base and overlays/example, rendered by kustomize)', () => {
  const objects = renderOverlay();
  const find = (kind: string, name: string) =>
    objects.find((object) => object.kind === kind && object.metadata.name === name);
  const definitions = SERVICES;
  const podTemplates = objects
    .filter((object) => object.kind === 'Deployment' || object.kind === 'Job')
    .map((object) => ({ name: `${object.kind}/${object.metadata.name}`, pod: object.spec.template.spec }));
  /** What each app's Secret holds in this test: stand-ins for values created out of band. */
  const secrets: Record<string, Record<string, string>> = {
    ingest: { INGEST_API_KEYS: 'acme:webhook-key', KAFKA_SASL_PASSWORD: 'kafka-password' },
    enricher: {
      DATABASE_URL: 'postgres://enricher@postgres.example:5432/hub',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      SCHEMA_REGISTRY_USERNAME: 'parity-hub',
      SCHEMA_REGISTRY_PASSWORD: 'registry-password',
      NEWSTORE_CLIENT_SECRET: 'newstore-secret',
    },
    'erp-sink': {
      DATABASE_URL: 'postgres://erp_sink@postgres.example:5432/hub',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      SCHEMA_REGISTRY_USERNAME: 'parity-hub',
      SCHEMA_REGISTRY_PASSWORD: 'registry-password',
    },
    reconciler: {
      DATABASE_URL: 'postgres://reconciler@postgres.example:5432/hub',
      KAFKA_SASL_PASSWORD: 'kafka-password',
      SCHEMA_REGISTRY_USERNAME: 'parity-hub',
      SCHEMA_REGISTRY_PASSWORD: 'registry-password',
      NEWSTORE_CLIENT_SECRET: 'newstore-secret',
      RECONCILER_ADMIN_TOKENS: 'admin-token-of-24-characters-at-least',
    },
  };

  it('renders objects that each validate against the Kubernetes (and Prometheus Operator) schema', () => {
    expect(objects.length).toBeGreaterThan(20);
    expectValid(objects);
    for (const object of objects) if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('parity-hub');
    expect(find('Namespace', 'parity-hub')!.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('passes the restricted Pod Security Standard in every pod: Deployments and migration Jobs', () => {
    const allowedVolumes = ['configMap', 'secret', 'emptyDir', 'projected', 'downwardAPI', 'persistentVolumeClaim'];
    for (const { name, pod } of podTemplates) {
      expect(`${name}: ${pod.hostNetwork || pod.hostPID || pod.hostIPC ? 'host namespaces' : 'ok'}`).toBe(
        `${name}: ok`,
      );
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const volume of pod.volumes ?? [])
        expect(allowedVolumes).toContain(Object.keys(volume).find((key) => key !== 'name'));
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        // args, not command: the image's entrypoint (tini) stays PID 1.
        expect(container.command).toBeUndefined();
        expect(container.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(container.securityContext.privileged).toBeFalsy();
        expect(container.securityContext.capabilities.add).toBeUndefined();
        // A numeric user: the kubelet cannot verify that a user name is not root.
        expect(container.securityContext.runAsUser).toBeGreaterThan(0);
        expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
        expect(container.resources.limits.memory).toEqual(expect.any(String));
      }
    }
  });

  it('runs each app with startup, readiness and liveness probes, spread over nodes and zones, behind a PDB', () => {
    for (const [name, definition] of Object.entries(definitions)) {
      const deployment = find('Deployment', name)!;
      const container = deployment.spec.template.spec.containers[0];
      expect(container.args).toEqual(['node', `dist/apps/${name}/src/main.js`]);
      expect(container.image).toBe('registry.example.com/parity-hub:0.1.0');
      expect(container.startupProbe.httpGet.path).toBe('/health/live');
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.ports[0].containerPort).toBe(definition.defaultPort);
      expect(find('Service', name)!.spec.ports[0].port).toBe(definition.defaultPort);
      const spread = deployment.spec.template.spec.topologySpreadConstraints.map(
        (constraint: KubernetesObject) => constraint.topologyKey,
      );
      expect(spread).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      expect(find('PodDisruptionBudget', name)!.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      // Only a Secret of its own, holding only what the app uses (its variables, nothing else).
      expect(container.envFrom.map((source: KubernetesObject) => source.secretRef?.name).filter(Boolean)).toEqual([
        `${name}-secrets`,
      ]);
      const known = Object.keys(serviceEnvShape(definition as never));
      for (const variable of Object.keys(secrets[name])) expect(known).toContain(variable);
    }
    const hpa = find('HorizontalPodAutoscaler', 'ingest')!;
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'ingest' });
    expect(objects.filter((object) => object.kind === 'HorizontalPodAutoscaler')).toHaveLength(1);
  });

  it('migrates each schema in a Job, and starts the apps with migrations off', () => {
    for (const [name, definition] of Object.entries(definitions)) {
      const job = objects.find(
        (object) => object.kind === 'Job' && object.metadata.labels['app.kubernetes.io/name'] === `${name}-migrate`,
      );
      const container = find('Deployment', name)!.spec.template.spec.containers[0];
      const migrateFlag = (container.env as { name: string; value?: string }[]).find(
        (variable) => variable.name === 'DATABASE_MIGRATE',
      );
      if (!definition.database) {
        expect(job).toBeUndefined();
        continue;
      }
      expect(job!.spec.template.spec.containers[0].args).toEqual(['node', `dist/apps/${name}/src/main.js`, 'migrate']);
      expect(
        job!.spec.template.spec.containers[0].envFrom.map((source: KubernetesObject) => source.secretRef?.name),
      ).toContain(`${name}-secrets`);
      expect(migrateFlag?.value).toBe('false');
    }
  });

  it('applies an upgrade over the release before it: each migration Job is named per version, nothing immutable changes', () => {
    const before = renderOverlay('1.4.0');
    const after = renderOverlay('1.5.0');
    const jobs = (release: KubernetesObject[]) =>
      release.filter((object) => object.kind === 'Job').map((job) => job.metadata.name as string);
    expect(jobs(after).sort()).toEqual([
      'enricher-migrate-1.5.0',
      'erp-sink-migrate-1.5.0',
      'reconciler-migrate-1.5.0',
    ]);
    // What `kubectl apply` would refuse: a Job of the same name whose pod template changed
    // (immutable), or a Deployment or Service whose selector did.
    const key = (object: KubernetesObject) => `${object.kind}/${object.metadata.name}`;
    const previous = new Map(before.map((object) => [key(object), object]));
    const refused = after.flatMap((object) => {
      const old = previous.get(key(object));
      if (!old) return [];
      if (object.kind === 'Job' && JSON.stringify(old.spec.template) !== JSON.stringify(object.spec.template))
        return [`${key(object)}: spec.template is immutable`];
      if (object.spec?.selector && JSON.stringify(old.spec.selector) !== JSON.stringify(object.spec.selector))
        return [`${key(object)}: spec.selector is immutable`];
      return [];
    });
    expect(refused).toEqual([]);
    // The upgrade does change the release: every app's image.
    expect(find('Deployment', 'enricher')!.spec.template.spec.containers[0].image).toMatch(/:0\.1\.0$/);
    expect(
      after.find((object) => key(object) === 'Deployment/enricher')!.spec.template.spec.containers[0].image,
    ).toMatch(/:1\.5\.0$/);
  });

  it('opens only the webhook to the outside: an Ingress with TLS and ingest body limit, and network policies', () => {
    const ingresses = objects.filter((object) => object.kind === 'Ingress');
    expect(ingresses).toHaveLength(1);
    const [ingress] = ingresses;
    expect(ingress.spec.tls[0].hosts).toEqual([ingress.spec.rules[0].host]);
    expect(ingress.spec.rules[0].http.paths).toEqual([
      expect.objectContaining({
        path: '/webhooks/newstore',
        backend: { service: { name: 'ingest', port: { name: 'http' } } },
      }),
    ]);
    const ingestConfig = loadConfig('ingest', serviceEnvShape(ingestService as never), {
      ...secrets.ingest,
    }) as unknown as { INGEST_BODY_LIMIT_BYTES: number; INGEST_PATH: string };
    expect(Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'])).toBe(
      ingestConfig.INGEST_BODY_LIMIT_BYTES,
    );
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const denyAll = policies.find(
      (policy) => Object.keys(policy.spec.podSelector).length === 0 && !policy.spec.ingress,
    );
    expect(denyAll?.spec.policyTypes).toEqual(['Ingress']);
    // Who may reach what: the ingress controller reaches ingest only; monitoring reaches the metrics port.
    const fromOutside = policies.filter((policy) =>
      (policy.spec.ingress ?? []).some((rule: KubernetesObject) =>
        (rule.from ?? []).some((peer: KubernetesObject) => peer.namespaceSelector),
      ),
    );
    expect(fromOutside.map((policy) => policy.metadata.name).sort()).toEqual([
      'ingest-from-ingress-controller',
      'metrics-from-monitoring',
    ]);
    expect(find('NetworkPolicy', 'ingest-from-ingress-controller')!.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'ingest',
    });
    const admin = find('NetworkPolicy', 'reconciler-admin-internal')!;
    expect(admin.spec.ingress[0].from).toEqual([{ podSelector: {} }]);
  });

  it("configures the event-stream watchdog, and lets it reach exactly ingest's readiness", () => {
    const env = Object.fromEntries(
      (
        find('Deployment', 'reconciler')!.spec.template.spec.containers[0].env as { name: string; value?: string }[]
      ).map((variable) => [variable.name, variable.value]),
    );
    expect(env.WATCHDOG_INTEGRATIONS).toMatch(/^[a-z0-9-]+:\S+$/);
    expect(env.NEWSTORE_API_URL).toMatch(/^https:\/\//);
    // The readiness URL names ingest's Service and its port.
    const ready = new URL(env.WATCHDOG_INGEST_READY_URL!);
    const ingest = find('Service', 'ingest')!;
    expect(ready.hostname.split('.')[0]).toBe('ingest');
    expect(Number(ready.port)).toBe(ingest.spec.ports.find((port: KubernetesObject) => port.name === 'http').port);
    expect(ready.pathname).toBe('/health/ready');
    // Ingest admits the reconciler on its HTTP port, and only the reconciler (besides the ingress controller).
    const policy = find('NetworkPolicy', 'ingest-readiness-from-reconciler')!;
    expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'ingest' });
    expect(policy.spec.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'reconciler' } } }],
        ports: [{ port: 'http', protocol: 'TCP' }],
      },
    ]);
  });

  it('renders the base alone (no namespace, no image) into objects that validate', () => {
    const base = renderOverlay(undefined, join(ROOT, 'deploy/kubernetes/base'));
    expectValid(base);
    expect(base.some((object) => object.metadata.namespace)).toBe(false);
  });

  it('scrapes every app with a ServiceMonitor and carries the promtool-tested rules in a PrometheusRule', () => {
    for (const name of Object.keys(definitions)) {
      const monitor = find('ServiceMonitor', name)!;
      expect(monitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
      // The metrics port is the app's METRICS_PORT, which serves GET /metrics only (services.int-spec).
      const config = find('ConfigMap', 'parity-hub-config')!.data as Record<string, string>;
      const ports = find('Deployment', name)!.spec.template.spec.containers[0].ports as KubernetesObject[];
      expect(ports.find((port) => port.name === 'metrics')?.containerPort).toBe(Number(config.METRICS_PORT));
      expect(find('Service', name)!.spec.ports).toContainEqual(
        expect.objectContaining({ name: 'metrics', targetPort: 'metrics' }),
      );
    }
    // Monitoring reaches the metrics port and nothing else: not the API port (the reconciler's admin API).
    const monitoring = find('NetworkPolicy', 'metrics-from-monitoring')!;
    expect(monitoring.spec.ingress.flatMap((rule: KubernetesObject) => rule.ports)).toEqual([
      { port: 'metrics', protocol: 'TCP' },
    ]);
    const rules = parse(readFileSync(join(ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as KubernetesObject;
    expect(find('PrometheusRule', 'parity-hub')!.spec).toEqual(rules);
  });

  it('gives each app a configuration that production accepts, and refuses it without the secrets', () => {
    const config = find('ConfigMap', 'parity-hub-config')!.data as Record<string, string>;
    // The private key is a mounted file: a stand-in file where the Deployment says it is.
    const key = join(mkdtempSync(join(tmpdir(), 'netsuite-')), 'private-key.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nstand-in\n-----END PRIVATE KEY-----\n');
    for (const [name, definition] of Object.entries(definitions)) {
      const container = find('Deployment', name)!.spec.template.spec.containers[0];
      const env = Object.fromEntries(
        (container.env as { name: string; value?: string }[]).map((variable) => [variable.name, variable.value]),
      );
      if (env.NETSUITE_PRIVATE_KEY_FILE) {
        const mounted = (container.volumeMounts as { mountPath: string }[]).some((mount) =>
          (env.NETSUITE_PRIVATE_KEY_FILE as string).startsWith(`${mount.mountPath}/`),
        );
        expect(mounted).toBe(true);
        env.NETSUITE_PRIVATE_KEY_FILE = key;
      }
      if (env.ENRICHER_MAPPING_FILE) {
        const mounted = (container.volumeMounts as { mountPath: string; name: string }[]).find((mount) =>
          (env.ENRICHER_MAPPING_FILE as string).startsWith(`${mount.mountPath}/`),
        );
        expect(mounted?.name).toBe('mapping');
        // The mapping ConfigMap's content: the example's, copied under the deployment's own name.
        const mapping = join(dirname(key), 'mapping.json');
        writeFileSync(mapping, readFileSync(join(ROOT, 'config/mapping.example.json')));
        env.ENRICHER_MAPPING_FILE = mapping;
      }
      const shape = serviceEnvShape(definition as never);
      const known = Object.keys(shape);
      for (const variable of [...Object.keys(env), ...Object.keys(config)]) expect(known).toContain(variable);
      const source: Record<string, string | undefined> = { ...config, ...secrets[name], ...env };
      expect(source.NODE_ENV).toBe('production');
      expect(() => loadConfig(name, shape, source, serviceConfigRules(definition as never) as never)).not.toThrow();
      // The base's placeholders and an unset emulator-only default, left in place, stop it too.
      const leftInPlace: Record<string, [string | undefined, RegExp]> = {
        NETSUITE_BASE_URL: ['https://ACCOUNT.suitetalk.api.netsuite.com/services/rest', /URL template left unfilled/],
        NETSUITE_CLIENT_ID: ['CHANGE-ME-integration-client-id', /placeholder \(CHANGE-ME\)/],
        NEWSTORE_CLIENT_ID: [undefined, /must be set with NODE_ENV=production: its default \("hub"\)/],
      };
      for (const [variable, [value, refusal]] of Object.entries(leftInPlace).filter(([item]) => item in env))
        expect(() =>
          loadConfig(name, shape, { ...source, [variable]: value }, serviceConfigRules(definition as never) as never),
        ).toThrow(new RegExp(`${variable}: .*${refusal.source}`));
      // The registry: https only, and a password is never sent without its user name.
      if (secrets[name].SCHEMA_REGISTRY_PASSWORD) {
        const refused = (change: Record<string, string | undefined>) => () =>
          loadConfig(name, shape, { ...source, ...change }, serviceConfigRules(definition as never) as never);
        expect(refused({ SCHEMA_REGISTRY_URL: 'http://schema-registry.kafka.svc:8080/apis/ccompat/v7' })).toThrow(
          /SCHEMA_REGISTRY_URL: must be https:\/\/ with NODE_ENV=production/,
        );
        expect(refused({ SCHEMA_REGISTRY_USERNAME: undefined })).toThrow(
          /SCHEMA_REGISTRY_USERNAME: must be set with SCHEMA_REGISTRY_PASSWORD/,
        );
      }
      // Without its secrets, production refuses to start on the emulators' defaults.
      for (const variable of ['NEWSTORE_CLIENT_SECRET', 'DATABASE_URL'].filter((item) => item in secrets[name]))
        expect(() =>
          loadConfig(
            name,
            shape,
            { ...source, [variable]: undefined },
            serviceConfigRules(definition as never) as never,
          ),
        ).toThrow(new RegExp(`${variable}: must be set with NODE_ENV=production`));
    }
  });
});

describe('Kubernetes overlays for Strimzi and KEDA, and the dashboards for Grafana', () => {
  const config = (objects: KubernetesObject[]) =>
    objects.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'parity-hub-config')!
      .data as Record<string, string>;
  const definitions = SERVICES;

  it('strimzi: every topic of the code as a KafkaTopic with its configuration, and the apps only verify them', () => {
    const objects = renderOverlay(undefined, join(ROOT, 'deploy/kubernetes/overlays/strimzi'));
    expectValid(objects);
    const settings = config(objects);
    expect(settings.KAFKA_CREATE_TOPICS).toBe('false');
    const replication = Number(settings.KAFKA_REPLICATION_FACTOR);
    const tiers = retryTiersEnv.ENRICHER_RETRY_TIERS_MS.parse(undefined);
    const declared = [
      ...Object.values(TOPICS).map((topic) => ({
        name: topic.name,
        policy: topic.cleanupPolicy,
        retention: topic.retentionMs,
      })),
      ...tiers.map((tier) => ({
        name: `enricher.retry.${tier}ms.v1`,
        policy: 'delete',
        retention: RETRY_RETENTION_MS,
      })),
    ];
    const topics = objects.filter((object) => object.kind === 'KafkaTopic');
    expect(
      topics
        .map((topic) => ({
          name: topic.metadata.name,
          policy: topic.spec.config['cleanup.policy'],
          retention: Number(topic.spec.config['retention.ms']),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    ).toEqual(declared.sort((a, b) => a.name.localeCompare(b.name)));
    for (const topic of topics) {
      expect(topic.metadata.labels['strimzi.io/cluster']).toBe('kafka');
      expect(topic.spec).toMatchObject({
        partitions: Number(settings.KAFKA_TOPIC_PARTITIONS),
        replicas: replication,
        config: { 'min.insync.replicas': minInsyncReplicasFor(replication) },
      });
    }
  });

  it('strimzi: each app connects as its own KafkaUser, whose ACLs reach every topic it declares and no other group', () => {
    const objects = renderOverlay(undefined, join(ROOT, 'deploy/kubernetes/overlays/strimzi'));
    type Acl = { resource: { type: string; name: string; patternType: string }; operations: string[] };
    const allows = (acls: Acl[], type: string, name: string, operation: string) =>
      acls.some(
        (acl) =>
          acl.resource.type === type &&
          (acl.resource.patternType === 'prefix' ? name.startsWith(acl.resource.name) : name === acl.resource.name) &&
          acl.operations.includes(operation),
      );
    for (const [name, definition] of Object.entries(definitions)) {
      const user = objects.find(
        (object) => object.kind === 'KafkaUser' && object.metadata.name === `parity-hub-${name}`,
      )!;
      expect(user.spec.authentication.type).toBe('scram-sha-512');
      const env = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!.spec.template
        .spec.containers[0].env as { name: string; value?: string }[];
      expect(env.filter((variable) => variable.name === 'KAFKA_SASL_USERNAME').pop()?.value).toBe(user.metadata.name);
      const acls = user.spec.authorization.acls as Acl[];
      // Start-up verifies every declared topic (Describe, DescribeConfigs).
      for (const topic of definition.topics)
        for (const operation of ['Describe', 'DescribeConfigs'])
          expect(
            `${name} ${operation} ${TOPICS[topic].name}: ${allows(acls, 'topic', TOPICS[topic].name, operation)}`,
          ).toBe(`${name} ${operation} ${TOPICS[topic].name}: true`);
      expect(acls.some((acl) => acl.operations.includes('Create') || acl.operations.includes('AlterConfigs'))).toBe(
        false,
      );
    }
    const acls = (app: string) =>
      objects.find((object) => object.kind === 'KafkaUser' && object.metadata.name === `parity-hub-${app}`)!.spec
        .authorization.acls as Acl[];
    // What each consumes and produces, and only its own groups.
    expect(allows(acls('ingest'), 'topic', 'newstore.events.v1', 'Write')).toBe(true);
    expect(allows(acls('ingest'), 'topic', 'erp.documents.v1', 'Read')).toBe(false);
    expect(allows(acls('enricher'), 'topic', 'enricher.retry.2000ms.v1', 'Read')).toBe(true);
    expect(allows(acls('enricher'), 'group', 'enricher-retry', 'Read')).toBe(true);
    expect(allows(acls('enricher'), 'group', 'erp-sink', 'Read')).toBe(false);
    expect(allows(acls('erp-sink'), 'topic', 'erp.sync-status.v1', 'Write')).toBe(true);
    expect(allows(acls('erp-sink'), 'group', 'erp-sink-ledger-rebuild-1', 'Read')).toBe(true);
    expect(allows(acls('reconciler'), 'group', 'reconciler-projections', 'Read')).toBe(true);
    expect(allows(acls('reconciler'), 'topic', 'reconciliation.discrepancies.v1', 'Write')).toBe(true);
    // A resync re-posts the documents as built; the retry tiers are projected, never written.
    expect(allows(acls('reconciler'), 'topic', 'erp.documents.v1', 'Write')).toBe(true);
    expect(allows(acls('reconciler'), 'topic', 'enricher.retry.2000ms.v1', 'Read')).toBe(true);
    expect(allows(acls('reconciler'), 'topic', 'enricher.retry.2000ms.v1', 'Write')).toBe(false);
    expect(allows(acls('reconciler'), 'topic', 'erp.sync-status.v1', 'Write')).toBe(false);
  });

  it('keda: the enricher and the sink scale on their consumer lag up to the partition count, and own their replicas', () => {
    const objects = renderOverlay(undefined, join(ROOT, 'deploy/kubernetes/overlays/keda'));
    expectValid(objects);
    const settings = config(objects);
    const groups: Record<string, [string, string]> = {
      enricher: [enricherService.env.ENRICHER_CONSUMER_GROUP.parse(undefined), 'newstore.events.v1'],
      'erp-sink': [erpSinkService.env.SINK_CONSUMER_GROUP.parse(undefined), 'erp.documents.v1'],
    };
    for (const [name, [group, topic]] of Object.entries(groups)) {
      const scaled = objects.find((object) => object.kind === 'ScaledObject' && object.metadata.name === name)!;
      expect(scaled.spec.scaleTargetRef.name).toBe(name);
      expect(scaled.spec.maxReplicaCount).toBe(Number(settings.KAFKA_TOPIC_PARTITIONS));
      expect(scaled.spec.triggers[0]).toMatchObject({
        type: 'kafka',
        metadata: { bootstrapServers: settings.KAFKA_BROKERS, consumerGroup: group, topic },
      });
      const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === name)!;
      expect(deployment.spec.replicas).toBeUndefined();
    }
    // The autoscaler owns ingest's replicas too (in every overlay).
    const ingest = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'ingest')!;
    expect(ingest.spec.replicas).toBeUndefined();
    expect(objects.find((object) => object.kind === 'HorizontalPodAutoscaler')!.spec.scaleTargetRef.name).toBe(
      'ingest',
    );
  });

  it("packages every dashboard as a ConfigMap for Grafana's sidecar, its JSON as the file holds it", () => {
    const objects = renderOverlay();
    const files = readdirSync(join(ROOT, 'deploy/grafana/dashboards')).filter((file) => file.endsWith('.json'));
    const maps = objects.filter((object) => object.kind === 'ConfigMap' && object.metadata.labels?.grafana_dashboard);
    expect(maps.flatMap((map) => Object.keys(map.data)).sort()).toEqual([...files].sort());
    for (const map of maps) {
      expect(map.metadata.labels.grafana_dashboard).toBe('1');
      for (const [file, json] of Object.entries(map.data as Record<string, string>))
        expect(json).toBe(readFileSync(join(ROOT, 'deploy/grafana/dashboards', file), 'utf8'));
    }
  });
});
