import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';

export interface TracingSettings {
  /** OTLP/HTTP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`); unset: no span is made or sent. */
  endpoint?: string;
  /** How long finished spans wait before a batch is sent (`OTEL_BSP_SCHEDULE_DELAY`). */
  scheduledDelayMs?: number;
}

export { SpanKind };

const propagator = new W3CTraceContextPropagator();
let contextManagerInstalled = false;

/**
 * The spans of one service, sent by OTLP/HTTP when an endpoint is configured and
 * nothing otherwise. Each stage of the pipeline makes one (the webhook, an event's
 * enrichment and its GraphQL calls, a document's ERP post, a reconciliation); the
 * W3C `traceparent` a message carries on Kafka makes the next stage's span a child
 * of the one that produced it, so one order's journey is one trace. A provider of its
 * own per service (not the global one), so services sharing a process (tests) keep
 * their names apart.
 */
export class HubTracing {
  private readonly tracer?: Tracer;
  private readonly provider?: BasicTracerProvider;

  constructor(service: string, settings: TracingSettings = {}) {
    if (!settings.endpoint) return;
    if (!contextManagerInstalled) {
      // Spans nest across awaits (a GraphQL call inside an enrichment) through AsyncLocalStorage.
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      contextManagerInstalled = true;
    }
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `parity-hub-${service}`, 'service.namespace': 'parity-hub' }),
      spanProcessors: [
        new BatchSpanProcessor(new OtlpJsonExporter(`${settings.endpoint.replace(/\/$/, '')}/v1/traces`), {
          scheduledDelayMillis: settings.scheduledDelayMs ?? 5_000,
        }),
      ],
    });
    this.tracer = this.provider.getTracer('parity-hub');
  }

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /**
   * Runs `work` inside a span named `name`, a child of `parent` (a traceparent from a
   * message or request) or of the span running now; the work receives the traceparent
   * to pass on (its own span's, or `parent` itself when tracing is off). A failure is
   * recorded on the span and thrown on.
   */
  async span<T>(
    name: string,
    options: { parent?: string; kind?: SpanKind; attributes?: Attributes },
    work: (traceparent: string | undefined) => Promise<T>,
  ): Promise<T> {
    if (!this.tracer) return work(options.parent);
    const parent = options.parent
      ? propagator.extract(ROOT_CONTEXT, { traceparent: options.parent }, defaultTextMapGetter)
      : context.active();
    return this.tracer.startActiveSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes },
      parent,
      async (span) => {
        try {
          return await work(this.traceparent());
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: error instanceof Error ? error.message : String(error),
          });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Adds attributes to the span running now (what was learnt inside it: the event's name, its order). */
  annotate(attributes: Attributes): void {
    if (this.tracer) trace.getSpan(context.active())?.setAttributes(attributes);
  }

  /** The traceparent of the span running now, to put on what it produces; undefined without one. */
  traceparent(): string | undefined {
    if (!this.tracer || !trace.getSpan(context.active())) return undefined;
    const carrier: Record<string, string> = {};
    propagator.inject(context.active(), carrier, defaultTextMapSetter);
    return carrier.traceparent;
  }

  /** Sends what is still buffered, then stops. */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

/**
 * OTLP/HTTP with JSON bodies (the OpenTelemetry protocol's `application/json` encoding,
 * serialized by OpenTelemetry's own JsonTraceSerializer), sent with fetch. The SDK's
 * OTLPTraceExporter loads `http` by a dynamic import, which Jest's module system
 * refuses, so the services' spans could not be tested in-process with it.
 */
class OtlpJsonExporter implements SpanExporter {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly url: string) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const sent = fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JsonTraceSerializer.serializeRequest(spans) ?? new Uint8Array()),
      signal: AbortSignal.timeout(10_000),
    }).then(
      (response) =>
        done(
          response.ok
            ? { code: ExportResultCode.SUCCESS }
            : { code: ExportResultCode.FAILED, error: new Error(`OTLP endpoint answered ${response.status}`) },
        ),
      (error: unknown) => done({ code: ExportResultCode.FAILED, error: error as Error }),
    );
    this.pending.add(sent);
    void sent.finally(() => this.pending.delete(sent));
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.pending);
  }

  async shutdown(): Promise<void> {
    await this.forceFlush();
  }
}
