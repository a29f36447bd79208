import { decimal, type ErpDocument, type ErpDocumentType } from '@hub/contracts';

/**
 * How a failed ERP call is to be handled, decided where it arises (the adapter):
 * temporary → pause, back off, retry the same document, never skip it;
 * permanent → the document can never be posted as it is: DLQ and a `failed` status.
 */
export type ErpFailureKind = 'temporary' | 'permanent';

export class ErpError extends Error {
  constructor(
    readonly kind: ErpFailureKind,
    message: string,
    readonly details: { status?: number; code?: string; path?: string; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'ErpError';
  }
}

export interface ErpPostResult {
  /** The ERP's own id of the record. */
  internalId: string;
}

/** One ERP transaction of a day, for reconciliation. */
export interface ErpTransaction {
  internalId: string;
  externalId: string | null;
  documentType: ErpDocumentType | 'other';
  tranDate: string;
  /**
   * What the transaction books besides its payment lines, in its currency, as a
   * decimal string: its sale lines, taxes and shipping (NewStore's grandTotal for a
   * sale; docs/domain.md section 3). Without payment lines, NetSuite's total.
   */
  total: string;
  /** Its payment lines' sum (negative), where the ERP has them. */
  payments?: string;
  /** Its lines in their order, where the ERP lists them (line parity); absent: not compared. */
  lines?: ErpLine[];
}

/**
 * One line of an ERP transaction as the ERP lists it (NetSuite: SuiteQL's
 * `transactionline`, docs/domain.md section 4). Amounts and quantities are decimal
 * strings with the sign the ERP keeps; line parity compares their size.
 */
export interface ErpLine {
  /** The line's place (NetSuite's `linesequencenumber`), or its place in the answer. */
  line: number;
  /** The ERP item's internal id; null for a line without one. */
  item: string | null;
  /** The ERP item's name and external id, where they were read: what a NewStore product id names. */
  itemNames?: string[];
  /** The item's type: `Payment`, `Discount`, an inventory or service type… */
  itemType: string | null;
  quantity: string | null;
  amount: string | null;
  isClosed: boolean;
}

/** The ERP as the hub sees it. Adapters: NetSuite REST, generic HTTP. */
export interface ErpPort {
  readonly name: string;
  /** Creates or updates the record with the document's external id: repeating it cannot make a second record. */
  upsert(document: ErpDocument): Promise<ErpPostResult>;
  /** The transactions of one business day, page by page. */
  listTransactions(date: string, pageSize?: number): AsyncGenerator<ErpTransaction[]>;
  /** Deletes one transaction (a duplicate the hub did not create; only on an operator's explicit setting). */
  deleteTransaction(documentType: ErpDocumentType, internalId: string): Promise<void>;
  /**
   * A record as the ERP holds it now, with its item lines in their order (a resync's dry
   * run); null when the ERP has none with that external id. Absent where the ERP cannot say.
   */
  readRecord?(
    documentType: ErpDocumentType,
    externalId: string,
  ): Promise<{ internalId: string; lines: ErpLine[] } | null>;
}

/**
 * An amount the ERP answered, as a decimal string. SuiteQL may answer numbers as
 * JSON numbers or as text; anything else is not an amount, and fails the read
 * with the record named, never becomes NaN in a report.
 */
export function erpAmount(value: unknown, internalId: string): string {
  try {
    return decimal(value).toString();
  } catch {
    throw new ErpError(
      'permanent',
      `ERP transaction ${internalId} has no readable amount: ${JSON.stringify(value) ?? 'missing'}`,
    );
  }
}
