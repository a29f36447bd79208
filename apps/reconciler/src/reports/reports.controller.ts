import { addDays, assertBusinessDate, businessDateOf } from '@hub/reconciliation';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  Headers,
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
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminTokenGuard } from '../admin/admin-token.guard';
import { reportSessionCookie, SignInAttempts } from './report-session';
import { ReconcilerConnections, tenantOfRequest } from '../reconciler-connections';
import {
  DayStatus,
  DiscrepancyRow,
  ReconciliationRepository,
  RunRow,
} from '../reconciliation/reconciliation.repository';
import { HtmlReport, renderLogin, renderReport, renderResyncConfirm, renderResyncDone } from './report-html';
import { Resync } from '../resync/resync';
import { OrderReads } from '../reconciliation/order-reads.repository';
import { postedForm, send } from './report-http';

/** How many days the parity chart of a day's report shows. */
const HISTORY_DAYS = 30;
/** Orders whose path is shown in full; the list goes on without it beyond. */
const PATHS_SHOWN = 500;

const DAY_PAGE = /^(\d{4}-\d{2}-\d{2})\.html$/;
const MONTH_PAGE = /^(\d{4}-\d{2})\.html$/;

/**
 * The parity report as web pages, behind the admin token like the rest of the admin
 * API: `/reports/{date}.html` and `/reports/{month}.html`, and the resync's
 * confirmation step (`/reports/{date}/resync.html`: GET asks, POST does what
 * `POST /admin/resync` does for the day).
 */
@Controller('reports')
@UseGuards(AdminTokenGuard)
export class ReportsController {
  constructor(
    @Inject(ReconcilerConnections) private readonly connections: Pick<ReconcilerConnections, 'tenants' | 'timeZoneOf'>,
    @Inject(ReconciliationRepository) private readonly repository: ReconciliationRepository,
    @Inject(OrderReads) private readonly orders: OrderReads,
    @Inject(Resync) private readonly resyncer: Resync,
  ) {}

  private tenant(requested: string | undefined): string {
    return tenantOfRequest(this.connections.tenants, requested);
  }

  @Get(':page')
  async report(@Param('page') name: string, @Res() reply: FastifyReply, @Query('tenant') requested?: string) {
    const tenant = this.tenant(requested);
    const day = DAY_PAGE.exec(name)?.[1];
    const month = MONTH_PAGE.exec(name)?.[1];
    if (!day && !month)
      throw new NotFoundException({
        error: 'no such report',
        message: `"${name}": ask for /reports/YYYY-MM-DD.html (a day) or /reports/YYYY-MM.html (a month)`,
      });
    const nonce = randomBytes(16).toString('base64');
    const report = day
      ? await this.dayReport(tenant, validDate(day), nonce)
      : await this.monthReport(tenant, month!, nonce);
    await send(reply, nonce, renderReport(report));
  }

  @Get(':date/resync.html')
  async confirmResync(@Param('date') date: string, @Res() reply: FastifyReply, @Query('tenant') requested?: string) {
    const tenant = this.tenant(requested);
    validDate(date);
    const nonce = randomBytes(16).toString('base64');
    const open = await this.repository.discrepancies(tenant, date);
    await send(
      reply,
      nonce,
      renderResyncConfirm({
        tenant,
        date,
        open,
        action: `/reports/${date}/resync.html`,
        back: dayHref(date, tenant),
        nonce,
      }),
    );
  }

  @Post(':date/resync.html')
  @HttpCode(200)
  async resync(
    @Param('date') date: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ) {
    validDate(date);
    const form = postedForm(request, body);
    const tenant = this.tenant(typeof form.tenant === 'string' ? form.tenant : undefined);
    const summary = await this.resyncer.run({ tenant, businessDate: date });
    const nonce = randomBytes(16).toString('base64');
    const html = renderResyncDone({ tenant, date, summary, back: dayHref(date, tenant), nonce });
    await send(reply, nonce, html, summary.failed.length > 0 ? 502 : 200);
  }

  /** What both pages show: parity and amount delta per day, the open list with each order's path. */
  private async chartsAndList(
    tenant: string,
    history: { businessDate: string; run: RunRow | null }[],
    open: DiscrepancyRow[],
  ): Promise<Pick<HtmlReport, 'history' | 'open' | 'paths' | 'now'>> {
    return {
      history: history.map((day) => ({
        businessDate: day.businessDate,
        parityRatio: day.run?.parityRatio ?? null,
        amountDelta: day.run?.amountDelta ?? null,
      })),
      open,
      paths: await this.orders.orderPaths(tenant, [...new Set(open.map((row) => row.orderId))].slice(0, PATHS_SHOWN)),
      now: new Date(),
    };
  }

  private async dayReport(tenant: string, date: string, nonce: string): Promise<HtmlReport> {
    const status = await this.repository.dayStatus(tenant, date);
    const history = await this.repository.parityHistory(tenant, addDays(date, 1 - HISTORY_DAYS), date);
    const open = status.lastSuccessfulRun ? await this.repository.discrepancies(tenant, date) : [];
    const run = status.lastSuccessfulRun;
    return {
      tenant,
      period: date,
      headline: dayHeadline(tenant, date, status),
      figures: run
        ? [
            { label: 'parity', value: `${((run.parityRatio ?? 0) * 100).toFixed(2)} %` },
            { label: 'open discrepancies', value: String(run.openDiscrepancies ?? 0) },
            { label: 'resolved discrepancies', value: String(run.resolvedDiscrepancies ?? 0) },
            { label: 'amount delta', value: String(run.amountDelta ?? 0) },
            { label: 'NewStore orders', value: String(run.newstoreOrders ?? 0) },
            { label: 'hub orders', value: String(run.hubOrders ?? 0) },
            { label: 'hub documents', value: String(run.hubDocuments ?? 0) },
            { label: 'ERP transactions', value: String(run.erpTransactions ?? 0) },
            { label: 'run', value: `${run.id}, ${run.trigger}, ${run.finishedAt ?? run.startedAt}` },
          ]
        : [],
      ...(await this.chartsAndList(tenant, history, open)),
      nonce,
      resyncHref: `/reports/${date}/resync.html?tenant=${encodeURIComponent(tenant)}`,
      links: [
        { label: `month ${date.slice(0, 7)}`, href: monthHref(date.slice(0, 7), tenant) },
        { label: 'previous day', href: dayHref(addDays(date, -1), tenant) },
        { label: 'next day', href: dayHref(addDays(date, 1), tenant) },
        { label: 'dead letters', href: `/reports/dead-letters/enricher?tenant=${encodeURIComponent(tenant)}` },
      ],
    };
  }

  private async monthReport(tenant: string, month: string, nonce: string): Promise<HtmlReport> {
    const first = validDate(`${month}-01`);
    const last = addDays(validDate(addMonth(first)), -1);
    const today = businessDateOf(new Date(), this.connections.timeZoneOf(tenant));
    const history = await this.repository.parityHistory(
      tenant,
      first,
      last < today ? last : today < first ? first : today,
    );
    const open = await this.repository.openDiscrepanciesBetween(tenant, first, last);
    const known = history.filter((day) => day.run);
    const unknown = history.length - known.length;
    const lowest = known.reduce<(typeof known)[number] | undefined>(
      (low, day) => (!low || (day.run!.parityRatio ?? 0) < (low.run!.parityRatio ?? 0) ? day : low),
      undefined,
    );
    const sum = (pick: (run: NonNullable<(typeof known)[number]['run']>) => number | null) =>
      known.reduce((total, day) => total + (pick(day.run!) ?? 0), 0);
    return {
      tenant,
      period: month,
      headline: [
        unknown > 0
          ? {
              tone: 'bad',
              text: `${unknown} of ${history.length} days have no successful reconciliation: their parity is UNKNOWN (${history
                .filter((day) => !day.run)
                .map((day) => day.businessDate)
                .join(', ')})`,
            }
          : { tone: 'ok', text: `Every one of the ${history.length} days so far has a successful reconciliation` },
        open.length > 0
          ? { tone: 'warn', text: `${open.length} discrepancies of the month are open` }
          : { tone: 'ok', text: 'No discrepancy of the month is open' },
      ],
      figures: [
        { label: 'days reconciled', value: `${known.length} of ${history.length}` },
        {
          label: 'lowest parity',
          value: lowest ? `${((lowest.run!.parityRatio ?? 0) * 100).toFixed(2)} % on ${lowest.businessDate}` : 'none',
        },
        { label: 'NewStore orders', value: String(sum((run) => run.newstoreOrders)) },
        { label: 'ERP transactions', value: String(sum((run) => run.erpTransactions)) },
        { label: 'open discrepancies', value: String(open.length) },
      ],
      ...(await this.chartsAndList(tenant, history, open)),
      nonce,
      links: history.map((day) => ({ label: day.businessDate.slice(8), href: dayHref(day.businessDate, tenant) })),
    };
  }
}

/**
 * Sign-in for a browser, which cannot send the bearer header by itself: the token,
 * once, opens a session (ReportSessions) kept in a cookie (HttpOnly,
 * SameSite=Strict, Path=/reports, 8 hours) that the admin guard accepts on the
 * report pages only. The token itself never reaches the browser's cookie jar.
 */
@Controller('reports')
export class ReportsLoginController {
  private readonly attempts = new SignInAttempts();

  constructor(@Inject(AdminTokenGuard) private readonly guard: AdminTokenGuard) {}

  @Get('login.html')
  async form(@Res() reply: FastifyReply, @Query('next') next?: string) {
    const nonce = randomBytes(16).toString('base64');
    await send(reply, nonce, renderLogin({ next: safeNext(next), failed: false, nonce }));
  }

  @Post('login.html')
  async signIn(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
    @Headers('x-forwarded-proto') proto?: string,
  ) {
    const form = (body ?? {}) as Record<string, unknown>;
    const token = typeof form.token === 'string' ? form.token : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const wait = this.attempts.waitSeconds(request.ip);
    if (wait > 0) {
      await reply
        .status(429)
        .header('retry-after', String(wait))
        .type('text/plain; charset=utf-8')
        .send(`Too many failed sign-ins from this address: try again in ${wait} s.`);
      return;
    }
    const session = this.guard.openSession(token);
    if (session === undefined) {
      this.attempts.failed(request.ip);
      const nonce = randomBytes(16).toString('base64');
      await send(reply, nonce, renderLogin({ next, failed: true, nonce }), 401);
      return;
    }
    await reply
      .status(303)
      .header('set-cookie', reportSessionCookie(session, proto === 'https'))
      .header('location', next)
      .send();
  }

  /** Sign-out: the cookie is removed (a copy of it stays valid until it expires or its token is removed). */
  @Post('logout.html')
  async signOut(@Res() reply: FastifyReply, @Headers('x-forwarded-proto') proto?: string) {
    await reply
      .status(303)
      .header('set-cookie', reportSessionCookie('', proto === 'https'))
      .header('location', '/reports/login.html')
      .send();
  }
}

/** Where to go after signing in: a report page of this service, never elsewhere. */
function safeNext(next: string | undefined): string {
  if (next && /^\/reports\/[\w.\-/?=&%]*$/.test(next)) return next;
  // Yesterday's report (UTC): the day the daily run reconciles.
  return `/reports/${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}.html`;
}

function dayHeadline(tenant: string, date: string, status: DayStatus): HtmlReport['headline'] {
  const { lastRun, lastSuccessfulRun } = status;
  if (!lastRun) return [{ tone: 'bad', text: `No reconciliation of ${tenant} on ${date} yet: its parity is UNKNOWN.` }];
  const lines: HtmlReport['headline'] = [];
  if (lastRun.status === 'failed')
    lines.push({ tone: 'bad', text: `The last run (${lastRun.id}) FAILED: ${lastRun.error ?? 'no reason recorded'}` });
  if (!lastSuccessfulRun) {
    lines.push({ tone: 'bad', text: 'No successful reconciliation of this day: its parity is UNKNOWN.' });
    return lines;
  }
  const open = lastSuccessfulRun.openDiscrepancies ?? 0;
  lines.push(
    open === 0
      ? { tone: 'ok', text: `Parity ${((lastSuccessfulRun.parityRatio ?? 0) * 100).toFixed(2)} %: nothing open.` }
      : {
          tone: 'warn',
          text: `Parity ${((lastSuccessfulRun.parityRatio ?? 0) * 100).toFixed(2)} %: ${open} discrepancies open.`,
        },
  );
  return lines;
}

function validDate(date: string): string {
  try {
    assertBusinessDate(date);
  } catch (error) {
    throw new BadRequestException({ error: 'invalid date', message: (error as Error).message });
  }
  return date;
}

/** The first day of the next month. */
function addMonth(firstOfMonth: string): string {
  const [year, month] = firstOfMonth.split('-').map(Number);
  return month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
}

const dayHref = (date: string, tenant: string) => `/reports/${date}.html?tenant=${encodeURIComponent(tenant)}`;
const monthHref = (month: string, tenant: string) => `/reports/${month}.html?tenant=${encodeURIComponent(tenant)}`;
