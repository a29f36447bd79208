import { generateKeyPairSync } from 'node:crypto';
import { ErpDocument } from '@hub/contracts';
import { erpAmount, ErpError, NetSuiteRestAdapter } from '@hub/erp';
import { emulatorNetSuiteAdapter, sampleErpDocument } from '@hub/testing';
import { ErpEmulator } from '../../../tools/emulators/erp/erp-emulator';

const document = (externalId: string, overrides: Partial<ErpDocument> = {}) =>
  sampleErpDocument('salesOrder', externalId, {
    total: '99.50',
    lines: [{ kind: 'item', itemId: 'i1', productId: 'prod-1001', quantity: 1, amount: '92.00', tax: '7.50' }],
    ...overrides,
  });

describe('NetSuite REST adapter against the ERP emulator', () => {
  const tba = {
    accountId: '1234567_SB1',
    consumerKey: 'ck',
    consumerSecret: 'cs&secret',
    tokenId: 'tk',
    tokenSecret: 'ts',
  };
  const emulator = new ErpEmulator({ concurrencyLimit: 2, tba, retryAfterSeconds: { concurrency: 1, outage: 2 } });
  let baseUrl: string;
  let adapter: NetSuiteRestAdapter;

  beforeAll(async () => {
    baseUrl = `${await emulator.listen(0)}/services/rest`;
    adapter = emulatorNetSuiteAdapter(baseUrl);
  });
  afterAll(() => emulator.close());
  beforeEach(() => emulator.setFaults({}));

  it('upserts by external id: three posts of one document leave one record with one internal id', async () => {
    const ids = [];
    for (let attempt = 0; attempt < 3; attempt += 1) ids.push((await adapter.upsert(document('SO-1'))).internalId);
    expect(new Set(ids).size).toBe(1);
    const records = emulator.recordsWithExternalId('SO-1');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: ids[0], type: 'salesOrder', total: '99.5', tranDate: '2024-01-02' });
    expect(records[0].body).toMatchObject({
      memo: 'NewStore order order-SO-1',
      entity: { id: '801' },
      item: { items: [{ item: { externalId: 'prod-1001' }, quantity: 1, taxDetailsReference: 'L1' }] },
      taxDetailsOverride: true,
      taxDetails: { items: [{ taxDetailsReference: 'L1', taxAmount: 7.5, taxCode: { id: '31' } }] },
    });
  });

  it('authenticates with a PS256-signed JWT assertion (OAuth 2.0 machine to machine)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signed = new NetSuiteRestAdapter({
      baseUrl,
      clientId: 'hub-client',
      certificateId: 'cert-1',
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      requestTimeoutMs: 2_000,
    });
    expect((await signed.upsert(document('SO-JWT'))).internalId).toMatch(/^\d+$/);
  });

  it('authenticates with token-based auth (OAuth 1.0a, HMAC-SHA256), and a wrong secret is refused', async () => {
    const signed = new NetSuiteRestAdapter({
      baseUrl,
      clientId: 'unused',
      tokenBasedAuth: tba,
      requestTimeoutMs: 2_000,
    });
    expect((await signed.upsert(document('SO-TBA'))).internalId).toMatch(/^\d+$/);
    const pages = [];
    for await (const page of signed.listTransactions('2024-01-02', 2)) pages.push(page);
    expect(pages.flat().length).toBeGreaterThan(0);
    const wrong = new NetSuiteRestAdapter({
      baseUrl,
      clientId: 'unused',
      tokenBasedAuth: { ...tba, tokenSecret: 'nope' },
      requestTimeoutMs: 2_000,
    });
    expect(await wrong.upsert(document('SO-TBA2')).catch((caught: unknown) => caught)).toMatchObject({
      details: { status: 401 },
    });
  });

  it("classifies a rejected document as permanent, with NetSuite's message", async () => {
    emulator.setFaults({ rejectExternalIds: ['SO-BAD'] });
    const error = (await adapter.upsert(document('SO-BAD')).catch((caught: unknown) => caught)) as ErpError;
    expect(error).toBeInstanceOf(ErpError);
    expect(error.kind).toBe('permanent');
    expect(error.message).toMatch(/inactive.*\[USER_ERROR\] at item.items\[0\].item/);
    expect(error.details.status).toBe(400);
  });

  it('classifies outages, refused connections and overload as temporary, with Retry-After', async () => {
    emulator.setFaults({ outageUntil: Date.now() + 60_000 });
    const outage = (await adapter.upsert(document('SO-2')).catch((caught: unknown) => caught)) as ErpError;
    expect(outage).toMatchObject({ kind: 'temporary', details: { status: 503, retryAfterMs: 2_000 } });
    emulator.setFaults({ outageUntil: Date.now() + 60_000, outageMode: 'refuse' });
    expect(await adapter.upsert(document('SO-2')).catch((caught: unknown) => caught)).toMatchObject({
      kind: 'temporary',
    });
    emulator.setFaults({ latencyMs: 300 });
    const results = await Promise.allSettled([1, 2, 3].map((index) => adapter.upsert(document(`SO-C${index}`))));
    const overloaded = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(overloaded.reason).toMatchObject({ kind: 'temporary', details: { status: 429, retryAfterMs: 1_000 } });
    const offline = new NetSuiteRestAdapter({
      baseUrl: 'http://127.0.0.1:9/services/rest',
      clientId: 'x',
      clientSecret: 'y',
      requestTimeoutMs: 500,
    });
    expect(await offline.upsert(document('SO-3')).catch((caught: unknown) => caught)).toMatchObject({
      kind: 'temporary',
    });
  });

  it("lists a day's transactions through SuiteQL, page by page", async () => {
    for (let index = 0; index < 7; index += 1) {
      await adapter.upsert(
        document(`DAY-${index}`, { tranDate: '2024-03-01', documentType: index % 2 ? 'cashSale' : 'salesOrder' }),
      );
    }
    const pages = [];
    for await (const page of adapter.listTransactions('2024-03-01', 3)) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().filter((item) => item.documentType === 'cashSale')).toHaveLength(3);
  });

  it("lists each transaction's lines in their order, each item named by its name and external id", async () => {
    await adapter.upsert(
      document('LINES-1', {
        tranDate: '2024-03-05',
        total: '0.00',
        lines: [
          { kind: 'item', itemId: 'i1', productId: 'prod-1001', quantity: 2, amount: '92.00', tax: '7.50' },
          { kind: 'discount', itemId: 'i1-discount', erpItem: '701', quantity: 1, amount: '-2.00', tax: '0' },
          { kind: 'payment', itemId: 'p1', erpItem: '501', quantity: 1, amount: '-97.50', tax: '0' },
        ],
      }),
    );
    const [[listed]] = await (async () => {
      const pages = [];
      for await (const page of adapter.listTransactions('2024-03-05')) pages.push(page);
      return pages;
    })();
    expect(listed.lines).toEqual([
      expect.objectContaining({ line: 1, itemType: 'InvtPart', quantity: '2', amount: '92', isClosed: false }),
      expect.objectContaining({ line: 2, item: '701', itemType: 'Discount', amount: '-2', itemNames: ['Discount'] }),
      expect.objectContaining({ line: 3, item: '501', itemType: 'Payment', amount: '-97.5' }),
    ]);
    // A product's item is named by its name and external id, which is what NewStore's product id is.
    expect(listed.lines![0].itemNames).toContain('prod-1001');
    expect(listed).toMatchObject({ total: '97.5', payments: '-97.5' });
  });

  it("reads the lines with the columns an account answers: one that refuses the catalog's lists them in order", async () => {
    const { createServer } = await import('node:http');
    const queries: string[] = [];
    /** Whether the stub account answers the flag columns (mainline, taxline, iscogs). */
    let flags = false;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const q = (JSON.parse(body) as { q: string }).q;
        queries.push(q);
        const answer = (status: number, payload: unknown) => {
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(payload));
        };
        if (q.includes('FROM transaction WHERE'))
          return answer(200, {
            items: [{ id: '11', externalid: 'SO-X', type: 'SalesOrd', trandate: '2024-03-06', foreigntotal: '30' }],
            hasMore: false,
          });
        if (flags && q.includes('mainline'))
          return answer(200, {
            items: [
              {
                transaction: '11',
                linesequencenumber: '0',
                item: null,
                mainline: 'T',
                taxline: 'F',
                iscogs: 'F',
                foreignamount: '34',
              },
              {
                transaction: '11',
                linesequencenumber: '1',
                item: '7',
                itemtype: 'InvtPart',
                quantity: '-1',
                foreignamount: '-30',
                isclosed: 'F',
                mainline: 'F',
                taxline: 'F',
                iscogs: 'F',
              },
              {
                transaction: '11',
                linesequencenumber: '2',
                item: '90',
                itemtype: 'TaxItem',
                foreignamount: '-4',
                mainline: 'F',
                taxline: 'T',
                iscogs: 'F',
              },
              {
                transaction: '11',
                linesequencenumber: '3',
                item: '7',
                itemtype: 'InvtPart',
                quantity: '-1',
                foreignamount: '12',
                isclosed: 'F',
                mainline: 'F',
                taxline: 'F',
                iscogs: 'T',
              },
            ],
            hasMore: false,
          });
        if (q.includes('linesequencenumber') || q.includes('mainline'))
          return answer(400, {
            title: 'Bad Request',
            status: 400,
            'o:errorDetails': [
              {
                detail: "Invalid search query. Field 'linesequencenumber' was not found.",
                'o:errorCode': 'INVALID_PARAMETER',
              },
            ],
          });
        if (q.includes('FROM transactionline'))
          return answer(200, {
            items: [
              { transaction: '11', item: null, itemtype: null, quantity: null, foreignamount: '30' },
              { transaction: '11', item: '7', itemtype: 'InvtPart', quantity: '1', foreignamount: '30' },
              { transaction: '11', item: '8', itemtype: 'InvtPart', quantity: '0', foreignamount: '0' },
            ],
            hasMore: false,
          });
        return answer(200, { items: [{ id: '7', itemid: 'P-7', externalid: null }], hasMore: false });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const stub = new NetSuiteRestAdapter({
        clientId: 'unused-with-tba',
        baseUrl: `http://127.0.0.1:${port}`,
        tokenBasedAuth: tba,
        requestTimeoutMs: 2_000,
      });
      const rows = [];
      for await (const page of stub.listTransactions('2024-03-06')) rows.push(...page);
      // The main line (no item) is no line of the record; a line that books nothing reads as closed.
      expect(rows[0].lines).toEqual([
        { line: 1, item: '7', itemType: 'InvtPart', quantity: '1', amount: '30', isClosed: false, itemNames: ['P-7'] },
        { line: 2, item: '8', itemType: 'InvtPart', quantity: '0', amount: '0', isClosed: true },
      ]);
      expect(queries.filter((q) => q.includes('FROM transactionline'))).toEqual([
        'SELECT transaction, linesequencenumber, item, itemtype, quantity, foreignamount, isclosed, mainline, taxline, iscogs FROM transactionline WHERE transaction IN (11)',
        'SELECT transaction, linesequencenumber, item, itemtype, quantity, foreignamount, isclosed FROM transactionline WHERE transaction IN (11)',
        'SELECT transaction, item, itemtype, quantity, foreignamount FROM transactionline WHERE transaction IN (11)',
      ]);
      // An account that answers NetSuite's flags: its header, tax and cost-of-goods rows are no lines of the record.
      flags = true;
      const flagged = new NetSuiteRestAdapter({
        clientId: 'unused-with-tba',
        baseUrl: `http://127.0.0.1:${port}`,
        tokenBasedAuth: tba,
        requestTimeoutMs: 2_000,
      });
      const listed = [];
      for await (const page of flagged.listTransactions('2024-03-06')) listed.push(...page);
      expect(listed[0].lines).toEqual([
        {
          line: 1,
          item: '7',
          itemType: 'InvtPart',
          quantity: '-1',
          amount: '-30',
          isClosed: false,
          itemNames: ['P-7'],
        },
      ]);
    } finally {
      server.close();
    }
  });

  it('reads a record as NetSuite holds it now, its lines in order, and null for one it does not have', async () => {
    await adapter.upsert(document('READ-1', { tranDate: '2024-03-07' }));
    const record = await adapter.readRecord('salesOrder', 'READ-1');
    expect(record).toMatchObject({
      internalId: expect.stringMatching(/^\d+$/),
      lines: [{ line: 1, quantity: '1', amount: '92', isClosed: false }],
    });
    expect(await adapter.readRecord('salesOrder', 'NO-SUCH-RECORD')).toBeNull();
  });

  it('retries a page of the listing that failed for a moment, and goes on from there', async () => {
    const pages = [];
    for await (const page of adapter.listTransactions('2024-03-01', 3)) {
      pages.push(page);
      // The ERP answers 503 for a moment after the first page: the second is asked again, not the day.
      if (pages.length === 1) emulator.setFaults({ outageUntil: Date.now() + 300, outageMode: 'unavailable' });
    }
    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
  });

  it('reads a day larger than one query can page through in windows, every transaction once', async () => {
    const capped = new ErpEmulator({ suiteqlMaxRows: 5 });
    const cappedBase = `${await capped.listen(0)}/services/rest`;
    try {
      const client = emulatorNetSuiteAdapter(cappedBase, { queryRowCap: 5 });
      for (let index = 0; index < 12; index += 1)
        await client.upsert(document(`WIN-${index}`, { tranDate: '2024-03-02', total: `${index}.00` }));
      await client.upsert(document('OTHER-DAY', { tranDate: '2024-03-03' }));
      const rows = [];
      for await (const page of client.listTransactions('2024-03-02', 2)) rows.push(...page);
      expect(rows.map((row) => row.externalId)).toEqual(Array.from({ length: 12 }, (_, index) => `WIN-${index}`));
      // A single query paging past the cap is refused, as NetSuite does: windows are needed.
      const response = await fetch(`${cappedBase}/query/v1/suiteql?limit=2&offset=4`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await tokenFor(cappedBase)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ q: "SELECT id FROM transaction WHERE trandate = '2024-03-02'" }),
      });
      expect(response.status).toBe(400);
    } finally {
      await capped.close();
    }
  });

  it("finds a sale's customer by e-mail within its subsidiary, else creates it once, and books a refund on the sale's customer", async () => {
    const buyer = {
      externalId: 'NSC-c-77',
      newstoreId: 'c-77',
      email: 'grace@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
    };
    const sale = document('SO-CUST-1', { customer: buyer });
    await adapter.upsert(sale);
    await adapter.upsert(document('SO-CUST-2', { customer: buyer }));
    const created = [...emulator.customers.values()].filter((customer) => customer.email === 'grace@example.com');
    expect(created).toEqual([expect.objectContaining({ externalId: 'NSC-c-77', subsidiary: '1', currency: '1' })]);
    expect(emulator.recordsWithExternalId('SO-CUST-2')[0].body.entity).toEqual({ id: created[0].id });
    // A customer already in NetSuite with that e-mail (another adapter: nothing cached) is found, not created again.
    await emulatorNetSuiteAdapter(baseUrl).upsert(
      document('SO-CUST-3', { customer: { ...buyer, externalId: 'NSC-other' } }),
    );
    expect(emulator.recordsWithExternalId('SO-CUST-3')[0].body.entity).toEqual({ id: created[0].id });
    // A later document without a customer of its own is booked on its sale's.
    await adapter.upsert(
      sampleErpDocument('cashRefund', 'RT-CUST-1', {
        customer: undefined,
        dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'salesOrder', externalId: 'SO-CUST-1' },
      }),
    );
    expect(emulator.recordsWithExternalId('RT-CUST-1')[0].body.entity).toEqual({ id: created[0].id });
  });

  it('makes a store return a cash refund transformed from its cash sale, once, however often it is posted', async () => {
    const sale = sampleErpDocument('cashSale', 'CS-TR-1');
    await adapter.upsert(sale);
    const refund = sampleErpDocument('cashRefund', 'RT-TR-1', {
      customer: undefined,
      tranDate: '2024-01-20',
      dependsOn: { idempotencyKey: sale.idempotencyKey, documentType: 'cashSale', externalId: 'CS-TR-1' },
      transformFrom: { documentType: 'cashSale', externalId: 'CS-TR-1' },
    });
    const posts = await Promise.all([adapter.upsert(refund), adapter.upsert(refund)]);
    const again = await adapter.upsert(refund);
    const records = emulator.recordsWithExternalId('RT-TR-1');
    expect(records).toHaveLength(1);
    expect(new Set([...posts, again].map((post) => post.internalId))).toEqual(new Set([records[0].id]));
    expect(records[0].body).toMatchObject({
      createdFrom: { id: emulator.recordsWithExternalId('CS-TR-1')[0].id },
      entity: { id: '801' },
      tranDate: '2024-01-20',
    });
  });

  it('resolves items by name with SuiteQL when the deployment says so, and names a product NetSuite lacks', async () => {
    const byName = emulatorNetSuiteAdapter(baseUrl, { itemLookup: 'name' });
    await byName.upsert(document('SO-NAME-1'));
    expect(emulator.recordsWithExternalId('SO-NAME-1')[0].body).toMatchObject({
      item: { items: [{ item: { id: '101001' } }] },
    });
    const unknown = document('SO-NAME-2', {
      lines: [{ kind: 'item', itemId: 'i9', productId: 'prod-missing', quantity: 1, amount: '92.00', tax: '7.50' }],
    });
    for (const client of [byName, adapter])
      expect(await client.upsert(unknown).catch((caught: unknown) => caught)).toMatchObject({
        kind: 'permanent',
        details: { code: 'UNKNOWN_ITEM' },
        message: expect.stringMatching(/NewStore product "prod-missing" \(tenant acme, order order-SO-NAME-2\)/),
      });
    expect(emulator.recordsWithExternalId('SO-NAME-2')).toHaveLength(0);
  });

  it('fails a read whose amount is not a number, naming the record, instead of reporting NaN', () => {
    expect(() => erpAmount('twelve', '1042')).toThrow(/ERP transaction 1042 has no readable amount: "twelve"/);
    expect(() => erpAmount(undefined, '1043')).toThrow(/1043 has no readable amount: missing/);
    expect(erpAmount('12.345', '1')).toBe('12.345');
    expect(erpAmount(0.3, '1')).toBe('0.3');
  });

  it('deletes a transaction by internal id, and a second delete is refused as permanent', async () => {
    const { internalId } = await adapter.upsert(document('DEL-1', { tranDate: '2024-03-04' }));
    await adapter.deleteTransaction('salesOrder', internalId);
    expect(emulator.recordsWithExternalId('DEL-1')).toHaveLength(0);
    await expect(adapter.deleteTransaction('salesOrder', internalId)).rejects.toMatchObject({ kind: 'permanent' });
  });

  it('deletes through a moment of 503 (a DELETE is asked again, as a page of a listing is)', async () => {
    const { internalId } = await adapter.upsert(document('DEL-2', { tranDate: '2024-03-04' }));
    emulator.setFaults({ outageUntil: Date.now() + 300, outageMode: 'unavailable' });
    await adapter.deleteTransaction('salesOrder', internalId);
    expect(emulator.recordsWithExternalId('DEL-2')).toHaveLength(0);
  });
});

async function tokenFor(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/auth/oauth2/v1/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: 'hub-client',
      client_secret: 'hub-secret',
    }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}
