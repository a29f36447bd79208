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
      // 0.1 + 0.2 in floats is 0.30000000000000004: only an exact sum gives 12.645.
      lines: [
        { itemId: 'a', quantity: 1, amount: '0.100', tax: '0.200' },
        { itemId: 'b', quantity: 2, amount: '10.005', tax: '2.001' },
      ],
      shippingCost: '0.339',
      total: '12.645',
      ...overrides,
    });

  it('posts shipping and no total; the ERP total is NetSuite sum of the parts', async () => {
    const document = shipped('SO-contract-1');
    const body = toNetSuiteRecord(document);
    expect(body).not.toHaveProperty('total');
    expect(body).toMatchObject({ shippingCost: 0.339 });
    await adapter.upsert(document);
    const [record] = emulator.recordsWithExternalId('SO-contract-1');
    expect(record.total).toBe('12.645');
  });

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

  it('ignores a total sent in the body (read-only), computing its own, and refuses an amount that is no number', async () => {
    const line = { item: { externalId: 'x' }, quantity: 1, amount: 4.95, tax1Amt: 0.4 };
    const written = await put('cashSale/eid:CS-contract-2', {
      tranDate: '2025-03-04',
      total: 999,
      item: { items: [line] },
    });
    expect(written.status).toBe(204);
    expect(emulator.recordsWithExternalId('CS-contract-2')[0].total).toBe('5.35');
    const refused = await put('cashSale/eid:CS-contract-3', {
      tranDate: '2025-03-04',
      item: { items: [line] },
      shippingCost: 'four',
    });
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
      const columns = /^SELECT (.+?) FROM transaction/i
        .exec(statement)![1]
        .split(',')
        .map((column) => column.trim());
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
