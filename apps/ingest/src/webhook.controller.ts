import { isMessageTooLarge, PublisherSaturatedError } from '@hub/kafka';
import { eventNameLabel } from '@hub/newstore';
import { SpanKind } from '@hub/observability';
import { HttpErrorWithHeaders, ServiceRuntime, InjectConfig } from '@hub/platform';
import { Controller, HttpException, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { EventIntake } from './event-intake.service';
import { IngestConfig } from './ingest.config';
import { IngestMetrics } from './ingest.metrics';
import { TenantKeys } from './tenant-keys';

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;.*)?$/i;

/**
 * NewStore's event-stream webhook, at the configured INGEST_PATH (Nest's RouterModule
 * mounts it there: {@link ingestModule}). What each answer
 * makes NewStore do (docs/domain.md section 1): 200 once Kafka has the event;
 * 400 the event is wrong in itself (not JSON, too large, malformed, of a tenant the
 * key does not serve): NewStore stores it as rejected and goes on, so the body
 * lists every problem; 401 bad key: retried, then the integration stops, which is
 * right for a misconfigured one (the watchdog reports it); 503 + Retry-After when
 * we could not store it: NewStore retries.
 */
@Controller()
export class WebhookController {
  constructor(
    @InjectConfig() private readonly config: IngestConfig,
    @Inject(EventIntake) private readonly intake: EventIntake,
    @Inject(IngestMetrics) private readonly metrics: IngestMetrics,
    @Inject(ServiceRuntime) private readonly runtime: ServiceRuntime,
    @Inject(TenantKeys) private readonly keys: TenantKeys,
  ) {}

  @Post()
  async handle(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const started = performance.now();
    let eventName: string | undefined;
    let status = 500;
    const incoming = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
    try {
      // The first span of an event's trace (a child of NewStore's, if it sent one): the event carries it on.
      const result = await this.runtime.tracing.span(
        'newstore webhook',
        { parent: incoming, kind: SpanKind.SERVER, attributes: { 'http.route': this.config.INGEST_PATH } },
        (traceparent) =>
          this.accept(request, traceparent, (name, attributes) => {
            eventName = name;
            this.runtime.tracing.annotate(attributes);
          }),
      );
      status = 200;
      await reply.status(200).send(result);
    } catch (error) {
      status = error instanceof HttpException ? error.getStatus() : 500;
      throw error;
    } finally {
      this.metrics.requests.inc({ event_name: eventNameLabel(eventName), status: String(status) });
      this.metrics.requestDuration.observe({ status: String(status) }, (performance.now() - started) / 1000);
    }
  }

  private async accept(
    request: FastifyRequest,
    traceparent: string | undefined,
    named: (name: string, attributes: Record<string, string>) => void,
  ) {
    if (!this.keys.isKnownKey(request.headers.authorization)) {
      this.reject(
        'unauthorized',
        401,
        'Missing or wrong "Authorization: Bearer <api_key>": check the api_key of the NewStore integration',
      );
    }
    const contentType = request.headers['content-type'] ?? '';
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      this.reject(
        'unsupported-media-type',
        400,
        `Content-Type must be application/json, got "${contentType || 'none'}"`,
      );
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const prepared = this.intake.prepare(body, contentType, traceparent);
    if (!prepared.ok) {
      this.reject(prepared.reason, 400, 'The event is not a valid NewStore event envelope', prepared.problems);
    }
    named(prepared.envelope.name, {
      'parity.event_name': prepared.envelope.name,
      'parity.tenant': prepared.envelope.tenant,
      'parity.order_id': prepared.record.key,
      'parity.event_id': prepared.eventId,
    });
    const refusal = this.keys.refusal(request.headers.authorization, prepared.envelope.tenant);
    // 400 and nothing stored: NewStore keeps the event as rejected, and a person sees why.
    if (refusal) this.reject('wrong-tenant', 400, `Not accepted: ${refusal}`);
    try {
      await this.intake.publish(prepared);
    } catch (error) {
      // The broker refuses this event's size whatever the retries: 400, so NewStore stores it as rejected.
      if (isMessageTooLarge(error))
        this.reject(
          'too-large-for-kafka',
          400,
          `The event is larger than the event store accepts (${body.length} bytes)`,
        );
      this.metrics.rejections.inc({
        reason: error instanceof PublisherSaturatedError ? 'saturated' : 'kafka-unavailable',
      });
      this.runtime.logger.warn(
        { err: error, eventId: prepared.eventId, orderId: prepared.record.key, eventName: prepared.envelope.name },
        'event not stored; answering 503 so NewStore retries',
      );
      throw new HttpErrorWithHeaders(
        { error: 'unavailable', message: 'The event could not be stored durably; retry later' },
        503,
        { 'Retry-After': String(this.config.INGEST_RETRY_AFTER_SECONDS) },
      );
    }
    return { status: 'accepted', eventId: prepared.eventId, key: prepared.record.key, keySource: prepared.keySource };
  }

  private reject(reason: string, status: number, message: string, problems?: unknown[]): never {
    this.metrics.rejections.inc({ reason });
    throw new HttpException({ error: reason, message, ...(problems ? { problems } : {}) }, status);
  }
}
