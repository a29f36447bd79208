import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import { OrderStory, OrderStoryView } from './order-story';

/** GET /admin/orders/{id}: one order's whole story (documented at /admin/openapi.json). */
@Controller('admin')
export class OrdersController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants'>,
    @Inject(OrderStory) private readonly story: OrderStory,
  ) {}

  @Get('orders/:id')
  @UseGuards(AdminTokenGuard)
  async order(@Param('id') id: string, @Query('tenant') tenant?: string): Promise<OrderStoryView> {
    return this.story.of(tenantOfRequest(this.connections.tenants, tenant), id);
  }
}
