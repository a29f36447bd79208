import type { DeadLetterEntry } from '@hub/kafka';
import { escape } from 'html-escaper';
import { orderHref, page } from '../reports/report-html';

/**
 * The dead-letter topics a person can read from the report pages, and where each replays
 * to. The ERP's are replayed by the sink's own command: only the enricher writes
 * erp.documents.v1 (the reconciler's Kafka user may not), so the page shows the command.
 */
export const DEAD_LETTER_TOPICS = {
  enricher: { label: 'events the enricher gave up on', topic: 'enricherDlq', replayTo: 'newstoreEvents' },
  erp: {
    label: 'documents the ERP refused',
    topic: 'erpDlq',
    replayTo: null,
    command: 'node dist/apps/erp-sink/src/main.js replay-dlq',
  },
} as const;

/** The sink's command that replays these ERP dead letters. */
export const erpReplayCommand = (ids: string[]) =>
  `${DEAD_LETTER_TOPICS.erp.command} ${ids.map((id) => `--key ${id}`).join(' ')}`;
export type DeadLetterTopic = keyof typeof DEAD_LETTER_TOPICS;

export interface DeadLetterFilter {
  tenant: string;
  reason?: string;
}

const cell = (value: string | undefined | null) => escape(value ?? '');

/** How long ago, in words a person reads at a glance. */
function age(at: string | undefined, now: Date): string {
  if (!at) return '';
  const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 60_000));
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h` : `${Math.round(hours / 24)} days`;
}

const listHref = (topic: DeadLetterTopic, filter: DeadLetterFilter) =>
  `/reports/dead-letters/${topic}?tenant=${encodeURIComponent(filter.tenant)}${filter.reason ? `&reason=${encodeURIComponent(filter.reason)}` : ''}`;

/** A replay form: the ids it replays, posted to the confirmation step. */
function replayForm(topic: DeadLetterTopic, tenant: string, ids: string[], label: string, id?: string): string {
  return `<form class="replay" method="get" action="/reports/dead-letters/${topic}/replay.html">
<input type="hidden" name="tenant" value="${escape(tenant)}">${ids.map((value) => `<input type="hidden" name="id" value="${escape(value)}">`).join('')}
<button type="submit"${id ? ` id="${id}"` : ''}>${escape(label)}</button></form>`;
}

/**
 * A dead-letter topic as a page: the count per reason (each a filter), and the dead
 * letters of the tenant (and reason) with their order, age and reason, each with a
 * replay button, and one to replay all of a reason. Replays go through a confirmation.
 */
export function renderDeadLetters(options: {
  topic: DeadLetterTopic;
  filter: DeadLetterFilter;
  /** The tenant's dead letters, every reason. */
  entries: DeadLetterEntry[];
  now: Date;
  nonce: string;
}): string {
  const { topic, filter, entries, now } = options;
  const counts = new Map<string, number>();
  for (const entry of entries)
    counts.set(entry.reason ?? 'no reason', (counts.get(entry.reason ?? 'no reason') ?? 0) + 1);
  const shown = filter.reason ? entries.filter((entry) => (entry.reason ?? 'no reason') === filter.reason) : entries;
  const replayable = shown.filter((entry) => entry.id !== undefined).map((entry) => entry.id!);
  const here = DEAD_LETTER_TOPICS[topic].replayTo !== null;
  const replay = (ids: string[], label: string, id?: string) =>
    here
      ? replayForm(topic, filter.tenant, ids, label, id)
      : `<code class="command">${escape(erpReplayCommand(ids))}</code>`;
  const title = `Dead letters: ${DEAD_LETTER_TOPICS[topic].label} (${filter.tenant})`;
  const reasons = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([reason, count]) =>
        `<tr data-reason="${escape(reason)}"><td><a href="${escape(listHref(topic, { ...filter, reason }))}">${escape(reason)}</a></td><td>${count}</td></tr>`,
    );
  const rows = shown.map(
    (entry) => `<tr data-id="${cell(entry.id)}"><td>${escape(age(entry.at, now))}</td><td>${cell(entry.reason)}</td>
<td>${entry.key ? `<a href="${escape(orderHref(entry.key, filter.tenant))}">${escape(entry.key)}</a>` : ''}</td><td>${cell(entry.id)}</td>
<td>${cell(entry.source)}</td><td>${entry.id ? replay([entry.id], 'Replay…') : '<span class="muted">no id: replay from the command line</span>'}</td></tr>`,
  );
  const body = `<nav>${Object.keys(DEAD_LETTER_TOPICS)
    .map(
      (name) =>
        `<a href="${escape(listHref(name as DeadLetterTopic, { tenant: filter.tenant }))}">${escape(name)} dead letters</a>`,
    )
    .join('')}</nav>
<h1>${escape(title)}</h1>
<h2>By reason (${entries.length})</h2>
${reasons.length ? `<table id="reasons"><thead><tr><th>reason</th><th>count</th></tr></thead><tbody>${reasons.join('\n')}</tbody></table>` : '<p id="reasons">None.</p>'}
<h2>${filter.reason ? `Reason: ${escape(filter.reason)}` : 'All'} (${shown.length}) ${filter.reason ? `<a href="${escape(listHref(topic, { tenant: filter.tenant }))}">all reasons</a>` : ''}</h2>
${filter.reason && replayable.length ? replay(replayable, `Replay all ${replayable.length} with this reason…`, 'replay-reason') : ''}
${here ? '' : '<p class="muted">The sink replays these (only the enricher writes erp.documents.v1): run the command shown in the erp-sink container once the cause is fixed.</p>'}
${rows.length ? `<table id="letters"><thead><tr><th>age</th><th>reason</th><th>order</th><th>id</th><th>from</th><th></th></tr></thead><tbody>${rows.join('\n')}</tbody></table>` : '<p id="letters">None.</p>'}`;
  return page(title, options.nonce, body, true, filter.tenant);
}

/** The step before a replay: what would be sent back, and to where (a dry run); then the button. */
export function renderReplayConfirm(options: {
  topic: DeadLetterTopic;
  tenant: string;
  entries: DeadLetterEntry[];
  from: string;
  to: string;
  nonce: string;
}): string {
  const title = `Replay ${options.entries.length} dead letter(s)?`;
  const rows = options.entries.map(
    (entry) =>
      `<tr><td>${cell(entry.key)}</td><td>${cell(entry.id)}</td><td>${cell(entry.reason)}</td><td>${cell(entry.at)}</td></tr>`,
  );
  const body = `<h1>${escape(title)}</h1>
<p id="dry-run">Dry run: these are put back on ${escape(options.to)} from ${escape(options.from)}, same key, value and
headers, marked as a replay. The consumers are idempotent: what was already handled is skipped. Fix the cause first
(the reason says it), or they come back.</p>
<table id="plan"><thead><tr><th>order</th><th>id</th><th>reason</th><th>dead-lettered at</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>
<form class="resync" method="post" action="/reports/dead-letters/${options.topic}/replay.html">
<input type="hidden" name="tenant" value="${escape(options.tenant)}"><input type="hidden" name="confirm" value="yes">
${options.entries.map((entry) => `<input type="hidden" name="id" value="${cell(entry.id)}">`).join('')}
<p><label>Your name (kept with the action) <input type="text" name="actor" id="actor" maxlength="100" required></label></p>
<button type="submit" id="confirm">Yes, replay ${options.entries.length}</button>
<a href="${escape(listHref(options.topic, { tenant: options.tenant }))}">Cancel</a></form>`;
  return page(title, options.nonce, body, true, options.tenant);
}

/** What a replay did. */
export function renderReplayDone(options: {
  topic: DeadLetterTopic;
  tenant: string;
  replayed: DeadLetterEntry[];
  to: string;
  nonce: string;
}): string {
  const title = `Replayed ${options.replayed.length} dead letter(s) to ${options.to}`;
  const body = `<h1 id="replayed">${escape(title)}</h1>
<p>The pipeline handles them within seconds; what still fails comes back with its reason.</p>
<p><a id="back" href="${escape(listHref(options.topic, { tenant: options.tenant }))}">Back to the dead letters</a></p>`;
  return page(title, options.nonce, body, true, options.tenant);
}
