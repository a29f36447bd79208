import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import { orderHref } from '../reports/report-html';
import { actorOf, postedForm, send } from '../reports/report-http';
import { OrderReads } from '../reconciliation/order-reads.repository';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { Resync, ResyncSource } from '../resync/resync';
import { OperatorActions } from './operator-actions.repository';
import { expectedLines } from '@hub/reconciliation';
import { SALE_DOCUMENT_TYPES } from '@hub/contracts';
import { ERP_PORTS, NEWSTORE_CLIENT } from '../reconciler.tokens';
import type { NewStoreOrders } from '@hub/newstore';
import { todaysSaleLines } from './todays-sale';
import type { ErpPorts } from '../reconciler-connections';
import {
  describeResync,
  RecordDryRun,
  renderOrderNotFound,
  renderOrderPage,
  renderOrderResyncConfirm,
  renderOrderResyncDone,
} from './order-page';
import { OrderStory } from './order-story';

const AMOUNT_KINDS = ['amount_mismatch', 'line_mismatch', 'refund_amount_mismatch'];

/**
 * One order as web pages, behind the admin token like the reports: the search
 * (`/reports/orders?q=`), the order's story (`/reports/orders/{id}`), and its resync
 * (`/reports/orders/{id}/resync.html`: GET shows what it will do and asks, POST does it
 * and records who did it).
 */
@Controller('reports/orders')
@UseGuards(AdminTokenGuard)
export class OrderPagesController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants'>,
    @Inject(OrderStory) private readonly story: OrderStory,
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(OrderReads) private readonly orders: OrderReads,
    @Inject(OperatorActions) private readonly actions: OperatorActions,
    @Inject(Resync) private readonly resyncer: Resync,
    @Inject(ERP_PORTS) private readonly erps: ErpPorts,
    @Inject(NEWSTORE_CLIENT) private readonly newStore: NewStoreOrders,
  ) {}

  private tenant(requested: string | undefined): string {
    return tenantOfRequest(this.connections.tenants, requested);
  }

  /** The search box's answer: the order's page, or a page that says nothing was found. */
  @Get()
  async search(@Res() reply: FastifyReply, @Query('q') q?: string, @Query('tenant') requested?: string) {
    const tenant = this.tenant(requested);
    const id = (q ?? '').trim();
    const order = id ? await this.orders.findOrder(tenant, id) : undefined;
    if (order) {
      await reply.status(303).header('location', orderHref(order.orderId, tenant)).send();
      return;
    }
    const nonce = randomBytes(16).toString('base64');
    await send(reply, nonce, renderOrderNotFound({ tenant, id, nonce }), 404);
  }

  @Get(':id')
  async order(@Param('id') id: string, @Res() reply: FastifyReply, @Query('tenant') requested?: string) {
    const tenant = this.tenant(requested);
    const nonce = randomBytes(16).toString('base64');
    const view = await this.story.of(tenant, id).catch((error: unknown) => {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    });
    if (!view) return send(reply, nonce, renderOrderNotFound({ tenant, id, nonce }), 404);
    await send(reply, nonce, renderOrderPage(view, await this.actions.of(tenant, view.order.orderId), nonce));
  }

  @Get(':id/resync.html')
  async confirmResync(@Param('id') id: string, @Res() reply: FastifyReply, @Query('tenant') requested?: string) {
    const tenant = this.tenant(requested);
    const nonce = randomBytes(16).toString('base64');
    const order = await this.orders.findOrder(tenant, id);
    if (!order) return send(reply, nonce, renderOrderNotFound({ tenant, id, nonce }), 404);
    const open = (await this.repository.orderDiscrepancies(tenant, order.orderId)).filter((row) => !row.resolvedAt);
    const html = renderOrderResyncConfirm({
      tenant,
      orderId: order.orderId,
      open,
      records: await this.dryRun(tenant, order.orderId),
      action: `/reports/orders/${encodeURIComponent(order.orderId)}/resync.html`,
      back: orderHref(order.orderId, tenant),
      nonce,
    });
    await send(reply, nonce, html);
  }

  @Post(':id/resync.html')
  @HttpCode(200)
  async resync(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    const form = postedForm(request, body);
    const actor = actorOf(form);
    const tenant = this.tenant(typeof form.tenant === 'string' ? form.tenant : undefined);
    const source = sourceOf(form.source);
    const order = await this.orders.findOrder(tenant, id);
    if (!order)
      throw new NotFoundException({ error: 'unknown order', message: `no order "${id}" of tenant ${tenant}` });
    const open = (await this.repository.orderDiscrepancies(tenant, order.orderId)).filter((row) => !row.resolvedAt);
    const overwrites = open.filter((row) => AMOUNT_KINDS.includes(row.kind));
    if (overwrites.length > 0 && form.confirmAmounts !== 'yes')
      throw new BadRequestException({
        error: 'amounts not confirmed',
        message: `this resync writes over amounts the ERP holds (${overwrites.map((row) => `${row.externalId ?? row.subject}: ${row.found} → ${row.expected}`).join('; ')}): tick the box that names them`,
      });
    // One pass over every day with an open discrepancy of the order (its records written once), or, with
    // none open, its records written again.
    const summary = await this.resyncer.run({
      tenant,
      businessDates: open.map((row) => row.businessDate),
      orderIds: [order.orderId],
      source,
    });
    const writes = source === 'stored' ? 'the documents as built' : 'enriched from NewStore today';
    await this.actions.record({
      tenant,
      orderId: order.orderId,
      actor,
      action: 'resync',
      what:
        open.length === 0
          ? `the order's records (${writes})`
          : `${open.map((row) => row.kind).join(', ')}${overwrites.length ? `; amounts confirmed: ${overwrites.map((row) => `${row.found} → ${row.expected}`).join(', ')}` : ''}; wrote ${writes}`,
      outcome: describeResync(summary),
    });
    const nonce = randomBytes(16).toString('base64');
    const html = renderOrderResyncDone({
      tenant,
      orderId: order.orderId,
      summary,
      back: orderHref(order.orderId, tenant),
      nonce,
    });
    await send(reply, nonce, html, summary.failed.length > 0 ? 502 : 200);
  }

  /**
   * Each of the order's records with lines: as the hub built them, against the ERP's now (read
   * live; a failed read is said), and for the sale, as NewStore would make it today.
   */
  private async dryRun(tenant: string, orderId: string): Promise<RecordDryRun[]> {
    const erp = this.erps.erpOf(tenant);
    const documents = await this.orders.documentLines(tenant, orderId);
    const today = documents.some((document) => SALE_DOCUMENT_TYPES.includes(document.documentType))
      ? await this.newStore.order(tenant, orderId).then(
          (order) => todaysSaleLines(tenant, order),
          (error: unknown) =>
            `NewStore could not be read now (${error instanceof Error ? error.message : String(error)})`,
        )
      : undefined;
    return Promise.all(
      documents.map(async (document) => {
        let now: RecordDryRun['erp'];
        try {
          now = erp.readRecord
            ? ((await erp.readRecord(document.documentType, document.externalId))?.lines ?? null)
            : 'this ERP adapter cannot read a record';
        } catch (error) {
          now = error instanceof Error ? error.message : String(error);
        }
        return {
          documentType: document.documentType,
          externalId: document.externalId,
          hub: expectedLines(document.lines, document.closings),
          erp: now,
          ...(SALE_DOCUMENT_TYPES.includes(document.documentType) && today !== undefined
            ? { today: typeof today === 'string' ? today : expectedLines(today, document.closings) }
            : {}),
        };
      }),
    );
  }
}

/** The form's choice of what the resync writes: NewStore today unless it says `stored`; anything else is refused. */
function sourceOf(value: unknown): ResyncSource {
  if (value === undefined || value === 'newstore') return 'newstore';
  if (value === 'stored') return 'stored';
  throw new BadRequestException({
    error: 'unknown source',
    message: 'choose what the resync writes: "newstore" (enriched from NewStore today) or "stored" (as built)',
  });
}
