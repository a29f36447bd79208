import { ConsumedMessage, HubKafkaContext } from '@hub/kafka';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { PROJECTIONS, Projector } from './projector';

/**
 * The projections' batch handler: each batch of one partition of a projected topic
 * is applied in one Postgres transaction with its offset (subscription in
 * {@link ReconcilerModule}; the rebuild stops and restarts it).
 */
@Controller()
export class ProjectionsController {
  constructor(@Inject(Projector) private readonly projector: Projector) {}

  @EventPattern(PROJECTIONS)
  async apply(@Payload() messages: ConsumedMessage[], @Ctx() context: HubKafkaContext): Promise<void> {
    await this.projector.apply(context.getTopic(), context.getPartition(), messages);
  }
}
