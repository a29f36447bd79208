import { ErpDocument } from '@hub/contracts';
import { ErpError, NetSuiteRestAdapter, toNetSuiteRecord } from '@hub/erp';
import { emulatorNetSuiteAdapter, sampleErpDocument } from '@hub/testing';
import { ErpEmulator, TRANSACTION_COLUMNS } from '../../tools/emulators/erp/erp-emulator';

/**
 * The ERP emulator and the NetSuite adapter against NetSuite's documented
 * behaviour (docs/domain.md section 4): SuiteQL's `transaction` table has
 * `foreigntotal` and no `total`, an unknown column fails the query with 400
 * `Invalid search query`, and a record's total is NetSuite's own sum of its
 * lines, taxes, shipping and handling (`total` is read-only).
 */
describe('NetSuite contract', () => {
  const emulator = new ErpEmulator({ concurrencyLimit: 10 });
  let base: string;
  let adapter: NetSuiteRestAdapter;
  const sent: string[] = [];
  const realFetch = global.fetch;

  beforeAll(async () => {
    base = `${await emulator.listen(0)}/services/rest`;
    adapter = emulatorNetSuiteAdapter(base, { requestTimeoutMs: 5_000 });
    // Every SuiteQL statement the adapter sends is kept, to check its columns.
    jest.spyOn(global, 'fetch').mockImplementation(async (input, init) => {
      const url = input instanceof Request ? input.url : input.toString();
      if (url.includes('/query/v1/suiteql') && typeof init?.body === 'string')
        sent.push((JSON.parse(init.body) as { q: string }).q);
      return realFetch(input, init);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await emulator.close();
  });

  const shipped = (externalId: string, overrides: Partial<ErpDocument> = {}) =>
    sampleErpDocument('salesOrder', externalId, {
      tranDate: '2025-03-04',
      currency: 'KWD',
      erp: { subsidiary: '1', location: '100', currency: '5', taxType: '25', taxCode: '35' },
      // 0.1 + 0.2 in floats is 0.30000000000000004: only an exact sum gives 12.645.
      lines: [
        { kind: 'item', itemId: 'a', productId: 'prod-1001', quantity: 1, amount: '0.100', tax: '0.200' },
        { kind: 'item', itemId: 'b', productId: 'prod-1002', quantity: 2, amount: '10.005', tax: '2.001' },
      ],
      shippingCost: '0.339',
      total: '12.645',
      ...overrides,
    });
  const references = { entity: { id: '801' }, itemOf: (productId: string) => ({ externalId: productId }) };

  it('posts shipping and no total; the ERP total is NetSuite sum of the parts', async () => {
    const document = shipped('SO-contract-1');
    const body = toNetSuiteRecord(document, references);
    expect(body).not.toHaveProperty('total');
    expect(body).toMatchObject({ shippingCost: 0.339 });
    await adapter.upsert(document);
    const [record] = emulator.recordsWithExternalId('SO-contract-1');
    expect(record.total).toBe('12.645');
  });

  /**
   * Oracle's REST examples for transactions (NetSuite help, "Use Case for Creating an
   * Invoice" and the purchase order record's "Creating a Purchase Order": `{"entity": {"id"},
   * "subsidiary": {"id"}, "location", "item": {"items": [{"item": {"id"}, "amount"}]}}`), and
   * docs/domain.md sections 3 and 4 for what a sale carries: the body of each sale record
   * type the hub writes has the examples' shape and nothing NetSuite refuses.
   */
  it.each(['salesOrder', 'cashSale'] as const)(
    'writes a %s as Oracle writes a transaction: customer, items and payments by reference, SuiteTax, no legacy fields',
    async (documentType) => {
      const document = sampleErpDocument(documentType, `${documentType}-shape`, {
        shippingCost: '5.00',
        shippingTax: '0.40',
        erp: {
          subsidiary: '1',
          location: '101',
          channel: '12',
          shippingMethod: '601',
          currency: '1',
          taxType: '21',
          taxCode: '31',
        },
        lines: [
          { kind: 'item', itemId: 'l1', productId: 'prod-1001', quantity: 2, amount: '100.00', tax: '7.20' },
          {
            kind: 'discount',
            itemId: 'l1-d',
            erpItem: '701',
            quantity: 1,
            amount: '-10.00',
            tax: '0.00',
            couponCode: 'VIP20',
          },
          {
            kind: 'payment',
            itemId: 'p1',
            erpItem: '501',
            quantity: 1,
            amount: '-102.60',
            tax: '0.00',
            paymentMethod: 'credit_card',
          },
        ],
        total: '0.00',
      });
      const body = toNetSuiteRecord(document, references);
      expect(body).toMatchObject({
        entity: { id: '801' },
        subsidiary: { id: '1' },
        location: { id: '101' },
        class: { id: '12' },
        currency: { id: '1' },
        shipMethod: { id: '601' },
        shippingCost: 5,
        taxDetailsOverride: true,
        taxDetails: {
          items: [
            {
              taxDetailsReference: 'L1',
              taxType: { id: '21' },
              taxCode: { id: '31' },
              taxBasis: 90,
              taxAmount: 7.2,
              taxRate: 8,
            },
            { taxDetailsReference: 'SHIPPING', taxBasis: 5, taxAmount: 0.4, taxRate: 8 },
          ],
        },
        item: {
          items: [
            { item: { externalId: 'prod-1001' }, quantity: 2, amount: 100, taxDetailsReference: 'L1' },
            { item: { id: '701' }, amount: -10, description: 'Coupon VIP20' },
            { item: { id: '501' }, amount: -102.6, description: 'credit_card' },
          ],
        },
      });
      const text = JSON.stringify(body);
      for (const refused of ['"total"', 'tax1Amt', 'taxRate1', '"refName"', 'custbody_'])
        expect(text).not.toContain(refused);
      await adapter.upsert(document);
      // Paid in full: NetSuite's total is 0 (docs/domain.md section 3, "Payments are item lines").
      expect(emulator.recordsWithExternalId(`${documentType}-shape`)[0].total).toBe('0');
      // The reconciliation reads the sale apart from its payments (transactionline): NewStore's grandTotal.
      const listed = [];
      for await (const page of adapter.listTransactions(document.tranDate)) listed.push(...page);
      expect(listed.find((transaction) => transaction.externalId === `${documentType}-shape`)).toMatchObject({
        total: '102.6',
        payments: '-102.6',
      });
    },
  );

  const bearer = async (at = base) =>
    (
      (await (
        await realFetch(`${at}/auth/oauth2/v1/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&client_id=hub-client&client_secret=hub-secret',
        })
      ).json()) as { access_token: string }
    ).access_token;
  const put = async (path: string, body: unknown) =>
    realFetch(`${base}/record/v1/${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("accepts Oracle's example shape, and refuses a total (read-only) and an amount that is no number", async () => {
    // Oracle's invoice example, with the demo account's ids.
    const example = {
      tranDate: '2025-03-04',
      entity: { id: '801' },
      location: { id: '101' },
      subsidiary: { id: '1' },
      item: { items: [{ amount: 1000.0, item: { id: '101001' } }] },
    };
    expect((await put('cashSale/eid:CS-contract-1', example)).status).toBe(204);
    expect(emulator.recordsWithExternalId('CS-contract-1')[0].total).toBe('1000');
    const withTotal = await put('cashSale/eid:CS-contract-2', { ...example, total: 999 });
    expect(withTotal.status).toBe(400);
    expect(JSON.stringify(await withTotal.json())).toMatch(/read-only/);
    const refused = await put('cashSale/eid:CS-contract-3', { ...example, shippingCost: 'four' });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toMatch(/Invalid number.*shippingCost/);
  });

  it('reads foreigntotal with SuiteQL, selecting only columns the transaction table has', async () => {
    await adapter.upsert(shipped('SO-contract-3', { shippingCost: undefined, total: '12.306' }));
    const read = [];
    for await (const page of adapter.listTransactions('2025-03-04')) read.push(...page);
    expect(read.find((transaction) => transaction.externalId === 'SO-contract-3')?.total).toBe('12.306');
    expect(sent.length).toBeGreaterThan(0);
    for (const statement of sent) {
      const selected = /^SELECT (.+?) FROM transaction\b/i.exec(statement);
      if (!selected) continue;
      const columns = selected[1].split(',').map((column) => column.trim());
      for (const column of columns) expect(TRANSACTION_COLUMNS).toContain(column);
    }
  });

  it("answers an unknown column with NetSuite's 400 Invalid search query, ", async () => {
    const response = await realFetch(`${base}/query/v1/suiteql?limit=10`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await bearer()}`,
        'content-type': 'application/json',
        prefer: 'transient',
      },
      body: JSON.stringify({ q: "SELECT id, total FROM transaction WHERE trandate = '2025-03-04'" }),
    });
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(/Invalid search query.*Field 'total'/);
  });

  it("answers requests over the per-account limit with 429 in NetSuite's error body, which the adapter treats as temporary", async () => {
    // docs/domain.md section 4: one per-account concurrency limit; over it the REST API answers 429.
    // No Retry-After is documented, so none is sent, and the hub cannot lean on one.
    const governed = new ErpEmulator({ concurrencyLimit: 1 });
    const governedBase = `${await governed.listen(0)}/services/rest`;
    governed.setFaults({ latencyMs: 200 });
    try {
      const client = emulatorNetSuiteAdapter(governedBase, { requestTimeoutMs: 5_000 });
      await client.upsert(shipped('SO-governed-0')); // a token first, so the two writes below race for the slot
      const outcomes = await Promise.allSettled([1, 2].map((index) => client.upsert(shipped(`SO-governed-${index}`))));
      const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toMatchObject({ kind: 'temporary', details: { status: 429 } });
      expect((refused.reason as ErpError).details.retryAfterMs).toBeUndefined();
      const token = await bearer(governedBase);
      const response = await Promise.all(
        [1, 2].map(async () =>
          realFetch(`${governedBase}/query/v1/suiteql?limit=10`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              prefer: 'transient',
            },
            body: JSON.stringify({ q: "SELECT id FROM transaction WHERE trandate = '2025-03-04'" }),
          }),
        ),
      );
      const tooMany = response.find((item) => item.status === 429)!;
      expect(tooMany.headers.get('retry-after')).toBeNull();
      // A record that is not there (a delete whose answer was lost, asked again): 404 in NetSuite's error body.
      const gone = await realFetch(`${governedBase}/record/v1/salesOrder/999999`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(gone.status).toBe(404);
      expect(await gone.json()).toMatchObject({
        status: 404,
        'o:errorDetails': [{ 'o:errorCode': expect.any(String) }],
      });
      expect(await tooMany.json()).toMatchObject({
        status: 429,
        'o:errorDetails': [{ 'o:errorCode': expect.any(String) }],
      });
    } finally {
      await governed.close();
    }
  });
});
