import { HEADERS } from '@hub/contracts';
import { ConsumedMessage, DelayRetryTopics, KafkaInfrastructure, sendToDeadLetters } from '@hub/kafka';
import { deriveEventKey, parseEnvelope } from '@hub/newstore';
import { InjectConfig, ServiceRuntime } from '@hub/platform';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { EnricherConfig } from './enricher.config';
import { EnricherMetrics } from './enricher.metrics';
import { EnricherStateRepository } from './enricher-state.repository';
import { EnrichOutcome, EventEnricher } from './event-enricher';

/**
 * What the enricher does with each message of its two subscriptions
 * ({@link EnricherEventsController}):
 *  - main (newstore.events.v1): duplicates dropped by event id; an event whose order
 *    has an event in retry is parked behind it; otherwise enriched now, or sent to the
 *    first delay tier (offset committed), or dead-lettered with its reason;
 *  - retry (enricher.retry.<delay>ms.v1, one topic per tier): a partition pauses until
 *    its head message is due (no busy loop, no long sleep in a handler); then the event
 *    is tried again and moves to the next tier or the DLQ; when the head of an order
 *    is done, its parked events are released in arrival order.
 */
@Injectable()
export class EnrichmentFlow {
  private readonly logger: Logger;

  constructor(
    @InjectConfig() private readonly config: Pick<EnricherConfig, 'ENRICHER_DEDUP'>,
    @Inject(KafkaInfrastructure) private readonly kafka: Pick<KafkaInfrastructure, 'producer' | 'topics'>,
    @Inject(DelayRetryTopics) private readonly retries: DelayRetryTopics,
    @Inject(EnricherStateRepository) private readonly state: EnricherStateRepository,
    @Inject(EventEnricher) private readonly enricher: EventEnricher,
    @Inject(EnricherMetrics) private readonly metrics: EnricherMetrics,
    @Inject(ServiceRuntime) runtime: Pick<ServiceRuntime, 'logger'>,
  ) {
    this.logger = runtime.logger.child({ context: 'enricher' });
  }

  private orderKey(message: Pick<ConsumedMessage, 'key' | 'value'>): string {
    if (message.key) return message.key;
    const parsed = message.value ? parseEnvelope(message.value) : undefined;
    return parsed?.ok ? deriveEventKey(parsed.envelope).key : 'unknown';
  }

  async onEvent(message: ConsumedMessage): Promise<void> {
    const eventId = message.headers[HEADERS.eventId];
    const orderKey = this.orderKey(message);
    const replay = message.headers[HEADERS.replay] !== undefined;
    if (this.config.ENRICHER_DEDUP && eventId && !replay && (await this.state.isProcessed(eventId))) {
      this.enricher.count(message.headers, 'duplicate');
      this.logger.info({ eventId, orderId: orderKey }, 'duplicate event skipped');
      return;
    }
    // Most orders have no event in retry: one shared lookup answers that without the order's lock.
    const retrying = await this.state.hasRetrying(orderKey);
    if (
      retrying &&
      message.value &&
      (await this.state.parkIfRetrying(orderKey, eventId, message.value, message.headers))
    ) {
      this.enricher.count(message.headers, 'parked');
      // A release cut short before its new head's retry message was sent is finished here.
      await this.releaseParked(orderKey, eventId ?? 'unknown');
      return;
    }
    const outcome = await this.enricher.enrich(message.value, message.headers);
    if (outcome.kind === 'retry') {
      // Mark the order first: once the retry message exists, its consumer may release the
      // key at any moment, and a mark written after that would block the order for ever.
      // A failed send or a crash between the two redelivers this message, which
      // parkIfRetrying lets through (it is the marked head).
      await this.state.startRetrying(orderKey, eventId ?? 'unknown');
      await this.sendToTier(0, orderKey, message.value, message.headers, outcome.reason, new Date().toISOString());
      return;
    }
    await this.settle(message, orderKey, message.value, message.headers, outcome);
    // The marked head itself ended here (its retry message was never sent, or the process
    // died before the offset was committed): no retry message will release the order, so
    // this is where its mark is cleared and what was parked behind it goes on.
    if (retrying && eventId) await this.releaseParked(orderKey, eventId);
  }

  async onRetry(message: ConsumedMessage): Promise<void> {
    this.retries.throwIfNotDue(message);
    const orderKey = this.orderKey(message);
    const tier = this.retries.tierOf(message);
    const outcome = await this.enricher.enrich(message.value, message.headers);
    if (outcome.kind === 'retry') {
      const firstSeen = message.headers[HEADERS.firstSeenAt] ?? new Date().toISOString();
      if (tier + 1 < this.retries.tierCount) {
        await this.sendToTier(tier + 1, orderKey, message.value, message.headers, outcome.reason, firstSeen);
        return;
      }
      await this.settle(message, orderKey, message.value, message.headers, {
        kind: 'dead',
        reason: `still not ready after ${this.retries.tierCount} retries: ${outcome.reason}`,
      });
    } else {
      await this.settle(message, orderKey, message.value, message.headers, outcome);
    }
    await this.releaseParked(orderKey, message.headers[HEADERS.eventId] ?? 'unknown');
  }

  /**
   * Releases the events parked behind an order's head, in arrival order, until one
   * needs a retry itself, when `endedEventId` (just enriched, skipped or dead-lettered)
   * may release the order ({@link EnricherStateRepository.mayRelease}): it is the
   * head, or an earlier release was cut short. A stale copy of an earlier head (sent
   * twice around a crash) releases nothing, so it cannot end a later event's retry.
   * One releaser per order at a time (a lock held across the whole release, across
   * instances), and the check is made again under that lock: two releasers could
   * otherwise emit one order's parked events out of order, or the second could release
   * events behind the new head the first had just sent to retry.
   */
  /**
   * Finishes what a head that ended left undone (issue 26: its release failed once, or
   * the process died between marking it processed and releasing): the sweep calls this
   * for each order whose mark waits for an event already processed.
   */
  async releaseStale(orderKey: string, headEventId: string): Promise<void> {
    await this.releaseParked(orderKey, headEventId);
  }

  private async releaseParked(orderKey: string, endedEventId: string): Promise<void> {
    if (!(await this.state.mayRelease(orderKey, endedEventId))) return;
    await this.state.whileReleasing(orderKey, async () => {
      if (!(await this.state.mayRelease(orderKey, endedEventId))) return;
      for (;;) {
        const parked = await this.state.nextParked(orderKey);
        if (!parked) {
          if (await this.state.finishRetrying(orderKey)) return;
          continue;
        }
        const outcome = await this.enricher.enrich(parked.value, parked.headers);
        if (outcome.kind === 'retry') {
          // It becomes the order's new head in retry; the key stays in retry.
          await this.state.setRetryHead(orderKey, parked.headers[HEADERS.eventId] ?? 'unknown');
          await this.sendToTier(0, orderKey, parked.value, parked.headers, outcome.reason, new Date().toISOString());
          await this.state.removeParked(parked.seq);
          return;
        }
        await this.settle(
          { topic: 'enricher.parked_events', partition: 0, offset: parked.seq },
          orderKey,
          parked.value,
          parked.headers,
          outcome,
        );
        await this.state.removeParked(parked.seq);
      }
    });
  }

  private async settle(
    /** Where the event was read from, for the dead letter's `dlq-source`. */
    source: Pick<ConsumedMessage, 'topic' | 'partition' | 'offset'>,
    orderKey: string,
    value: Buffer | null,
    headers: Record<string, string>,
    outcome: Exclude<EnrichOutcome, { kind: 'retry' }>,
  ) {
    if (outcome.kind === 'dead') {
      await sendToDeadLetters(
        this.kafka.producer,
        this.kafka.topics.enricherDlq,
        { topic: source.topic, partition: source.partition, offset: source.offset, key: orderKey, value, headers },
        outcome.reason,
        headers[HEADERS.eventId],
      );
      this.logger.warn(
        { orderId: orderKey, eventId: headers[HEADERS.eventId], reason: outcome.reason },
        'event dead-lettered',
      );
    }
    this.enricher.count(headers, outcome.kind === 'dead' ? 'dead-lettered' : outcome.kind);
    const eventId = headers[HEADERS.eventId];
    if (eventId) await this.state.markProcessed(eventId, orderKey, outcome.kind);
  }

  private async sendToTier(
    tier: number,
    orderKey: string,
    value: Buffer | null,
    headers: Record<string, string>,
    reason: string,
    firstSeen: string,
  ) {
    const attempt = tier + 1;
    await this.retries.send(tier, orderKey, value, headers, reason, firstSeen);
    this.metrics.retryDepth.inc({ tier: String(this.retries.delayOf(tier)) });
    this.enricher.count(headers, 'retried');
    this.logger.info(
      { orderId: orderKey, eventId: headers[HEADERS.eventId], attempt, reason },
      'event sent to delay retry',
    );
  }
}
