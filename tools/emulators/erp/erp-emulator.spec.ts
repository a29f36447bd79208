import { ErpEmulator } from './erp-emulator';

/**
 * A transaction body as Oracle's REST examples write one (an `entity` and `item.items[].item`
 * by internal id; NetSuite help, "Use Case for Creating an Invoice"), with references the
 * demo account holds: customer 801, product prod-1001 (external id), SuiteTax type 21 and code 31.
 */
const body = (fields: Record<string, unknown> = {}, amount = 40, tax = 2.5) => ({
  tranDate: '2024-01-02',
  entity: { id: '801' },
  item: { items: [{ item: { externalId: 'prod-1001' }, quantity: 1, amount, taxDetailsReference: 'L1' }] },
  taxDetailsOverride: true,
  taxDetails: {
    items: [
      { taxDetailsReference: 'L1', taxType: { id: '21' }, taxCode: { id: '31' }, taxBasis: amount, taxAmount: tax },
    ],
  },
  ...fields,
});

/**
 * The emulator listening on a free port for the tests of a describe block, with a
 * token of its default client; `session` is filled before the first test.
 */
function listening(emulator: ErpEmulator) {
  const session = { base: '', token: '' };
  beforeAll(async () => {
    session.base = await emulator.listen(0);
    const response = await fetch(`${session.base}/services/rest/auth/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=hub-client&client_secret=hub-secret',
    });
    session.token = ((await response.json()) as { access_token: string }).access_token;
  });
  afterAll(() => emulator.close());
  return { emulator, session };
}

describe('ERP emulator (NetSuite-like)', () => {
  const { emulator, session } = listening(new ErpEmulator({ concurrencyLimit: 3 }));
  let base: string;
  let token: string;
  beforeAll(() => ({ base, token } = session));
  beforeEach(() => emulator.setFaults({}));

  const call = (method: string, path: string, body?: unknown, auth = token) =>
    fetch(`${base}/services/rest/${path}`, {
      method,
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('refuses a wrong client secret and a request without a valid token', async () => {
    const denied = await fetch(`${base}/services/rest/auth/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=hub-client&client_secret=wrong',
    });
    expect(denied.status).toBe(401);
    const response = await call('GET', 'record/v1/salesOrder/1', undefined, 'nope');
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      status: 401,
      'o:errorDetails': [{ 'o:errorCode': 'INVALID_LOGIN' }],
    });
  });

  it('upserts by external id: writing the same document three times leaves one record, found by internal and external id', async () => {
    const locations: string[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      // NetSuite computes the total from the lines and the tax details.
      const response = await call(
        'PUT',
        'record/v1/salesOrder/eid:SO-acme-1001?replace=item,taxDetails',
        body({ memo: `try ${attempt}` }),
      );
      expect(response.status).toBe(204);
      locations.push(response.headers.get('location') ?? '');
    }
    expect(new Set(locations).size).toBe(1);
    expect(locations[0]).toMatch(/\/record\/v1\/salesOrder\/\d+$/);
    expect(emulator.recordsWithExternalId('SO-acme-1001')).toHaveLength(1);
    const internalId = locations[0].split('/').pop();
    const byId = (await (await call('GET', `record/v1/salesOrder/${internalId}`)).json()) as {
      externalId: string;
      memo: string;
    };
    expect(byId).toMatchObject({ externalId: 'SO-acme-1001', memo: 'try 2', total: 42.5, entity: { id: '801' } });
    expect(emulator.recordsWithExternalId('SO-acme-1001')[0].total).toBe('42.5');
    expect((await call('GET', 'record/v1/salesOrder/eid:SO-acme-1001')).status).toBe(200);
    expect((await call('GET', 'record/v1/salesOrder/eid:SO-missing')).status).toBe(404);
    // Without `replace`, lines without a key are added to the ones the record has (NetSuite help,
    // "Updating a Sublist"): writing the same body again doubles its lines.
    expect((await call('PUT', 'record/v1/salesOrder/eid:SO-acme-1001', body())).status).toBe(204);
    expect(emulator.recordsWithExternalId('SO-acme-1001')[0].total).toBe('82.5');
  });

  it('creates with POST (204 + Location) and refuses a second create with the same external id', async () => {
    const first = await call('POST', 'record/v1/cashSale', body({ externalId: 'CS-1' }));
    expect(first.status).toBe(204);
    expect(first.headers.get('location')).toMatch(/\/cashSale\/\d+$/);
    const second = await call('POST', 'record/v1/cashSale', body({ externalId: 'CS-1' }));
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'DUP_RCRD' }] });
  });

  it("answers validation errors in NetSuite's error shape, including injected ones", async () => {
    const missingDate = await call('PUT', 'record/v1/creditMemo/eid:CM-1', body({ tranDate: undefined }));
    expect(missingDate.status).toBe(400);
    expect(await missingDate.json()).toMatchObject({
      title: 'Bad Request',
      status: 400,
      'o:errorDetails': [{ 'o:errorPath': 'tranDate' }],
    });
    emulator.setFaults({ rejectExternalIds: ['CM-2'] });
    const injected = await call('PUT', 'record/v1/creditMemo/eid:CM-2', body());
    expect(injected.status).toBe(400);
    expect(((await injected.json()) as { 'o:errorDetails': { detail: string }[] })['o:errorDetails'][0].detail).toMatch(
      /inactive/,
    );
    expect((await call('PUT', 'record/v1/creditMemo/eid:CM-3', body())).status).toBe(204);
    expect((await call('PUT', 'record/v1/notARecord/eid:X', { tranDate: '2024-01-02' })).status).toBe(404);
  });

  it('fails every call during an injected outage, and recovers after it', async () => {
    emulator.setFaults({ outageUntil: Date.now() + 300 });
    const during = await call('PUT', 'record/v1/salesOrder/eid:SO-outage', body());
    expect(during.status).toBe(503);
    emulator.setFaults({ outageUntil: Date.now() + 300, outageMode: 'refuse' });
    await expect(call('PUT', 'record/v1/salesOrder/eid:SO-outage', body())).rejects.toThrow();
    // The outage over (its end set in the past, nothing sleeps): the next call is served.
    emulator.setFaults({ outageUntil: Date.now() - 1 });
    expect((await call('PUT', 'record/v1/salesOrder/eid:SO-outage', body())).status).toBe(204);
    expect(emulator.recordsWithExternalId('SO-outage')).toHaveLength(1);
  });

  it('answers 429 past its concurrency limit', async () => {
    emulator.setFaults({ latencyMs: 200 });
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        call('PUT', `record/v1/salesOrder/eid:SO-c${index}`, body({ tranDate: '2024-01-03' })).then(
          (response) => response.status,
        ),
      ),
    );
    expect(statuses.filter((status) => status === 204)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    expect(emulator.peakConcurrency).toBe(3);
  });

  it("lists a day's transactions with SuiteQL, paginated, and totals them for inspection", async () => {
    for (let index = 0; index < 25; index += 1) {
      const written = await call(
        'PUT',
        `record/v1/${index % 5 === 0 ? 'cashRefund' : 'salesOrder'}/eid:DAY-${index}`,
        body({ tranDate: '2024-02-01', shippingCost: 1.7 }, 0.1, 0.2),
      );
      expect(written.status).toBe(204);
    }
    const rows: { externalid: string; type: string; trandate: string; foreigntotal: string }[] = [];
    let offset = 0;
    for (;;) {
      const response = await fetch(`${base}/services/rest/query/v1/suiteql?limit=10&offset=${offset}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'transient' },
        body: JSON.stringify({
          q: "SELECT id, externalid, type, trandate, foreigntotal FROM transaction WHERE trandate = '2024-02-01'",
        }),
      });
      const page = (await response.json()) as {
        items: typeof rows;
        hasMore: boolean;
        totalResults: number;
        count: number;
      };
      expect(page.totalResults).toBe(25);
      rows.push(...page.items);
      if (!page.hasMore) break;
      offset += page.count;
    }
    expect(rows).toHaveLength(25);
    expect(new Set(rows.map((row) => row.externalid)).size).toBe(25);
    expect(rows.filter((row) => row.type === 'CashRfnd')).toHaveLength(5);
    // 0.1 + 0.2 + 1.7 summed exactly, as text (SuiteQL answers values as text).
    expect(new Set(rows.map((row) => row.foreigntotal))).toEqual(new Set(['2']));
    const totals = (await (await fetch(`${base}/_emulator/totals?date=2024-02-01`)).json()) as {
      totals: Record<string, { count: number; total: string }>;
    };
    expect(totals.totals).toEqual({ salesOrder: { count: 20, total: '40' }, cashRefund: { count: 5, total: '10' } });
  });
});

describe('ERP emulator refuses what NetSuite refuses (docs/domain.md sections 3 and 4)', () => {
  const { emulator, session } = listening(new ErpEmulator({ concurrencyLimit: 5 }));
  let base: string;
  let token: string;
  beforeAll(() => ({ base, token } = session));

  const put = async (path: string, payload: unknown) => {
    const response = await fetch(`${base}/services/rest/record/v1/${path}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    const text = await response.text();
    return { status: response.status, error: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const refusal = (path: string) => ({
    status: 400,
    error: expect.objectContaining({ 'o:errorDetails': [expect.objectContaining({ 'o:errorPath': path })] }),
  });

  it.each([
    ['no customer', body({ entity: undefined }), 'entity'],
    ['an unknown customer', body({ entity: { id: '999999' } }), 'entity'],
    [
      'an order line id as the item',
      body({ item: { items: [{ item: { externalId: '0-1-3f2a9c1e' }, amount: 4 }] } }),
      'item.items[0].item',
    ],
    [
      'the legacy tax1Amt',
      body({ item: { items: [{ item: { id: '100001' }, amount: 4, tax1Amt: 0.3 }] } }),
      'item.items[0].tax1Amt',
    ],
    ['a total (read-only)', body({ total: 42.5 }), 'total'],
    ['a currency by name', body({ currency: { refName: 'USD' } }), 'currency'],
    ['an unknown currency', body({ currency: { id: '77' } }), 'currency'],
    [
      'an unknown tax code',
      body({ taxDetails: { items: [{ taxDetailsReference: 'L1', taxCode: { id: '9' }, taxAmount: 1 }] } }),
      'taxDetails.items[0].taxCode',
    ],
    [
      'tax details naming no line',
      body({ taxDetails: { items: [{ taxDetailsReference: 'L7', taxAmount: 1 }] } }),
      'taxDetails.items[0].taxDetailsReference',
    ],
  ])('refuses a sale with %s', async (_case, payload, path) => {
    expect(await put('salesOrder/eid:SO-refused', payload)).toEqual(refusal(path));
    expect(emulator.recordsWithExternalId('SO-refused')).toHaveLength(0);
  });

  it('refuses item lines on a customer refund (it applies credits)', async () => {
    expect(await put('customerRefund/eid:CR-1', body())).toEqual(refusal('item'));
  });

  it('computes a paid sale to 0 with its payment line, and answers its lines from transactionline', async () => {
    const paid = body({
      item: {
        items: [
          { item: { externalId: 'prod-1001' }, quantity: 1, amount: 40, taxDetailsReference: 'L1' },
          { item: { id: '701' }, amount: -4 },
          { item: { id: '501' }, amount: -38.5 },
        ],
      },
      taxDetails: {
        items: [
          { taxDetailsReference: 'L1', taxType: { id: '21' }, taxCode: { id: '31' }, taxBasis: 36, taxAmount: 2.5 },
        ],
      },
    });
    expect((await put('salesOrder/eid:SO-paid', paid)).status).toBe(204);
    const [record] = emulator.recordsWithExternalId('SO-paid');
    expect(record.total).toBe('0');
    const response = await fetch(`${base}/services/rest/query/v1/suiteql?limit=10`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'transient' },
      body: JSON.stringify({
        q: `SELECT transaction, item, itemtype, foreignamount FROM transactionline WHERE transaction = ${record.id}`,
      }),
    });
    expect(((await response.json()) as { items: unknown[] }).items).toEqual([
      { transaction: record.id, item: '101001', itemtype: 'InvtPart', foreignamount: '40' },
      { transaction: record.id, item: '701', itemtype: 'Discount', foreignamount: '-4' },
      { transaction: record.id, item: '501', itemtype: 'Payment', foreignamount: '-38.5' },
    ]);
  });

  it('creates a customer by external id once, and finds it by e-mail within its subsidiary with SuiteQL', async () => {
    const customer = {
      isPerson: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      subsidiary: { id: '2' },
    };
    expect((await put('customer/eid:NSC-1', customer)).status).toBe(204);
    expect((await put('customer/eid:NSC-1', customer)).status).toBe(204);
    expect([...emulator.customers.values()].filter((entry) => entry.externalId === 'NSC-1')).toHaveLength(1);
    expect(await put('customer/eid:NSC-2', { ...customer, lastName: undefined })).toEqual(refusal('lastName'));
    expect(await put('customer/eid:NSC-3', { ...customer, subsidiary: { id: '99' } })).toEqual(refusal('subsidiary'));
    const find = async (subsidiary: string) => {
      const response = await fetch(`${base}/services/rest/query/v1/suiteql?limit=1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'transient' },
        body: JSON.stringify({
          q: `SELECT id FROM customer WHERE email = 'ada@example.com' AND subsidiary = '${subsidiary}' AND isinactive = 'F'`,
        }),
      });
      return ((await response.json()) as { items: { id: string }[] }).items;
    };
    expect(await find('2')).toHaveLength(1);
    expect(await find('1')).toHaveLength(0);
  });
});

describe('ERP emulator transforms records as NetSuite does (docs/domain.md section 4)', () => {
  const { emulator, session } = listening(new ErpEmulator({ concurrencyLimit: 5 }));
  let base: string;
  let token: string;
  beforeAll(() => ({ base, token } = session));
  const call = (method: string, path: string, payload?: unknown) =>
    fetch(`${base}/services/rest/record/v1/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });

  it('makes a cash refund from a cash sale, linked and with the customer copied, and refuses a wrong transform', async () => {
    expect((await call('PUT', 'cashSale/eid:CS-T1', body())).status).toBe(204);
    const refund = await call('POST', 'cashSale/eid:CS-T1/!transform/cashRefund', {
      externalId: 'RT-T1',
      tranDate: '2024-01-09',
      item: { items: [{ item: { externalId: 'prod-1001' }, quantity: 1, amount: 40 }] },
    });
    expect(refund.status).toBe(204);
    const [sale] = emulator.recordsWithExternalId('CS-T1');
    const [made] = emulator.recordsWithExternalId('RT-T1');
    expect(made).toMatchObject({ type: 'cashRefund', tranDate: '2024-01-09', total: '40' });
    expect(made.body).toMatchObject({ createdFrom: { id: sale.id }, entity: { id: '801' } });
    // A second transform with the same external id is refused; writing createdFrom by hand is too.
    expect((await call('POST', 'cashSale/eid:CS-T1/!transform/cashRefund', { externalId: 'RT-T1' })).status).toBe(400);
    expect((await call('PUT', 'cashRefund/eid:RT-T2', body({ createdFrom: { id: sale.id } }))).status).toBe(400);
    const wrong = await call('POST', 'cashSale/eid:CS-T1/!transform/customerRefund', { externalId: 'CR-T1' });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'INVALID_TRANSFORM' }] });
    expect((await call('POST', 'cashSale/eid:CS-NONE/!transform/cashRefund', { externalId: 'RT-T3' })).status).toBe(
      404,
    );
    // The link a transform leaves, as SuiteQL's NextTransactionLineLink answers it (one row per line made).
    const links = await fetch(`${base}/services/rest/query/v1/suiteql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', prefer: 'transient' },
      body: JSON.stringify({
        q: `SELECT previousdoc, previoustype, nextdoc, nexttype FROM NextTransactionLineLink WHERE previousdoc = ${sale.id}`,
      }),
    });
    expect(((await links.json()) as { items: unknown[] }).items).toEqual([
      { previousdoc: sale.id, previoustype: 'CashSale', nextdoc: made.id, nexttype: 'CashRfnd' },
    ]);
  });

  it('closes sales-order lines by PATCH on their key, refuses it on a cash sale, and fulfils only open lines (docs/domain.md section 4)', async () => {
    const two = body({
      item: {
        items: [
          { item: { externalId: 'prod-1001' }, quantity: 1, amount: 40, taxDetailsReference: 'L1' },
          { item: { externalId: 'prod-1002' }, quantity: 2, amount: 30 },
        ],
      },
    });
    expect((await call('PUT', 'salesOrder/eid:SO-CL1', two)).status).toBe(204);
    const [order] = emulator.recordsWithExternalId('SO-CL1');
    expect(order.total).toBe('72.5');
    // Each line has its key, 1, 2, …; a GET shows the sublist only when expanded (NetSuite's links otherwise).
    const plain = (await (await call('GET', `salesOrder/${order.id}`)).json()) as Record<string, unknown>;
    expect(plain.item).toMatchObject({ links: [expect.any(Object)] });
    const expanded = (await (await call('GET', 'salesOrder/eid:SO-CL1?expandSubResources=true')).json()) as {
      item: { items: { line: number }[] };
    };
    expect(expanded.item.items.map((line) => line.line)).toEqual([1, 2]);
    const close = await call('PATCH', `salesOrder/${order.id}`, {
      item: { items: [{ line: 1, isClosed: true, quantity: 0, amount: 0 }] },
      taxDetails: { items: [{ taxDetailsReference: 'L1', taxBasis: 0, taxAmount: 0 }] },
    });
    expect(close.status).toBe(204);
    expect(emulator.recordsWithExternalId('SO-CL1')[0]).toMatchObject({ id: order.id, total: '30' });
    // A closed line is not reopened, and is not fulfilled.
    expect(
      (await call('PATCH', `salesOrder/${order.id}`, { item: { items: [{ line: 1, isClosed: false }] } })).status,
    ).toBe(400);
    expect(
      (
        await call('POST', `salesOrder/${order.id}/!transform/itemFulfillment`, {
          externalId: 'IF-CL1',
          tranDate: '2024-01-03',
        })
      ).status,
    ).toBe(204);
    // An item fulfilment is only ever made from its order.
    expect((await call('PUT', 'itemFulfillment/eid:IF-ALONE', body())).status).toBe(400);
    const [fulfilment] = emulator.recordsWithExternalId('IF-CL1');
    expect((fulfilment.body.item as { items: { line: number }[] }).items.map((line) => line.line)).toEqual([2]);
    // A cash sale's lines have no isClosed.
    expect((await call('PUT', 'cashSale/eid:CS-CL1', body())).status).toBe(204);
    const refused = await call('PATCH', 'cashSale/eid:CS-CL1', { item: { items: [{ line: 1, isClosed: true }] } });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorPath': 'item.items[0].isClosed' }] });
  });

  it('refuses a posting transaction dated in a closed accounting period, not a sales order', async () => {
    const periods = (closedThrough: string | null) =>
      fetch(`${base}/_emulator/periods`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ closedThrough }),
      });
    expect((await periods('2024-01-31')).status).toBe(200);
    try {
      const refused = await call('PUT', 'cashSale/eid:CS-PC1', body({ tranDate: '2024-01-31' }));
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({
        'o:errorDetails': [{ 'o:errorCode': 'PERIOD_CLOSED', 'o:errorPath': 'tranDate' }],
      });
      expect((await call('PUT', 'cashSale/eid:CS-PC1', body({ tranDate: '2024-02-01' }))).status).toBe(204);
      expect((await call('PUT', 'salesOrder/eid:SO-PC1', body({ tranDate: '2024-01-15' }))).status).toBe(204);
    } finally {
      await periods(null);
    }
  });

  it('makes a customer refund from a credit memo, applying it, never more than it holds', async () => {
    expect((await call('PUT', 'creditMemo/eid:CM-AP1', body())).status).toBe(204);
    const [credit] = emulator.recordsWithExternalId('CM-AP1');
    const tooMuch = await call('POST', 'creditMemo/eid:CM-AP1/!transform/customerRefund', {
      externalId: 'CR-AP0',
      tranDate: '2024-01-03',
      apply: { items: [{ doc: { id: credit.id }, apply: true, amount: 99 }] },
    });
    expect(tooMuch.status).toBe(400);
    const made = await call('POST', 'creditMemo/eid:CM-AP1/!transform/customerRefund', {
      externalId: 'CR-AP1',
      tranDate: '2024-01-03',
    });
    expect(made.status).toBe(204);
    const [refund] = emulator.recordsWithExternalId('CR-AP1');
    expect(refund).toMatchObject({ type: 'customerRefund', total: '42.5' });
    expect(refund.body).toMatchObject({
      entity: { id: '801' },
      apply: { items: [{ doc: { id: credit.id }, apply: true }] },
    });
    expect(refund.body.item).toBeUndefined();
  });
});
