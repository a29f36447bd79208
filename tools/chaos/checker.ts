import Big from 'big.js';
import type { ErpRecord } from '../emulators/erp/erp-emulator';
import { fulfilmentsOf } from '../emulators/shared/newstore-events';
import { bookedAsSalesOrder, type DayOrder } from '../emulators/shared/retail-day';

/** One ERP record the retailer's books must hold for an order, and the amount NewStore gave it. */
export interface ExpectedRecord {
  orderId: string;
  what: 'sale' | 'cancellation' | 'return' | 'appeasement' | 'fulfilment';
  /** An exact external id, or the prefix of one (a cancellation's id ends with a fingerprint of its items). */
  externalId: string;
  prefix: boolean;
  /** NewStore's amount, when the ERP total must equal it. */
  amount?: string;
  /** Item lines the record must hold closed (a sales order's cancelled items). */
  closedItems?: number;
}

/**
 * What the ERP must hold for an order, from NewStore's side alone (the emulator's
 * day, never the hub's mapping): docs/domain.md's posting rules, one record each.
 * - for a historical order only its refunds (its sale was booked before NewStore);
 * - the sale, under the order's external id, its lines (payments aside) for NewStore's
 *   grand total (a cash sale: the rounded cash amount NewStore captured);
 * - a cancellation of a sales order: the cancelled items' lines closed on the sale, whose
 *   amount is then the grand total less the cancelled amount; a cash sale is never changed;
 * - a return: a refund under `RT-<return id>` for NewStore's refund amount (a web order's: the
 *   return authorization `RT-<return id>-RA`, the credit memo and the customer refund `…-CR`);
 * - an appeasement: a cash refund under `AP-<refund request id>` for its amount;
 * - a store's fulfilment: an item fulfilment under `FF-<fulfilment request id>`.
 */
export function expectedRecords(order: DayOrder): ExpectedRecord[] {
  const expected: ExpectedRecord[] = [];
  // A historical order's sale and cancellations were booked before NewStore; its refunds are booked.
  // A cancellation closes the cancelled lines of a sales order (a web or shipped order); a cash sale stays.
  const closing = bookedAsSalesOrder(order) ? order.cancellation : undefined;
  if (!order.isHistorical)
    expected.push({
      orderId: order.id,
      what: closing ? 'cancellation' : 'sale',
      externalId: order.externalId,
      prefix: false,
      // A cash sale books its rounding as a line: its total is the cash captured (seed 004).
      amount: new Big(order.roundedAmount ?? order.grandTotal).minus(closing?.amount ?? 0).toString(),
      ...(closing ? { closedItems: closing.itemIds.length } : {}),
    });
  if (order.return) {
    // A web order's return is a return authorization, a credit memo made from it and a customer
    // refund applying the credit, each for the refund; any other return one cash refund.
    const { id, amount } = order.return;
    const suffixes = order.channelType === 'web' && !order.isHistorical ? ['-RA', '', '-CR'] : [''];
    for (const suffix of suffixes)
      expected.push({
        orderId: order.id,
        what: 'return',
        externalId: `RT-${id}${suffix}`,
        prefix: false,
        amount: new Big(amount).toString(),
      });
  }
  // A store's fulfilment is an item fulfilment (no amount); a distribution centre's is NetSuite's own.
  for (const fulfilment of fulfilmentsOf(order))
    if (fulfilment.locationId.startsWith('store-'))
      expected.push({
        orderId: order.id,
        what: 'fulfilment',
        externalId: `FF-${fulfilment.id}`,
        prefix: false,
        amount: '0',
      });
  if (order.appeasement)
    expected.push({
      orderId: order.id,
      what: 'appeasement',
      externalId: `AP-${order.appeasement.id}`,
      prefix: false,
      amount: new Big(order.appeasement.amount).toString(),
    });
  return expected;
}

export interface RecordCheck {
  /** Expected records found exactly once with the right amount. */
  matched: number;
  missing: ExpectedRecord[];
  /** Expected records held more than once. */
  duplicated: { expected: ExpectedRecord; count: number }[];
  wrongAmount: { expected: ExpectedRecord; found: string }[];
  /** Sales orders whose cancelled lines are not all closed. */
  notClosed: { expected: ExpectedRecord; closed: number }[];
  /** ERP records no order of the day explains. */
  unexplained: ErpRecord[];
}

/** Compares the ERP's records with what the orders require: each one exactly once, with NewStore's amount. */
export function checkRecords(orders: Iterable<DayOrder>, records: ErpRecord[]): RecordCheck {
  const byExternalId = new Map<string, ErpRecord[]>();
  for (const record of records) {
    const key = record.externalId ?? `(no external id) ${record.id}`;
    byExternalId.set(key, [...(byExternalId.get(key) ?? []), record]);
  }
  const explained = new Set<string>();
  const check: RecordCheck = {
    matched: 0,
    missing: [],
    duplicated: [],
    wrongAmount: [],
    notClosed: [],
    unexplained: [],
  };
  for (const order of orders) {
    for (const expected of expectedRecords(order)) {
      const found = expected.prefix
        ? [...byExternalId.entries()]
            .filter(([externalId]) => externalId.startsWith(expected.externalId))
            .flatMap(([, matching]) => matching)
        : (byExternalId.get(expected.externalId) ?? []);
      for (const record of found) explained.add(record.id);
      if (found.length === 0) check.missing.push(expected);
      else if (found.length > 1) check.duplicated.push({ expected, count: found.length });
      else if (expected.amount !== undefined && !bookedAmount(found[0]).eq(expected.amount))
        check.wrongAmount.push({ expected, found: bookedAmount(found[0]).toString() });
      else if (expected.closedItems !== undefined && closedItems(found[0]) < expected.closedItems)
        check.notClosed.push({ expected, closed: closedItems(found[0]) });
      else check.matched += 1;
    }
  }
  check.unexplained = records.filter((record) => !explained.has(record.id));
  return check;
}

/** A record's closed item lines (quantity 0, `isClosed`; docs/domain.md section 4, "Closing lines"). */
function closedItems(record: ErpRecord): number {
  const lines = (record.body.item as { items?: { isClosed?: unknown; quantity?: unknown }[] } | undefined)?.items;
  return (lines ?? []).filter((line) => line.isClosed === true && line.quantity === 0).length;
}

/**
 * What a record books besides its payments: NetSuite's total less its payment lines
 * (a paid sale totals 0 in NetSuite; its sale lines make the amount; docs/domain.md section 3).
 */
function bookedAmount(record: ErpRecord): Big {
  return new Big(record.total).minus(record.payments);
}

export function recordCheckPassed(check: RecordCheck): boolean {
  return (
    check.missing.length === 0 &&
    check.duplicated.length === 0 &&
    check.wrongAmount.length === 0 &&
    check.notClosed.length === 0 &&
    check.unexplained.length === 0
  );
}

/** A short account of what did not match, for the report. */
export function describeRecordCheck(check: RecordCheck): string {
  const parts = [`${check.matched} matched`];
  const sample = <T>(items: T[], show: (item: T) => string) =>
    items.length === 0 ? '' : ` (${items.slice(0, 3).map(show).join('; ')}${items.length > 3 ? '; …' : ''})`;
  if (check.missing.length)
    parts.push(
      `${check.missing.length} missing${sample(check.missing, (item) => `${item.what} ${item.externalId} of ${item.orderId}`)}`,
    );
  if (check.duplicated.length)
    parts.push(
      `${check.duplicated.length} duplicated${sample(check.duplicated, (item) => `${item.expected.externalId} ×${item.count}`)}`,
    );
  if (check.wrongAmount.length)
    parts.push(
      `${check.wrongAmount.length} with another amount${sample(check.wrongAmount, (item) => `${item.expected.externalId}: ${item.found} instead of ${item.expected.amount}`)}`,
    );
  if (check.notClosed.length)
    parts.push(
      `${check.notClosed.length} with cancelled lines open${sample(check.notClosed, (item) => `${item.expected.externalId}: ${item.closed} of ${item.expected.closedItems} closed`)}`,
    );
  if (check.unexplained.length)
    parts.push(
      `${check.unexplained.length} unexplained${sample(check.unexplained, (record) => `${record.type} ${record.externalId ?? record.id}`)}`,
    );
  return parts.join(', ');
}

/** An ERP account and the orders whose records it must hold. */
export interface Account {
  orders: DayOrder[];
  records: () => ErpRecord[];
}

/**
 * Waits until every account holds exactly its orders' records (checkRecords passes) and no
 * record has been written for `stableMs`; polls once a second. Returns when that quiet began,
 * or undefined when the timeout came first. `progress` hears where the first account stands
 * every 15 s.
 */
export async function waitUntilSettled(
  accounts: Account[],
  options: { timeoutMs: number; stableMs?: number; progress?: (line: string) => void },
): Promise<number | undefined> {
  const stableMs = options.stableMs ?? 5_000;
  const deadline = Date.now() + options.timeoutMs;
  let previous = '';
  let stableSince = Date.now();
  let lastProgress = Date.now();
  while (Date.now() < deadline) {
    const held = accounts.map((account) => account.records());
    // A write anywhere (a new record, a total changed, a record written again) starts the quiet over.
    const state = JSON.stringify(
      held.map((records) => records.map((record) => [record.id, record.total, record.writes])),
    );
    if (state !== previous) {
      previous = state;
      stableSince = Date.now();
    }
    const checked = accounts.map((account, index) => checkRecords(account.orders, held[index]));
    if (checked.every(recordCheckPassed) && Date.now() - stableSince >= stableMs) return stableSince;
    if (options.progress && Date.now() - lastProgress >= 15_000) {
      lastProgress = Date.now();
      options.progress(`  waiting for quiet: ${describeRecordCheck(checked[0])}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  return undefined;
}
