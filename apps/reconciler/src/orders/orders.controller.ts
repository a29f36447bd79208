import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import { OperatorAction, OperatorActions } from './operator-actions.repository';
import { OrderStory, OrderStoryView } from './order-story';

/** GET /admin/orders/{id}: one order's whole story, and what operators did to it (documented at /admin/openapi.json). */
@Controller('admin')
export class OrdersController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants'>,
    @Inject(OrderStory) private readonly story: OrderStory,
    @Inject(OperatorActions) private readonly actions: Pick<OperatorActions, 'of'>,
  ) {}

  @Get('orders/:id')
  @UseGuards(AdminTokenGuard)
  async order(
    @Param('id') id: string,
    @Query('tenant') requested?: string,
  ): Promise<OrderStoryView & { actions: Omit<OperatorAction, 'tenant' | 'orderId'>[] }> {
    const tenant = tenantOfRequest(this.connections.tenants, requested);
    const view = await this.story.of(tenant, id);
    const actions = await this.actions.of(tenant, view.order.orderId);
    return { ...view, actions: actions.map(({ tenant: _tenant, orderId: _orderId, ...action }) => action) };
  }
}
