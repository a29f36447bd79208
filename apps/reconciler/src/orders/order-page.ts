import { decimal } from '@hub/contracts';
import { DISCREPANCY_DESCRIPTIONS, ExpectedLine, ListedLine } from '@hub/reconciliation';
import { escape } from 'html-escaper';
import type { DiscrepancyRow } from '../reconciliation/reconciliation.repository';
import { orderHref, page } from '../reports/report-html';
import type { ResyncSummary } from '../resync/resync';
import type { OperatorAction } from './operator-actions.repository';
import type { OrderStoryView } from './order-story';

/** Kinds whose resync writes an amount over the one the ERP holds: confirmed by name first. */
const AMOUNT_KINDS = new Set<DiscrepancyRow['kind']>(['amount_mismatch', 'line_mismatch', 'refund_amount_mismatch']);

const cell = (value: string | number | null | undefined) =>
  escape(value === null || value === undefined ? '' : String(value));
const table = (id: string, headers: string[], rows: string[]) =>
  rows.length === 0
    ? `<p id="${id}" class="muted">None.</p>`
    : `<table id="${id}"><thead><tr>${headers.map((header) => `<th>${escape(header)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table>`;

function discrepancyRows(rows: DiscrepancyRow[]): string[] {
  return rows.map(
    (row) => `<tr data-kind="${row.kind}"><td>${cell(row.businessDate)}</td>
<td title="${escape(DISCREPANCY_DESCRIPTIONS[row.kind].meaning)}">${cell(row.kind.replace(/_/g, ' '))}</td>
<td>${cell(row.documentType)} ${cell(row.externalId)}</td><td>${cell(row.expected)}</td><td>${cell(row.found)}</td>
<td>${cell(row.delta)}</td><td>${cell(row.detail)}</td><td>${cell(row.firstSeenAt)}</td>
<td>${cell(row.resolvedAt)}</td><td>${cell(row.resyncRequestedAt)}</td></tr>`,
  );
}

/**
 * One order's story as a page (`/reports/orders/{id}`): what the hub knows of it, from
 * the raw topic to the ERP, its discrepancies, the actions people took on it, and the
 * way to fix it (a resync, confirmed first). Static HTML, no script, like the reports.
 */
export function renderOrderPage(view: OrderStoryView, actions: OperatorAction[], nonce: string): string {
  const { order, tenant } = view;
  const title = `Order ${order.orderNumber ?? order.orderId} of ${tenant}`;
  const figures: [string, string | number | null][] = [
    ['NewStore order id', order.orderId],
    ['order number', order.orderNumber],
    ['channel', order.channelType],
    ['business day', order.businessDate],
    ['total', order.total === null ? null : `${order.total} ${order.currency ?? ''}`.trim()],
    ['items', order.itemCount],
    ['status in the hub', order.status],
    ['historical', order.historical ? 'yes' : 'no'],
  ];
  const events = view.events.map(
    (
      event,
    ) => `<tr${event.duplicate ? ' class="muted"' : ''} data-enrichment="${escape(event.enrichment?.state ?? 'duplicate')}">
<td>${cell(event.at)}</td><td>${cell(event.name)}</td><td>${cell(event.eventId)}</td>
<td>${event.duplicate ? 'duplicate (skipped)' : cell(event.enrichment?.state)}</td><td>${cell(event.enrichment?.detail)}</td>
<td>${cell(event.partition)}:${cell(event.offset)}</td></tr>`,
  );
  const retries = view.events.flatMap((event) =>
    (event.enrichment?.retries ?? []).map(
      (retry) => `<tr><td>${cell(retry.movedAt)}</td><td>${cell(retry.eventName)}</td><td>${cell(retry.eventId)}</td>
<td>${cell(retry.attempt)}</td><td>${cell(retry.delayMs)}</td><td>${cell(retry.dueAt)}</td><td>${cell(retry.reason)}</td></tr>`,
    ),
  );
  const documents = view.documents.map(
    (document) => `<tr><td>${cell(document.documentType)}</td><td>${cell(document.externalId)}</td>
<td>${cell(document.sourceEvent)}</td><td>${cell(document.status ?? 'not posted yet')}</td><td>${cell(document.erpInternalId)}</td>
<td>${cell(document.attempts)}</td><td>${cell(document.error)}</td></tr>`,
  );
  const deadLetters = view.deadLetters.map(
    (letter) => `<tr><td>${cell(letter.eventName)}</td><td>${cell(letter.reason)}</td></tr>`,
  );
  const done = actions.map(
    (action) => `<tr data-action="${escape(action.action)}"><td>${cell(action.at)}</td><td>${cell(action.actor)}</td>
<td>${cell(action.action)}</td><td>${cell(action.what)}</td><td>${cell(action.outcome)}</td></tr>`,
  );
  const discrepancyHeaders = [
    'day',
    'kind',
    'document',
    'expected',
    'found',
    'delta',
    'detail',
    'first seen',
    'resolved',
    'resync requested',
  ];
  const body = `<nav><a href="/reports/${escape(order.businessDate ?? '')}.html?tenant=${encodeURIComponent(tenant)}">The day's report</a></nav>
<h1>${escape(title)}</h1>
<dl class="figures">${figures.map(([label, value]) => `<div><dt>${escape(label)}</dt><dd>${cell(value)}</dd></div>`).join('')}</dl>
<form class="resync" method="get" action="${escape(orderHref(order.orderId, tenant).replace('?', '/resync.html?'))}">
<button type="submit" id="resync-order">Resync this order…</button></form>
<h2>Open discrepancies (${view.discrepancies.open.length})</h2>
${table('open', discrepancyHeaders, discrepancyRows(view.discrepancies.open))}
<h2>Events on newstore.events.v1 (${view.events.length})</h2>
${table('events', ['received', 'event', 'event id', 'enrichment', 'detail', 'partition:offset'], events)}
<h2>Enrichment retries (${retries.length})</h2>
${table('retries', ['moved', 'event', 'event id', 'tier', 'delay (ms)', 'due', 'reason'], retries)}
<h2>ERP documents (${view.documents.length})</h2>
${table('documents', ['type', 'external id', 'made from', 'status', 'ERP internal id', 'attempts', 'last error'], documents)}
<h2>Dead letters (${view.deadLetters.length})</h2>
${table('dead-letters', ['event', 'reason'], deadLetters)}
<h2>Resolved discrepancies (${view.discrepancies.resolved.length})</h2>
${table('resolved', discrepancyHeaders, discrepancyRows(view.discrepancies.resolved))}
<h2>Actions taken (${actions.length})</h2>
${table('actions', ['when', 'who', 'action', 'what', 'result'], done)}`;
  return page(title, nonce, body, true, tenant);
}

/** One of the order's records, line by line: what the hub would write against what the ERP holds now. */
export interface RecordDryRun {
  documentType: string;
  externalId: string;
  /** The hub's lines, its posted closings applied. */
  hub: ExpectedLine[];
  /** The ERP's lines now; null when it holds no such record; a string when it could not be read. */
  erp: ListedLine[] | null | string;
  /**
   * The sale only: its lines as a resync that re-enriches would build them from NewStore today
   * (the hub's posted closings applied), or why there are none; absent for the other records.
   */
  today?: ExpectedLine[] | string;
}

const size = (value: string | number | null | undefined) =>
  value === null || value === undefined ? null : decimal(value).abs();

/** Whether two lines book differently: another amount, or an item line's other quantity (sizes compared). */
function booksOtherwise(
  line: { kind?: string; quantity: number | string | null; amount: string | number | null } | undefined,
  other: { quantity: number | string | null; amount: string | number | null } | undefined,
): boolean {
  if (!line || !other) return true;
  const amount = size(line.amount);
  const otherAmount = size(other.amount);
  if (amount === null || otherAmount === null || !amount.eq(otherAmount)) return true;
  return (
    line.kind === 'item' &&
    line.quantity !== null &&
    other.quantity !== null &&
    !decimal(line.quantity).abs().eq(decimal(other.quantity).abs())
  );
}

/**
 * The dry run of one record: a row per line, what the hub built, what NewStore would make of
 * it today (the sale), what the ERP holds now; a line the resync would change is marked, and
 * a line NewStore would make otherwise today is marked apart.
 */
function dryRunTable(run: RecordDryRun): string {
  const erp = Array.isArray(run.erp) ? run.erp : [];
  const today = Array.isArray(run.today) ? run.today : undefined;
  const count = Math.max(run.hub.length, erp.length, today?.length ?? 0);
  const rows = Array.from({ length: count }, (_, position) => {
    const hub = run.hub[position];
    const now = erp[position];
    const changed = booksOtherwise(hub, now);
    const differs = today !== undefined && booksOtherwise(hub, today[position]);
    const marks = [changed ? 'the ERP changes' : '', differs ? 'NewStore differs today' : ''].filter(Boolean);
    const todayCells =
      run.today === undefined
        ? ''
        : `<td>${cell(today?.[position]?.quantity)}</td><td>${cell(size(today?.[position]?.amount)?.toString())}</td>`;
    return `<tr class="${[changed ? 'changed' : '', differs ? 'differs' : ''].join(' ').trim()}" data-line="${position + 1}"><td>${position + 1}</td>
<td>${cell(hub ? `${hub.kind} ${hub.productId ?? hub.erpItem ?? hub.itemId}` : '')}</td><td>${cell(hub?.quantity)}</td><td>${cell(size(hub?.amount)?.toString())}</td>
${todayCells}<td>${cell(now?.item)}</td><td>${cell(now?.quantity)}</td><td>${cell(size(now?.amount)?.toString())}</td><td>${cell(marks.join('; '))}</td></tr>`;
  });
  const state =
    typeof run.erp === 'string'
      ? `<p class="warn">The ERP could not be read now (${escape(run.erp)}): the last run's values above stand.</p>`
      : run.erp === null
        ? '<p class="warn">The ERP holds no such record now: the resync posts it.</p>'
        : '';
  const todayState = typeof run.today === 'string' ? `<p class="warn">NewStore today: ${escape(run.today)}.</p>` : '';
  const todayHeads = run.today === undefined ? '' : '<th>NewStore today: quantity</th><th>amount</th>';
  return `<h3>${escape(run.documentType)} ${escape(run.externalId)}</h3>${state}${todayState}
<table class="dry-run" data-document="${escape(run.externalId)}"><thead><tr><th>line</th><th>the hub built</th><th>quantity</th><th>amount</th>
${todayHeads}<th>the ERP holds now: item</th><th>quantity</th><th>amount</th><th></th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

/**
 * The step before an order's resync: what it will do for each open discrepancy, and
 * where it would write an amount over the one the ERP holds (as the last run found
 * it), the amounts named and a box to tick for them.
 */
export function renderOrderResyncConfirm(options: {
  tenant: string;
  orderId: string;
  open: DiscrepancyRow[];
  /** Each of the order's records, line by line, against what the ERP holds now. */
  records: RecordDryRun[];
  action: string;
  back: string;
  nonce: string;
}): string {
  const title = `Resync order ${options.orderId}?`;
  const overwrites = options.open.filter((row) => AMOUNT_KINDS.has(row.kind));
  const plan = options.open.map(
    (
      row,
    ) => `<tr data-kind="${row.kind}"${AMOUNT_KINDS.has(row.kind) ? ' class="changed"' : ''}><td>${cell(row.kind.replace(/_/g, ' '))}</td>
<td>${cell(row.documentType)} ${cell(row.externalId)}</td><td>${cell(row.found)}</td><td>${cell(row.expected)}</td>
<td>${cell(DISCREPANCY_DESCRIPTIONS[row.kind].resync)}</td></tr>`,
  );
  const amounts = overwrites
    .map((row) =>
      `${row.documentType ?? ''} ${row.externalId ?? ''}: ${row.found ?? '?'} → ${row.expected ?? '?'}`.trim(),
    )
    .join('; ');
  const body = `<h1>${escape(title)}</h1>
<p>What the resync does, discrepancy by discrepancy (the ERP's values as the last run found them). With no open
discrepancy, it replays the order's events: idempotency keys and the ERP's upsert by external id make it create nothing twice.</p>
${table('plan', ['discrepancy', 'ERP record', 'the ERP holds', 'the hub writes', 'what the resync does'], plan)}
<h2>Dry run: each record, line by line, as the hub built it, as NewStore would make it today, and as the ERP holds it now</h2>
${options.records.length ? options.records.map(dryRunTable).join('\n') : '<p class="muted">The hub holds no record of this order with lines.</p>'}
<form class="resync" method="post" action="${escape(options.action)}">
<input type="hidden" name="tenant" value="${escape(options.tenant)}"><input type="hidden" name="confirm" value="yes">
<fieldset><legend>What the resync writes to the ERP</legend>
<p><label><input type="radio" name="source" id="source-newstore" value="newstore" checked> The records enriched again from
NewStore as it is today: the order's events are replayed (the "NewStore today" columns above, for the sale).</label></p>
<p><label><input type="radio" name="source" id="source-stored" value="stored"> The records as the hub built them
(erp.documents.v1), posted again unchanged (the "the hub built" columns above).</label></p></fieldset>
<p><label>Your name (kept with the action) <input type="text" name="actor" id="actor" maxlength="100" required></label></p>
${
  overwrites.length > 0
    ? `<p class="warn"><label><input type="checkbox" name="confirmAmounts" id="confirm-amounts" value="yes" required>
Replace what the ERP holds: <span id="amounts">${escape(amounts)}</span></label></p>`
    : ''
}
<button type="submit" id="confirm">Yes, resync this order</button> <a href="${escape(options.back)}">Cancel</a></form>`;
  return page(title, options.nonce, body, true, options.tenant);
}

/** What an order's resync did, and the way back to the order. */
export function renderOrderResyncDone(options: {
  tenant: string;
  orderId: string;
  summary: ResyncSummary;
  back: string;
  nonce: string;
}): string {
  const { summary } = options;
  const title = `Resync of order ${options.orderId}: ${summary.failed.length > 0 ? 'failed' : 'done'}`;
  const body = `<h1>${escape(title)}</h1>
<p id="outcome">${escape(describeResync(summary))}</p>
<p>The pipeline posts what was replayed within a few seconds; reconcile the day again to see it closed.</p>
<p><a id="back" href="${escape(options.back)}">Back to the order</a></p>`;
  return page(title, options.nonce, body, true, options.tenant);
}

/** A resync's outcome in one line, as the order page records it. */
export function describeResync(summary: ResyncSummary): string {
  const parts = [
    `${summary.eventsReplayed} event(s) replayed`,
    summary.documentsReposted ? `${summary.documentsReposted} document(s) re-posted as built` : '',
    summary.ordersInjected.length ? 'order fetched from NewStore' : '',
    summary.cancellationsInjected.length ? 'cancellation fetched from NewStore' : '',
    summary.ordersNotFound.length ? 'not found in NewStore' : '',
    summary.duplicatesDeleted.length ? `${summary.duplicatesDeleted.length} ERP duplicate(s) deleted` : '',
    ...summary.manual.map((item) => `for a person: ${item.detail}`),
    ...summary.failed.map((item) => `failed (${item.action}): ${item.error}`),
  ];
  return parts.filter(Boolean).join('; ');
}

/** No order by that id: the search box again, and what was looked for. */
export function renderOrderNotFound(options: { tenant: string; id: string; nonce: string }): string {
  const title = 'No such order';
  const body = `<h1>${escape(title)}</h1>
<p id="not-found">No order "${escape(options.id)}" of tenant ${escape(options.tenant)} in the projections: give a NewStore
order id, an order number or the external id of one of its ERP documents.</p>`;
  return page(title, options.nonce, body, true, options.tenant);
}
