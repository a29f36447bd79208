import { DiscrepancyKind } from '@hub/contracts';
import { describeRetry, DISCREPANCY_DESCRIPTIONS, DISCREPANCY_KINDS } from '@hub/reconciliation';
import { escape } from 'html-escaper';
import type { ResyncSummary } from '../resync/resync';
import type { OrderPath } from '../reconciliation/order-reads.repository';
import type { DiscrepancyRow } from '../reconciliation/reconciliation.repository';

/**
 * The parity report as a web page for finance and support people: static HTML,
 * charts as inline SVG, no script at all. It is served with {@link reportCsp}:
 * nothing but the page's own nonce'd stylesheet and forms posting back to the
 * origin, so a page cannot load or send anything elsewhere.
 */
export interface HtmlReport {
  tenant: string;
  /** "2026-11-27" (a day) or "2026-11" (a month). */
  period: string;
  /** Lines of the headline: what the figures say, a failure or an unknown parity first. */
  headline: { tone: 'ok' | 'warn' | 'bad'; text: string }[];
  figures: { label: string; value: string }[];
  /** The 30 days up to the day, or the days of the month: parity and amount delta of the last successful run. */
  /** amountDelta exact (a decimal string); the chart draws it to scale. */
  history: { businessDate: string; parityRatio: number | null; amountDelta: string | null }[];
  open: DiscrepancyRow[];
  paths: Map<string, OrderPath>;
  now: Date;
  nonce: string;
  /** Where the resync button leads (a confirmation page); absent where no resync is offered. */
  resyncHref?: string;
  links: { label: string; href: string }[];
}

/** The Content-Security-Policy of every report page: the nonce'd stylesheet, forms back to the origin, nothing else. */
export function reportCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Open discrepancies by how long they have been open (first seen to now). */
export const AGE_BUCKETS = [
  { label: 'under 1 day', maxDays: 1 },
  { label: '1 to 3 days', maxDays: 3 },
  { label: '3 to 7 days', maxDays: 7 },
  { label: '7 days or more', maxDays: Infinity },
] as const;

export function ageBucket(firstSeenAt: string, now: Date): number {
  const days = (now.getTime() - Date.parse(firstSeenAt)) / 86_400_000;
  return AGE_BUCKETS.findIndex((bucket) => days < bucket.maxDays);
}

const STYLE = `
.sign-out { float: right; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #1d2433; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.headline p { margin: 4px 0; padding: 6px 10px; border-radius: 4px; }
.ok { background: #e6f4ea; } .warn { background: #fff4d6; } .bad { background: #fde7e7; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 6px 18px; }
dl.figures div { border-left: 3px solid #c9d1e0; padding-left: 8px; } dt { color: #5b6577; font-size: 12px; } dd { margin: 0; font-size: 16px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg text { font: 11px system-ui, sans-serif; fill: #404a5c; }
.parity { fill: #2f7d4f; } .parity.below { fill: #c9861a; } .unknown { fill: #c4c9d4; }
.delta { fill: #b3413a; } .kind { fill: #3b6bb5; } .age { fill: #7a52a8; } .axis { stroke: #9aa3b5; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #e3e7ee; }
th { background: #f3f5f9; } td ul { margin: 0; padding-left: 16px; } .muted { color: #6b7588; }
form.resync button { font-size: 15px; padding: 6px 14px; } nav a { margin-right: 14px; }
form.search { margin: 0 0 12px; } form.search input[type=search] { width: 320px; padding: 4px 6px; }
.changed { background: #fff4d6; }
.differs { box-shadow: inset 4px 0 #3a7bd5; }
`;

const number = (value: number) => value.toLocaleString('en-US');
const percent = (ratio: number) => `${(ratio * 100).toFixed(2)} %`;

/** A tenant's order page. */
export const orderHref = (orderId: string, tenant: string) =>
  `/reports/orders/${encodeURIComponent(orderId)}?tenant=${encodeURIComponent(tenant)}`;

/** The search box of the report pages: an order by its NewStore id, its number or an ERP external id. */
function searchBox(tenant: string): string {
  return `<form class="search" method="get" action="/reports/orders"><input type="hidden" name="tenant" value="${escape(tenant)}">
<input type="search" name="q" id="order-search" placeholder="order id, order number or ERP external id" required>
<button type="submit" id="order-search-go">Find order</button></form>`;
}

/** A page; every one but the sign-in offers to sign out, and a search box where a tenant is known. */
export function page(title: string, nonce: string, body: string, signedIn = true, tenant?: string): string {
  const signOut = signedIn
    ? '<form class="sign-out" method="post" action="/reports/logout.html"><button type="submit" id="sign-out">Sign out</button></form>'
    : '';
  const search = signedIn && tenant !== undefined ? searchBox(tenant) : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body>${signOut}${search}${body}</body></html>
`;
}

/** Vertical bars, one per day: parity (0 to 100 %) or grey where no successful run says it. */
function parityChart(history: HtmlReport['history']): string {
  const width = 640;
  const height = 180;
  const left = 40;
  const bottom = 24;
  const slot = (width - left) / Math.max(history.length, 1);
  const plot = height - bottom - 8;
  const bars = history.map((day, index) => {
    const x = left + index * slot + 1;
    const w = Math.max(slot - 2, 1);
    if (day.parityRatio === null)
      return `<rect class="unknown" data-date="${day.businessDate}" x="${x.toFixed(1)}" y="${height - bottom - 6}" width="${w.toFixed(1)}" height="6"><title>${day.businessDate}: parity unknown (no successful run)</title></rect>`;
    const h = Math.max(day.parityRatio * plot, 1);
    return `<rect class="parity${day.parityRatio < 1 ? ' below' : ''}" data-date="${day.businessDate}" data-parity="${day.parityRatio}" x="${x.toFixed(1)}" y="${(height - bottom - h).toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}"><title>${day.businessDate}: parity ${percent(day.parityRatio)}</title></rect>`;
  });
  const first = history[0]?.businessDate ?? '';
  const last = history.at(-1)?.businessDate ?? '';
  return `<svg id="parity-chart" role="img" aria-label="parity per day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<line class="axis" x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}"/>
<text x="0" y="${height - bottom - plot + 4}">100 %</text><text x="0" y="${height - bottom - plot / 2 + 4}">50 %</text><text x="0" y="${height - bottom + 4}">0 %</text>
${bars.join('\n')}
<text x="${left}" y="${height - 6}">${first}</text><text x="${width}" y="${height - 6}" text-anchor="end">${last}</text>
</svg>`;
}

/** Vertical bars of the amount delta per day. */
function deltaChart(history: HtmlReport['history']): string {
  const width = 640;
  const height = 140;
  const left = 40;
  const bottom = 24;
  const plot = height - bottom - 8;
  const slot = (width - left) / Math.max(history.length, 1);
  const size = (day: { amountDelta: string | null }) => Math.abs(Number(day.amountDelta ?? 0));
  const max = Math.max(...history.map(size), 0);
  const bars = history
    .filter((day) => size(day) !== 0)
    .map((day) => {
      const index = history.indexOf(day);
      const h = Math.max((size(day) / max) * plot, 1);
      return `<rect class="delta" data-date="${day.businessDate}" data-delta="${day.amountDelta}" x="${(left + index * slot + 1).toFixed(1)}" y="${(height - bottom - h).toFixed(1)}" width="${Math.max(slot - 2, 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${day.businessDate}: amount delta ${day.amountDelta}</title></rect>`;
    });
  return `<svg id="delta-chart" role="img" aria-label="amount delta per day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<line class="axis" x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}"/>
<text x="0" y="${height - bottom - plot + 4}">${max === 0 ? '0' : number(max)}</text><text x="0" y="${height - bottom + 4}">0</text>
${bars.length === 0 ? `<text x="${left + 10}" y="${height / 2}">no amount delta</text>` : bars.join('\n')}
</svg>`;
}

/** Horizontal bars with their labels and counts. */
function countChart(id: string, cls: string, rows: { key: string; label: string; count: number }[]): string {
  const width = 420;
  const rowHeight = 22;
  const labelWidth = 170;
  const max = Math.max(...rows.map((row) => row.count), 1);
  const height = rows.length * rowHeight + 6;
  const bars = rows.map((row, index) => {
    const y = index * rowHeight + 4;
    const w = row.count === 0 ? 0 : Math.max((row.count / max) * (width - labelWidth - 50), 2);
    return `<text x="0" y="${y + 13}">${escape(row.label)}</text><rect class="${cls}" data-key="${escape(row.key)}" data-count="${row.count}" x="${labelWidth}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 6}"><title>${escape(row.label)}: ${row.count}</title></rect><text x="${(labelWidth + w + 6).toFixed(1)}" y="${y + 13}">${row.count}</text>`;
  });
  return `<svg id="${id}" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars.join('\n')}</svg>`;
}

function pathCell(path: OrderPath | undefined): string {
  if (!path) return '<span class="muted">unknown</span>';
  const items: string[] = [];
  items.push(
    path.events
      ? `<li>events: ${path.events.count}, status ${escape(path.events.status)} (partition ${path.events.partition}, offsets ${escape(path.events.offsets.join(', '))})</li>`
      : '<li>events: none reached the hub</li>',
  );
  for (const document of path.documents)
    items.push(
      `<li>${escape(document.documentType)} ${escape(document.externalId ?? '')} from ${escape(document.sourceEvent ?? 'an event')}: ${escape(document.status ?? 'not posted yet')}${document.erpInternalId ? `, ERP id ${escape(document.erpInternalId)}` : ''}${document.attempts ? `, ${document.attempts} attempt(s)` : ''}${document.error ? `, ${escape(document.error)}` : ''}</li>`,
    );
  if (path.documents.length === 0) items.push('<li>documents: none</li>');
  for (const letter of path.deadLetters)
    items.push(
      `<li>dead letter: ${escape(letter.eventName ?? 'event')}: ${escape(letter.reason ?? 'no reason given')}</li>`,
    );
  const retry = path.retries[path.retries.length - 1];
  if (retry) items.push(`<li>retries: ${path.retries.length}, the last ${escape(describeRetry(retry))}</li>`);
  return `<ul>${items.join('')}</ul>`;
}

const amount = (value: string | null) => value ?? '';

export function renderReport(report: HtmlReport): string {
  const kinds = DISCREPANCY_KINDS.map((kind: DiscrepancyKind) => ({
    key: kind,
    label: kind.replace(/_/g, ' '),
    count: report.open.filter((row) => row.kind === kind).length,
  }));
  const ages = AGE_BUCKETS.map((bucket, index) => ({
    key: String(index),
    label: bucket.label,
    count: report.open.filter((row) => ageBucket(row.firstSeenAt, report.now) === index).length,
  }));
  const rows = report.open.map(
    (row) => `<tr data-kind="${row.kind}" data-order="${escape(row.orderId)}">
<td>${escape(row.businessDate)}</td><td title="${escape(DISCREPANCY_DESCRIPTIONS[row.kind].meaning)}">${escape(row.kind.replace(/_/g, ' '))}</td>
<td>${row.orderId.startsWith('erp:') ? escape(row.orderId) : `<a href="${escape(orderHref(row.orderId, row.tenant))}">${escape(row.orderId)}</a>`}</td><td>${escape(row.documentType ?? '')} ${escape(row.externalId ?? '')}</td>
<td>${amount(row.expected)}</td><td>${amount(row.found)}</td><td>${amount(row.delta)}</td>
<td>${escape(row.detail)}<br><span class="muted">first seen ${escape(row.firstSeenAt)}</span></td>
<td>${pathCell(report.paths.get(row.orderId))}</td></tr>`,
  );
  const title = `Parity of ${report.tenant}, ${report.period}`;
  const body = `
<nav>${report.links.map((link) => `<a href="${escape(link.href)}">${escape(link.label)}</a>`).join('')}</nav>
<h1>${escape(title)}</h1>
<p class="muted">Generated ${escape(report.now.toISOString())}</p>
<section class="headline">${report.headline.map((line) => `<p class="${line.tone}">${escape(line.text)}</p>`).join('')}</section>
<dl class="figures">${report.figures.map((figure) => `<div><dt>${escape(figure.label)}</dt><dd>${escape(figure.value)}</dd></div>`).join('')}</dl>
<h2>Parity per day</h2>
${parityChart(report.history)}
<div class="charts">
<figure><figcaption>Open discrepancies by kind</figcaption>${countChart('kind-chart', 'kind', kinds)}</figure>
<figure><figcaption>Open discrepancies by age</figcaption>${countChart('age-chart', 'age', ages)}</figure>
</div>
<h2>Amount delta per day</h2>
${deltaChart(report.history)}
<h2>Open discrepancies (${report.open.length})</h2>
${
  report.resyncHref && report.open.length > 0
    ? `<form class="resync" method="get" action="${escape(report.resyncHref)}"><button type="submit">Resync the ${report.open.length} open discrepancies…</button></form>`
    : ''
}
${
  report.open.length === 0
    ? '<p>None.</p>'
    : `<table id="open"><thead><tr><th>day</th><th>kind</th><th>order</th><th>document</th><th>expected</th><th>found</th><th>delta</th><th>detail</th><th>path through the hub</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`
}`;
  return page(title, report.nonce, body, true, report.tenant);
}

/** The confirmation step before a resync: what it will do, and the button that does it. */
export function renderResyncConfirm(options: {
  tenant: string;
  date: string;
  open: DiscrepancyRow[];
  action: string;
  back: string;
  nonce: string;
}): string {
  const orders = new Set(options.open.map((row) => row.orderId)).size;
  const title = `Resync ${options.tenant}, ${options.date}?`;
  const body = `<h1>${escape(title)}</h1>
<p>This replays the events of ${orders} order(s) with ${options.open.length} open discrepancies through the hub
(orders NewStore has and the hub never received are fetched from NewStore). Idempotency keys and the ERP's upsert by
external id make it create nothing twice.</p>
<form class="resync" method="post" action="${escape(options.action)}">
<input type="hidden" name="tenant" value="${escape(options.tenant)}"><input type="hidden" name="confirm" value="yes">
<button type="submit" id="confirm">Yes, resync ${orders} order(s)</button> <a href="${escape(options.back)}">Cancel</a></form>`;
  return page(title, options.nonce, body, true, options.tenant);
}

/** What a resync did, and the way back to the report. */
export function renderResyncDone(options: {
  tenant: string;
  date: string;
  summary: ResyncSummary;
  back: string;
  nonce: string;
}): string {
  const { summary } = options;
  const title = `Resync of ${options.tenant}, ${options.date}: ${summary.failed.length > 0 ? `${summary.failed.length} order(s) failed` : 'done'}`;
  const body = `<h1>${escape(title)}</h1>
<dl class="figures">
<div><dt>orders replayed</dt><dd id="replayed">${summary.ordersReplayed.length}</dd></div>
<div><dt>events replayed</dt><dd>${summary.eventsReplayed}</dd></div>
<div><dt>orders fetched from NewStore</dt><dd>${summary.ordersInjected.length}</dd></div>
<div><dt>cancellations fetched from NewStore</dt><dd>${summary.cancellationsInjected.length}</dd></div>
<div><dt>orders NewStore does not have</dt><dd>${summary.ordersNotFound.length}</dd></div>
<div><dt>ERP duplicates deleted</dt><dd>${summary.duplicatesDeleted.length}</dd></div>
</dl>
${summary.failed.length > 0 ? `<h2 class="bad">Not done: resync again once the ERP or NewStore answers</h2><ul id="failed">${summary.failed.map((item) => `<li>${escape(item.orderId)} (${escape(item.action)}): ${escape(item.error)}</li>`).join('')}</ul>` : ''}
${summary.manual.length > 0 ? `<h2>For a person to look at</h2><ul>${summary.manual.map((item) => `<li>${escape(item.kind)} ${escape(item.orderId)}: ${escape(item.detail)}</li>`).join('')}</ul>` : ''}
<p>The pipeline posts what was replayed within a few seconds; reconcile the day again to see it closed.</p>
<p><a href="${escape(options.back)}">Back to the report</a></p>`;
  return page(title, options.nonce, body, true, options.tenant);
}

/** The report pages' sign-in: the admin token, once, kept in an HttpOnly cookie for /reports. */
export function renderLogin(options: { next: string; failed: boolean; nonce: string }): string {
  const body = `<h1>Parity reports: sign in</h1>
${options.failed ? '<p class="bad">That token is not one of the admin tokens.</p>' : ''}
<form method="post" action="/reports/login.html">
<label>Admin token (RECONCILER_ADMIN_TOKENS) <input type="password" name="token" id="token" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="${escape(options.next)}">
<button type="submit" id="sign-in">Sign in</button></form>`;
  return page('Parity reports: sign in', options.nonce, body, false);
}
