import { sampleErpDocument } from '@hub/testing';
import {
  classifyReturn,
  compareDocumentLines,
  LineParityInput,
  ListedLine,
  ProjectedLine,
  projectedLines,
} from './document-parity';

const sale: ProjectedLine[] = [
  { kind: 'item', itemId: 'i1', productId: 'P-1', quantity: 1, amount: '30.00' },
  { kind: 'discount', itemId: 'i1-discount', erpItem: '701', quantity: 1, amount: '-5.00' },
  { kind: 'item', itemId: 'i2', productId: 'P-2', quantity: 2, amount: '20.00' },
  { kind: 'payment', itemId: 'payment-1', erpItem: '501', quantity: 1, amount: '-48.00' },
];

/** The ERP's lines of that sale as SuiteQL lists them: item ids, names, and the ledger's signs. */
function erpLines(overrides: Partial<ListedLine>[] = []): ListedLine[] {
  const lines: ListedLine[] = [
    {
      line: 1,
      item: '200001',
      itemNames: ['P-1'],
      itemType: 'InvtPart',
      quantity: '-1',
      amount: '-30.00',
      isClosed: false,
    },
    {
      line: 2,
      item: '701',
      itemNames: ['Discount'],
      itemType: 'Discount',
      quantity: null,
      amount: '5.00',
      isClosed: false,
    },
    {
      line: 3,
      item: '200002',
      itemNames: ['P-2'],
      itemType: 'InvtPart',
      quantity: '-2',
      amount: '-20.00',
      isClosed: false,
    },
    {
      line: 4,
      item: '501',
      itemNames: ['Card payment'],
      itemType: 'Payment',
      quantity: null,
      amount: '48.00',
      isClosed: false,
    },
  ];
  return lines.map((line, index) => ({ ...line, ...overrides[index] }));
}

function input(overrides: Partial<LineParityInput> = {}): LineParityInput {
  return {
    idempotencyKey: 'salesOrder:acme:o1',
    orderId: 'o1',
    documentType: 'salesOrder',
    externalId: 'W1001',
    lines: sale,
    closings: [],
    erp: { internalId: '9001', lines: erpLines() },
    cancelledInNewStore: [],
    creditedCancellations: [],
    ...overrides,
  };
}

describe('line parity', () => {
  it('finds nothing when every line books what the hub posted, whatever sign SuiteQL keeps', () => {
    expect(compareDocumentLines(input())).toEqual([]);
    // SuiteTax's tax lines and the shipping line are no lines of the hub's sublist.
    const withTax = [
      ...erpLines(),
      { line: 5, item: '900', itemType: 'TaxItem', quantity: null, amount: '4.00', isClosed: false },
      { line: 6, item: '901', itemType: 'ShipItem', quantity: null, amount: '7.00', isClosed: false },
    ];
    expect(compareDocumentLines(input({ erp: { internalId: '9001', lines: withTax } }))).toEqual([]);
  });

  it('names each line whose amount moved, with both values and the delta, when the total is unchanged', () => {
    const found = compareDocumentLines(
      input({ erp: { internalId: '9001', lines: erpLines([{ amount: '-25.00' }, {}, { amount: '-25.00' }]) } }),
    );
    expect(found.map((item) => [item.kind, item.subject, item.expected, item.found, item.delta])).toEqual([
      ['line_mismatch', 'salesOrder:acme:o1:line:1', '30', '25', '-5'],
      ['line_mismatch', 'salesOrder:acme:o1:line:3', '20', '25', '5'],
    ]);
    expect(found[0].detail).toBe(
      'salesOrder W1001 (ERP 9001) line 1: amount: the hub posted 30.00, the ERP has -25.00',
    );
    expect(found[0].erpInternalIds).toEqual(['9001']);
  });

  it('names a changed quantity, another product, another payment item, and lines on one side only', () => {
    const changed = erpLines([{ quantity: '-3' }, {}, { itemNames: ['P-9'] }, { item: '503' }]);
    const details = compareDocumentLines(input({ erp: { internalId: '9001', lines: changed } })).map(
      (item) => item.detail,
    );
    expect(details).toEqual([
      'salesOrder W1001 (ERP 9001) line 1: quantity: the hub posted 1, the ERP has -3',
      'salesOrder W1001 (ERP 9001) line 3: item: the hub posted item P-2, the ERP has item 200002 (InvtPart)',
      'salesOrder W1001 (ERP 9001) line 4: item: the hub posted payment 501, the ERP has item 503 (Payment)',
    ]);
    const shorter = compareDocumentLines(input({ erp: { internalId: '9001', lines: erpLines().slice(0, 3) } }));
    expect(shorter.map((item) => item.detail)).toEqual([
      'salesOrder W1001 (ERP 9001) line 4: the hub posted payment payment-1 at -48.00, the ERP has no such line',
    ]);
    const longer = [
      ...erpLines(),
      { line: 9, item: '555', itemType: 'Service', quantity: '1', amount: '1.00', isClosed: false },
    ];
    expect(compareDocumentLines(input({ erp: { internalId: '9001', lines: longer } }))[0].detail).toBe(
      'salesOrder W1001 (ERP 9001) line 5: the ERP has a line (item 555, 1.00) the hub never posted',
    );
  });

  it('does not compare products where the ERP gave no item names, nor lines where either side kept none', () => {
    const unnamed = erpLines().map((line) => ({ ...line, itemNames: undefined }));
    expect(compareDocumentLines(input({ erp: { internalId: '9001', lines: unnamed } }))).toEqual([]);
    expect(compareDocumentLines(input({ lines: null }))).toEqual([]);
    expect(compareDocumentLines(input({ erp: { internalId: '9001', lines: null } }))).toEqual([]);
  });

  it('expects the lines a posted cancellation closed at 0, and its payment line reduced by what they booked', () => {
    // Item i2 cancelled: its line closed (minus 20.00), the payment given back 20.00.
    const closing: ProjectedLine[] = [
      { kind: 'item', itemId: 'i2', productId: 'P-2', quantity: 2, amount: '-20.00', salePosition: 2 },
      { kind: 'payment', itemId: 'payment-1', erpItem: '501', quantity: 1, amount: '20.00', salePosition: 3 },
    ];
    const closed = erpLines([{}, {}, { quantity: '0', amount: '0', isClosed: true }, { amount: '28.00' }]);
    expect(
      compareDocumentLines(
        input({ closings: [closing], cancelledInNewStore: ['i2'], erp: { internalId: '9001', lines: closed } }),
      ),
    ).toEqual([]);
    // The ERP never closed it: the line still books 20.00 against the hub's 0.
    const open = compareDocumentLines(input({ closings: [closing], erp: { internalId: '9001', lines: erpLines() } }));
    expect(open.map((item) => item.detail)).toEqual([
      'salesOrder W1001 (ERP 9001) line 3: quantity: the hub posted 0, the ERP has -2; amount: the hub posted 0, the ERP has -20.00',
      'salesOrder W1001 (ERP 9001) line 4: amount: the hub posted -28, the ERP has 48.00',
    ]);
  });

  it('finds an item NewStore shows cancelled whose line is still open, once, its discount line with it', () => {
    const found = compareDocumentLines(input({ cancelledInNewStore: ['i1'] }));
    expect(found.map((item) => [item.kind, item.subject, item.found])).toEqual([
      ['missing_cancellation', 'salesOrder:acme:o1:cancelled:i1', '30'],
    ]);
    expect(found[0].detail).toBe(
      'item i1 is cancelled in NewStore; line 1 of salesOrder W1001 (ERP 9001) is still open at -30.00',
    );
    // Booked as a credit memo from the invoice (billing before shipping): the sale keeps its lines.
    expect(compareDocumentLines(input({ cancelledInNewStore: ['i1'], creditedCancellations: ['i1'] }))).toEqual([]);
    // A cash sale is never changed by a cancellation.
    expect(compareDocumentLines(input({ documentType: 'cashSale', cancelledInNewStore: ['i1'] }))).toEqual([]);
  });
});

describe('returns', () => {
  const base = { returnId: 'r1', orderId: 'o1', totalRefund: '71.62', hubDocuments: 0 };
  const refund = { internalId: '77', externalId: 'RT-r1', documentType: 'cashRefund' as const, total: '-71.62' };

  it('finds a return NewStore holds that neither the hub nor the ERP has', () => {
    const [found] = classifyReturn({ ...base, erp: [] });
    expect(found).toMatchObject({ kind: 'missing_return', orderId: 'o1', subject: 'return:r1', expected: '71.62' });
    expect(found.detail).toContain('return r1 is in NewStore (refund 71.62)');
    // A hub document the ERP lacks is the document comparison's (missing_in_erp), not found twice.
    expect(classifyReturn({ ...base, hubDocuments: 1, erp: [] })).toEqual([]);
    // A blind return has no order: it is named by its own id.
    expect(classifyReturn({ ...base, orderId: null, erp: [] })[0].orderId).toBe('return:r1');
  });

  it("compares the refund record's amount with NewStore's total refund, exactly, whatever the sign", () => {
    expect(classifyReturn({ ...base, erp: [refund] })).toEqual([]);
    const [found] = classifyReturn({ ...base, erp: [{ ...refund, total: '70.62' }] });
    expect(found).toMatchObject({
      kind: 'refund_amount_mismatch',
      expected: '71.62',
      found: '70.62',
      delta: '-1',
      erpInternalIds: ['77'],
      externalId: 'RT-r1',
    });
    // A web return's customer refund is not its refund record: the credit memo is compared.
    const chain = [
      { internalId: '78', externalId: 'RT-r1-CR', documentType: 'customerRefund' as const, total: '0' },
      { ...refund, documentType: 'creditMemo' as const },
    ];
    expect(classifyReturn({ ...base, erp: chain })).toEqual([]);
  });
});

describe('projected lines', () => {
  it("keeps what a document puts on its record's item sublist, in order, and nothing for records without amounts", () => {
    const sale = sampleErpDocument('salesOrder', 'W1', {
      lines: [
        { kind: 'item', itemId: 'i1', productId: 'P-1', quantity: 2, amount: '46.00', tax: '4.00' },
        { kind: 'shippingTax', itemId: 'shipping-tax', quantity: 1, amount: '0', tax: '1.00' },
        { kind: 'payment', itemId: 'p1', erpItem: '501', quantity: 1, amount: '-51.00', tax: '0' },
      ],
    });
    // The shipping tax rides on SuiteTax's tax details, never on a line.
    expect(projectedLines(sale)).toEqual([
      { kind: 'item', itemId: 'i1', productId: 'P-1', quantity: 2, amount: '46.00' },
      { kind: 'payment', itemId: 'p1', erpItem: '501', quantity: 1, amount: '-51.00' },
    ]);
    expect(projectedLines(sampleErpDocument('customerRefund', 'RT-1-CR'))).toBeNull();
    expect(projectedLines(sampleErpDocument('itemFulfillment', 'FF-1'))).toBeNull();
    expect(projectedLines(sampleErpDocument('salesOrder', 'W1', { operation: 'assignLines' }))).toBeNull();
  });
});
