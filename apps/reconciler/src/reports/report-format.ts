import { DISCREPANCY_DESCRIPTIONS, DISCREPANCY_KINDS } from '@hub/reconciliation';
import { DiscrepancyRow, DayStatus } from '../reconciliation/reconciliation.repository';

const CSV_COLUMNS = [
  'kind',
  'order_id',
  'document_type',
  'external_id',
  'expected',
  'found',
  'delta',
  'erp_internal_ids',
  'first_seen_at',
  'resolved_at',
  'detail',
] as const;

/**
 * One RFC 4180 field. A text cell starting with = + - @ (or a tab or carriage
 * return) would run as a formula in a spreadsheet: it is prefixed with a quote
 * (OWASP's CSV-injection advice). Numbers keep their sign.
 */
export function csvField(value: unknown): string {
  const raw = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  const text = typeof value === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV of a day's discrepancies, one per line. */
export function discrepanciesCsv(rows: DiscrepancyRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) {
    lines.push(
      [
        row.kind,
        row.orderId,
        row.documentType,
        row.externalId,
        row.expected,
        row.found,
        row.delta,
        row.erpInternalIds.join(' '),
        row.firstSeenAt,
        row.resolvedAt,
        row.detail,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * What a person reads in the terminal: the last run and the day's standing, counts
 * by kind, then each open discrepancy. A day with no successful run says so: its
 * parity is unknown, and no list of zero discrepancies stands in for it.
 */
export function textSummary(tenant: string, businessDate: string, day: DayStatus, rows: DiscrepancyRow[]): string {
  const { lastRun: run, lastSuccessfulRun: succeeded } = day;
  if (!run) return `No reconciliation of ${tenant} on ${businessDate} yet: run "reconcile --date ${businessDate}".\n`;
  const lines = [
    `Reconciliation of ${tenant} on ${businessDate} (${run.timeZone}), run ${run.id} ${run.status} at ${run.finishedAt ?? run.startedAt}`,
  ];
  if (run.status !== 'succeeded') lines.push(`  ${run.status}: ${run.error ?? 'not finished yet'}`);
  if (!succeeded) {
    lines.push(`  No successful reconciliation of this day: its parity is UNKNOWN. Fix the cause and run it again.`);
    return `${lines.join('\n')}\n`;
  }
  if (succeeded !== run && succeeded.id !== run.id)
    lines.push(`  The figures below are from the last successful run, ${succeeded.id} at ${succeeded.finishedAt}.`);
  lines.push(
    `  NewStore orders ${succeeded.newstoreOrders}, hub orders ${succeeded.hubOrders}, hub documents ${succeeded.hubDocuments}, ERP transactions ${succeeded.erpTransactions}`,
  );
  if (succeeded.hubOrdersUnsettled)
    lines.push(
      `  ${succeeded.hubOrdersUnsettled} more hub orders were created within the settle window and are left to the next run`,
    );
  lines.push(
    `  parity ${((succeeded.parityRatio ?? 0) * 100).toFixed(2)} %, open discrepancies ${succeeded.openDiscrepancies}, resolved ${succeeded.resolvedDiscrepancies}, amount delta ${succeeded.amountDelta}`,
  );
  const open = rows.filter((row) => row.resolvedAt === null);
  for (const kind of DISCREPANCY_KINDS) {
    const ofKind = open.filter((row) => row.kind === kind);
    if (ofKind.length === 0) continue;
    lines.push(
      '',
      `${kind} (${ofKind.length}): ${DISCREPANCY_DESCRIPTIONS[kind].meaning}; resync: ${DISCREPANCY_DESCRIPTIONS[kind].resync}`,
    );
    for (const row of ofKind.slice(0, 50))
      lines.push(`  order ${row.orderId}${row.externalId ? ` (${row.externalId})` : ''}: ${row.detail}`);
    if (ofKind.length > 50) lines.push(`  … and ${ofKind.length - 50} more (use --format csv)`);
  }
  return `${lines.join('\n')}\n`;
}
