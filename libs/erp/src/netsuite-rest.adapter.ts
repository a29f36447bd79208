import { constants, createPrivateKey, sign } from 'node:crypto';
import Big from 'big.js';
import { LRUCache } from 'lru-cache';
import {
  decimal,
  postedLines,
  retryTemporary,
  type ErpDocument,
  type ErpDocumentLine,
  type ErpDocumentType,
  type TransformVia,
} from '@hub/contracts';
import { erpAmount, ErpError, ErpLine, ErpPort, ErpPostResult, ErpTransaction } from './erp-port';
import { classifyHttpFailure, deleteWithRetries, ERP_CALL_RETRIES, networkFailure } from './http-failure';
import { TokenBasedAuth, tokenBasedAuthorization } from './netsuite-tba';

/**
 * NetSuite record type of each document type. A typed record: a new document type
 * does not compile until it says which record it becomes.
 */
export const NETSUITE_RECORDS: Record<ErpDocumentType, { record: string; typeCode: string }> = {
  salesOrder: { record: 'salesOrder', typeCode: 'SalesOrd' },
  cashSale: { record: 'cashSale', typeCode: 'CashSale' },
  creditMemo: { record: 'creditMemo', typeCode: 'CustCred' },
  returnAuthorization: { record: 'returnAuthorization', typeCode: 'RtnAuth' },
  cashRefund: { record: 'cashRefund', typeCode: 'CashRfnd' },
  customerRefund: { record: 'customerRefund', typeCode: 'CustRfnd' },
  itemFulfillment: { record: 'itemFulfillment', typeCode: 'ItemShip' },
};

/** Records NetSuite makes from a hub record that a hub record is made from (`transformFrom.via`). */
const NETSUITE_VIA_RECORDS: Record<TransformVia, { record: string; typeCode: string }> = {
  invoice: { record: 'invoice', typeCode: 'CustInvc' },
  returnAuthorization: NETSUITE_RECORDS.returnAuthorization,
};

export interface NetSuiteSettings {
  /** https://<account>.suitetalk.api.netsuite.com/services/rest */
  baseUrl: string;
  /** Defaults to {baseUrl}/auth/oauth2/v1/token. */
  tokenUrl?: string;
  clientId: string;
  /**
   * OAuth 2.0 machine-to-machine: a certificate's private key (PEM) and its id
   * signs a JWT assertion (PS256). Without a key, client_secret is sent instead
   * (emulator and test accounts).
   */
  privateKeyPem?: string;
  certificateId?: string;
  clientSecret?: string;
  /** Token-based authentication instead of OAuth 2.0. */
  tokenBasedAuth?: TokenBasedAuth;
  requestTimeoutMs: number;
  /** Rows one SuiteQL query answers at most (NetSuite: 100,000); larger days are read in windows. */
  queryRowCap?: number;
  /** How a NewStore product id names its item: the item's external id (default) or its name (`itemid`). */
  itemLookup?: 'externalId' | 'name';
  /** How a sale's customer is found: by e-mail in the subsidiary, then created (default), or by external id only. */
  customerMatch?: 'email' | 'externalId';
  /** Custom body fields for NewStore's order and event ids, where the account has them. */
  customFields?: { orderId?: string; eventId?: string };
}

/** Customers and items looked up at most once per process (an LRU; a miss is never cached). */
const LOOKUP_CACHE_SIZE = 50_000;

/** A SuiteQL string literal: single quotes doubled, as SQL writes them. */
const sqlText = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** An internal id in SuiteQL: digits only, never text that could change the query. */
const sqlNumber = (value: string) => {
  if (!/^\d+$/.test(value)) throw new ErpError('permanent', `"${value}" is no NetSuite internal id`);
  return value;
};

/** SuiteQL `IN (...)` lists are kept short: one query resolves at most this many names. */
const ITEM_NAMES_PER_QUERY = 100;

interface NetSuiteErrorBody {
  title?: string;
  'o:errorDetails'?: { detail?: string; 'o:errorCode'?: string; 'o:errorPath'?: string }[];
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/** A NetSuite record reference: an internal id, or an external id NetSuite resolves (docs/domain.md section 4, "References"). */
export type NetSuiteRef = { id: string } | { externalId: string };

/** What the body needs that only the ERP knows: the customer, and the item of each NewStore product. */
export interface NetSuiteReferences {
  entity?: NetSuiteRef;
  itemOf: (productId: string) => NetSuiteRef;
  /** Custom body fields for NewStore's order and event ids, where the account has them. */
  customFields?: { orderId?: string; eventId?: string };
}

type DocumentLine = ErpDocumentLine;

/** A line's reference to its tax details (SuiteTax's `taxDetailsReference`); shipping's is `SHIPPING`. */
const taxReference = (position: number) => `L${position + 1}`;
const SHIPPING_TAX_REFERENCE = 'SHIPPING';

/**
 * The tax details NewStore computed, as SuiteTax's override carries them
 * (docs/domain.md section 4, "Tax"; field names from the REST API Browser's
 * salesOrder/cashSale: `taxDetailsOverride`, and the `taxDetails` sublist's
 * `taxDetailsReference`, `taxType`, `taxCode`, `taxBasis`, `taxRate`,
 * `taxAmount`; the shipping's reference `SHIPPING` is NetSuite's own name for the
 * shipping line's tax details). One entry per taxed line; the basis of an item is
 * its amount less the discount line that follows it. Tax-exempt documents carry none.
 */
function taxDetailsOf(document: ErpDocument, lines: DocumentLine[]): Record<string, unknown>[] {
  if (document.taxExempt) return [];
  const taxType = document.erp?.taxType;
  const taxCode = document.erp?.taxCode;
  const codes = { ...(taxType ? { taxType: { id: taxType } } : {}), ...(taxCode ? { taxCode: { id: taxCode } } : {}) };
  const entry = (reference: string, basis: Big, tax: Big) => ({
    taxDetailsReference: reference,
    ...codes,
    taxBasis: jsonAmount(basis.toString()),
    taxRate: basis.eq(0) ? 0 : Number(tax.div(basis).times(100).toFixed(4)),
    taxAmount: jsonAmount(tax.toString()),
  });
  const details = lines.flatMap((line, position) => {
    const tax = decimal(line.tax);
    if (tax.eq(0)) return [];
    const next = lines[position + 1];
    const basis = decimal(line.amount).plus(next?.kind === 'discount' ? next.amount : 0);
    return [entry(taxReference(position), basis, tax)];
  });
  const shippingTax = decimal(document.shippingTax ?? 0).plus(
    // Documents written before the shipping tax moved to the header carried it as a line of its own.
    document.lines
      .filter((line) => line.kind === 'shippingTax')
      .reduce((total, line) => total.plus(line.tax), new Big(0)),
  );
  if (!shippingTax.eq(0)) details.push(entry(SHIPPING_TAX_REFERENCE, decimal(document.shippingCost ?? 0), shippingTax));
  return details;
}

/**
 * The lines a body's item sublist holds, in order: every line but the shipping tax that
 * documents of schema 2 carried as a line (it is a tax detail of the shipping).
 */
/** A row of SuiteQL's `transactionline` as the listing reads it. */
interface TransactionLineRow {
  transaction: unknown;
  linesequencenumber?: unknown;
  item: string | number | null;
  itemtype: string | null;
  quantity: unknown;
  foreignamount: unknown;
  isclosed?: unknown;
  mainline?: unknown;
  taxline?: unknown;
  iscogs?: unknown;
}

/** A line's NetSuite item: the mapped item (discounts, payments, gift cards…), or the NewStore product's. */
function lineItem(line: DocumentLine, references: NetSuiteReferences): NetSuiteRef {
  if (line.erpItem) return { id: line.erpItem };
  if (line.productId) return references.itemOf(line.productId);
  // Documents of schema 2 before productId: the SKU, never NewStore's order-line id.
  if (line.sku) return references.itemOf(line.sku);
  throw new ErpError('permanent', `line ${line.itemId} names no NetSuite item: no product id and no mapped item`, {
    code: 'UNKNOWN_ITEM',
  });
}

/** The note a discount or payment line carries: its coupon, or its method and provider. */
function lineDescription(line: DocumentLine): string | undefined {
  if (line.kind === 'discount') return line.couponCode ? `Coupon ${line.couponCode}` : undefined;
  if (line.kind === 'payment') {
    const provider = line.paymentProvider && line.paymentProvider !== line.paymentMethod ? line.paymentProvider : '';
    return `${line.paymentMethod ?? 'payment'}${provider ? ` (${provider})` : ''}`;
  }
  return undefined;
}

/**
 * The NetSuite REST body of a document (docs/domain.md sections 3 and 4): the
 * customer, subsidiary, location, class, department and currency by internal id;
 * item lines at full price, each discount as a discount-item line after it,
 * payments as negative payment-item lines, cash rounding as a line; shipping as
 * `shippingCost`; the tax NewStore computed through SuiteTax's tax-details
 * override, never the legacy `tax1Amt`. Never `total`: NetSuite computes it, and
 * the field is read-only. Amounts travel as decimal strings inside the hub; JSON
 * numbers written from that text carry the same digits.
 */
export function toNetSuiteRecord(document: ErpDocument, references: NetSuiteReferences): Record<string, unknown> {
  const record = recordBody(document, references);
  const absent = NOT_ON[document.documentType];
  if (!absent) return record;
  const made = { ...record };
  for (const field of absent) delete made[field];
  if (document.documentType === 'itemFulfillment') {
    // An item fulfilment ships quantities, no amounts: each line names the sales-order line it fulfils
    // (`orderLine`, set where the order is read) and the location it leaves from.
    made.item = {
      items: postedLines(document).map((line) => ({
        item: lineItem(line, references),
        itemReceive: true,
        quantity: line.quantity,
        ...(line.erpLocation ? { location: { id: line.erpLocation } } : {}),
      })),
    };
    // Its packages' tracking numbers (NetSuite's `package` sublist, `packageTrackingNumber`).
    if (document.trackingNumbers?.length)
      made.package = { items: document.trackingNumbers.map((number) => ({ packageTrackingNumber: number })) };
  }
  return made;
}

/**
 * Fields of a sale or credit that other records do not have (docs/domain.md section 4):
 * a customer refund has no item lines and no tax of its own, it pays out the credits it
 * applies (its `apply` sublist is added where the credit memo is known); an item
 * fulfilment books no amounts, tax or shipping charge.
 */
const NOT_ON: Partial<Record<ErpDocumentType, readonly string[]>> = {
  customerRefund: ['item', 'taxDetails', 'taxDetailsOverride', 'shippingCost', 'handlingCost', 'shipMethod'],
  itemFulfillment: [
    'taxDetails',
    'taxDetailsOverride',
    'shippingCost',
    'handlingCost',
    'currency',
    'class',
    'department',
  ],
};

function recordBody(document: ErpDocument, references: NetSuiteReferences): Record<string, unknown> {
  const lines = postedLines(document);
  const taxDetails = taxDetailsOf(document, lines);
  const taxed = new Set(taxDetails.map((detail) => detail.taxDetailsReference));
  const { orderId: orderIdField, eventId: eventIdField } = references.customFields ?? {};
  return {
    externalId: document.externalId,
    tranDate: document.tranDate,
    ...(references.entity ? { entity: references.entity } : {}),
    // Documents mapped before currencies were: the ISO code, which NetSuite matches on the currency's symbol.
    currency: document.erp?.currency ? { id: document.erp.currency } : { refName: document.currency },
    ...(document.shippingCost === undefined ? {} : { shippingCost: jsonAmount(document.shippingCost) }),
    ...(document.handlingCost === undefined ? {} : { handlingCost: jsonAmount(document.handlingCost) }),
    // The order number a person searches for; the order's id where NewStore gives no number (a blind return).
    memo: `NewStore order ${document.orderNumber ?? document.orderId}`,
    ...(orderIdField ? { [orderIdField]: document.orderId } : {}),
    ...(eventIdField ? { [eventIdField]: document.source.eventId } : {}),
    ...(document.erp
      ? {
          subsidiary: { id: document.erp.subsidiary },
          location: { id: document.erp.location },
          ...(document.erp.channel ? { class: { id: document.erp.channel } } : {}),
          ...(document.erp.department ? { department: { id: document.erp.department } } : {}),
          ...(document.erp.shippingMethod ? { shipMethod: { id: document.erp.shippingMethod } } : {}),
        }
      : {}),
    taxDetailsOverride: true,
    taxDetails: { items: taxDetails },
    item: {
      items: lines.map((line, position) => {
        const description = lineDescription(line);
        const counted = (line.kind ?? 'item') === 'item' || line.kind === 'rounding' || line.kind === 'appeasement';
        return {
          item: lineItem(line, references),
          ...(counted ? { quantity: line.quantity } : {}),
          // A returned item goes back to the return store's location, or its damage location.
          ...(line.erpLocation ? { location: { id: line.erpLocation } } : {}),
          amount: jsonAmount(line.amount),
          ...(taxed.has(taxReference(position)) ? { taxDetailsReference: taxReference(position) } : {}),
          ...(description ? { description } : {}),
        };
      }),
    },
  };
}

/**
 * A product the ERP's catalogue lacks: never guessed (docs/domain.md section 3,
 * "Items"); the sink holds the document until the item exists, then dead-letters it.
 */
export function unknownItemError(productId: string, document: ErpDocument, cause: string, status?: number): ErpError {
  return new ErpError(
    'permanent',
    `NetSuite has no item for NewStore product "${productId}" (tenant ${document.tenant}, order ${document.orderId}): add it to the catalogue, the document is posted once it exists (${cause})`,
    { code: 'UNKNOWN_ITEM', status },
  );
}

/**
 * The upsert path of a record, its sublists replaced by the ones sent (NetSuite help,
 * "Replacing a Sublist": without `replace`, lines without a key are added to the ones a
 * record has, so writing a record again would double them). Assumed to apply to `PUT`
 * upserts as to `PATCH`.
 */
function replacing(record: string, externalId: string): string {
  return `/record/v1/${record}/eid:${externalId}?replace=item,taxDetails,apply`;
}

/** A decimal string as a JSON number with the same digits (at most 15 significant, which the contract bounds). */
function jsonAmount(amount: string): number {
  return Number(amount);
}

/** NetSuite REST record service, upsert by external id (docs/domain.md section 4). */
export class NetSuiteRestAdapter implements ErpPort {
  readonly name = 'netsuite';
  private token: { value: string; expiresAt: number } | undefined;

  constructor(private readonly settings: NetSuiteSettings) {
    if (!settings.privateKeyPem && !settings.clientSecret && !settings.tokenBasedAuth) {
      throw new Error('NetSuite needs a private key (JWT assertion), a client secret or token-based auth');
    }
  }

  private readonly customers = new LRUCache<string, string>({ max: LOOKUP_CACHE_SIZE });
  private readonly items = new LRUCache<string, string>({ max: LOOKUP_CACHE_SIZE });

  async upsert(document: ErpDocument): Promise<ErpPostResult> {
    if (document.operation === 'closeLines') return this.closeLines(document);
    if (document.operation === 'assignLines') return this.assignLines(document);
    const { record } = NETSUITE_RECORDS[document.documentType];
    const entity = await this.entityOf(document);
    const itemOf = await this.itemsOf(document);
    const body = toNetSuiteRecord(document, { entity, itemOf, customFields: this.settings.customFields });
    if (document.transformFrom) return this.transformed(document, body);
    try {
      // A sales order may have lines closed since (cancellations): created by POST, and written
      // again only through what it holds now, so that a redelivery or a resync never reopens them.
      if (document.documentType === 'salesOrder') return await this.salesOrder(document, body);
      // PUT on eid: creates or updates: a repeated write cannot create a second record.
      return { internalId: this.createdId(await this.request('PUT', replacing(record, document.externalId), body)) };
    } catch (error) {
      throw this.unknownItem(error, document) ?? error;
    }
  }

  /**
   * A sales order: created by `POST` with its external id (NetSuite refuses a second
   * record with it, DUP_RCRD). One that exists is read, and written again with every
   * line it has closed kept closed (quantity and amount 0, no tax), its payment lines
   * at what its closings left them, its shipping at 0 where a cancellation took it, and
   * each line on its key (docs/domain.md section 3: a cancelled line is never booked again).
   */
  private async salesOrder(document: ErpDocument, body: Record<string, unknown>): Promise<ErpPostResult> {
    try {
      return { internalId: this.createdId(await this.request('POST', '/record/v1/salesOrder', body)) };
    } catch (error) {
      if (!(error instanceof ErpError && error.details.code === 'DUP_RCRD')) throw error;
    }
    const held = await this.linesOf('salesOrder', document.externalId);
    const lines = postedLines(document);
    const anyClosed = held.lines.some((line) => line.isClosed === true);
    const dropped = new Set<string>();
    const items = (body.item as { items: Record<string, unknown>[] }).items.map((line, position) => {
      const current = held.at(position);
      if (!current) return line;
      const keyed: Record<string, unknown> = { ...line, line: current.line };
      if (current.isClosed === true) {
        if (typeof line.taxDetailsReference === 'string') dropped.add(line.taxDetailsReference);
        delete keyed.taxDetailsReference;
        return { ...keyed, isClosed: true, amount: 0, ...('quantity' in line ? { quantity: 0 } : {}) };
      }
      // What the closings gave back stays given back.
      if (anyClosed && lines[position]?.kind === 'payment') return { ...keyed, amount: current.amount };
      return keyed;
    });
    const shippingClosed = body.shippingCost !== undefined && decimal(erpAmount(held.shippingCost ?? 0, held.id)).eq(0);
    if (shippingClosed) dropped.add(SHIPPING_TAX_REFERENCE);
    const details = (body.taxDetails as { items: Record<string, unknown>[] }).items.filter(
      (detail) => !dropped.has(String(detail.taxDetailsReference)),
    );
    const rewritten = {
      ...body,
      ...(shippingClosed ? { shippingCost: 0 } : {}),
      item: { items },
      taxDetails: { items: details },
    };
    return {
      internalId: this.createdId(await this.request('PUT', replacing('salesOrder', document.externalId), rewritten)),
    };
  }

  /**
   * A record made from another by NetSuite's transform (docs/domain.md section 4:
   * `POST record/v1/{from}/{id}/!transform/{to}`, the body adding or overriding
   * fields, its external id included), made once: a record that already has the
   * external id (a retry, a replay) is updated by upsert instead; a transform that
   * loses a race to another (NetSuite refuses a second record with the external id)
   * takes the one that won.
   */
  private async transformed(document: ErpDocument, body: Record<string, unknown>): Promise<ErpPostResult> {
    const { record } = NETSUITE_RECORDS[document.documentType];
    const path = `/record/v1/${record}/eid:${document.externalId}`;
    const existing = await this.internalIdOf(path);
    if (document.documentType === 'customerRefund') body = await this.withApplied(document, body);
    if (document.documentType === 'itemFulfillment') body = await this.withOrderLines(document, body);
    try {
      if (existing)
        return {
          internalId: this.createdId(await this.request('PUT', replacing(record, document.externalId), body)),
        };
      const response = await this.request('POST', `${await this.sourceOf(document)}/!transform/${record}`, body);
      return { internalId: this.createdId(response) };
    } catch (error) {
      if (error instanceof ErpError && error.details.code === 'DUP_RCRD') {
        const winner = await this.internalIdOf(path);
        if (winner) return { internalId: winner };
      }
      throw this.unknownItem(error, document) ?? error;
    }
  }

  /**
   * The path of the record a document is made from: the one its external id names, or
   * (`via`) the one NetSuite made from that record, found by SuiteQL on
   * `NextTransactionLineLink` (the links a transform leaves between a record's lines and
   * the lines made from them: `previousdoc`, `nextdoc`, `nexttype`): the sales order's
   * first invoice (billed before shipping), or its first return authorization that no
   * credit memo was made from yet. None yet is `SOURCE_NOT_IN_ERP`: NetSuite's billing,
   * or the retailer's return authorization, may come later, and the sink waits for it.
   */
  private async sourceOf(document: ErpDocument): Promise<string> {
    const from = document.transformFrom!;
    const named = `/record/v1/${NETSUITE_RECORDS[from.documentType].record}`;
    if (!from.via) return `${named}/eid:${from.externalId}`;
    const parent = await this.internalIdOf(`${named}/eid:${from.externalId}`);
    if (!parent)
      throw new ErpError(
        'temporary',
        `${from.documentType} ${from.externalId} of ${document.externalId} is not in NetSuite yet`,
      );
    const { record, typeCode } = NETSUITE_VIA_RECORDS[from.via];
    const made = (await this.linksFrom([parent], typeCode)).map((link) => link.nextdoc);
    // A return authorization a credit memo was made from is used up: the next return needs another.
    const credited =
      from.via === 'returnAuthorization'
        ? new Set((await this.linksFrom(made, NETSUITE_RECORDS.creditMemo.typeCode)).map((link) => link.previousdoc))
        : new Set<string>();
    const open = [...new Set(made)].filter((id) => !credited.has(id));
    const [source] = open.sort((a, b) => Number(a) - Number(b));
    if (!source)
      throw new ErpError(
        'permanent',
        `${document.documentType} ${document.externalId}: ${from.documentType} ${from.externalId} (${parent}) has no ${
          from.via === 'invoice' ? 'invoice' : 'return authorization without a credit memo'
        } in NetSuite yet`,
        { code: 'SOURCE_NOT_IN_ERP' },
      );
    return `/record/v1/${record}/${encodeURIComponent(source)}`;
  }

  /** The links from any of these records to the records of a type made from them (`previousdoc` → `nextdoc`). */
  private async linksFrom(parents: string[], typeCode: string): Promise<{ previousdoc: string; nextdoc: string }[]> {
    if (parents.length === 0) return [];
    const rows = await this.suiteql<{ previousdoc: unknown; nextdoc: unknown }>(
      `SELECT previousdoc, nextdoc FROM NextTransactionLineLink WHERE previousdoc IN (${[...new Set(parents)].map(sqlNumber).join(', ')}) AND nexttype = ${sqlText(typeCode)}`,
      1000,
    );
    return rows.map((row) => ({ previousdoc: String(row.previousdoc), nextdoc: String(row.nextdoc) }));
  }

  /**
   * Closes lines of a posted sales order (docs/domain.md sections 3 and 4: a
   * cancellation; `PATCH salesOrder/{id}` with each line's `isClosed: true`,
   * quantity and amount 0, the line named by its key `line`, NetSuite's "Updating a
   * Sublist"). The order is read first: a line already closed is left as it is (a
   * retry, a replay: closing twice changes nothing), a line that does not book what
   * the sale booked is not touched (the document is refused, named). What the newly
   * closed lines booked, tax included, comes off the payment lines, the last first,
   * none below 0; the closed lines' tax details go to 0 with them.
   */
  private async closeLines(document: ErpDocument): Promise<ErpPostResult> {
    const { record } = NETSUITE_RECORDS[document.documentType];
    const sale = await this.linesOf(document.documentType, document.externalId);
    const { id } = sale;
    const refuse = (reason: string) =>
      new ErpError('permanent', `sales order ${document.externalId} (${id}): ${reason}`, { code: 'LINES_NOT_CLOSED' });
    const lineAt = (position: number | undefined) => {
      const line = sale.at(position);
      if (!line)
        throw refuse(`the cancellation names line ${position ?? '(none)'}, the order has ${sale.lines.length}`);
      return line;
    };
    const changes: Record<string, unknown>[] = [];
    const taxChanges: Record<string, unknown>[] = [];
    let reduction = new Big(0);
    for (const line of document.lines.filter((candidate) => candidate.kind !== 'payment')) {
      const target = lineAt(line.salePosition);
      if (target.isClosed) continue;
      const booked = decimal(line.amount).neg();
      const amount = decimal(erpAmount(target.amount ?? 0, id));
      if (!amount.eq(booked))
        throw refuse(
          `line ${target.line} books ${amount.toString()}, the cancelled ${line.itemId} was booked at ${booked.toString()}`,
        );
      const counted = (line.kind ?? 'item') === 'item' || line.kind === 'rounding';
      changes.push({ line: target.line, isClosed: true, ...(counted ? { quantity: 0 } : {}), amount: 0 });
      const tax = decimal(line.tax).neg();
      if (!tax.eq(0))
        taxChanges.push({ taxDetailsReference: taxReference(line.salePosition!), taxBasis: 0, taxAmount: 0 });
      reduction = reduction.plus(booked).plus(tax);
    }
    const shipping = decimal(erpAmount(sale.shippingCost ?? 0, id));
    const closesShipping = document.shippingCost !== undefined && !shipping.eq(0);
    if (closesShipping) {
      reduction = reduction.plus(shipping).minus(decimal(document.shippingTax ?? 0));
      if (document.shippingTax !== undefined)
        taxChanges.push({ taxDetailsReference: SHIPPING_TAX_REFERENCE, taxBasis: 0, taxAmount: 0 });
    }
    // Nothing left open to close: the cancellation is booked already.
    if (changes.length === 0 && !closesShipping) return { internalId: id };
    const payments = document.lines
      .filter((line) => line.kind === 'payment')
      .map((line) => lineAt(line.salePosition))
      .reverse();
    for (const target of payments) {
      if (reduction.eq(0)) break;
      const held = decimal(erpAmount(target.amount ?? 0, id)).neg();
      const share = reduction.lt(held) ? reduction : held;
      if (share.eq(0)) continue;
      const amount = held.minus(share);
      changes.push({
        line: target.line,
        amount: jsonAmount(amount.neg().toString()),
        ...(amount.eq(0) ? { isClosed: true } : {}),
      });
      reduction = reduction.minus(share);
    }
    if (reduction.gt(0) && payments.length > 0)
      throw refuse(`its payment lines hold less than the ${reduction.toString()} the cancellation takes off`);
    await this.request('PATCH', `/record/v1/${record}/${encodeURIComponent(id)}`, {
      item: { items: changes },
      ...(taxChanges.length > 0 ? { taxDetails: { items: taxChanges } } : {}),
      ...(closesShipping ? { shippingCost: 0 } : {}),
    });
    return { internalId: id };
  }

  /**
   * A customer refund's `apply` sublist (docs/domain.md section 4): the credit memo it is
   * made from, applied for the refund's amount.
   */
  private async withApplied(document: ErpDocument, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const from = document.transformFrom!;
    const credit = await this.internalIdOf(
      `/record/v1/${NETSUITE_RECORDS[from.documentType].record}/eid:${from.externalId}`,
    );
    if (!credit)
      throw new ErpError(
        'temporary',
        `the credit memo ${from.externalId} of customer refund ${document.externalId} is not in NetSuite yet`,
      );
    return { ...body, apply: { items: [{ doc: { id: credit }, apply: true, amount: jsonAmount(document.total) }] } };
  }

  /**
   * Sets where a posted sales order's lines are fulfilled from (docs/domain.md section 3:
   * `fulfillment_request.assigned` gives the lines their fulfilment location and the order
   * its ship method), by `PATCH` on each line's key; a closed line is left alone. Setting
   * the same values again changes nothing.
   */
  private async assignLines(document: ErpDocument): Promise<ErpPostResult> {
    const { record } = NETSUITE_RECORDS[document.documentType];
    const sale = await this.linesOf(document.documentType, document.externalId);
    const changes = document.lines.flatMap((line) => {
      const target = sale.at(line.salePosition);
      if (!target)
        throw new ErpError(
          'permanent',
          `sales order ${document.externalId} (${sale.id}) has no line for ${line.itemId}`,
          { code: 'LINE_NOT_OPEN' },
        );
      return target.isClosed || !line.erpLocation ? [] : [{ line: target.line, location: { id: line.erpLocation } }];
    });
    const shipMethod = document.erp?.shippingMethod;
    if (changes.length === 0 && !shipMethod) return { internalId: sale.id };
    await this.request('PATCH', `/record/v1/${record}/${encodeURIComponent(sale.id)}`, {
      ...(changes.length > 0 ? { item: { items: changes } } : {}),
      ...(shipMethod ? { shipMethod: { id: shipMethod } } : {}),
    });
    return { internalId: sale.id };
  }

  /**
   * An item fulfilment's lines with the key of the sales-order line each fulfils
   * (`orderLine`), read from the order (its lines in their posted order; the
   * fulfilment's lines name their place there). A line the order has closed (a
   * cancelled item) is not fulfilled: the document is refused, named.
   */
  private async withOrderLines(document: ErpDocument, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const from = document.transformFrom!;
    const sale = await this.linesOf(from.documentType, from.externalId);
    const lines = (body.item as { items: Record<string, unknown>[] }).items;
    const items = postedLines(document).map((line, index) => {
      const target = sale.at(line.salePosition);
      if (!target || target.isClosed)
        throw new ErpError(
          'permanent',
          `item fulfilment ${document.externalId}: sales order ${from.externalId} has no open line for ${line.itemId}`,
          { code: 'LINE_NOT_OPEN' },
        );
      return { ...lines[index], orderLine: target.line };
    });
    return { ...body, item: { items } };
  }

  /** A record's item lines in their order, with their keys (`line`), read with its sublists expanded. */
  private async linesOf(documentType: ErpDocumentType, externalId: string) {
    const { record } = NETSUITE_RECORDS[documentType];
    const response = await retryTemporary(
      () => this.request('GET', `/record/v1/${record}/eid:${externalId}?expandSubResources=true`, undefined),
      ERP_CALL_RETRIES,
    );
    const current = (await response.json()) as {
      id: string | number;
      shippingCost?: unknown;
      item?: { items?: { line: number; amount?: unknown; isClosed?: boolean }[] };
    };
    const lines = [...(current.item?.items ?? [])].sort((a, b) => Number(a.line) - Number(b.line));
    return {
      id: String(current.id),
      shippingCost: current.shippingCost,
      lines,
      /** The line at a place of the posted document's lines (`salePosition`), if the record has it. */
      at: (position: number | undefined) => (position === undefined ? undefined : lines[position]),
    };
  }

  /**
   * A record as NetSuite holds it now (`GET record/v1/{type}/eid:{externalId}` with its
   * sublists expanded, docs/domain.md section 4): its item lines with their item, quantity,
   * amount and closed flag; null on a 404.
   */
  async readRecord(
    documentType: ErpDocumentType,
    externalId: string,
  ): Promise<{ internalId: string; lines: ErpLine[] } | null> {
    try {
      const record = await this.linesOf(documentType, externalId);
      return {
        internalId: record.id,
        lines: record.lines.map((line, index) => {
          const { item, quantity, amount } = line as {
            item?: { id?: string | number };
            quantity?: unknown;
            amount?: unknown;
          };
          return {
            line: index + 1,
            item: item?.id === undefined ? null : String(item.id),
            itemType: null,
            quantity: quantity === undefined || quantity === null ? null : erpAmount(quantity, record.id),
            amount: amount === undefined || amount === null ? null : erpAmount(amount, record.id),
            isClosed: line.isClosed === true,
          };
        }),
      };
    } catch (error) {
      if (error instanceof ErpError && error.details.status === 404) return null;
      throw error;
    }
  }

  /** The internal id of a record by its `eid:` path, or undefined when NetSuite has none (404). */
  private async internalIdOf(path: string): Promise<string | undefined> {
    try {
      const response = await retryTemporary(
        () => this.request('GET', `${path}?fields=id`, undefined),
        ERP_CALL_RETRIES,
      );
      const id = ((await response.json()) as { id?: unknown }).id;
      return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    } catch (error) {
      if (error instanceof ErpError && error.details.status === 404) return undefined;
      throw error;
    }
  }

  /** The internal id at the end of a 204's Location header (docs/domain.md section 4, "Records"). */
  private createdId(response: Response): string {
    const internalId = response.headers.get('location')?.split('/').pop();
    if (response.status !== 204 || !internalId) {
      throw new ErpError('temporary', `Unexpected answer ${response.status} without a Location header`, {
        status: response.status,
      });
    }
    return internalId;
  }

  /**
   * An item NetSuite does not know (an unknown reference on an item line) named as
   * the catalogue problem it is: the NewStore product, tenant and order, with the
   * code UNKNOWN_ITEM, so the sink waits for the catalogue instead of a blind DLQ.
   */
  private unknownItem(error: unknown, document: ErpDocument): ErpError | undefined {
    // An unknown reference (docs/domain.md section 4, "References"); an inactive item stays the ERP's refusal.
    if (!(error instanceof ErpError) || error.kind !== 'permanent' || error.details.code !== 'INVALID_KEY_OR_REF')
      return undefined;
    const position = /^item\.items\[(\d+)\]\.item$/.exec(error.details.path ?? '')?.[1];
    if (position === undefined) return undefined;
    const line = postedLines(document)[Number(position)];
    if (!line?.productId || line.erpItem) return undefined;
    return unknownItemError(line.productId, document, error.message, error.details.status);
  }

  /**
   * The customer (`entity`) of a document (docs/domain.md section 3: one on every
   * transaction): the ERP customer the document names (a store's placeholder);
   * else the one NewStore's buyer is in NetSuite, found by e-mail within the
   * subsidiary or created; else, for a later document, its sale's customer.
   */
  private async entityOf(document: ErpDocument): Promise<NetSuiteRef | undefined> {
    const erpId = document.customer?.erpId ?? document.erp?.customer;
    if (erpId) return { id: erpId };
    if (document.customer && document.erp) return { id: await this.customerOf(document, document.customer) };
    if (document.dependsOn) return this.entityOfRecord(document.dependsOn.documentType, document.dependsOn.externalId);
    return undefined;
  }

  /** The customer of a record already in NetSuite (the sale of a refund), read by external id. */
  private async entityOfRecord(documentType: ErpDocumentType, externalId: string): Promise<NetSuiteRef | undefined> {
    const cacheKey = `record:${documentType}:${externalId}`;
    const cached = this.customers.get(cacheKey);
    if (cached) return { id: cached };
    const { record } = NETSUITE_RECORDS[documentType];
    const response = await retryTemporary(
      () => this.request('GET', `/record/v1/${record}/eid:${externalId}?fields=entity`, undefined),
      ERP_CALL_RETRIES,
    );
    const entity = ((await response.json()) as { entity?: { id?: unknown } }).entity;
    if (typeof entity?.id !== 'string' && typeof entity?.id !== 'number') return undefined;
    this.customers.set(cacheKey, String(entity.id));
    return { id: String(entity.id) };
  }

  /**
   * NewStore's buyer as a NetSuite customer: an active customer with the e-mail in
   * the subsidiary (SuiteQL), else the customer the hub creates by upsert on an
   * external id derived from NewStore's customer, so a retry or a second sale never
   * makes a second one. Cached by subsidiary and e-mail (or external id). The
   * personal data goes to NetSuite only: nothing here logs it.
   */
  private async customerOf(document: ErpDocument, customer: NonNullable<ErpDocument['customer']>): Promise<string> {
    const subsidiary = document.erp!.subsidiary;
    const byEmail = this.settings.customerMatch !== 'externalId' && customer.email;
    const cacheKey = byEmail ? `email:${subsidiary}:${customer.email!.toLowerCase()}` : `eid:${customer.externalId}`;
    const cached = this.customers.get(cacheKey);
    if (cached) return cached;
    if (byEmail) {
      const [found] = await this.suiteql<{ id: string }>(
        `SELECT id FROM customer WHERE email = ${sqlText(customer.email!)} AND subsidiary = ${sqlText(subsidiary)} AND isinactive = 'F' ORDER BY id`,
        1,
      );
      if (found) {
        this.customers.set(cacheKey, String(found.id));
        return String(found.id);
      }
    }
    if (!customer.externalId)
      throw new ErpError('permanent', `the customer of order ${document.orderId} has no e-mail and no NewStore id`, {
        code: 'NO_CUSTOMER',
      });
    const response = await this.request('PUT', `/record/v1/customer/eid:${customer.externalId}`, {
      externalId: customer.externalId,
      isPerson: true,
      // NetSuite needs a person's first and last name; NewStore's billing address may have none.
      firstName: customer.firstName ?? 'NewStore',
      lastName: customer.lastName ?? 'Customer',
      ...(customer.email ? { email: customer.email } : {}),
      ...(customer.phone ? { phone: customer.phone } : {}),
      subsidiary: { id: subsidiary },
      ...(document.erp?.currency ? { currency: { id: document.erp.currency } } : {}),
    });
    const id = this.createdId(response);
    this.customers.set(cacheKey, id);
    return id;
  }

  /**
   * The item of each NewStore product of a document (docs/domain.md section 3,
   * "Items"): by external id, a reference NetSuite resolves itself; by name, the
   * items' internal ids from SuiteQL (`itemid`), looked up once and cached. A
   * product NetSuite does not have fails the document as UNKNOWN_ITEM, named.
   */
  private async itemsOf(document: ErpDocument): Promise<(productId: string) => NetSuiteRef> {
    if (this.settings.itemLookup !== 'name') return (productId) => ({ externalId: productId });
    const products = [
      ...new Set(
        document.lines
          .filter((line) => !line.erpItem && line.kind !== 'shippingTax')
          .map((line) => line.productId ?? line.sku)
          .filter((product): product is string => Boolean(product)),
      ),
    ];
    const missing = products.filter((product) => !this.items.has(product));
    for (let start = 0; start < missing.length; start += ITEM_NAMES_PER_QUERY) {
      const names = missing.slice(start, start + ITEM_NAMES_PER_QUERY);
      const rows = await this.suiteql<{ id: string; itemid: string }>(
        `SELECT id, itemid FROM item WHERE itemid IN (${names.map(sqlText).join(', ')}) AND isinactive = 'F'`,
        names.length,
      );
      for (const row of rows) this.items.set(String(row.itemid), String(row.id));
    }
    const unknown = products.find((product) => !this.items.has(product));
    if (unknown) throw unknownItemError(unknown, document, 'no active item has this name');
    return (productId) => ({ id: this.items.get(productId)! });
  }

  /** The rows of one SuiteQL page (docs/domain.md section 4, "SuiteQL"), retried on temporary failures. */
  private async suiteql<T>(q: string, limit: number): Promise<T[]> {
    return (await this.suiteqlPage<T>(q, limit, 0)).items;
  }

  /**
   * One page of a SuiteQL query (docs/domain.md section 4: `POST query/v1/suiteql` with
   * `Prefer: transient`, `?limit=` at most 1000 and `&offset=`), retried on its own on
   * temporary failures: a read at the same offset, so a listing goes on from where it is.
   */
  private async suiteqlPage<T>(q: string, limit: number, offset: number): Promise<{ items: T[]; hasMore: boolean }> {
    return retryTemporary(async () => {
      const response = await this.request(
        'POST',
        `/query/v1/suiteql?limit=${Math.max(1, Math.min(limit, 1000))}&offset=${offset}`,
        { q },
        { prefer: 'transient' },
      );
      return (await response.json()) as { items: T[]; hasMore: boolean };
    }, ERP_CALL_RETRIES);
  }

  /**
   * The day's transactions, keyset-windowed by internal id: SuiteQL answers at most
   * `queryRowCap` (100,000) rows of one query, and paging past that silently ends,
   * so a window that reaches the cap is followed by a new query after its last id.
   */
  async *listTransactions(date: string, pageSize = 1000): AsyncGenerator<ErpTransaction[]> {
    const byCode = new Map(
      Object.entries(NETSUITE_RECORDS).map(([type, { typeCode }]) => [typeCode, type as ErpDocumentType]),
    );
    const codes = [...byCode.keys()].map((code) => `'${code}'`).join(', ');
    const cap = this.settings.queryRowCap ?? 100_000;
    const day = date.replace(/[^0-9-]/g, '');
    /** Item names by internal id, read once per listing. */
    const itemNames = new Map<string, string[]>();
    let afterId = 0;
    for (;;) {
      // `foreigntotal` is the total in the transaction's currency; `transaction` has no `total` column (docs/domain.md section 4).
      const q = `SELECT id, externalid, type, trandate, foreigntotal FROM transaction WHERE trandate = '${day}' AND type IN (${codes}) AND id > ${afterId} ORDER BY id`;
      let windowRows = 0;
      let hasMore = true;
      while (hasMore && windowRows < cap) {
        const limit = Math.min(pageSize, cap - windowRows);
        const page = await this.suiteqlPage<{
          id: string;
          externalid: string | null;
          type: string;
          trandate: string;
          foreigntotal: unknown;
        }>(q, limit, windowRows);
        if (page.items.length === 0) return;
        const lines = await this.transactionLines(
          page.items.map((item) => String(item.id)),
          itemNames,
        );
        yield page.items.map((item) => {
          const own = lines.get(String(item.id)) ?? [];
          const paid = own
            .filter((line) => line.itemType === 'Payment' && line.amount !== null)
            .reduce((sum, line) => sum.minus(decimal(line.amount!).abs()), new Big(0));
          return {
            internalId: String(item.id),
            externalId: item.externalid,
            documentType: byCode.get(item.type) ?? 'other',
            tranDate: item.trandate,
            // What the record books besides its payments: the sale lines, NewStore's grandTotal.
            total: decimal(erpAmount(item.foreigntotal, item.id)).minus(paid).toString(),
            payments: paid.toString(),
            lines: own,
          };
        });
        windowRows += page.items.length;
        afterId = Math.max(afterId, ...page.items.map((item) => Number(item.id)));
        hasMore = page.hasMore;
      }
      if (windowRows < cap) return;
    }
  }

  /**
   * Each transaction's lines (docs/domain.md sections 3 and 4: a paid sale totals 0, so
   * the sale is compared without its payment lines, and line parity compares each line),
   * read from SuiteQL's `transactionline` joined by transaction id: `linesequencenumber`,
   * `item`, `itemtype`, `quantity`, `foreignamount` (the amount in the transaction's
   * currency) and `isclosed`, the columns of NetSuite's records catalog. A row without an
   * item (the main line) is no line of the record. A payment line is a negative amount on
   * the record; `transactionline` may keep amounts with the ledger's sign instead, so
   * their size is what counts (assumed; docs/domain.md asks to verify). An account whose
   * SuiteQL refuses a column (400) is read with the columns docs/domain.md names for line
   * comparison (item, type, quantity, amount): lines in the answer's order, a line closed
   * when it books nothing.
   */
  private async transactionLines(
    transactionIds: string[],
    itemNames: Map<string, string[]>,
  ): Promise<Map<string, ErpLine[]>> {
    const byTransaction = new Map<string, ErpLine[]>();
    const ids = transactionIds.map((id) => Number(id)).filter(Number.isInteger);
    if (ids.length === 0) return byTransaction;
    const rows = await this.linesQuery(ids);
    for (const row of rows) {
      if (row.item === null || row.item === undefined || row.item === '') continue;
      const key = String(row.transaction);
      const own = byTransaction.get(key) ?? [];
      const amount =
        row.foreignamount === null || row.foreignamount === undefined ? null : erpAmount(row.foreignamount, key);
      const quantity = row.quantity === null || row.quantity === undefined ? null : erpAmount(row.quantity, key);
      own.push({
        line: row.linesequencenumber === undefined ? own.length + 1 : Number(row.linesequencenumber),
        item: String(row.item),
        itemType: row.itemtype === null || row.itemtype === undefined ? null : String(row.itemtype),
        quantity,
        amount,
        isClosed:
          row.isclosed === undefined
            ? (amount === null || decimal(amount).eq(0)) && (quantity === null || decimal(quantity).eq(0))
            : row.isclosed === 'T' || row.isclosed === true,
      });
      byTransaction.set(key, own);
    }
    for (const lines of byTransaction.values()) lines.sort((a, b) => a.line - b.line);
    await this.nameItems([...byTransaction.values()].flat(), itemNames);
    return byTransaction;
  }

  /**
   * The `transactionline` columns asked, most first: with the flags that tell NetSuite's
   * own rows apart (`mainline`, `taxline`, `iscogs`: the header, SuiteTax's tax lines and
   * the cost-of-goods lines of a cash sale, none a line the hub posted), then without
   * them, then only the columns docs/domain.md names for line comparison. An account
   * whose SuiteQL refuses a column (a permanent error) is asked with the next set.
   */
  private static readonly LINE_COLUMNS = [
    'transaction, linesequencenumber, item, itemtype, quantity, foreignamount, isclosed, mainline, taxline, iscogs',
    'transaction, linesequencenumber, item, itemtype, quantity, foreignamount, isclosed',
    'transaction, item, itemtype, quantity, foreignamount',
  ];

  /** Which of {@link LINE_COLUMNS} this account answers. */
  private lineColumns = 0;

  private async linesQuery(ids: number[]): Promise<TransactionLineRow[]> {
    const columns = NetSuiteRestAdapter.LINE_COLUMNS[this.lineColumns];
    const q = `SELECT ${columns} FROM transactionline WHERE transaction IN (${ids.join(', ')})`;
    try {
      const rows = await this.allRows<TransactionLineRow>(q);
      const flagged = (value: unknown) => value === 'T' || value === true;
      return rows.filter((row) => !flagged(row.mainline) && !flagged(row.taxline) && !flagged(row.iscogs));
    } catch (error) {
      const last = this.lineColumns === NetSuiteRestAdapter.LINE_COLUMNS.length - 1;
      if (last || !(error instanceof ErpError) || error.kind !== 'permanent') throw error;
      this.lineColumns += 1;
      return this.linesQuery(ids);
    }
  }

  /**
   * The name and external id of each line's item (SuiteQL `item`: `itemid`,
   * `externalid`), what a NewStore product id names; read once per item. An account
   * that refuses the query leaves the lines unnamed: products are then not compared.
   */
  private async nameItems(lines: ErpLine[], names: Map<string, string[]>): Promise<void> {
    const unknown = [...new Set(lines.map((line) => line.item!).filter((item) => !names.has(item)))]
      .map(Number)
      .filter(Number.isInteger);
    for (let start = 0; start < unknown.length; start += 500) {
      const chunk = unknown.slice(start, start + 500);
      try {
        const rows = await this.allRows<{ id: unknown; itemid: unknown; externalid: unknown }>(
          `SELECT id, itemid, externalid FROM item WHERE id IN (${chunk.join(', ')})`,
        );
        for (const id of chunk) names.set(String(id), []);
        for (const row of rows)
          names.set(
            String(row.id),
            [row.itemid, row.externalid].filter((name): name is string => typeof name === 'string' && name !== ''),
          );
      } catch (error) {
        if (!(error instanceof ErpError) || error.kind !== 'permanent') throw error;
        return;
      }
    }
    for (const line of lines) if (names.get(line.item!)?.length) line.itemNames = names.get(line.item!);
  }

  /** Every row of a SuiteQL query, page by page. */
  private async allRows<T>(q: string): Promise<T[]> {
    const rows: T[] = [];
    for (;;) {
      const page = await this.suiteqlPage<T>(q, 1000, rows.length);
      rows.push(...page.items);
      if (!page.hasMore || page.items.length === 0) return rows;
    }
  }

  async deleteTransaction(documentType: ErpDocumentType, internalId: string): Promise<void> {
    const { record } = NETSUITE_RECORDS[documentType];
    await deleteWithRetries(() =>
      this.request('DELETE', `/record/v1/${record}/${encodeURIComponent(internalId)}`, undefined),
    );
  }

  private async request(
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const url = `${this.settings.baseUrl}${path}`;
    const authorization = this.settings.tokenBasedAuth
      ? tokenBasedAuthorization(method, url, this.settings.tokenBasedAuth)
      : `Bearer ${await this.accessToken()}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        // A redirect is an answer, never followed (see classifyHttpFailure).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (error) {
      throw networkFailure(error);
    }
    if (response.ok) return response;
    if (response.status === 401) this.token = undefined;
    const text = await response.text();
    let parsed: NetSuiteErrorBody = {};
    try {
      parsed = JSON.parse(text) as NetSuiteErrorBody;
    } catch {
      // Not NetSuite's error shape: keep the raw text.
    }
    const detail = parsed['o:errorDetails']?.[0];
    const message = detail
      ? `${parsed.title ?? `HTTP ${response.status}`}: ${detail.detail ?? ''}${detail['o:errorCode'] ? ` [${detail['o:errorCode']}]` : ''}${detail['o:errorPath'] ? ` at ${detail['o:errorPath']}` : ''}`
      : `HTTP ${response.status}: ${text.slice(0, 500)}`;
    throw classifyHttpFailure(
      response.status,
      response.headers.get('retry-after'),
      message,
      detail?.['o:errorCode'],
      detail?.['o:errorPath'],
    );
  }

  /** Client-credentials token, cached and refreshed a minute before it expires. */
  private async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    const tokenUrl = this.settings.tokenUrl ?? `${this.settings.baseUrl}/auth/oauth2/v1/token`;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.settings.privateKeyPem) {
      form.set('client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      form.set('client_assertion', this.assertion(tokenUrl));
    } else {
      form.set('client_id', this.settings.clientId);
      form.set('client_secret', this.settings.clientSecret ?? '');
    }
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        body: form,
        // A redirect is an answer, never followed (see classifyHttpFailure).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (error) {
      throw networkFailure(error);
    }
    if (!response.ok) {
      throw classifyHttpFailure(
        response.status,
        response.headers.get('retry-after'),
        `NetSuite token request failed with HTTP ${response.status}`,
      );
    }
    const body = (await response.json()) as { access_token: string; expires_in: number };
    this.token = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return body.access_token;
  }

  /** A JWT client assertion signed with PS256, as NetSuite's OAuth 2.0 client credentials flow asks. */
  private assertion(audience: string): string {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'PS256', typ: 'JWT', kid: this.settings.certificateId }));
    const payload = base64url(
      JSON.stringify({
        iss: this.settings.clientId,
        scope: ['rest_webservices'],
        aud: audience,
        iat: now,
        exp: now + 3600,
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: createPrivateKey(this.settings.privateKeyPem!),
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    });
    return `${header}.${payload}.${base64url(signature)}`;
  }
}
