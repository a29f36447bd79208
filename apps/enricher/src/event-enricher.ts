import { ErpDocument, HEADERS } from '@hub/contracts';
import { BatchingPublisher, DocumentCodec, InvalidDocumentError, isMessageTooLarge } from '@hub/kafka';
import {
  applyDeploymentMapping,
  DeploymentMapping,
  deriveEventKey,
  GraphQlOrder,
  eventNameLabel,
  MappingGapError,
  mapEventToDocument,
  notBookedBy,
  NewStoreOrders,
  parseEnvelope,
  impliesDocument,
  timeZoneFor,
  withTenantInExternalIds,
} from '@hub/newstore';
import { NewStoreError } from '@hub/newstore-graphql';
import { SpanKind } from '@hub/observability';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { EnricherConfig } from './enricher.config';
import { EnricherMetrics } from './enricher.metrics';
import type { EnricherConnections } from './enricher-connections';
import { DEPLOYMENT_MAPPING, DOCUMENT_PUBLISHER, ERP_DOCUMENT_CODEC, NEWSTORE_ORDERS } from './enricher.tokens';

export type EnrichOutcome =
  { kind: 'enriched' | 'skipped' } | { kind: 'retry'; reason: string } | { kind: 'dead'; reason: string };

/**
 * Completes one raw NewStore event: fetches its order from GraphQL when the event
 * implies an ERP document, maps it, and produces the document (schema-registry
 * encoded) to erp.documents.v1 keyed by order id. Data not there yet and NewStore
 * outages are `retry`; an event that can never become a document is `dead`.
 */
@Injectable()
export class EventEnricher {
  private readonly logger: Logger;

  constructor(
    @Inject(NEWSTORE_ORDERS) private readonly newStore: NewStoreOrders,
    @Inject(ERP_DOCUMENT_CODEC) private readonly codec: Pick<DocumentCodec, 'encode'>,
    /** erp.documents.v1: concurrent documents share one acks=all send. */
    @Inject(DOCUMENT_PUBLISHER) private readonly documents: Pick<BatchingPublisher, 'publish'>,
    @Inject(EnricherMetrics) private readonly metrics: EnricherMetrics,
    /** Each tenant's ERP ids (its mapping file, or ENRICHER_MAPPING_FILE; validated at start-up). */
    @Inject(DEPLOYMENT_MAPPING) private readonly mappings: Pick<EnricherConnections, 'mappingFor'>,
    /** ENRICHER_TENANT_IN_EXTERNAL_ID: several tenants share one ERP account, so external ids carry the tenant. */
    @InjectConfig() private readonly config: Pick<EnricherConfig, 'ENRICHER_TENANT_IN_EXTERNAL_ID'>,
    @Inject(ServiceRuntime) private readonly runtime: Pick<ServiceRuntime, 'logger' | 'tracing'>,
  ) {
    this.logger = runtime.logger.child({ context: 'enricher' });
  }

  /**
   * One event's enrichment, as a span of its order's trace: a child of the span that put
   * the event on Kafka (its `traceparent`), with a child span per GraphQL call; the
   * documents it emits carry the enrichment's traceparent on to the sink.
   */
  async enrich(value: Buffer | null, headers: Record<string, string>): Promise<EnrichOutcome> {
    const eventName = headers[HEADERS.eventName] ?? 'event';
    return this.runtime.tracing.span(
      `enrich ${eventName}`,
      {
        parent: headers[HEADERS.traceparent],
        kind: SpanKind.CONSUMER,
        attributes: { 'parity.event_id': headers[HEADERS.eventId] ?? '', 'parity.event_name': eventName },
      },
      async (traceparent) => {
        const outcome = await this.enrichEvent(value, headers, traceparent);
        this.runtime.tracing.annotate({ 'parity.outcome': outcome.kind });
        return outcome;
      },
    );
  }

  private async enrichEvent(
    value: Buffer | null,
    headers: Record<string, string>,
    traceparent: string | undefined,
  ): Promise<EnrichOutcome> {
    const parsed = value ? parseEnvelope(value) : undefined;
    if (!parsed?.ok) return { kind: 'dead', reason: 'not a valid NewStore event envelope' };
    const { envelope } = parsed;
    if (!impliesDocument(envelope.name)) return { kind: 'skipped' };
    const orderKey = deriveEventKey(envelope);
    this.runtime.tracing.annotate({ 'parity.order_id': orderKey.key, 'parity.tenant': envelope.tenant });
    const hasOrder = orderKey.source !== 'entity-id';
    let order = null;
    if (hasOrder) {
      try {
        order = await this.runtime.tracing.span('newstore graphql order', { kind: SpanKind.CLIENT }, () =>
          this.newStore.order(envelope.tenant, orderKey.key),
        );
      } catch (error) {
        if (error instanceof NewStoreError && error.kind === 'permanent')
          return { kind: 'dead', reason: error.message };
        return { kind: 'retry', reason: error instanceof Error ? error.message : String(error) };
      }
    }
    let mapping: DeploymentMapping;
    try {
      mapping = this.mappings.mappingFor(envelope.tenant);
    } catch (error) {
      if (error instanceof NewStoreError && error.kind === 'permanent') return { kind: 'dead', reason: error.message };
      throw error;
    }
    // A return is booked on the return store's day, anything else on the demand location's.
    const returnLocation = envelope.name === 'return.processed' ? envelope.payload.return_location_id : undefined;
    const location = typeof returnLocation === 'string' ? returnLocation : order?.demandLocationId;
    const outcome = mapEventToDocument({
      envelope,
      eventId: headers[HEADERS.eventId] ?? 'unknown',
      order,
      timeZone: timeZoneFor(mapping, location),
      booking: mapping,
    });
    if (outcome.kind === 'not-ready') return { kind: 'retry', reason: outcome.reason };
    if (outcome.kind === 'invalid') return { kind: 'dead', reason: outcome.reason };
    if (outcome.kind === 'skip') {
      this.logger.debug({ orderId: orderKey.key, eventName: envelope.name, reason: outcome.reason }, 'event skipped');
      return { kind: 'skipped' };
    }
    // A web return is a chain of records: each is published after the one it is made from, on the
    // order's partition, so the sink posts them in order (a retry publishes the chain again; the
    // sink's idempotency keys make that harmless).
    const skipped = notBookedBy(mapping, outcome.document, order);
    if (skipped) {
      this.logger.debug({ orderId: orderKey.key, eventName: envelope.name, reason: skipped }, 'event skipped');
      return { kind: 'skipped' };
    }
    // Every record of the chain is mapped and encoded before the first is published: a mapping gap
    // in a later one dead-letters the event with nothing of its chain on the topic.
    const encoded: { document: ErpDocument; value: Buffer }[] = [];
    for (const made of [outcome.document, ...(outcome.followUps ?? [])]) {
      const ready = await this.encode(made, order, mapping);
      if ('kind' in ready) return ready;
      encoded.push(ready);
    }
    for (const ready of encoded) {
      const published = await this.publish(ready.document, ready.value, envelope.name, envelope.tenant, {
        ...headers,
        ...(traceparent ? { [HEADERS.traceparent]: traceparent } : {}),
      });
      if (published) return published;
    }
    return { kind: 'enriched' };
  }

  /** The document with the deployment's ids, encoded; an outcome when it can never be published. */
  private async encode(
    mapped: ErpDocument,
    order: GraphQlOrder | null,
    mapping: DeploymentMapping,
  ): Promise<{ document: ErpDocument; value: Buffer } | EnrichOutcome> {
    let document = this.config.ENRICHER_TENANT_IN_EXTERNAL_ID ? withTenantInExternalIds(mapped) : mapped;
    try {
      document = applyDeploymentMapping(document, order, mapping);
    } catch (error) {
      if (error instanceof MappingGapError) return { kind: 'dead', reason: error.message };
      throw error;
    }
    try {
      return { document, value: await this.codec.encode(document) };
    } catch (error) {
      // A document that breaks the contract was made from input that can never make a valid one.
      if (error instanceof InvalidDocumentError) return { kind: 'dead', reason: error.message };
      throw error;
    }
  }

  /** Publishes one encoded document; an outcome only when it can never be published. */
  private async publish(
    document: ErpDocument,
    encoded: Buffer,
    eventName: string,
    tenant: string,
    headers: Record<string, string>,
  ): Promise<EnrichOutcome | undefined> {
    try {
      await this.documents.publish({
        key: document.orderId,
        value: encoded,
        headers: {
          [HEADERS.eventId]: document.source.eventId,
          [HEADERS.eventName]: eventName,
          [HEADERS.tenant]: tenant,
          // A replayed event (resync, DLQ replay) makes a replayed document: the sink posts it again.
          ...(headers[HEADERS.replay] ? { [HEADERS.replay]: headers[HEADERS.replay] } : {}),
          // The order's trace goes on to the sink.
          ...(headers[HEADERS.traceparent] ? { [HEADERS.traceparent]: headers[HEADERS.traceparent] } : {}),
        },
      });
    } catch (error) {
      // The broker refuses a document larger than its max.message.bytes however often it is sent.
      if (isMessageTooLarge(error))
        return { kind: 'dead', reason: `document of ${encoded.length} bytes is larger than the broker accepts` };
      throw error;
    }
    this.logger.info(
      {
        orderId: document.orderId,
        idempotencyKey: document.idempotencyKey,
        documentType: document.documentType,
        eventName,
      },
      'document emitted',
    );
    return undefined;
  }

  count(headers: Record<string, string>, outcome: string): void {
    this.metrics.events.inc({ event_name: eventNameLabel(headers[HEADERS.eventName]), outcome });
  }
}
