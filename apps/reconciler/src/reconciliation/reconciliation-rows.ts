import { DiscrepancyKind, ErpDocumentType } from '@hub/contracts';
import type { DiscrepancyRow, RunRow } from './reconciliation.schemas';

/** A timestamp column (pg answers a Date) as ISO 8601, or null. */
const iso = (value: Date | null) => value?.toISOString() ?? null;

/**
 * The rows of the reconciliation's own tables as pg answers them (integers as numbers,
 * `double precision` as a number, numerics and ids cast to text, timestamps as dates),
 * the columns every query reads them with, and their reading into the API's types.
 */

/** The columns a discrepancy is read with ({@link toDiscrepancy}), in every query that returns one. */
export const DISCREPANCY_COLUMNS = `id::text, tenant, to_char(business_date, 'YYYY-MM-DD') AS business_date, kind, subject,
  order_id, document_type, external_id, expected::text, found::text, delta::text, erp_internal_ids, detail,
  first_seen_at, last_seen_at, resolved_at, resync_requested_at`;

export const RUN_COLUMNS = `id::text, tenant, to_char(business_date, 'YYYY-MM-DD') AS business_date, time_zone, trigger, status,
  started_at, finished_at, newstore_orders, hub_orders, hub_orders_unsettled, hub_documents, erp_transactions, open_discrepancies,
  resolved_discrepancies, parity_ratio, amount_delta::text AS amount_delta, error`;

/** A run as pg answers {@link RUN_COLUMNS}: integers as numbers, `double precision` as a number, numerics as text, timestamps as dates. */
export interface RunRecord {
  id: string;
  tenant: string;
  business_date: string;
  time_zone: string;
  trigger: string;
  status: RunRow['status'];
  started_at: Date;
  finished_at: Date | null;
  newstore_orders: number | null;
  hub_orders: number | null;
  hub_orders_unsettled: number | null;
  hub_documents: number | null;
  erp_transactions: number | null;
  open_discrepancies: number | null;
  resolved_discrepancies: number | null;
  parity_ratio: number | null;
  amount_delta: string | null;
  error: string | null;
}

/** A finished comparison's counts (each `::int`), and the open amount delta as exact text. */
export interface FiguresRecord {
  newstore_orders: number;
  hub_orders: number;
  hub_orders_unsettled: number;
  hub_documents: number;
  erp_transactions: number;
  orders_considered: number;
  orders_with_discrepancy: number;
  amount_delta: string;
}

/** A discrepancy as pg answers {@link DISCREPANCY_COLUMNS}. */
export interface DiscrepancyRecord {
  id: string;
  tenant: string;
  business_date: string;
  kind: DiscrepancyKind;
  subject: string;
  order_id: string;
  document_type: ErpDocumentType | null;
  external_id: string | null;
  expected: string | null;
  found: string | null;
  delta: string | null;
  erp_internal_ids: string[];
  detail: string;
  first_seen_at: Date;
  last_seen_at: Date;
  resolved_at: Date | null;
  resync_requested_at: Date | null;
}

export function toRun(row: RunRecord): RunRow {
  return {
    id: row.id,
    tenant: row.tenant,
    businessDate: row.business_date,
    timeZone: row.time_zone,
    trigger: row.trigger,
    status: row.status,
    startedAt: row.started_at.toISOString(),
    finishedAt: iso(row.finished_at),
    newstoreOrders: row.newstore_orders,
    hubOrders: row.hub_orders,
    hubOrdersUnsettled: row.hub_orders_unsettled,
    hubDocuments: row.hub_documents,
    erpTransactions: row.erp_transactions,
    openDiscrepancies: row.open_discrepancies,
    resolvedDiscrepancies: row.resolved_discrepancies,
    parityRatio: row.parity_ratio,
    amountDelta: row.amount_delta,
    error: row.error,
  };
}

export function toDiscrepancy(row: DiscrepancyRecord): DiscrepancyRow {
  return {
    id: row.id,
    tenant: row.tenant,
    businessDate: row.business_date,
    kind: row.kind,
    orderId: row.order_id,
    subject: row.subject,
    documentType: row.document_type,
    externalId: row.external_id,
    expected: row.expected,
    found: row.found,
    delta: row.delta,
    erpInternalIds: row.erp_internal_ids ?? [],
    detail: row.detail,
    firstSeenAt: row.first_seen_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    resolvedAt: iso(row.resolved_at),
    resyncRequestedAt: iso(row.resync_requested_at),
  };
}
