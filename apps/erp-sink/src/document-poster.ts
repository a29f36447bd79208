import { encodeTopicValue, ErpDocument, HEADERS, SyncStatus } from '@hub/contracts';
import { ErpError } from '@hub/erp';
import {
  BatchingPublisher,
  ConsumedMessage,
  DocumentCodec,
  InvalidDocumentError,
  KafkaInfrastructure,
  sendToDeadLetters,
} from '@hub/kafka';
import { SpanKind } from '@hub/observability';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { dependencyMaxWaitMs, ErpSinkConfig } from './erp-sink.config';
import { ErpSinkMetrics } from './erp-sink.metrics';
import { ErpConnection, ErpConnections, UnknownTenantError } from './erp-connections';
import { ERP_DOCUMENT_CODEC, SYNC_STATUS_PUBLISHER } from './erp-sink.tokens';
import { IdempotencyLedgerRepository } from './idempotency-ledger.repository';
import { WaitingDocumentsRepository } from './waiting-documents.repository';

/** What a document refused for something NetSuite does not hold yet waits for, by the adapter's error code. */
const WAITS_FOR_ERP: Record<string, { reason: string; log: string }> = {
  UNKNOWN_ITEM: { reason: 'catalogue', log: 'waiting for an item NetSuite does not have yet' },
  SOURCE_NOT_IN_ERP: { reason: 'erp-source', log: 'waiting for the record NetSuite makes it from' },
};

/**
 * Posts one document to the ERP effectively once:
 *  1. already posted according to the ledger → skip (log, count), unless replayed;
 *  2. its dependency (a credit memo's sales order) not posted → parked until it is;
 *  3. upsert by external id; the outcome goes to the compacted status topic, then the
 *     ledger; only then does the handler resolve and the consumer commit the offset;
 *  4. temporary ERP failures throw: the partition pauses and the same document is
 *     retried (never skipped); permanent ones go to the DLQ with the ERP's message
 *     and a `failed` status.
 * A crash between the ERP's answer and the ledger write re-posts the document on
 * restart; the upsert by external id makes that harmless.
 */
@Injectable()
export class DocumentPoster {
  private readonly logger: Logger;

  constructor(
    /** Each tenant's ERP account: its adapter, circuit breaker and request slots (ERP_CONCURRENCY). */
    @Inject(ErpConnections) private readonly erps: Pick<ErpConnections, 'for'>,
    @Inject(ERP_DOCUMENT_CODEC) private readonly codec: DocumentCodec,
    @Inject(IdempotencyLedgerRepository) private readonly ledger: IdempotencyLedgerRepository,
    @Inject(WaitingDocumentsRepository) private readonly waiting: WaitingDocumentsRepository,
    @Inject(KafkaInfrastructure) private readonly kafka: Pick<KafkaInfrastructure, 'producer' | 'topics'>,
    /** Status messages of all partitions share Kafka sends (acks=all) instead of one send each. */
    @Inject(SYNC_STATUS_PUBLISHER) private readonly statusPublisher: Pick<BatchingPublisher, 'publish'>,
    @Inject(ErpSinkMetrics) private readonly metrics: ErpSinkMetrics,
    @InjectConfig()
    private readonly config: Pick<
      ErpSinkConfig,
      'SINK_DEPENDENCY_MAX_WAIT_MS' | 'ENRICHER_RETRY_TIERS_MS' | 'SINK_CATALOGUE_MAX_WAIT_MS'
    >,
    @Inject(ServiceRuntime) private readonly runtime: Pick<ServiceRuntime, 'logger' | 'tracing'>,
  ) {
    this.logger = runtime.logger.child({ context: 'document-poster' });
  }

  /**
   * Handles a message from erp.documents.v1, or (`fromWaiting`) a parked document
   * whose dependency may now be posted. Resolves once the outcome is durable.
   */
  async handle(message: ConsumedMessage, fromWaiting = false): Promise<void> {
    let document: ErpDocument;
    try {
      document = await this.codec.decode(message.value);
    } catch (error) {
      if (error instanceof InvalidDocumentError) return this.deadLetter(message, undefined, error.message);
      // The registry out of reach: the partition tries the same bytes again, counted so an outage shows.
      this.metrics.retries.inc({ reason: 'decode' });
      throw error;
    }
    // The ERP post as a span of the order's trace, a child of the enrichment that made the document.
    const settled = await this.runtime.tracing.span(
      `erp post ${document.documentType}`,
      {
        parent: message.headers[HEADERS.traceparent],
        kind: SpanKind.CLIENT,
        attributes: {
          'parity.tenant': document.tenant,
          'parity.order_id': document.orderId,
          'parity.idempotency_key': document.idempotencyKey,
          'parity.document_type': document.documentType,
        },
      },
      async () => {
        // A copy read from the topic while a copy of it is parked is handled as that parked copy's
        // release, under the same lock, so a sweep releasing it never writes it at the same time.
        const released = fromWaiting || (await this.waiting.isWaiting(document.idempotencyKey));
        return released
          ? this.waiting.whileReleasing(message.key ?? '', () => this.handleOnce(document, message, true))
          : this.handleOnce(document, message, false);
      },
    );
    // Outside the lock: the documents waiting on this one take the same order's lock.
    if (settled) await this.releaseDependents(settled);
  }

  /** Handles one document; returns its idempotency key when its outcome is settled (posted or refused). */
  private async handleOnce(
    document: ErpDocument,
    message: ConsumedMessage,
    fromWaiting: boolean,
  ): Promise<string | undefined> {
    // Under the order's lock, a parked document another release already handled is left alone.
    if (fromWaiting && !(await this.waiting.isWaiting(document.idempotencyKey))) return undefined;
    const context = {
      idempotencyKey: document.idempotencyKey,
      orderId: document.orderId,
      documentType: document.documentType,
    };
    const existing = await this.ledger.find(document.idempotencyKey);
    // A replayed document (a resync after the reconciliation found it missing or changed in the
    // ERP) is upserted again: the upsert by external id cannot make a second record.
    if (existing?.status === 'posted' && message.headers[HEADERS.replay] === undefined) {
      this.metrics.duplicatesSkipped.inc({ document_type: document.documentType });
      this.logger.info({ ...context, erpInternalId: existing.erpInternalId }, 'already posted; skipping duplicate');
      if (fromWaiting) await this.waiting.release(document.idempotencyKey);
      return undefined;
    }
    if (document.dependsOn && !(await this.dependencyReady(document, message, fromWaiting, existing?.attempts ?? 0)))
      return undefined;

    const attempts = (existing?.attempts ?? 0) + 1;
    let erp: ErpConnection;
    try {
      erp = this.erps.for(document.tenant);
    } catch (error) {
      if (!(error instanceof UnknownTenantError)) throw error;
      await this.fail(document, message, attempts, error.message);
      if (fromWaiting) await this.waiting.release(document.idempotencyKey);
      return document.idempotencyKey;
    }
    const started = performance.now();
    try {
      // Only the ERP call holds an ERP slot of the tenant's account: the status and ledger
      // writes of one document overlap the next document's request.
      const { internalId } = await erp.requests.run(() => erp.port.upsert(document));
      this.metrics.requestDuration.observe(
        { document_type: document.documentType, outcome: 'posted' },
        (performance.now() - started) / 1000,
      );
      await this.recordOutcome(document, message, {
        status: 'posted',
        erpInternalId: internalId,
        attempts,
        error: null,
      });
      this.metrics.posts.inc({ document_type: document.documentType, outcome: 'posted' });
      this.logger.info({ ...context, erpInternalId: internalId, attempts }, 'posted to the ERP');
    } catch (error) {
      this.metrics.requestDuration.observe(
        { document_type: document.documentType, outcome: 'failed' },
        (performance.now() - started) / 1000,
      );
      if (!(error instanceof ErpError && error.kind === 'permanent')) {
        this.metrics.retries.inc({
          reason: error instanceof ErpError ? `erp-${error.details.status ?? 'network'}` : 'unknown',
        });
        throw error;
      }
      const awaited = WAITS_FOR_ERP[error.details.code ?? ''];
      if (awaited && (await this.waitForErp(awaited, document, message, fromWaiting))) return undefined;
      if (existing?.status === 'posted') await this.refuseUpdate(document, message, existing, attempts, error.message);
      else await this.fail(document, message, attempts, error.message);
    }
    if (fromWaiting) await this.waiting.release(document.idempotencyKey);
    return document.idempotencyKey;
  }

  /**
   * A document whose dependency is not posted is parked (durably, before its offset is
   * committed) instead of blocking its partition: the dependency is usually right
   * behind it. It is released when the dependency is posted, dead-lettered when the
   * dependency is refused or does not come within the configured wait.
   */
  private async dependencyReady(
    document: ErpDocument,
    message: ConsumedMessage,
    fromWaiting: boolean,
    attempts: number,
  ): Promise<boolean> {
    const dependsOn = document.dependsOn!.idempotencyKey;
    const dependency = await this.ledger.find(dependsOn);
    if (dependency?.status === 'posted') return true;
    let reason: string | undefined;
    if (dependency?.status === 'failed') reason = `depends on ${dependsOn}, which the ERP refused`;
    else if (fromWaiting) {
      const since = (await this.waiting.firstSeen(document.idempotencyKey))?.getTime() ?? Date.now();
      const maxWait = dependencyMaxWaitMs(this.config);
      if (Date.now() - since > maxWait) reason = `depends on ${dependsOn}, not posted within ${maxWait} ms`;
    }
    if (reason) {
      await this.fail(document, message, attempts, reason);
      await this.waiting.release(document.idempotencyKey);
      return false;
    }
    if (!fromWaiting) {
      await this.waiting.park(document.idempotencyKey, dependsOn, document.orderId, message);
      this.metrics.retries.inc({ reason: 'dependency' });
      this.logger.info(
        { idempotencyKey: document.idempotencyKey, orderId: document.orderId, dependsOn },
        'waiting for the document it depends on',
      );
    }
    return false;
  }

  /**
   * A document that needs what only NetSuite makes waits for it, parked like a document
   * waiting for its sale and tried again at each sweep, for at most
   * SINK_CATALOGUE_MAX_WAIT_MS: an item the catalogue lacks (docs/domain.md section 3,
   * "Items": never guessed), the invoice or return authorization it is made from
   * (`transformFrom.via`). False once that has passed: it is then dead-lettered with what
   * it waited for named, and posted by a replay once NetSuite has it.
   */
  private async waitForErp(
    awaited: (typeof WAITS_FOR_ERP)[string],
    document: ErpDocument,
    message: ConsumedMessage,
    fromWaiting: boolean,
  ) {
    if (fromWaiting) {
      const since = (await this.waiting.firstSeen(document.idempotencyKey))?.getTime() ?? Date.now();
      return Date.now() - since <= this.config.SINK_CATALOGUE_MAX_WAIT_MS;
    }
    if (this.config.SINK_CATALOGUE_MAX_WAIT_MS === 0) return false;
    await this.waiting.park(document.idempotencyKey, `${awaited.reason}:${document.tenant}`, document.orderId, message);
    this.metrics.retries.inc({ reason: awaited.reason });
    this.logger.warn(
      { idempotencyKey: document.idempotencyKey, orderId: document.orderId, tenant: document.tenant },
      awaited.log,
    );
    return true;
  }

  private async releaseDependents(idempotencyKey: string): Promise<void> {
    for (const waiting of await this.waiting.waitingOn(idempotencyKey)) {
      await this.handle(waiting.message, true);
    }
  }

  /**
   * The ERP refuses to update a document it holds (a replay into a closed period): the
   * record it holds is still the posted one, so the ledger keeps it posted with its ERP
   * id (its dependants and the reconciliation still find it), and the refusal goes to the
   * DLQ, named, for a person to decide.
   */
  private async refuseUpdate(
    document: ErpDocument,
    message: ConsumedMessage,
    posted: { erpInternalId: string | null },
    attempts: number,
    reason: string,
  ): Promise<void> {
    const why = `the ERP refused to update the posted record ${posted.erpInternalId ?? ''}: ${reason}`;
    await this.recordOutcome(document, message, {
      status: 'posted',
      erpInternalId: posted.erpInternalId,
      attempts,
      error: why,
    });
    await this.deadLetter(message, document, why);
    this.metrics.posts.inc({ document_type: document.documentType, outcome: 'failed' });
  }

  private async fail(document: ErpDocument, message: ConsumedMessage, attempts: number, reason: string): Promise<void> {
    await this.recordOutcome(document, message, { status: 'failed', erpInternalId: null, attempts, error: reason });
    await this.deadLetter(message, document, reason);
    this.metrics.posts.inc({ document_type: document.documentType, outcome: 'failed' });
  }

  private async recordOutcome(
    document: ErpDocument,
    message: ConsumedMessage,
    outcome: Pick<SyncStatus, 'status' | 'erpInternalId' | 'attempts' | 'error'>,
  ): Promise<void> {
    const now = new Date().toISOString();
    const status: SyncStatus = {
      idempotencyKey: document.idempotencyKey,
      tenant: document.tenant,
      orderId: document.orderId,
      documentType: document.documentType,
      externalId: document.externalId,
      ...outcome,
      source: { topic: message.topic, partition: message.partition, offset: message.offset },
      postedAt: outcome.status === 'posted' ? now : null,
      updatedAt: now,
    };
    // Status topic first: the ledger is derived from it and can always be rebuilt.
    await this.statusPublisher.publish({
      key: document.idempotencyKey,
      value: encodeTopicValue('erpSyncStatus', status),
    });
    await this.ledger.record(status);
  }

  private async deadLetter(message: ConsumedMessage, document: ErpDocument | undefined, reason: string): Promise<void> {
    await sendToDeadLetters(this.kafka.producer, this.kafka.topics.erpDlq, message, reason, document?.idempotencyKey);
    this.metrics.deadLettered.inc({ document_type: document?.documentType ?? 'invalid' });
    this.logger.warn(
      { idempotencyKey: document?.idempotencyKey, orderId: document?.orderId ?? message.key, reason },
      'document dead-lettered to erp.dlq.v1',
    );
  }
}
