import { decimal, postedLines, type ErpDocument, type ErpDocumentType, type LineKind } from '@hub/contracts';
import Big from 'big.js';
import { amountOf, Discrepancy, discrepancy, difference } from './discrepancies';

/**
 * Parity of a document's lines and of the day's later documents (docs/domain.md
 * sections 3 and 4): what the hub posted, line by line, against the ERP's lines of
 * the record; NewStore's cancelled items against the sale's lines; NewStore's
 * returns against the ERP's refund records. Pure functions of what each system says.
 */

/** A line of a document as the projection keeps it: what the hub put on the ERP record's item sublist. */
export interface ProjectedLine {
  kind: LineKind;
  /** NewStore's order-line id (items), or the line's name (other kinds). */
  itemId: string;
  /** NewStore's product id: what the ERP item's name or external id is. */
  productId?: string;
  /** The ERP item's internal id, where the mapping names it. */
  erpItem?: string;
  quantity: number;
  /** A decimal string, signed as posted. */
  amount: string;
  /** A line of a closing: the place of the sale's line it changes. */
  salePosition?: number;
}

/**
 * The lines a document posts, as line parity compares them (`ProjectedLine`): null for a
 * document that changes no amount of its record (an assignment of lines, a fulfilment).
 */
export function projectedLines(document: ErpDocument): ProjectedLine[] | null {
  // A customer refund has no item lines (docs/domain.md section 4), a fulfilment books no amounts.
  if (
    document.operation === 'assignLines' ||
    document.documentType === 'itemFulfillment' ||
    document.documentType === 'customerRefund'
  )
    return null;
  return postedLines(document).map((line) => ({
    kind: line.kind ?? 'item',
    itemId: line.itemId,
    ...(line.productId ? { productId: line.productId } : line.sku ? { productId: line.sku } : {}),
    ...(line.erpItem ? { erpItem: line.erpItem } : {}),
    quantity: line.quantity,
    amount: line.amount,
    ...(line.salePosition === undefined ? {} : { salePosition: line.salePosition }),
  }));
}

/** A line of an ERP record as the listing gives it (the shape of @hub/erp's ErpLine). */
export interface ListedLine {
  line: number;
  item: string | null;
  itemNames?: string[] | null;
  itemType: string | null;
  quantity: string | null;
  amount: string | null;
  isClosed: boolean;
}

/**
 * Item types whose lines are not lines of the hub's sublist: SuiteTax's tax lines and
 * the shipping line NetSuite keeps for `shippingCost` (infer: NetSuite's item type
 * names; the records catalog lists them under `transactionline.itemtype`).
 */
const NOT_POSTED_TYPES = new Set(['TaxItem', 'TaxGroup', 'ShipItem', 'Subtotal', 'Description', 'EndGroup']);

export interface LineParityInput {
  idempotencyKey: string;
  orderId: string;
  documentType: ErpDocumentType;
  externalId: string;
  /** The lines the hub posted (null: not kept, or a document without amounts). */
  lines: ProjectedLine[] | null;
  /** The lines of each posted closing of the record (a cancellation closes lines of its sales order). */
  closings: ProjectedLine[][];
  /** The ERP record compared with, and its lines (null: the ERP listing gives no lines). */
  erp: { internalId: string; lines: ListedLine[] | null };
  /** Sales orders: the order's items NewStore shows cancelled. */
  cancelledInNewStore: string[];
  /** Items whose cancellation the hub booked as a credit memo (billing before shipping): the sale keeps them. */
  creditedCancellations: string[];
}

export interface ExpectedLine extends ProjectedLine {
  position: number;
  closed: boolean;
}

/** What the ERP's line should book once every closing the hub posted is applied. */
export function expectedLines(lines: ProjectedLine[], closings: ProjectedLine[][]): ExpectedLine[] {
  const expected = lines.map((line, position) => ({ ...line, position, closed: false }));
  for (const change of closings.flat()) {
    const target = change.salePosition === undefined ? undefined : expected[change.salePosition];
    if (!target) continue;
    target.amount = decimal(target.amount).plus(decimal(change.amount)).toString();
    if (change.kind !== 'payment') {
      target.closed = true;
      target.quantity = 0;
    }
  }
  return expected;
}

const sizeOf = (value: string | number | null): Big | null => (value === null ? null : decimal(value).abs());
const kindOfType = (itemType: string | null): 'payment' | 'discount' | 'other' =>
  itemType === 'Payment' ? 'payment' : itemType === 'Discount' ? 'discount' : 'other';
const kindClass = (kind: LineKind): 'payment' | 'discount' | 'other' =>
  kind === 'payment' ? 'payment' : kind === 'discount' ? 'discount' : 'other';

/** How a hub line names its item, and whether the ERP's line has that item (undefined: cannot tell). */
function sameItem(hub: ProjectedLine, erp: ListedLine): boolean | undefined {
  if (hub.erpItem) return erp.item === hub.erpItem;
  if (hub.productId && erp.itemNames?.length) return erp.itemNames.includes(hub.productId);
  return undefined;
}

/**
 * The record's lines against the hub's, place by place: the item (kind, mapped item or
 * product), the quantity of item lines and every amount, exactly; sizes are compared, as
 * SuiteQL may keep amounts with the ledger's sign. Plus each item NewStore shows cancelled
 * whose line of the sales order is still open. One discrepancy per line found.
 */
export function compareDocumentLines(input: LineParityInput): Discrepancy[] {
  if (input.lines === null || input.erp.lines === null) return [];
  const expected = expectedLines(input.lines, input.closings);
  const erpLines = input.erp.lines.filter((line) => !NOT_POSTED_TYPES.has(line.itemType ?? ''));
  const found: Discrepancy[] = [];
  const base = {
    documentType: input.documentType,
    externalId: input.externalId,
    erpInternalIds: [input.erp.internalId],
  };
  const record = `${input.documentType} ${input.externalId} (ERP ${input.erp.internalId})`;
  const uncancelled = new Set<number>();
  if (input.documentType === 'salesOrder') {
    const credited = new Set(input.creditedCancellations);
    for (const itemId of input.cancelledInNewStore) {
      if (credited.has(itemId)) continue;
      const line = expected.find((candidate) => candidate.kind === 'item' && candidate.itemId === itemId);
      if (!line) continue;
      const erp = erpLines[line.position];
      const erpAmount = sizeOf(erp?.amount ?? null);
      if (!erp || erp.isClosed || (erpAmount !== null && erpAmount.eq(0))) continue;
      // The line and its discount are closed together (docs/domain.md section 3): neither is a line mismatch too.
      uncancelled.add(line.position);
      const discountLine = expected.find((candidate) => candidate.itemId === `${itemId}-discount`);
      if (discountLine) uncancelled.add(discountLine.position);
      found.push(
        discrepancy(
          'missing_cancellation',
          input.orderId,
          `item ${itemId} is cancelled in NewStore; line ${line.position + 1} of ${record} is still open at ${erp.amount ?? '?'}`,
          {
            ...base,
            subject: `${input.idempotencyKey}:cancelled:${itemId}`,
            expected: '0',
            found: erpAmount === null ? null : erpAmount.toString(),
          },
        ),
      );
    }
  }
  const count = Math.max(expected.length, erpLines.length);
  for (let position = 0; position < count; position += 1) {
    if (uncancelled.has(position)) continue;
    const hub = expected[position];
    const erp = erpLines[position];
    const problems: string[] = [];
    let amounts: { expected: string | null; found: string | null; delta: string | null } = {
      expected: null,
      found: null,
      delta: null,
    };
    if (!hub) problems.push(`the ERP has a line (item ${erp.item ?? '?'}, ${erp.amount ?? '?'}) the hub never posted`);
    else if (!erp) problems.push(`the hub posted ${hub.kind} ${hub.itemId} at ${hub.amount}, the ERP has no such line`);
    else {
      if (kindOfType(erp.itemType) !== kindClass(hub.kind) || sameItem(hub, erp) === false)
        problems.push(
          `item: the hub posted ${hub.kind} ${hub.erpItem ?? hub.productId ?? hub.itemId}, the ERP has item ${erp.item ?? '?'} (${erp.itemType ?? 'no type'})`,
        );
      const erpQuantity = sizeOf(erp.quantity);
      if (hub.kind === 'item' && erpQuantity !== null && !erpQuantity.eq(Math.abs(hub.quantity)))
        problems.push(`quantity: the hub posted ${hub.quantity}, the ERP has ${erp.quantity}`);
      const erpAmount = sizeOf(erp.amount);
      const hubAmount = decimal(hub.amount).abs();
      if (erpAmount === null || !erpAmount.eq(hubAmount)) {
        problems.push(`amount: the hub posted ${hub.amount}, the ERP has ${erp.amount ?? 'none'}`);
        amounts = {
          expected: hubAmount.toString(),
          found: erpAmount === null ? null : erpAmount.toString(),
          delta: erpAmount === null ? null : difference(erpAmount.toString(), hubAmount.toString()),
        };
      }
    }
    if (problems.length === 0) continue;
    found.push(
      discrepancy('line_mismatch', input.orderId, `${record} line ${position + 1}: ${problems.join('; ')}`, {
        ...base,
        subject: `${input.idempotencyKey}:line:${position + 1}`,
        ...amounts,
      }),
    );
  }
  return found;
}

/** A return NewStore lists for the day, with what the hub and the ERP hold of it. */
export interface ReturnComparison {
  returnId: string;
  orderId: string | null;
  /** NewStore's total refund, a decimal string; null when GraphQL gave none. */
  totalRefund: string | null;
  /** The ERP's refund records of the return (cash refund or credit memo, by the hub's external id). */
  erp: { internalId: string; externalId: string; documentType: ErpDocumentType; total: string }[];
  /** The hub's documents of the return (any type). */
  hubDocuments: number;
}

/**
 * A return NewStore holds against the ERP: no refund record of it at all, while the hub
 * never made one either, is a missing return (a hub document the ERP lacks is already
 * `missing_in_erp`); a refund record that books another amount than NewStore's total
 * refund is a refund amount mismatch.
 */
export function classifyReturn(comparison: ReturnComparison): Discrepancy[] {
  const orderId = comparison.orderId ?? `return:${comparison.returnId}`;
  const subject = `return:${comparison.returnId}`;
  const refunds = comparison.erp.filter(
    (record) => record.documentType === 'cashRefund' || record.documentType === 'creditMemo',
  );
  if (refunds.length === 0) {
    if (comparison.hubDocuments > 0) return [];
    return [
      discrepancy(
        'missing_return',
        orderId,
        `return ${comparison.returnId} is in NewStore${comparison.totalRefund === null ? '' : ` (refund ${comparison.totalRefund})`}; the hub never received it and the ERP has no refund record of it`,
        { subject, expected: comparison.totalRefund === null ? null : amountOf(comparison.totalRefund) },
      ),
    ];
  }
  if (comparison.totalRefund === null) return [];
  const record = refunds[0];
  const booked = decimal(record.total).abs();
  if (booked.eq(decimal(comparison.totalRefund).abs())) return [];
  return [
    discrepancy(
      'refund_amount_mismatch',
      orderId,
      `${record.documentType} ${record.externalId} (ERP ${record.internalId}) refunds ${booked.toString()}, NewStore's return ${comparison.returnId} ${comparison.totalRefund}`,
      {
        subject,
        documentType: record.documentType,
        externalId: record.externalId,
        expected: amountOf(comparison.totalRefund),
        found: booked.toString(),
        delta: difference(booked.toString(), decimal(comparison.totalRefund).abs().toString()),
        erpInternalIds: [record.internalId],
      },
    ),
  ];
}
