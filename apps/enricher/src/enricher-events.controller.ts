import { ConsumedMessage } from '@hub/kafka';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EnrichmentFlow } from './enrichment-flow';

/** newstore.events.v1, the event store. */
export const NEWSTORE_EVENTS = 'newstore-events';
/** enricher.retry.<delay>ms.v1, one topic per delay tier. */
export const ENRICHER_RETRY = 'enricher-retry';

/**
 * The enricher's Kafka handlers (subscriptions in {@link EnricherModule}). Each
 * resolves once its outcome is durable (a document produced, a retry message sent,
 * a dead letter written); a throw leaves the offset uncommitted and the transport
 * retries the same message.
 */
@Controller()
export class EnricherEventsController {
  constructor(@Inject(EnrichmentFlow) private readonly flow: EnrichmentFlow) {}

  @EventPattern(NEWSTORE_EVENTS)
  async onEvent(@Payload() message: ConsumedMessage): Promise<void> {
    await this.flow.onEvent(message);
  }

  /** Throws "not due yet" until the head message's delay has passed: the transport pauses the partition exactly that long. */
  @EventPattern(ENRICHER_RETRY)
  async onRetry(@Payload() message: ConsumedMessage): Promise<void> {
    await this.flow.onRetry(message);
  }
}
