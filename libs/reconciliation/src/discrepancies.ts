import { decimal, type DiscrepancyKind, type ErpDocumentType } from '@hub/contracts';
import { compareDocumentLines, type ListedLine, type ProjectedLine } from './document-parity';

export { DISCREPANCY_KINDS } from '@hub/contracts';
export type { DiscrepancyKind } from '@hub/contracts';

/**
 * What the daily reconciliation can find, and the rules that find it. Pure
 * functions of what each system says about one order or one document; the
 * reconciler joins the sources and hands each joined row to these.
 */
/** What a person reads for each kind, and what a resync does about it. */
export const DISCREPANCY_DESCRIPTIONS: Record<DiscrepancyKind, { meaning: string; resync: string }> = {
  missing_in_hub: {
    meaning: 'NewStore has the order, the hub never received an event of it',
    resync: 'fetch the order from NewStore GraphQL and inject its opening event',
  },
  missing_in_erp: {
    meaning: 'the hub posted the document, the ERP does not have it',
    resync: "replay the order's events so the document is posted again",
  },
  amount_mismatch: {
    meaning: 'two systems disagree on an amount (delta = found - expected)',
    resync: "replay the order's events; the upsert by external id writes the hub's amount",
  },
  item_count_mismatch: {
    meaning: 'NewStore and the hub disagree on the number of items',
    resync: "replay the order's events",
  },
  duplicate_in_erp: {
    meaning: 'the ERP has more than one record for one document',
    resync: 'records the hub did not create are voided only when RECONCILER_RESYNC_DELETE_DUPLICATES=true',
  },
  stuck_in_retry: {
    meaning: 'the hub has the event but the document has not reached the ERP yet (delay-retry, parked or pending)',
    resync: "replay the order's events",
  },
  stuck_in_dlq: {
    meaning: 'the event or its document ended in a dead-letter topic',
    resync: "replay the order's events after the cause is fixed",
  },
  missing_in_newstore: {
    meaning: 'the hub has the order (settled), NewStore GraphQL does not list it for the day',
    resync: 'none: check the order in NewStore (a test order, another tenant, an order deleted there)',
  },
  orphan_in_erp: {
    meaning: "the ERP has a record with one of the hub's external ids that no hub document explains",
    resync: 'none: a person decides whether the record stays (it was posted outside the hub) or is voided',
  },
  missing_cancellation: {
    meaning: 'NewStore has the item cancelled, its line of the sale is still open in the ERP',
    resync:
      "rebuild the cancellation from NewStore GraphQL (the items it shows cancelled) and replay the order's events",
  },
  missing_return: {
    meaning: 'NewStore has the return, the ERP has no refund record of it (or, for a web return, no customer refund)',
    resync:
      "replay the order's events; a return whose event never reached the hub must be sent again from NewStore (the event stream's manual retry, or a temporary integration over its day)",
  },
  refund_amount_mismatch: {
    meaning:
      "the ERP's refund record of a return books another amount than NewStore's total refund (delta = found - expected)",
    resync: "replay the order's events; the upsert by external id writes the hub's amount",
  },
  line_mismatch: {
    meaning:
      'a line of an ERP record differs from the line the hub posted (product, quantity or amount), whatever the total',
    resync: "replay the order's events; the upsert by external id writes the hub's lines",
  },
};

export interface Discrepancy {
  kind: DiscrepancyKind;
  orderId: string;
  /** What the discrepancy is about: the order id, or a document's idempotency key. */
  subject: string;
  documentType: ErpDocumentType | null;
  externalId: string | null;
  /** Exact decimal strings: an amount, or a count for the count kinds (delta = found - expected). */
  expected: string | null;
  found: string | null;
  delta: string | null;
  erpInternalIds: string[];
  detail: string;
}

/** Amounts are decimal strings compared exactly (each system rounds to the currency's unit itself). */
export const sameAmount = (a: string, b: string): boolean => decimal(a).eq(decimal(b));
/** found - expected, exactly, as a decimal string. */
export const difference = (found: string, expected: string): string =>
  decimal(found).minus(decimal(expected)).toString();

/** An amount as the report carries it: its exact decimal, without trailing zeros ("49.990" is "49.99"). */
export const amountOf = (value: string): string => decimal(value).toString();

export interface OrderComparison {
  orderId: string;
  newstore: { externalId: string; total: string; itemCount: number; isHistorical: boolean } | null;
  /** The hub's order projection; `opened` is false when only later events of the order arrived. */
  hub: {
    externalId: string | null;
    total: string | null;
    itemCount: number | null;
    isHistorical: boolean;
    opened: boolean;
  } | null;
  /** The hub has emitted the order's sale document (sales order or cash sale). */
  hasSaleDocument: boolean;
  /** Reasons of dead-lettered events of the order that no document followed. */
  deadLetters: string[];
  /** The order's last move to an enricher retry tier that no document followed: event, tier, reason. */
  lastRetry?: string | null;
}

export function discrepancy(
  kind: DiscrepancyKind,
  orderId: string,
  detail: string,
  extra: Partial<Omit<Discrepancy, 'kind' | 'orderId' | 'detail'>> = {},
): Discrepancy {
  return {
    kind,
    orderId,
    subject: orderId,
    documentType: null,
    externalId: null,
    expected: null,
    found: null,
    delta: null,
    erpInternalIds: [],
    detail,
    ...extra,
  };
}

/** NewStore against the hub's projection, for one order of the day. */
export function classifyOrder(comparison: OrderComparison): Discrepancy[] {
  const { orderId, newstore, hub } = comparison;
  const found: Discrepancy[] = [];
  if (newstore && !hub?.opened) {
    found.push(
      discrepancy(
        'missing_in_hub',
        orderId,
        `order ${newstore.externalId} is in NewStore, no opening event reached the hub`,
        {
          externalId: newstore.externalId,
          expected: amountOf(newstore.total),
        },
      ),
    );
    return found;
  }
  if (!newstore && hub?.opened) {
    found.push(
      discrepancy(
        'missing_in_newstore',
        orderId,
        `order ${hub.externalId ?? orderId} reached the hub, NewStore GraphQL does not list it for the day`,
        { externalId: hub.externalId, found: hub.total === null ? null : amountOf(hub.total) },
      ),
    );
  }
  if (newstore && hub) {
    if (hub.total !== null && !sameAmount(hub.total, newstore.total)) {
      found.push(
        discrepancy('amount_mismatch', orderId, `hub total ${hub.total} differs from NewStore's ${newstore.total}`, {
          externalId: newstore.externalId,
          expected: amountOf(newstore.total),
          found: amountOf(hub.total),
          delta: difference(hub.total, newstore.total),
        }),
      );
    }
    if (hub.itemCount !== null && hub.itemCount !== newstore.itemCount) {
      found.push(
        discrepancy('item_count_mismatch', orderId, `hub has ${hub.itemCount} items, NewStore ${newstore.itemCount}`, {
          externalId: newstore.externalId,
          expected: String(newstore.itemCount),
          found: String(hub.itemCount),
          delta: String(hub.itemCount - newstore.itemCount),
        }),
      );
    }
  }
  if (hub?.opened && !hub.isHistorical && !comparison.hasSaleDocument) {
    const kind = comparison.deadLetters.length > 0 ? 'stuck_in_dlq' : 'stuck_in_retry';
    found.push(
      discrepancy(
        kind,
        orderId,
        kind === 'stuck_in_dlq'
          ? `no sale document; dead-lettered: ${comparison.deadLetters.join('; ')}`
          : `the opening event reached the hub but no sale document was emitted yet${comparison.lastRetry ? `; last retry: ${comparison.lastRetry}` : ''}`,
        { externalId: hub.externalId },
      ),
    );
  } else if (comparison.deadLetters.length > 0) {
    found.push(
      discrepancy('stuck_in_dlq', orderId, `dead-lettered: ${comparison.deadLetters.join('; ')}`, {
        externalId: hub?.externalId ?? null,
      }),
    );
  }
  return found;
}

export interface DocumentComparison {
  hub: {
    idempotencyKey: string;
    orderId: string;
    documentType: ErpDocumentType;
    externalId: string;
    total: string;
    status: 'posted' | 'failed' | null;
    erpInternalId: string | null;
    error: string | null;
    /** Line parity (document-parity.ts): the lines it posted, its closings' lines, NewStore's cancelled items. */
    lines?: ProjectedLine[] | null;
    closings?: ProjectedLine[][];
    cancelledInNewStore?: string[];
    creditedCancellations?: string[];
  };
  /** The ERP's transactions of the day with the document's type and external id (lines: where listed). */
  erp: { internalId: string; total: string; lines?: ListedLine[] | null }[];
}

/** The hub's document against the ERP's records of it. */
export function classifyDocument({ hub, erp }: DocumentComparison): Discrepancy[] {
  const base = {
    subject: hub.idempotencyKey,
    documentType: hub.documentType,
    externalId: hub.externalId,
  };
  if (erp.length === 0) {
    if (hub.status === 'failed')
      return [
        discrepancy('stuck_in_dlq', hub.orderId, `the ERP refused ${hub.externalId}: ${hub.error ?? 'no message'}`, {
          ...base,
          expected: amountOf(hub.total),
        }),
      ];
    if (hub.status === null)
      return [
        discrepancy('stuck_in_retry', hub.orderId, `${hub.documentType} ${hub.externalId} is not posted yet`, {
          ...base,
          expected: amountOf(hub.total),
        }),
      ];
    return [
      discrepancy(
        'missing_in_erp',
        hub.orderId,
        `${hub.documentType} ${hub.externalId} was posted (ERP id ${hub.erpInternalId ?? 'unknown'}) and is not in the ERP`,
        { ...base, expected: amountOf(hub.total), erpInternalIds: hub.erpInternalId ? [hub.erpInternalId] : [] },
      ),
    ];
  }
  const ours = erp.find((record) => record.internalId === hub.erpInternalId) ?? erp[0];
  const found: Discrepancy[] = compareDocumentLines({
    ...hub,
    lines: hub.lines ?? null,
    closings: hub.closings ?? [],
    cancelledInNewStore: hub.cancelledInNewStore ?? [],
    creditedCancellations: hub.creditedCancellations ?? [],
    erp: { internalId: ours.internalId, lines: ours.lines ?? null },
  });
  if (!sameAmount(ours.total, hub.total)) {
    found.push(
      discrepancy(
        'amount_mismatch',
        hub.orderId,
        `ERP record ${ours.internalId} has ${ours.total}, the document ${hub.total}`,
        {
          ...base,
          expected: amountOf(hub.total),
          found: amountOf(ours.total),
          delta: difference(ours.total, hub.total),
          erpInternalIds: [ours.internalId],
        },
      ),
    );
  }
  if (erp.length > 1) {
    found.push(
      discrepancy(
        'duplicate_in_erp',
        hub.orderId,
        `${erp.length} ERP records carry ${hub.documentType} ${hub.externalId}`,
        {
          ...base,
          expected: '1',
          found: String(erp.length),
          delta: String(erp.length - 1),
          erpInternalIds: erp.map((record) => record.internalId),
        },
      ),
    );
  }
  return found;
}

/** An ERP record with a hub-shaped external id that matches no hub document. */
export function classifyOrphan(record: {
  internalId: string;
  externalId: string;
  documentType: ErpDocumentType;
  total: string;
  orderId: string | null;
}): Discrepancy {
  return discrepancy(
    'orphan_in_erp',
    record.orderId ?? `erp:${record.internalId}`,
    `ERP ${record.documentType} ${record.internalId} carries external id ${record.externalId}, which no hub document has`,
    {
      subject: `erp:${record.documentType}:${record.internalId}`,
      documentType: record.documentType,
      externalId: record.externalId,
      found: amountOf(record.total),
      erpInternalIds: [record.internalId],
    },
  );
}

/** Share of the day's orders with no open discrepancy (1 for a day with no orders). */
export function parityRatio(ordersConsidered: number, ordersWithDiscrepancy: number): number {
  if (ordersConsidered === 0) return 1;
  return Math.max(0, ordersConsidered - ordersWithDiscrepancy) / ordersConsidered;
}
