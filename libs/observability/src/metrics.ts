import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * One Prometheus registry per process, with the default Node.js metrics and a
 * `service` label on every series.
 */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
