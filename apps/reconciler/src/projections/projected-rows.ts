import { decimal, ErpDocument, HEADERS, sum } from '@hub/contracts';
import { ConsumedMessage } from '@hub/kafka';
import { businessDateOf, lifecycleRank, OrderFold } from '@hub/reconciliation';

// The rows the projections write, as the column arrays their `unnest` inserts take.

/** The orders' rows as the insert's 17 column arrays (unnest), one fold per order. */
export function orderColumns(folds: Iterable<OrderFold>, timeZoneOf: (tenant: string) => string): unknown[][] {
  return columnsOf(
    [...folds].map(({ details, ...fold }) => [
      fold.tenant,
      fold.orderId,
      details?.externalId ?? null,
      details?.channel ?? null,
      details?.channelType ?? null,
      details?.createdAt ?? null,
      details?.createdAt ? businessDateOf(details.createdAt, timeZoneOf(fold.tenant)) : null,
      details?.currency ?? null,
      details?.total ?? null,
      details?.itemCount ?? null,
      details?.isHistorical ?? false,
      details !== null,
      fold.status,
      lifecycleRank(fold.status),
      fold.eventCount,
      fold.partition,
      `{${fold.offsets.join(',')}}`,
    ]),
  );
}

/**
 * What a document books besides its payment lines (items, discounts, taxes, shipping,
 * cash rounding): NetSuite's total less the payments, which is what the ERP listing
 * reads for a record (a paid sale totals 0 in NetSuite; docs/domain.md section 3).
 */
export function bookedAmount(document: ErpDocument): string {
  const payments = document.lines.filter((line) => line.kind === 'payment').map((line) => line.amount);
  return decimal(document.total).minus(sum(payments)).toString();
}

/** Where a copy of an event is (a dead letter, a retry) and whose it is: partition, offset, tenant, order, event id and name. */
export function copiedEvent(message: ConsumedMessage): unknown[] {
  return [
    message.partition,
    message.offset,
    message.headers[HEADERS.tenant] ?? null,
    message.key,
    message.headers[HEADERS.eventId] ?? null,
    message.headers[HEADERS.eventName] ?? null,
  ];
}

/** Rows as the column arrays an `unnest` insert takes. */
export function columnsOf(rows: unknown[][]): unknown[][] {
  const columns: unknown[][] = Array.from({ length: rows[0]?.length ?? 0 }, () => []);
  for (const row of rows) row.forEach((value, index) => columns[index].push(value));
  return columns;
}

/** A JSON value for a jsonb column: SQL NULL for null, never JSON's `null`. */
export const jsonOrNull = (value: unknown): string | null => (value === null ? null : JSON.stringify(value));
