import { HEADERS } from '@hub/contracts';
import { KafkaInfrastructure, readOffsets } from '@hub/kafka';
import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { OrderPath, OrderReads, ProjectedOrder } from '../reconciliation/order-reads.repository';
import { DiscrepancyRow, ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { EventEnrichment, eventEnrichments } from './event-enrichment';

/** One event of the order as it is on newstore.events.v1. */
export interface StoryEvent {
  partition: number;
  offset: string;
  /** When Kafka took it (ISO 8601). */
  at: string;
  name: string | null;
  eventId: string | null;
  /** Another copy of an event already on the topic (NewStore resends; the enricher skips it). */
  duplicate: boolean;
  /** Where the enricher is with it (null for a copy): documents made, retries with tier and reason, parked, dead-lettered. */
  enrichment: EventEnrichment | null;
}

/** Everything the hub knows of one order, from the topics and the projections. */
export interface OrderStoryView {
  tenant: string;
  order: ProjectedOrder;
  events: StoryEvent[];
  documents: OrderPath['documents'];
  deadLetters: OrderPath['deadLetters'];
  discrepancies: { open: DiscrepancyRow[]; resolved: DiscrepancyRow[] };
}

/**
 * "Where is order X?" in one answer: the order's events as they are on the raw topic
 * (read at the offsets the projection recorded), each with its enrichment outcome (its
 * retries with tier and reason, parked behind another, dead-lettered, documents made),
 * each ERP document with its outcome
 * (status, ERP internal id, attempts, last error), its dead letters, and every
 * discrepancy the reconciliation found for it, open and resolved (with the resync
 * requested for each).
 */
@Injectable()
export class OrderStory {
  constructor(
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(OrderReads) private readonly orders: OrderReads,
    @Inject(KafkaInfrastructure) private readonly kafka: Pick<KafkaInfrastructure, 'kafka' | 'topics'>,
  ) {}

  async of(tenant: string, id: string): Promise<OrderStoryView> {
    const order = await this.orders.findOrder(tenant, id);
    if (!order)
      throw new NotFoundException({
        error: 'unknown order',
        message: `no order "${id}" of tenant ${tenant} in the projections: give a NewStore order id, an order number or the external id of one of its ERP documents`,
      });
    const path = (await this.orders.orderPaths(tenant, [order.orderId])).get(order.orderId)!;
    const discrepancies = await this.repository.orderDiscrepancies(tenant, order.orderId);
    const events = path.events ? await this.events(path.events.partition, path.events.offsets) : [];
    const enrichments = eventEnrichments(events, path, new Date());
    return {
      tenant,
      order,
      events: events.map((event) => ({
        ...event,
        enrichment: (!event.duplicate && event.eventId && enrichments.get(event.eventId)) || null,
      })),
      documents: path.documents,
      deadLetters: path.deadLetters,
      discrepancies: {
        open: discrepancies.filter((discrepancy) => !discrepancy.resolvedAt),
        resolved: discrepancies.filter((discrepancy) => discrepancy.resolvedAt),
      },
    };
  }

  private async events(partition: number, offsets: string[]): Promise<Omit<StoryEvent, 'enrichment'>[]> {
    const messages = await readOffsets(
      this.kafka.kafka,
      this.kafka.topics.newstoreEvents,
      new Map([[partition, new Set(offsets)]]),
      {
        groupPrefix: 'reconciler-order-story',
      },
    );
    const seen = new Set<string>();
    return messages.map((message) => {
      const eventId = message.headers[HEADERS.eventId] ?? null;
      const duplicate = eventId !== null && seen.has(eventId);
      if (eventId) seen.add(eventId);
      return {
        partition: message.partition,
        offset: message.offset,
        at: new Date(Number(message.timestamp)).toISOString(),
        name: message.headers[HEADERS.eventName] ?? null,
        eventId,
        duplicate,
      };
    });
  }
}
