import { ErpEmulator } from './erp-emulator';

describe('ERP emulator (NetSuite-like)', () => {
  const emulator = new ErpEmulator({ concurrencyLimit: 3 });
  let base: string;
  let token: string;

  beforeAll(async () => {
    base = await emulator.listen(0);
    const response = await fetch(`${base}/services/rest/auth/oauth2/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=hub-client&client_secret=hub-secret',
    });
    token = ((await response.json()) as { access_token: string }).access_token;
  });

  afterAll(() => emulator.close());
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
      const response = await call('PUT', 'record/v1/salesOrder/eid:SO-acme-1001', {
        tranDate: '2024-01-02',
        // NetSuite computes the total from the lines; a sent total is read-only and ignored.
        total: 1,
        item: { items: [{ item: { externalId: 'SKU1' }, quantity: 1, amount: 40, tax1Amt: 2.5 }] },
        memo: `try ${attempt}`,
      });
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
    expect(byId).toMatchObject({ externalId: 'SO-acme-1001', memo: 'try 2', total: 42.5 });
    expect(emulator.recordsWithExternalId('SO-acme-1001')[0].total).toBe('42.5');
    expect((await call('GET', 'record/v1/salesOrder/eid:SO-acme-1001')).status).toBe(200);
    expect((await call('GET', 'record/v1/salesOrder/eid:SO-missing')).status).toBe(404);
  });

  it('creates with POST (204 + Location) and refuses a second create with the same external id', async () => {
    const first = await call('POST', 'record/v1/cashSale', { externalId: 'CS-1', tranDate: '2024-01-02', total: 10 });
    expect(first.status).toBe(204);
    expect(first.headers.get('location')).toMatch(/\/cashSale\/\d+$/);
    const second = await call('POST', 'record/v1/cashSale', { externalId: 'CS-1', tranDate: '2024-01-02', total: 10 });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ 'o:errorDetails': [{ 'o:errorCode': 'DUP_RCRD' }] });
  });

  it("answers validation errors in NetSuite's error shape, including injected ones", async () => {
    const missingDate = await call('PUT', 'record/v1/creditMemo/eid:CM-1', { total: 1 });
    expect(missingDate.status).toBe(400);
    expect(await missingDate.json()).toMatchObject({
      title: 'Bad Request',
      status: 400,
      'o:errorDetails': [{ 'o:errorPath': 'tranDate' }],
    });
    emulator.setFaults({ rejectExternalIds: ['CM-2'] });
    const injected = await call('PUT', 'record/v1/creditMemo/eid:CM-2', { tranDate: '2024-01-02', total: 1 });
    expect(injected.status).toBe(400);
    expect(((await injected.json()) as { 'o:errorDetails': { detail: string }[] })['o:errorDetails'][0].detail).toMatch(
      /inactive/,
    );
    expect((await call('PUT', 'record/v1/creditMemo/eid:CM-3', { tranDate: '2024-01-02', total: 1 })).status).toBe(204);
    expect((await call('PUT', 'record/v1/notARecord/eid:X', { tranDate: '2024-01-02' })).status).toBe(404);
  });

  it('fails every call during an injected outage, and recovers after it', async () => {
    emulator.setFaults({ outageUntil: Date.now() + 300 });
    const during = await call('PUT', 'record/v1/salesOrder/eid:SO-outage', { tranDate: '2024-01-02', total: 1 });
    expect(during.status).toBe(503);
    emulator.setFaults({ outageUntil: Date.now() + 300, outageMode: 'refuse' });
    await expect(
      call('PUT', 'record/v1/salesOrder/eid:SO-outage', { tranDate: '2024-01-02', total: 1 }),
    ).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await call('PUT', 'record/v1/salesOrder/eid:SO-outage', { tranDate: '2024-01-02', total: 1 })).status).toBe(
      204,
    );
    expect(emulator.recordsWithExternalId('SO-outage')).toHaveLength(1);
  });

  it('answers 429 past its concurrency limit', async () => {
    emulator.setFaults({ latencyMs: 200 });
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        call('PUT', `record/v1/salesOrder/eid:SO-c${index}`, { tranDate: '2024-01-03', total: 1 }).then(
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
      await call('PUT', `record/v1/${index % 5 === 0 ? 'cashRefund' : 'salesOrder'}/eid:DAY-${index}`, {
        tranDate: '2024-02-01',
        item: { items: [{ item: { externalId: 'SKU1' }, quantity: 1, amount: 0.1, tax1Amt: 0.2 }] },
        shippingCost: 1.7,
      });
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
