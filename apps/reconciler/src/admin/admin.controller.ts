import { NewStoreError } from '@hub/newstore-graphql';
import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Res,
  UseGuards,
  HttpException,
  HttpStatus,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ADMIN_OPENAPI } from './admin-openapi';
import { dateField, periodBody, reconcileBody, resyncBody } from './admin-requests';
import { AdminTokenGuard } from './admin-token.guard';
import { EventStreamWatchdog, WatchdogRefusal } from '../event-stream/event-stream-watchdog';
import { DailyReconciliation } from '../reconciliation/daily-reconciliation';
import { PeriodError, PeriodReconciliation } from '../reconciliation/period-reconciliation';
import { Projector } from '../projections/projector';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository';
import { Resync } from '../resync/resync';
import { discrepanciesCsv, textSummary } from '../reports/report-format';

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value ?? {});
  if (!parsed.success)
    throw new BadRequestException({
      error: 'invalid request',
      message: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
    });
  return parsed.data;
}

/** Reconciliation, reports, resync and rebuild over HTTP (documented at /admin/openapi.json). */
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants'>,
    @Inject(DailyReconciliation) private readonly reconciliation: DailyReconciliation,
    @Inject(PeriodReconciliation) private readonly periods: PeriodReconciliation,
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(Resync) private readonly resyncer: Resync,
    @Inject(Projector) private readonly projector: Projector,
    @Inject(EventStreamWatchdog) private readonly watchdog: EventStreamWatchdog,
  ) {}

  private tenant(requested: string | undefined): string {
    return tenantOfRequest(this.connections.tenants, requested);
  }

  @Get('openapi.json')
  openapi() {
    return ADMIN_OPENAPI;
  }

  @Post('reconciliations')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async reconcile(@Body() body: unknown) {
    const request = parse(reconcileBody, body);
    const tenant = this.tenant(request.tenant);
    const runs = await this.reconciliation.runRange(
      tenant,
      request.date ?? request.from!,
      request.date ?? request.to!,
      'api',
    );
    const failed = runs.filter((run) => run.status !== 'succeeded');
    if (failed.length > 0) {
      // A failed run is never an empty success: the caller sees the error and why.
      throw new HttpException(
        {
          error: 'reconciliation failed',
          message: failed.map((run) => `${run.businessDate}: ${run.error ?? run.status}`).join('; '),
          runs,
        },
        HttpStatus.BAD_GATEWAY,
      );
    }
    return { runs };
  }

  /**
   * A month or a year from the stored daily extracts: days not stored are reconciled
   * now, one at a time. A day that could not be is never left out silently: 502 with
   * the report and the days missing.
   */
  @Post('reconciliations/periods')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async reconcilePeriod(@Body() body: unknown) {
    const request = parse(periodBody, body);
    const tenant = this.tenant(request.tenant);
    let report;
    try {
      report = await this.periods.run(tenant, (request.month ?? request.year)!, 'api');
    } catch (error) {
      if (error instanceof PeriodError)
        throw new BadRequestException({ error: 'invalid request', message: error.message });
      throw error;
    }
    if (report.status !== 'complete')
      throw new HttpException(
        {
          error: 'period incomplete',
          message: report.missing.map((day) => `${day.businessDate}: ${day.reason}`).join('; '),
          report,
        },
        HttpStatus.BAD_GATEWAY,
      );
    return report;
  }

  @Get('reconciliations')
  @UseGuards(AdminTokenGuard)
  async runs(@Query('tenant') tenant?: string, @Query('date') date?: string) {
    if (date) parse(dateField, date);
    return { runs: await this.repository.runs(tenant, date) };
  }

  @Get('reports/:date')
  @UseGuards(AdminTokenGuard)
  async report(
    @Param('date') date: string,
    @Res() reply: FastifyReply,
    @Query('tenant') requestedTenant?: string,
    @Query('format') format = 'json',
    @Query('include') include = 'open',
  ): Promise<void> {
    parse(dateField, date);
    const tenant = this.tenant(requestedTenant);
    if (!['json', 'csv', 'text'].includes(format))
      throw new BadRequestException({ error: 'invalid request', message: 'format: one of json, csv, text' });
    if (!['open', 'all'].includes(include))
      throw new BadRequestException({ error: 'invalid request', message: 'include: one of open, all' });
    const day = await this.repository.dayStatus(tenant, date);
    if (!day.lastSuccessfulRun) {
      const message = day.lastRun
        ? `no successful reconciliation of ${tenant} on ${date}: the last run ${day.lastRun.status}${day.lastRun.error ? ` (${day.lastRun.error})` : ''}; its parity is unknown`
        : `no reconciliation of ${tenant} on ${date} yet: POST /admin/reconciliations`;
      throw new HttpException(
        { error: 'parity unknown', message, run: day.lastRun },
        day.lastRun ? HttpStatus.CONFLICT : HttpStatus.NOT_FOUND,
      );
    }
    const discrepancies = await this.repository.discrepancies(tenant, date, { all: include === 'all' });
    if (format === 'csv') {
      await reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="discrepancies-${tenant}-${date}.csv"`)
        .send(discrepanciesCsv(discrepancies));
      return;
    }
    if (format === 'text') {
      await reply
        .header('content-type', 'text/plain; charset=utf-8')
        .send(textSummary(tenant, date, day, discrepancies));
      return;
    }
    await reply.send({
      tenant,
      businessDate: date,
      run: day.lastRun,
      lastSuccessfulRun: day.lastSuccessfulRun,
      discrepancies,
    });
  }

  @Get('eventstream')
  @UseGuards(AdminTokenGuard)
  eventStream() {
    return { integrations: this.watchdog.status() };
  }

  @Get('eventstream/:tenant/rejected')
  @UseGuards(AdminTokenGuard)
  async rejected(@Param('tenant') tenant: string) {
    return { rejected: await this.watchdogCall(() => this.watchdog.rejectedEvents(tenant)) };
  }

  @Post('eventstream/:tenant/rejected/:eventId/retry')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async retryRejected(@Param('tenant') tenant: string, @Param('eventId') eventId: string) {
    await this.watchdogCall(() => this.watchdog.retryRejected(tenant, rejectedEventId(eventId)));
    return { retried: eventId };
  }

  @Delete('eventstream/:tenant/rejected/:eventId')
  @HttpCode(204)
  @UseGuards(AdminTokenGuard)
  async deleteRejected(@Param('tenant') tenant: string, @Param('eventId') eventId: string) {
    await this.watchdogCall(() => this.watchdog.deleteRejected(tenant, rejectedEventId(eventId)));
  }

  @Post('eventstream/:tenant/start')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async startIntegration(@Param('tenant') tenant: string) {
    await this.watchdogCall(() => this.watchdog.restart(tenant));
    return { integrations: this.watchdog.status().filter((status) => status.tenant === tenant) };
  }

  /** A refused action is 409 with why; NewStore's own failure is 502 with its answer. */
  private async watchdogCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof WatchdogRefusal)
        throw new HttpException({ error: 'not now', message: error.message }, HttpStatus.CONFLICT);
      if (error instanceof NewStoreError)
        throw new HttpException({ error: 'newstore', message: error.message }, HttpStatus.BAD_GATEWAY);
      throw error;
    }
  }

  @Post('resync')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async resync(@Body() body: unknown) {
    const request = parse(resyncBody, body);
    const summary = await this.resyncer.run({
      tenant: this.tenant(request.tenant),
      businessDate: request.date,
      orderIds: request.orderIds,
      source: request.source,
    });
    // What the ERP or NewStore refused, after retries: 502 with everything that was done and what was not.
    if (summary.failed.length > 0) throw new HttpException(summary, HttpStatus.BAD_GATEWAY);
    return summary;
  }

  @Post('rebuild')
  @HttpCode(202)
  @UseGuards(AdminTokenGuard)
  rebuild() {
    void this.projector.rebuild();
    return this.projector.rebuildProgress;
  }

  @Get('rebuild')
  @UseGuards(AdminTokenGuard)
  rebuildProgress() {
    return this.projector.rebuildProgress;
  }
}

/**
 * A rejected event's id as NewStore's event-stream API names one: a path segment of
 * letters, digits, `-`, `_`, `:` and dots, never `.` or `..` alone, which would make the
 * hub call another URL of the integration API (`encodeURIComponent` leaves dots).
 */
export function rejectedEventId(eventId: string): string {
  if (!/^[A-Za-z0-9_:.-]{1,200}$/.test(eventId) || /^\.+$/.test(eventId))
    throw new HttpException(
      { error: 'bad-request', message: `"${eventId.slice(0, 80)}" is not an event id of NewStore's rejected events` },
      HttpStatus.BAD_REQUEST,
    );
  return eventId;
}
