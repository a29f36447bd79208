import { HEADERS, retryTemporary } from '@hub/contracts';
import { KafkaInfrastructure, readOffsets } from '@hub/kafka';
import {
  cancellationEventFromGraphQl,
  NewStoreEnvelope,
  NewStoreOrders,
  openingEventFromGraphQl,
  prepareEventRecord,
} from '@hub/newstore';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ReconcilerConfig } from '../reconciler.config';
import { ERP_PORTS, NEWSTORE_CLIENT } from '../reconciler.tokens';
import type { ErpPorts } from '../reconciler-connections';
import { ReconcilerMetrics } from '../reconciler.metrics';
import { OrderReads } from '../reconciliation/order-reads.repository';
import { DiscrepancyRow, ReconciliationRepository } from '../reconciliation/reconciliation.repository';

/**
 * What a resync writes for an order the hub knows: `newstore` replays its events, so the
 * enricher builds its documents again from NewStore as it is today; `stored` re-posts the
 * documents the enricher built at the time, as erp.documents.v1 holds them (an order with
 * no document there has its events replayed).
 */
export type ResyncSource = 'newstore' | 'stored';

export interface ResyncRequest {
  tenant: string;
  /** Every open discrepancy of this day. */
  businessDate?: string;
  /** Every open discrepancy of these days (an order's page: each day with one of the order's), in one pass. */
  businessDates?: string[];
  /** These orders (with or without a discrepancy). */
  orderIds?: string[];
  /** Default `newstore`. */
  source?: ResyncSource;
}

export interface ResyncSummary {
  eventsReplayed: number;
  ordersReplayed: string[];
  /** Documents re-posted as built at the time (`source: stored`), and their orders. */
  documentsReposted: number;
  ordersReposted: string[];
  ordersInjected: string[];
  /** Orders whose cancellation NewStore shows and the hub never received: rebuilt from GraphQL. */
  cancellationsInjected: string[];
  ordersNotFound: string[];
  duplicatesDeleted: string[];
  /** Discrepancies a person must look at (ERP duplicates when deleting them is off). */
  manual: { kind: string; orderId: string; detail: string }[];
  /**
   * What could not be done, after retries: the order's discrepancy stays open and
   * unmarked, and a resync again tries it again. The others went on regardless.
   */
  failed: {
    orderId: string;
    action: 'delete-duplicate' | 'inject' | 'inject-cancellation' | 'repost';
    error: string;
  }[];
}

/**
 * Puts what the reconciliation found missing through the pipeline again: the
 * order's events are replayed from newstore.events.v1 (found through the
 * projection's offsets) with a replay marker; an order the hub never received is
 * fetched from NewStore GraphQL and injected as its opening event. Idempotency
 * keys and the ERP upsert by external id make a replay create nothing twice.
 */
@Injectable()
export class Resync {
  private readonly logger: Logger;

  constructor(
    @Inject(ReconciliationRepository)
    private readonly repository: Pick<ReconciliationRepository, 'discrepancies' | 'markResyncRequested'>,
    @Inject(OrderReads)
    private readonly orders: Pick<OrderReads, 'orderEvents' | 'documentPositions' | 'hubErpIds'>,
    @Inject(KafkaInfrastructure) private readonly kafka: Pick<KafkaInfrastructure, 'kafka' | 'producer' | 'topics'>,
    @Inject(NEWSTORE_CLIENT) private readonly newStore: NewStoreOrders,
    @Inject(ERP_PORTS) private readonly erps: ErpPorts,
    /** RECONCILER_RESYNC_DELETE_DUPLICATES: a duplicate ERP record is deleted, not only reported. */
    @InjectConfig()
    private readonly config: Pick<
      ReconcilerConfig,
      'RECONCILER_RESYNC_DELETE_DUPLICATES' | 'RECONCILER_READ_ATTEMPTS' | 'RECONCILER_RETRY_BASE_MS'
    >,
    @Inject(ReconcilerMetrics) private readonly metrics: ReconcilerMetrics,
    @Inject(ServiceRuntime) runtime: Pick<ServiceRuntime, 'logger'>,
  ) {
    this.logger = runtime.logger.child({ context: 'resync' });
  }

  async run(request: ResyncRequest): Promise<ResyncSummary> {
    const summary: ResyncSummary = {
      eventsReplayed: 0,
      ordersReplayed: [],
      documentsReposted: 0,
      ordersReposted: [],
      ordersInjected: [],
      cancellationsInjected: [],
      ordersNotFound: [],
      duplicatesDeleted: [],
      manual: [],
      failed: [],
    };
    const days = [
      ...new Set([...(request.businessDate ? [request.businessDate] : []), ...(request.businessDates ?? [])]),
    ];
    const discrepancies: DiscrepancyRow[] = [];
    for (const day of days.sort())
      discrepancies.push(...(await this.repository.discrepancies(request.tenant, day, { orderIds: request.orderIds })));
    const orderIds = new Set<string>(request.orderIds ?? []);
    const uncancelled = new Set(
      discrepancies.filter((discrepancy) => discrepancy.kind === 'missing_cancellation').map((item) => item.orderId),
    );
    for (const discrepancy of discrepancies) {
      if (discrepancy.kind !== 'duplicate_in_erp') orderIds.add(discrepancy.orderId);
      else
        await this.attempt(summary, discrepancy.orderId, 'delete-duplicate', () =>
          this.duplicate(discrepancy, summary),
        );
    }
    const known = await this.orders.orderEvents(request.tenant, [...orderIds]);
    const knownIds = new Set(known.map((order) => order.orderId));
    const stored =
      request.source === 'stored' ? await this.orders.documentPositions(request.tenant, [...knownIds]) : [];
    summary.documentsReposted = await this.repost(stored, summary);
    summary.ordersReposted = [...new Set(stored.map((document) => document.orderId))].sort();
    const reposted = new Set(summary.ordersReposted);
    const replayed = known.filter((order) => !reposted.has(order.orderId));
    summary.eventsReplayed = await this.replay(replayed);
    summary.ordersReplayed = replayed.map((order) => order.orderId).sort();
    // After the order's own events, so its sale is there to close.
    for (const orderId of [...uncancelled].sort())
      await this.attempt(summary, orderId, 'inject-cancellation', async () => {
        if (await this.injectCancellation(request.tenant, orderId)) summary.cancellationsInjected.push(orderId);
      });
    for (const orderId of [...orderIds].filter((id) => !knownIds.has(id)).sort()) {
      await this.attempt(summary, orderId, 'inject', async () => {
        if (await this.inject(request.tenant, orderId)) summary.ordersInjected.push(orderId);
        else summary.ordersNotFound.push(orderId);
      });
    }
    const failedOrders = new Set(summary.failed.map((failure) => failure.orderId));
    await this.repository.markResyncRequested(
      discrepancies
        .filter((discrepancy) => !failedOrders.has(discrepancy.orderId))
        .map((discrepancy) => discrepancy.id),
    );
    const context = { ...summary, tenant: request.tenant, businessDates: days };
    if (summary.failed.length > 0) this.logger.error(context, 'resync incomplete: some orders failed');
    else this.logger.info(context, 'resync done');
    return summary;
  }

  /** One order's action: a failure (after the clients' retries) is recorded and the resync goes on. */
  private async attempt(
    summary: ResyncSummary,
    orderId: string,
    action: ResyncSummary['failed'][number]['action'],
    work: () => Promise<void>,
  ): Promise<void> {
    try {
      await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      summary.failed.push({ orderId, action, error: message });
      this.metrics.resynced.inc({ action: 'failed' });
      this.logger.error({ err: error, orderId, action }, 'resync of an order failed');
    }
  }

  /**
   * Re-posts documents as the enricher built them: each read from erp.documents.v1 at its
   * position and published again with the replay marker (the sink posts a replayed document
   * even when its ledger says posted; the ERP upserts it by external id), in topic order.
   */
  private async repost(
    documents: { orderId: string; partition: number; offset: string }[],
    summary: ResyncSummary,
  ): Promise<number> {
    if (documents.length === 0) return 0;
    const topic = this.kafka.topics.erpDocuments;
    const messages = await this.readAt(
      topic,
      documents.map((document) => ({ partition: document.partition, offsets: [document.offset] })),
    );
    // A document the topic no longer holds (past its retention) cannot be re-posted as built: its order fails, said.
    const found = new Set(messages.map((message) => `${message.partition}:${message.offset}`));
    const gone = documents.filter((document) => !found.has(`${document.partition}:${document.offset}`));
    for (const orderId of new Set(gone.map((document) => document.orderId))) {
      const positions = gone.filter((document) => document.orderId === orderId);
      summary.failed.push({
        orderId,
        action: 'repost',
        error: `${positions.length} of its documents are no longer on ${topic} (${positions.map((document) => `${document.partition}:${document.offset}`).join(', ')}): resync it from NewStore instead`,
      });
      this.metrics.resynced.inc({ action: 'failed' });
      this.logger.error({ orderId, positions }, 'resync: documents to re-post are no longer on the topic');
    }
    await this.sendAsReplay(topic, messages);
    this.metrics.resynced.inc({ action: 'document-reposted' }, messages.length);
    return messages.length;
  }

  /** The messages of a topic at the given positions, in topic order per partition. */
  private readAt(topic: string, positions: { partition: number; offsets: string[] }[]) {
    const wanted = new Map<number, Set<string>>();
    for (const position of positions) {
      const offsets = wanted.get(position.partition) ?? new Set<string>();
      position.offsets.forEach((offset) => offsets.add(offset));
      wanted.set(position.partition, offsets);
    }
    return readOffsets(this.kafka.kafka, topic, wanted, { groupPrefix: 'reconciler-resync' });
  }

  /** Publishes messages again, as they were, with the replay marker; 500 at a time. */
  private async sendAsReplay(
    topic: string,
    messages: { key: string | null; value: Buffer | null; headers: Record<string, string> }[],
  ): Promise<void> {
    const replayedAt = new Date().toISOString();
    for (let start = 0; start < messages.length; start += 500) {
      await this.kafka.producer.send(
        topic,
        messages.slice(start, start + 500).map((message) => ({
          key: message.key,
          value: message.value,
          headers: { ...message.headers, [HEADERS.replay]: replayedAt },
        })),
      );
    }
  }

  /** Replays the orders' events in their original order, each marked as a replay. */
  private async replay(orders: { partition: number; offsets: string[] }[]): Promise<number> {
    const topic = this.kafka.topics.newstoreEvents;
    const read = await this.readAt(topic, orders);
    // The projection also records the copies an earlier resync produced: each event goes once.
    const seen = new Set<string>();
    const messages = read.filter((message) => {
      const eventId = message.headers[HEADERS.eventId];
      if (eventId === undefined) return true;
      if (seen.has(eventId)) return false;
      seen.add(eventId);
      return true;
    });
    await this.sendAsReplay(topic, messages);
    this.metrics.resynced.inc({ action: 'event-replayed' }, messages.length);
    return messages.length;
  }

  /** An order NewStore has and the hub never received: its opening event, rebuilt from GraphQL. */
  private async inject(tenant: string, orderId: string): Promise<boolean> {
    const order = await this.graphQlOrder(tenant, orderId);
    if (!order) return false;
    await this.send(orderId, openingEventFromGraphQl(tenant, order), 'order-injected');
    return true;
  }

  /** Items NewStore shows cancelled whose cancellation never reached the hub: the event, rebuilt from GraphQL. */
  private async injectCancellation(tenant: string, orderId: string): Promise<boolean> {
    const order = await this.graphQlOrder(tenant, orderId);
    const event = order && cancellationEventFromGraphQl(tenant, order, new Date());
    if (!event) return false;
    await this.send(orderId, event, 'cancellation-injected');
    return true;
  }

  private async graphQlOrder(tenant: string, orderId: string) {
    const order = await retryTemporary(() => this.newStore.order(tenant, orderId), {
      attempts: this.config.RECONCILER_READ_ATTEMPTS,
      baseMs: this.config.RECONCILER_RETRY_BASE_MS,
    });
    if (!order) {
      this.logger.warn({ tenant, orderId }, 'order not found in NewStore GraphQL; nothing to inject');
      this.metrics.resynced.inc({ action: 'not-found' });
    }
    return order;
  }

  /** Sends an event rebuilt from GraphQL to newstore.events.v1, marked as a replay from GraphQL. */
  private async send(orderId: string, envelope: NewStoreEnvelope, action: string): Promise<void> {
    const prepared = prepareEventRecord(Buffer.from(JSON.stringify(envelope)), {
      receivedAt: new Date(),
      contentType: 'application/json',
    });
    if (!prepared.ok)
      throw new Error(`order ${orderId} from GraphQL makes no valid event: ${JSON.stringify(prepared.problems)}`);
    const { record } = prepared;
    await this.kafka.producer.send(this.kafka.topics.newstoreEvents, [
      {
        key: record.key,
        value: record.value,
        headers: { ...record.headers, [HEADERS.replay]: new Date().toISOString(), 'resync-source': 'newstore-graphql' },
      },
    ]);
    this.metrics.resynced.inc({ action });
  }

  /** ERP records duplicating a document: deleted only when configured, and never the hub's own. */
  private async duplicate(discrepancy: DiscrepancyRow, summary: ResyncSummary): Promise<void> {
    if (!this.config.RECONCILER_RESYNC_DELETE_DUPLICATES || !discrepancy.documentType) {
      summary.manual.push({ kind: discrepancy.kind, orderId: discrepancy.orderId, detail: discrepancy.detail });
      this.metrics.resynced.inc({ action: 'manual' });
      return;
    }
    const ours = (await this.orders.hubErpIds([discrepancy.subject])).get(discrepancy.subject);
    if (!ours) {
      summary.manual.push({
        kind: discrepancy.kind,
        orderId: discrepancy.orderId,
        detail: `${discrepancy.detail}; the hub does not know which record is its own`,
      });
      return;
    }
    // The projection may be behind the ERP (a record the hub posted since, a resync in between): unless
    // the hub's own record is among the ones found, none of them is known to be a duplicate of it.
    if (!discrepancy.erpInternalIds.includes(ours)) {
      summary.manual.push({
        kind: discrepancy.kind,
        orderId: discrepancy.orderId,
        detail: `${discrepancy.detail}; the hub's own record ${ours} is not among them: nothing deleted, run the reconciliation again`,
      });
      this.metrics.resynced.inc({ action: 'manual' });
      return;
    }
    for (const internalId of discrepancy.erpInternalIds.filter((id) => id !== ours)) {
      await this.erps.erpOf(discrepancy.tenant).deleteTransaction(discrepancy.documentType, internalId);
      summary.duplicatesDeleted.push(internalId);
      this.metrics.resynced.inc({ action: 'duplicate-deleted' });
      this.logger.warn(
        { orderId: discrepancy.orderId, externalId: discrepancy.externalId, internalId, kept: ours },
        'ERP duplicate deleted',
      );
    }
  }
}
