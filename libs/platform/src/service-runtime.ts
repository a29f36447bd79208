import {
  createLogger,
  createMetricsRegistry,
  HubTracing,
  ReadinessCheck,
  runReadinessChecks,
  ReadinessReport,
} from '@hub/observability';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TracingSettings } from '@hub/observability';

export interface ServiceRuntimeOptions {
  service: string;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  logFile?: string;
  /** `serve` runs the service; `command` runs one command (no schedule, no consumer unless asked). */
  mode?: 'serve' | 'command';
  /** The environment the configuration was read from: what a helper process of the service is started with. */
  env?: NodeJS.ProcessEnv;
  /** Where spans go (OTLP); none: no span is made. */
  tracing?: TracingSettings;
}

/**
 * What every service shares at run time: its logger, its metrics registry, the
 * readiness checks of its dependencies, and whether it is shutting down. Created
 * once in main.ts, after the configuration is valid, and provided to Nest.
 */
export class ServiceRuntime {
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The service's spans (OpenTelemetry), sent where OTEL_EXPORTER_OTLP_ENDPOINT says; off without it. */
  readonly tracing: HubTracing;
  private readonly checks: ReadinessCheck[] = [];
  private draining = false;
  private readonly shutdownSteps: { name: string; run: () => Promise<unknown> }[] = [];

  constructor(readonly options: ServiceRuntimeOptions) {
    this.logger = createLogger({
      service: options.service,
      level: options.logLevel,
      format: options.logFormat,
      file: options.logFile,
    });
    this.metrics = createMetricsRegistry(options.service);
    this.tracing = new HubTracing(options.service, options.tracing);
    // Registered first, so it runs last: the spans of the work finished during the stop are sent too.
    this.onShutdown('tracing', () => this.tracing.shutdown());
  }

  get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  get mode(): 'serve' | 'command' {
    return this.options.mode ?? 'serve';
  }

  get service(): string {
    return this.options.service;
  }

  addReadinessCheck(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** From now on readiness fails, so the load balancer stops sending work. */
  startDraining(): void {
    this.draining = true;
  }

  /**
   * Registers a step of the graceful stop. Steps run in reverse order of
   * registration: consumers (registered last) stop before the producer and the
   * database they write to are closed.
   */
  onShutdown(name: string, run: () => Promise<unknown>): void {
    this.shutdownSteps.push({ name, run });
  }

  async shutdown(): Promise<void> {
    this.startDraining();
    for (const step of [...this.shutdownSteps].reverse()) {
      try {
        await step.run();
        this.logger.info({ step: step.name }, 'stopped');
      } catch (error) {
        this.logger.error({ err: error, step: step.name }, 'error while stopping');
      }
    }
    this.shutdownSteps.length = 0;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  readiness(): Promise<ReadinessReport> {
    return runReadinessChecks(this.checks, this.draining);
  }
}
