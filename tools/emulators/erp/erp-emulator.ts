import { createHmac, randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Big from 'big.js';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountCustomer, AccountItem, demoAccount, ErpAccount } from './erp-account';

/**
 * A NetSuite-like ERP for tests, benchmarks and the demo (docs/domain.md section 4):
 * REST record service with create (POST → 204 + Location) and upsert by external
 * id (PUT .../eid:{externalId}), GET by internal or external id, a SuiteQL-style
 * query of a day's transactions, OAuth 2.0 client-credentials tokens, NetSuite's
 * error body, a concurrency limit answered with 429, failure injection and an
 * inspection API. Records live in memory: they survive restarts of the hub, not
 * of the emulator.
 *
 * Totals are NetSuite's to compute (docs/domain.md section 4, "Totals"): the record's
 * total is the sum of its item lines' `amount` (payment lines are negative, so a
 * paid sale totals 0), the `taxAmount` of its SuiteTax tax details, `shippingCost`
 * and `handlingCost`, in exact decimals. It refuses what NetSuite refuses (each rule
 * cites its source in {@link ErpEmulator.transactionProblem}): a `total` (read-only),
 * legacy tax fields, a transaction without a customer, a reference to anything the
 * account (erp-account.ts) does not hold, item lines on a customer refund, an
 * amount that is not a number.
 */
export const RECORD_TYPES = [
  'salesOrder',
  'cashSale',
  'creditMemo',
  'returnAuthorization',
  'customerRefund',
  'cashRefund',
  'invoice',
  'itemFulfillment',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/**
 * The transforms NetSuite offers between these records (docs/domain.md sections 3 and 4:
 * cash sale → cash refund, return authorization → credit memo, credit memo → customer
 * refund, sales order → item fulfillment and invoice; a sales order → return
 * authorization, and an invoice → credit memo, as NetSuite's "Authorize Return" and
 * "Credit" buttons do).
 */
const TRANSFORMS: Partial<Record<RecordType, readonly RecordType[]>> = {
  cashSale: ['cashRefund'],
  salesOrder: ['itemFulfillment', 'invoice', 'returnAuthorization'],
  returnAuthorization: ['creditMemo'],
  invoice: ['creditMemo'],
  creditMemo: ['customerRefund'],
};

/**
 * Transactions that need a customer (docs/domain.md section 3: `entity` is required on
 * sales orders, cash sales, credit memos and refunds; return authorizations and
 * invoices are customer transactions too).
 */
const NEEDS_ENTITY: readonly RecordType[] = RECORD_TYPES.filter((type) => type !== 'itemFulfillment');

/**
 * Legacy tax fields: "REST web services do not support legacy tax features"
 * (Oracle, NetSuite help, Sales Tax Item record; docs/domain.md section 4, "Tax").
 */
const LEGACY_TAX_LINE_FIELDS = ['tax1Amt', 'taxRate1', 'taxRate2', 'tax2Amt', 'taxCode', 'isTaxable'];
const LEGACY_TAX_BODY_FIELDS = ['taxItem', 'taxRate', 'taxTotal', 'tax2Total', 'isTaxable'];
/**
 * Read-only fields: NetSuite computes the totals (docs/domain.md section 4, "Totals"), and
 * `createdFrom` is set by a transform, never written (docs/domain.md section 4: "Linked
 * records are made by transform").
 */
const READ_ONLY_BODY_FIELDS = ['total', 'subtotal', 'createdFrom'];

/**
 * Posting transactions: a closed accounting period refuses them (docs/domain.md section 4:
 * "A `tranDate` in a closed accounting period is refused"). Sales orders and return
 * authorizations post nothing to the ledger, so a closed period does not lock them
 * (NetSuite help, "Non-posting transactions"; infer).
 */
const POSTING_TYPES: readonly RecordType[] = RECORD_TYPES.filter(
  (type) => type !== 'salesOrder' && type !== 'returnAuthorization',
);

/**
 * Records whose item lines can be closed (docs/domain.md section 4, "Closing lines":
 * `PATCH salesOrder/{id}` with a line's `isClosed: true`; return authorizations have
 * the same column in NetSuite). A cash sale's goods are gone: its lines cannot be.
 */
const CLOSABLE_TYPES: readonly RecordType[] = ['salesOrder', 'returnAuthorization'];

/** SuiteQL transaction type codes of each record type. */
const TYPE_CODES: Record<RecordType, string> = {
  salesOrder: 'SalesOrd',
  cashSale: 'CashSale',
  creditMemo: 'CustCred',
  returnAuthorization: 'RtnAuth',
  customerRefund: 'CustRfnd',
  cashRefund: 'CashRfnd',
  invoice: 'CustInvc',
  itemFulfillment: 'ItemShip',
};

export interface ErpRecord {
  id: string;
  type: RecordType;
  externalId?: string;
  tranDate: string;
  /** Computed from the body as NetSuite does, an exact decimal string. */
  total: string;
  /**
   * The sum of its payment-item lines (negative for a payment): `total` less this is
   * what the sale lines add up to, NewStore's grandTotal (docs/domain.md section 3).
   */
  payments: string;
  body: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  writes: number;
}

export interface ErpFaults {
  /** Until this time (ms since epoch) every record/query call fails. */
  outageUntil?: number;
  outageMode?: 'unavailable' | 'refuse';
  /** Share of record calls answered 500 (0..1). */
  errorRate?: number;
  latencyMs?: number;
  latencyJitterMs?: number;
  /** External ids whose writes are refused with a NetSuite validation error. */
  rejectExternalIds?: string[];
}

export interface ErpEmulatorOptions {
  clientId?: string;
  clientSecret?: string;
  /** Token-based-auth credentials the emulator accepts (OAuth 1.0a, HMAC-SHA256). */
  tba?: { accountId: string; consumerKey: string; consumerSecret: string; tokenId: string; tokenSecret: string };
  /** Concurrent record/query requests allowed; more get 429 (NetSuite's per-account governance). */
  concurrencyLimit?: number;
  /**
   * Retry-After (seconds) on a 429 and on an outage's 503. docs/domain.md section 4 documents the
   * 429 over the per-account limit, not a Retry-After: by default none is sent, so the hub
   * cannot lean on one. Tests of how the hub honours one set it.
   */
  retryAfterSeconds?: { concurrency?: number; outage?: number };
  tokenTtlSeconds?: number;
  /** Rows one SuiteQL query can page through (NetSuite: 100,000); paging past them is refused. */
  suiteqlMaxRows?: number;
  /** The account's records a transaction may reference (default: {@link demoAccount}). */
  account?: ErpAccount;
  /** Accounting periods closed through this date (YYYY-MM-DD): a posting transaction dated then is refused. */
  closedThrough?: string;
}

interface NetSuiteErrorDetail {
  detail: string;
  'o:errorCode': string;
  'o:errorPath'?: string;
}

function netsuiteError(reply: FastifyReply, status: number, title: string, details: NetSuiteErrorDetail[]) {
  return reply.status(status).send({
    type: `https://www.rfc-editor.org/rfc/rfc9110.html#section-15.${status >= 500 ? '6' : '5'}.${(status % 100) + 1}`,
    title,
    status,
    'o:errorDetails': details,
  });
}

/**
 * A record that does not exist: 404 in NetSuite's error body (docs/domain.md section 4,
 * "Errors": 4xx are the caller's). The code NONEXISTENT_ID is assumed, not in docs/domain.md.
 */
function recordNotFound(reply: FastifyReply, key: string) {
  return netsuiteError(reply, 404, 'Record Not Found', [
    { detail: `The record instance does not exist: ${key}`, 'o:errorCode': 'NONEXISTENT_ID' },
  ]);
}

export class ErpEmulator {
  readonly app: FastifyInstance;
  readonly records = new Map<string, ErpRecord>();
  private readonly byExternalId = new Map<string, string>();
  private readonly tokens = new Map<string, number>();
  private faults: ErpFaults = {};
  private active = 0;
  /** Highest number of record/query requests admitted at once. */
  peakConcurrency = 0;
  /** Highest number of requests in flight at once, refused ones included: what the client sent. */
  peakAttempted = 0;
  private attempted = 0;
  private nextId = 1000;
  private readonly options: Required<Omit<ErpEmulatorOptions, 'tba' | 'account' | 'closedThrough'>> &
    Pick<ErpEmulatorOptions, 'tba'>;
  /** Accounting periods are closed through this date (see {@link POSTING_TYPES}). */
  closedThrough: string | undefined;
  /** The account's records by internal id, and the ones with an external id by it. */
  readonly account: ErpAccount;
  private readonly items = new Map<string, AccountItem>();
  private readonly itemsByExternalId = new Map<string, AccountItem>();
  readonly customers = new Map<string, AccountCustomer>();
  private readonly customersByExternalId = new Map<string, AccountCustomer>();

  constructor(options: ErpEmulatorOptions = {}) {
    this.options = {
      clientId: options.clientId ?? 'hub-client',
      clientSecret: options.clientSecret ?? 'hub-secret',
      concurrencyLimit: options.concurrencyLimit ?? 5,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      suiteqlMaxRows: options.suiteqlMaxRows ?? 100_000,
      retryAfterSeconds: options.retryAfterSeconds ?? {},
      tba: options.tba,
    };
    this.closedThrough = options.closedThrough;
    this.account = options.account ?? demoAccount();
    for (const item of this.account.items) this.addItem(item);
    for (const customer of this.account.customers) this.addCustomer(customer);
    this.app = Fastify({ logger: false });
    void this.app.register(formbody);
    this.routes();
  }

  /** Adds an item to the account's catalogue (a retailer adding a product NetSuite lacked). */
  addItem(item: AccountItem): void {
    this.items.set(item.id, item);
    if (item.externalId) this.itemsByExternalId.set(item.externalId, item);
  }

  private addCustomer(customer: AccountCustomer): void {
    this.customers.set(customer.id, customer);
    if (customer.externalId) this.customersByExternalId.set(customer.externalId, customer);
  }

  setFaults(faults: ErpFaults): void {
    this.faults = { ...faults };
  }

  /** Writes a record as an upsert would, without HTTP: benchmarks seed large days with it (one line of `total`). */
  seed(
    type: RecordType,
    externalId: string,
    tranDate: string,
    total: number | string,
    /** Its item lines (default: one line of the whole amount). */
    lines: { item: { id?: string; externalId?: string }; quantity: number; amount: number | string }[] = [
      { item: { id: '701' }, quantity: 1, amount: total },
    ],
  ): ErpRecord {
    return this.store(type, externalId, {
      tranDate,
      item: { items: lines.map((line) => ({ ...line, amount: Number(line.amount) })) },
    });
  }

  /** Every record written with this external id (more than one would be a duplicate). */
  recordsWithExternalId(externalId: string): ErpRecord[] {
    return [...this.records.values()].filter((record) => record.externalId === externalId);
  }

  private routes(): void {
    const app = this.app;

    app.post('/services/rest/auth/oauth2/v1/token', async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string>;
      // Accepts client credentials (client_id/client_secret) or a JWT assertion naming the client.
      const assertionClient = body.client_assertion ? decodeJwtIssuer(body.client_assertion) : undefined;
      const clientOk =
        body.grant_type === 'client_credentials' &&
        ((body.client_id === this.options.clientId && body.client_secret === this.options.clientSecret) ||
          assertionClient === this.options.clientId);
      if (!clientOk)
        return reply.status(401).send({ error: 'invalid_client', error_description: 'Invalid client credentials' });
      const token = randomUUID();
      this.tokens.set(token, Date.now() + this.options.tokenTtlSeconds * 1000);
      return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenTtlSeconds };
    });

    // Emulator control and inspection: not part of NetSuite.
    // Its own liveness, for docker-compose's health check: 200 once it serves.
    app.get('/_emulator/health', async () => ({ status: 'ok' }));
    app.put('/_emulator/faults', async (request) => {
      this.setFaults(request.body ?? {});
      return this.faults;
    });
    app.get('/_emulator/records', async (request) => {
      const { externalId, type } = request.query as { externalId?: string; type?: string };
      return [...this.records.values()].filter(
        (record) => (!externalId || record.externalId === externalId) && (!type || record.type === type),
      );
    });
    app.get('/_emulator/totals', async (request) => {
      const { date } = request.query as { date?: string };
      const sums: Record<string, { count: number; total: Big }> = {};
      for (const record of this.records.values()) {
        if (date && record.tranDate !== date) continue;
        const entry = (sums[record.type] ??= { count: 0, total: new Big(0) });
        entry.count += 1;
        entry.total = entry.total.plus(record.total);
      }
      const totals = Object.fromEntries(
        Object.entries(sums).map(([type, entry]) => [type, { count: entry.count, total: entry.total.toString() }]),
      );
      return { date: date ?? null, totals, peakConcurrency: this.peakConcurrency };
    });
    app.post('/_emulator/items', async (request, reply) => {
      // Adds a catalogue item (a test's retailer fixing its catalogue).
      const { id, itemId, externalId, type } = (request.body ?? {}) as Partial<AccountItem>;
      if (!itemId) return reply.status(400).send({ error: 'itemId is required' });
      const item: AccountItem = {
        id: id ?? String((this.nextId += 1)),
        itemId,
        ...(externalId ? { externalId } : {}),
        type: type ?? 'InvtPart',
      };
      this.addItem(item);
      return reply.status(201).send(item);
    });
    app.get('/_emulator/customers', async () => [...this.customers.values()]);
    app.put('/_emulator/periods', async (request, reply) => {
      // Closes the accounting periods through a date (an accountant's month end); null reopens them.
      const { closedThrough } = (request.body ?? {}) as { closedThrough?: unknown };
      if (closedThrough !== null && !(typeof closedThrough === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(closedThrough)))
        return reply.status(400).send({ error: 'closedThrough is YYYY-MM-DD or null' });
      this.closedThrough = closedThrough ?? undefined;
      return { closedThrough: this.closedThrough ?? null };
    });
    app.delete('/_emulator/records/:id', async (request, reply) => {
      const record = this.records.get((request.params as { id: string }).id);
      if (!record) return reply.status(404).send();
      this.records.delete(record.id);
      if (record.externalId) this.byExternalId.delete(`${record.type}:${record.externalId}`);
      return reply.status(204).send();
    });
    app.post('/_emulator/records/:type', async (request, reply) => {
      // Plants a record directly for reconciliation tests: with an externalId it is a duplicate
      // that slipped past the external-id check (a CSV import, another integration).
      const type = (request.params as { type: string }).type as RecordType;
      const body = (request.body ?? {}) as Record<string, unknown>;
      const record = this.store(type, undefined, body);
      if (typeof body.externalId === 'string') record.externalId = body.externalId;
      // A planted record may state its total outright (what someone keyed into the ERP).
      if (isAmount(body.total)) record.total = new Big(body.total as number | string).toString();
      return reply.status(201).send(record);
    });
    app.patch('/_emulator/records/:id', async (request, reply) => {
      // Changes a record behind the hub's back (someone edited the amount in the ERP).
      const record = this.records.get((request.params as { id: string }).id);
      if (!record) return reply.status(404).send();
      const { total, lines } = (request.body ?? {}) as {
        total?: unknown;
        lines?: { position: number; amount: number | string }[];
      };
      if (typeof total === 'number' || (typeof total === 'string' && /^-?\d+(\.\d+)?$/.test(total)))
        record.total = new Big(total).toString();
      // Or a line's amount (someone moved an amount between lines): the lines change, the stored total does not.
      const items = (record.body.item as { items?: Record<string, unknown>[] } | undefined)?.items;
      for (const change of lines ?? []) {
        if (!items?.[change.position]) return reply.status(400).send({ error: `no line at ${change.position}` });
        items[change.position].amount = new Big(change.amount).toNumber();
      }
      return record;
    });

    app.register(async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        this.attempted += 1;
        this.peakAttempted = Math.max(this.peakAttempted, this.attempted);
        reply.raw.once('close', () => {
          this.attempted -= 1;
        });
        if (!this.authorized(request)) {
          return netsuiteError(reply, 401, 'Unauthorized', [
            { detail: 'Invalid login attempt.', 'o:errorCode': 'INVALID_LOGIN' },
          ]);
        }
        if (this.active >= this.options.concurrencyLimit) {
          const { concurrency } = this.options.retryAfterSeconds;
          if (concurrency !== undefined) void reply.header('Retry-After', String(concurrency));
          return netsuiteError(reply, 429, 'Too Many Requests', [
            {
              detail: 'Concurrent request limit exceeded. Request blocked.',
              'o:errorCode': 'CONCURRENCY_LIMIT_EXCEEDED',
            },
          ]);
        }
        this.active += 1;
        this.peakConcurrency = Math.max(this.peakConcurrency, this.active);
        const release = () => {
          this.active -= 1;
        };
        reply.raw.once('close', release);
        const { outageUntil, outageMode, errorRate, latencyMs, latencyJitterMs } = this.faults;
        const delay = (latencyMs ?? 0) + Math.random() * (latencyJitterMs ?? 0);
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        if (outageUntil && Date.now() < outageUntil) {
          if (outageMode === 'refuse') {
            request.raw.socket.destroy();
            return reply;
          }
          const { outage } = this.options.retryAfterSeconds;
          if (outage !== undefined) void reply.header('Retry-After', String(outage));
          return netsuiteError(reply, 503, 'Service Unavailable', [
            { detail: 'The service is temporarily unavailable.', 'o:errorCode': 'UNEXPECTED_ERROR' },
          ]);
        }
        if (errorRate && Math.random() < errorRate) {
          return netsuiteError(reply, 500, 'Internal Server Error', [
            { detail: 'An unexpected error occurred.', 'o:errorCode': 'UNEXPECTED_ERROR' },
          ]);
        }
      });

      api.post('/services/rest/record/v1/:type', async (request, reply) => this.write(request, reply, undefined));
      api.post('/services/rest/record/v1/:type/:key/!transform/:target', async (request, reply) =>
        this.transform(request, reply),
      );
      api.put('/services/rest/record/v1/:type/:key', async (request, reply) => {
        const key = (request.params as { key: string }).key;
        if (!key.startsWith('eid:')) {
          return netsuiteError(reply, 400, 'Bad Request', [
            { detail: 'Upsert needs an external id: eid:<externalId>', 'o:errorCode': 'INVALID_ID' },
          ]);
        }
        return this.write(request, reply, key.slice(4));
      });
      api.patch('/services/rest/record/v1/:type/:key', async (request, reply) => this.update(request, reply));
      api.get('/services/rest/record/v1/:type/:key', async (request, reply) => {
        const { type, key } = request.params as { type: string; key: string };
        const record = this.find(type, key);
        if (!record) return recordNotFound(reply, key);
        const entity = this.customerOf(record.body.entity);
        // Sublists come as links unless expandSubResources=true (NetSuite help, "Getting a Record Instance").
        const expanded = (request.query as { expandSubResources?: string }).expandSubResources === 'true';
        const sublists = Object.fromEntries(
          SUBLISTS.filter((name) => record.body[name] !== undefined).map((name) => [
            name,
            expanded ? record.body[name] : { links: [{ rel: 'self', href: `${record.id}/${name}` }] },
          ]),
        );
        return {
          ...record.body,
          ...sublists,
          id: record.id,
          externalId: record.externalId,
          tranDate: record.tranDate,
          ...(entity ? { entity: { id: entity.id } } : {}),
          total: Number(record.total),
        };
      });
      api.delete('/services/rest/record/v1/:type/:key', async (request, reply) => {
        const { type, key } = request.params as { type: string; key: string };
        const record = this.find(type, key);
        if (!record) return recordNotFound(reply, key);
        this.records.delete(record.id);
        if (record.externalId && this.byExternalId.get(`${type}:${record.externalId}`) === record.id)
          this.byExternalId.delete(`${type}:${record.externalId}`);
        return reply.status(204).send();
      });
      api.post('/services/rest/query/v1/suiteql', async (request, reply) => this.suiteql(request, reply));
    });
  }

  /** A record by internal id or `eid:<externalId>`, of the given type. */
  private find(type: string, key: string): ErpRecord | undefined {
    const id = key.startsWith('eid:') ? this.byExternalId.get(`${type}:${key.slice(4)}`) : key;
    const record = id ? this.records.get(id) : undefined;
    return record?.type === type ? record : undefined;
  }

  private authorized(request: FastifyRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (header.startsWith('OAuth ')) return this.tbaValid(request, header);
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    const expires = match ? this.tokens.get(match[1]) : undefined;
    return expires !== undefined && expires > Date.now();
  }

  /** Recomputes the OAuth 1.0a HMAC-SHA256 signature the way NetSuite does and compares. */
  private tbaValid(request: FastifyRequest, header: string): boolean {
    const tba = this.options.tba;
    if (!tba) return false;
    const fields = Object.fromEntries(
      [...header.slice(6).matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], decodeURIComponent(match[2])]),
    );
    if (
      fields.realm !== tba.accountId ||
      fields.oauth_consumer_key !== tba.consumerKey ||
      fields.oauth_token !== tba.tokenId
    )
      return false;
    if (fields.oauth_signature_method !== 'HMAC-SHA256') return false;
    const rfc3986 = (text: string) =>
      encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    const url = new URL(request.url, `${request.protocol}://${request.headers.host}`);
    const pairs: string[] = [];
    for (const [name, value] of Object.entries(fields))
      if (name.startsWith('oauth_') && name !== 'oauth_signature') pairs.push(`${rfc3986(name)}=${rfc3986(value)}`);
    url.searchParams.forEach((value, name) => pairs.push(`${rfc3986(name)}=${rfc3986(value)}`));
    pairs.sort();
    const base = `${request.method}&${rfc3986(`${url.protocol}//${url.host}${url.pathname}`)}&${rfc3986(pairs.join('&'))}`;
    const expected = createHmac('sha256', `${rfc3986(tba.consumerSecret)}&${rfc3986(tba.tokenSecret)}`)
      .update(base)
      .digest('base64');
    return expected === fields.oauth_signature;
  }

  /**
   * `POST record/v1/{from}/{id}/!transform/{to}` (docs/domain.md section 4): a new
   * record made from an existing one, which it copies (customer, currency,
   * subsidiary, location, class, department, item lines) and links by `createdFrom`;
   * the body adds or overrides fields, its external id included, and lines in the
   * body replace the copied ones (assumed: the hub sends the lines it books). Only
   * the transforms NetSuite offers between these records are accepted; a source that
   * does not exist is a 404, a second record with the external id is refused.
   */
  private transform(request: FastifyRequest, reply: FastifyReply) {
    const { type, key, target } = request.params as { type: string; key: string; target: string };
    if (!(TRANSFORMS[type as RecordType] ?? []).includes(target as RecordType))
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: `A ${type} cannot be transformed into a ${target}.`,
          'o:errorCode': 'INVALID_TRANSFORM',
          'o:errorPath': 'target',
        },
      ]);
    const source = this.find(type, key);
    if (!source) return recordNotFound(reply, key);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const copied: Record<string, unknown> = {};
    for (const field of ['entity', 'currency', 'subsidiary', 'location', 'class', 'department', 'item'])
      if (source.body[field] !== undefined) copied[field] = source.body[field];
    // A customer refund applies credits: it copies no item lines (docs/domain.md section 4),
    // and the credit memo it is made from is applied, in full unless the body says otherwise.
    if (target === 'customerRefund') {
      delete copied.item;
      copied.apply = { items: [{ doc: { id: source.id }, apply: true, amount: Number(source.total) }] };
    }
    // A closed line is not fulfilled, invoiced or returned (docs/domain.md section 3: closing a cancelled
    // line is what keeps it from being fulfilled).
    if (Array.isArray((copied.item as { items?: unknown } | undefined)?.items))
      copied.item = {
        items: ((copied.item as { items: Record<string, unknown>[] }).items ?? [])
          .filter((line) => line.isClosed !== true)
          // A fulfilment's lines name the order line they fulfil (NetSuite's `orderLine`).
          .map((line) => (target === 'itemFulfillment' ? { ...line, orderLine: line.line, itemReceive: true } : line)),
      };
    const made = { ...copied, ...body };
    const externalId = typeof body.externalId === 'string' ? body.externalId : undefined;
    if (externalId && this.byExternalId.has(`${target}:${externalId}`))
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: 'A record with this external id already exists.',
          'o:errorCode': 'DUP_RCRD',
          'o:errorPath': 'externalId',
        },
      ]);
    const problem =
      this.transactionProblem(target as RecordType, made) ??
      this.applyProblem(target as RecordType, made, source) ??
      this.fulfilmentProblem(target as RecordType, made, source);
    if (problem) return netsuiteError(reply, 400, 'Bad Request', [problem]);
    const record = this.store(target as RecordType, externalId, { ...made, createdFrom: { id: source.id } });
    return reply
      .status(204)
      .header('Location', `${request.protocol}://${request.hostname}/services/rest/record/v1/${target}/${record.id}`)
      .send();
  }

  /**
   * A body written over a record that exists, sublists as NetSuite merges them (NetSuite
   * help, "Updating a Sublist" and "Replacing a Sublist"): a line of the keyed `item`
   * sublist whose `line` matches is updated and any other sent is added, unless the
   * request names the sublist in `replace`, which drops the lines not sent; tax details
   * match on `taxDetailsReference` (assumed key), `apply` lines on their `doc`. A closed
   * line is never reopened, and only records that have `isClosed` take it.
   */
  private withSublists(
    record: ErpRecord,
    sent: Record<string, unknown>,
    replace: Set<string>,
  ): { body: Record<string, unknown> } | { problem: { detail: string; path: string } } {
    const body: Record<string, unknown> = { ...sent };
    const keys: Record<(typeof SUBLISTS)[number], (line: Record<string, unknown>) => unknown> = {
      item: (line) => line.line,
      taxDetails: (line) => line.taxDetailsReference,
      apply: (line) => refOf(line.doc),
    };
    for (const name of SUBLISTS) {
      const incoming = (sent[name] as { items?: unknown } | undefined)?.items;
      if (!Array.isArray(incoming)) continue;
      const current = ((record.body[name] as { items?: Record<string, unknown>[] } | undefined)?.items ?? []).map(
        (line) => ({ ...line }),
      );
      const result = replace.has(name) ? [] : current;
      for (const [index, change] of (incoming as Record<string, unknown>[]).entries()) {
        const key = keys[name](change);
        const target = key === undefined ? undefined : current.find((line) => keys[name](line) === key);
        if (name === 'item') {
          const path = `item.items[${index}].isClosed`;
          if ('isClosed' in change && !CLOSABLE_TYPES.includes(record.type))
            return { problem: { detail: `A ${record.type} line has no isClosed: its lines cannot be closed.`, path } };
          const reopens = change.isClosed === false || (replace.has(name) && change.isClosed !== true);
          if (target?.isClosed === true && reopens)
            return { problem: { detail: 'A closed line cannot be reopened by web services.', path } };
        }
        if (target && result === current) Object.assign(target, change);
        else result.push({ ...(target ?? {}), ...change });
      }
      body[name] = { items: result };
    }
    return { body };
  }

  /**
   * `PATCH record/v1/{type}/{id}` (NetSuite help, "Updating a Sublist"; docs/domain.md
   * section 4, "Closing lines"): body fields are replaced; a line of the keyed `item`
   * sublist whose `line` matches is updated, the other lines sent are added; tax
   * details are matched on `taxDetailsReference` (assumed key). The result must be a
   * transaction NetSuite accepts (the same rules as a create); `isClosed` only on the
   * lines of a record that has it, never reopened.
   */
  private update(request: FastifyRequest, reply: FastifyReply) {
    const { type, key } = request.params as { type: string; key: string };
    const record = this.find(type, key);
    if (!record) return recordNotFound(reply, key);
    const patch = (request.body ?? {}) as Record<string, unknown>;
    const invalid = (detail: string, path: string) =>
      netsuiteError(reply, 400, 'Bad Request', [{ detail, 'o:errorCode': 'USER_ERROR', 'o:errorPath': path }]);
    if ('externalId' in patch && patch.externalId !== record.externalId)
      return invalid('The external id of a record is changed by upsert, not here.', 'externalId');
    if (patch.item !== undefined && !Array.isArray((patch.item as { items?: unknown }).items))
      return invalid('item.items must be a list.', 'item.items');
    const merged = this.withSublists(record, patch, replacedSublists(request));
    if ('problem' in merged) return invalid(merged.problem.detail, merged.problem.path);
    const body: Record<string, unknown> = { ...record.body, ...merged.body };
    delete body.createdFrom;
    const invalidAmount = this.invalidAmount(body);
    if (invalidAmount) return invalid(`Invalid number (must be a number): ${invalidAmount}.`, invalidAmount);
    const problem = this.transactionProblem(record.type, body);
    if (problem) return netsuiteError(reply, 400, 'Bad Request', [problem]);
    this.store(record.type, record.externalId, body, record.id);
    return reply.status(204).send();
  }

  /**
   * A customer refund's `apply` sublist (docs/domain.md section 4: a customer refund
   * has `apply` and `deposit` sublists): each applied document must be a credit memo of
   * the same customer, and no more than it holds may be applied.
   */
  private applyProblem(type: RecordType, body: Record<string, unknown>, source: ErpRecord) {
    if (type !== 'customerRefund') return undefined;
    const applied = ((body.apply as { items?: unknown } | undefined)?.items ?? []) as Record<string, unknown>[];
    const invalid = (detail: string, path: string): NetSuiteErrorDetail => ({
      detail,
      'o:errorCode': 'USER_ERROR',
      'o:errorPath': path,
    });
    if (!Array.isArray(applied) || !applied.some((line) => line.apply === true))
      return invalid('A customer refund must apply at least one credit.', 'apply');
    for (const [index, line] of applied.entries()) {
      const credit = this.records.get(refOf(line.doc) ?? '');
      if (!credit || credit.type !== 'creditMemo')
        return invalid('Only credit memos can be applied here.', `apply.items[${index}].doc`);
      if (refOf(credit.body.entity) !== refOf(source.body.entity) || !isAmount(line.amount))
        return invalid(
          'The credit belongs to another customer, or the amount is not a number.',
          `apply.items[${index}]`,
        );
      if (new Big(line.amount as number).gt(credit.total))
        return invalid(`At most ${credit.total} of this credit can be applied.`, `apply.items[${index}].amount`);
    }
    return undefined;
  }

  /**
   * An item fulfilment's lines (docs/domain.md sections 3 and 4: made from the sales order by
   * transform; a closed line is not fulfilled): each names by `orderLine` an open line of the
   * order, for the same item and no more than its quantity.
   */
  private fulfilmentProblem(type: RecordType, body: Record<string, unknown>, source: ErpRecord) {
    if (type !== 'itemFulfillment') return undefined;
    // Packages: NetSuite's item fulfilment `package` sublist, each with its `packageTrackingNumber`
    // (NetSuite help, "Item Fulfillment" record, Packages subtab; infer: the number is what a line needs).
    const packages = (body.package as { items?: unknown } | undefined)?.items;
    if (body.package !== undefined && !Array.isArray(packages))
      return {
        detail: 'package must be a sublist { items: [...] }.',
        'o:errorCode': 'INVALID_FLD_VALUE',
        'o:errorPath': 'package',
      };
    for (const [index, pack] of ((packages ?? []) as Record<string, unknown>[]).entries())
      if (typeof pack?.packageTrackingNumber !== 'string' || pack.packageTrackingNumber.length === 0)
        return {
          detail: `Package ${index + 1} has no tracking number.`,
          'o:errorCode': 'USER_ERROR',
          'o:errorPath': `package.items[${index}].packageTrackingNumber`,
        };
    const orderLines = ((source.body.item as { items?: Record<string, unknown>[] } | undefined)?.items ?? []).filter(
      (line) => line.isClosed !== true,
    );
    const lines = ((body.item as { items?: unknown } | undefined)?.items ?? []) as Record<string, unknown>[];
    for (const [index, line] of lines.entries()) {
      const ordered = orderLines.find((candidate) => candidate.line === line.orderLine);
      const problem = !ordered
        ? 'names no open line of the sales order'
        : this.itemOf(ordered.item)?.id !== this.itemOf(line.item)?.id
          ? 'is another item than its order line'
          : Number(line.quantity ?? 0) > Number(ordered.quantity ?? 0)
            ? 'ships more than its order line holds'
            : undefined;
      if (problem)
        return {
          detail: `Line ${index + 1} of the fulfilment ${problem}.`,
          'o:errorCode': 'USER_ERROR',
          'o:errorPath': `item.items[${index}].orderLine`,
        };
    }
    return undefined;
  }

  private write(request: FastifyRequest, reply: FastifyReply, externalId: string | undefined) {
    const type = (request.params as { type: string }).type;
    if (type === 'customer') return this.writeCustomer(request, reply, externalId);
    if (!(RECORD_TYPES as readonly string[]).includes(type)) {
      return netsuiteError(reply, 404, 'Not Found', [
        { detail: `Record type '${type}' does not exist.`, 'o:errorCode': 'INVALID_RCRD_TYPE' },
      ]);
    }
    // An item fulfilment is made from its sales order, never on its own (docs/domain.md section 4:
    // `salesOrder/{id}/!transform/itemFulfillment`); an update of one that exists is fine.
    if (type === 'itemFulfillment' && !(externalId && this.byExternalId.has(`${type}:${externalId}`)))
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: 'An item fulfillment is created by transforming its sales order.',
          'o:errorCode': 'INVALID_TRANSFORM',
        },
      ]);
    let body = (request.body ?? {}) as Record<string, unknown>;
    const effectiveExternalId = externalId ?? (typeof body.externalId === 'string' ? body.externalId : undefined);
    if (effectiveExternalId && !/^[A-Za-z0-9_-]+$/.test(effectiveExternalId)) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: 'External ids may contain letters, digits, _ and - only.',
          'o:errorCode': 'INVALID_KEY_OR_REF',
          'o:errorPath': 'externalId',
        },
      ]);
    }
    if (effectiveExternalId && this.faults.rejectExternalIds?.includes(effectiveExternalId)) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: `Invalid field value for item: the item on line 1 of ${effectiveExternalId} is inactive.`,
          'o:errorCode': 'USER_ERROR',
          'o:errorPath': 'item.items[0].item',
        },
      ]);
    }
    if (typeof body.tranDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(body.tranDate)) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: 'Please enter value(s) for: Date (tranDate, YYYY-MM-DD).',
          'o:errorCode': 'USER_ERROR',
          'o:errorPath': 'tranDate',
        },
      ]);
    }
    const invalidAmount = this.invalidAmount(body);
    if (invalidAmount) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: `Invalid number (must be a number): ${invalidAmount}.`,
          'o:errorCode': 'INVALID_FLD_VALUE',
          'o:errorPath': invalidAmount,
        },
      ]);
    }
    // An upsert of a record that exists updates it: its sublists merge as NetSuite's do.
    const existingId = externalId ? this.byExternalId.get(`${type}:${externalId}`) : undefined;
    const existing = existingId ? this.records.get(existingId) : undefined;
    if (existing) {
      const merged = this.withSublists(existing, body, replacedSublists(request));
      if ('problem' in merged)
        return netsuiteError(reply, 400, 'Bad Request', [
          { detail: merged.problem.detail, 'o:errorCode': 'USER_ERROR', 'o:errorPath': merged.problem.path },
        ]);
      // Fields not sent keep their values; createdFrom is the record's own (store keeps it).
      const kept: Record<string, unknown> = { ...existing.body };
      delete kept.createdFrom;
      body = { ...kept, ...merged.body };
    }
    const problem = this.transactionProblem(type as RecordType, body);
    if (problem) return netsuiteError(reply, 400, 'Bad Request', [problem]);
    if (!externalId && effectiveExternalId && this.byExternalId.has(`${type}:${effectiveExternalId}`)) {
      // NetSuite refuses a second record with the same external id on create.
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: 'A record with this external id already exists.',
          'o:errorCode': 'DUP_RCRD',
          'o:errorPath': 'externalId',
        },
      ]);
    }
    const record = this.store(type as RecordType, effectiveExternalId, body);
    return reply
      .status(204)
      .header('Location', `${request.protocol}://${request.hostname}/services/rest/record/v1/${type}/${record.id}`)
      .send();
  }

  /**
   * What NetSuite refuses in a transaction body, each rule with its source; undefined
   * when the body is acceptable.
   */
  private transactionProblem(type: RecordType, body: Record<string, unknown>): NetSuiteErrorDetail | undefined {
    const invalid = (detail: string, path: string, code = 'USER_ERROR'): NetSuiteErrorDetail => ({
      detail,
      'o:errorCode': code,
      'o:errorPath': path,
    });
    const unknownReference = (path: string, reference: unknown) =>
      invalid(
        `Invalid reference ${JSON.stringify(reference) ?? 'missing'}: no such record in this account (a reference is {"id"} or {"externalId"}).`,
        path,
        'INVALID_KEY_OR_REF',
      );
    // docs/domain.md section 4: a posting transaction dated in a closed accounting period is refused.
    if (
      this.closedThrough !== undefined &&
      POSTING_TYPES.includes(type) &&
      typeof body.tranDate === 'string' &&
      body.tranDate <= this.closedThrough
    )
      return invalid(
        `The accounting period of ${body.tranDate} is closed: date the transaction in an open period.`,
        'tranDate',
        'PERIOD_CLOSED',
      );
    // docs/domain.md section 4, "Totals": `total` is read-only, NetSuite computes it.
    for (const field of READ_ONLY_BODY_FIELDS)
      if (field in body) return invalid(`The field ${field} is read-only: NetSuite sets it.`, field);
    // Oracle, Sales Tax Item record: REST web services do not support legacy tax features.
    for (const field of LEGACY_TAX_BODY_FIELDS)
      if (field in body)
        return invalid(`${field} is a legacy tax field, which REST web services do not support; use SuiteTax.`, field);
    const rawLines = (body.item as { items?: unknown } | undefined)?.items;
    const lines = (Array.isArray(rawLines) ? rawLines : []) as Record<string, unknown>[];
    // docs/domain.md section 4: a customer refund has `apply` and `deposit` sublists, no item lines.
    if (type === 'customerRefund' && body.item !== undefined)
      return invalid('A customer refund has no item lines: it applies credits (apply sublist).', 'item');
    const references = new Set<string>();
    for (const [index, line] of lines.entries()) {
      for (const field of LEGACY_TAX_LINE_FIELDS)
        if (field in (line ?? {}))
          return invalid(
            `${field} is a legacy tax field, which REST web services do not support; use SuiteTax tax details.`,
            `item.items[${index}].${field}`,
          );
      // docs/domain.md section 4, "References": an item the account lacks (or an inactive one) is refused.
      const item = this.itemOf(line?.item);
      if (!item || item.inactive) return unknownReference(`item.items[${index}].item`, line?.item);
      // A line's location, like the body's, is an internal id of the account (docs/domain.md section 4).
      if (line.location !== undefined && !this.account.locations.includes(refOf(line.location) ?? ''))
        return unknownReference(`item.items[${index}].location`, line.location);
      if (typeof line.taxDetailsReference === 'string') references.add(line.taxDetailsReference);
    }
    // docs/domain.md section 3, "Customer": an entity on every customer transaction.
    if (NEEDS_ENTITY.includes(type)) {
      if (body.entity === undefined) return invalid('Please enter value(s) for: Customer (entity).', 'entity');
      if (!this.customerOf(body.entity)) return unknownReference('entity', body.entity);
    }
    // docs/domain.md section 4, "References": mapped values are internal ids of the account.
    const lists: [string, readonly string[]][] = [
      ['currency', this.account.currencies.map((currency) => currency.id)],
      ['subsidiary', this.account.subsidiaries],
      ['location', this.account.locations],
      ['class', this.account.classes],
      ['department', this.account.departments],
      ['shipMethod', this.account.shipMethods],
    ];
    for (const [field, ids] of lists) {
      if (body[field] === undefined) continue;
      const id = refOf(body[field]);
      if (id === undefined || !ids.includes(id)) return unknownReference(field, body[field]);
    }
    // docs/domain.md section 4, "Tax": the tax NewStore computed is booked through SuiteTax's override.
    const details = (body.taxDetails as { items?: unknown } | undefined)?.items;
    if (details !== undefined) {
      if (!Array.isArray(details)) return invalid('taxDetails.items must be a list.', 'taxDetails.items');
      if (details.length > 0 && body.taxDetailsOverride !== true)
        return invalid('Tax details can be set only with taxDetailsOverride.', 'taxDetails');
      for (const [index, detail] of (details as Record<string, unknown>[]).entries()) {
        const path = `taxDetails.items[${index}]`;
        if (!isAmount(detail?.taxAmount)) return invalid('taxAmount must be a number.', `${path}.taxAmount`);
        if (detail.taxType !== undefined && !this.account.taxTypes.includes(refOf(detail.taxType) ?? ''))
          return unknownReference(`${path}.taxType`, detail.taxType);
        if (detail.taxCode !== undefined && !this.account.taxCodes.includes(refOf(detail.taxCode) ?? ''))
          return unknownReference(`${path}.taxCode`, detail.taxCode);
        const reference = detail.taxDetailsReference;
        // The shipping line's tax details are NetSuite's `SHIPPING` (Oracle, Commerce API taxdetails).
        if (typeof reference !== 'string' || (reference !== 'SHIPPING' && !references.has(reference)))
          return invalid(
            `taxDetailsReference ${JSON.stringify(reference)} names no line of this transaction.`,
            `${path}.taxDetailsReference`,
          );
      }
    }
    return undefined;
  }

  /** The sum of a body's payment-item lines (items of type Payment in the account). */
  private paymentsOf(body: Record<string, unknown>): string {
    const lines = (body.item as { items?: unknown } | undefined)?.items;
    let total = new Big(0);
    for (const line of (Array.isArray(lines) ? lines : []) as Record<string, unknown>[])
      if (this.itemOf(line?.item)?.type === 'Payment' && isAmount(line.amount))
        total = total.plus(line.amount as number | string);
    return total.toString();
  }

  /** The account's item a reference names ({id} or {externalId}), if any. */
  private itemOf(reference: unknown): AccountItem | undefined {
    const { id, externalId } = (reference ?? {}) as { id?: unknown; externalId?: unknown };
    if (typeof id === 'string') return this.items.get(id);
    if (typeof externalId === 'string') return this.itemsByExternalId.get(externalId);
    return undefined;
  }

  /** The account's customer a reference names ({id} or {externalId}), if any. */
  private customerOf(reference: unknown): AccountCustomer | undefined {
    const { id, externalId } = (reference ?? {}) as { id?: unknown; externalId?: unknown };
    if (typeof id === 'string') return this.customers.get(id);
    if (typeof externalId === 'string') return this.customersByExternalId.get(externalId);
    return undefined;
  }

  /**
   * A customer record, created or upserted by external id (docs/domain.md section 3,
   * "Customer": created with name, e-mail, phone and currency when missing). As in
   * NetSuite, a person needs a first and a last name, a company its name, and every
   * customer a subsidiary of the account.
   */
  private writeCustomer(request: FastifyRequest, reply: FastifyReply, externalId: string | undefined) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
    const isPerson = body.isPerson === true;
    const required = isPerson ? ['firstName', 'lastName'] : ['companyName'];
    const missing = required.find((field) => !text(body[field]));
    const subsidiary = refOf(body.subsidiary);
    const problem = missing
      ? { detail: `Please enter value(s) for: ${missing}.`, path: missing }
      : !subsidiary || !this.account.subsidiaries.includes(subsidiary)
        ? { detail: 'Please enter a subsidiary of this account.', path: 'subsidiary' }
        : body.email !== undefined && !(typeof body.email === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(body.email))
          ? { detail: 'Invalid email address.', path: 'email' }
          : body.currency !== undefined &&
              !this.account.currencies.some((currency) => currency.id === refOf(body.currency))
            ? { detail: 'Invalid reference for currency.', path: 'currency' }
            : undefined;
    if (problem)
      return netsuiteError(reply, 400, 'Bad Request', [
        { detail: problem.detail, 'o:errorCode': 'USER_ERROR', 'o:errorPath': problem.path },
      ]);
    const key = externalId ?? text(body.externalId);
    const existing = key ? this.customersByExternalId.get(key) : undefined;
    const customer: AccountCustomer = {
      id: existing?.id ?? String((this.nextId += 1)),
      ...(key ? { externalId: key } : {}),
      isPerson,
      firstName: text(body.firstName),
      lastName: text(body.lastName),
      companyName: text(body.companyName),
      email: text(body.email),
      phone: text(body.phone),
      subsidiary: subsidiary!,
      currency: refOf(body.currency),
    };
    this.addCustomer(customer);
    return reply
      .status(204)
      .header('Location', `${request.protocol}://${request.hostname}/services/rest/record/v1/customer/${customer.id}`)
      .send();
  }

  private store(
    type: RecordType,
    externalId: string | undefined,
    body: Record<string, unknown>,
    id?: string,
  ): ErpRecord {
    const now = new Date().toISOString();
    const existingId = id ?? (externalId ? this.byExternalId.get(`${type}:${externalId}`) : undefined);
    const existing = existingId ? this.records.get(existingId) : undefined;
    // An update keeps the link a transform made (createdFrom is read-only once set).
    if (existing?.body.createdFrom !== undefined && body.createdFrom === undefined)
      body = { ...body, createdFrom: existing.body.createdFrom };
    // Each item line gets its key `line` (NetSuite help, "Updating a Sublist": keyed sublists), 1, 2, … in order.
    const items = (body.item as { items?: unknown } | undefined)?.items;
    if (Array.isArray(items)) {
      let next = Math.max(0, ...items.map((line) => Number((line as { line?: unknown })?.line ?? 0) || 0));
      body = {
        ...body,
        item: {
          items: (items as Record<string, unknown>[]).map((line) =>
            typeof line?.line === 'number' ? line : { ...line, line: (next += 1) },
          ),
        },
      };
    }
    const record: ErpRecord = {
      id: existing?.id ?? String((this.nextId += 1)),
      type,
      externalId,
      tranDate: typeof body.tranDate === 'string' ? body.tranDate : now.slice(0, 10),
      total: computedTotal(body),
      payments: this.paymentsOf(body),
      body,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
      writes: (existing?.writes ?? 0) + 1,
    };
    this.records.set(record.id, record);
    if (externalId) this.byExternalId.set(`${type}:${externalId}`, record.id);
    return record;
  }

  /** The path of the first amount in a body that is not a number, if any. */
  private invalidAmount(body: Record<string, unknown>): string | undefined {
    for (const field of ['shippingCost', 'handlingCost'])
      if (body[field] !== undefined && !isAmount(body[field])) return field;
    const lines = (body.item as { items?: unknown } | undefined)?.items;
    if (lines === undefined) return undefined;
    if (!Array.isArray(lines)) return 'item.items';
    for (const [index, line] of lines.entries()) {
      const { amount, quantity } = (line ?? {}) as Record<string, unknown>;
      if (amount !== undefined && !isAmount(amount)) return `item.items[${index}].amount`;
      if (quantity !== undefined && !isAmount(quantity)) return `item.items[${index}].quantity`;
    }
    return undefined;
  }

  /**
   * SuiteQL, only what the reconciler needs: SELECT ... FROM transaction WHERE
   * trandate = 'YYYY-MM-DD' (or BETWEEN two dates), optionally AND type IN (...) and
   * AND id > N, in id order. Paged by ?limit (≤ 1000) and &offset; as in NetSuite, one
   * query pages through at most 100,000 rows: a larger day must be read in windows.
   */
  private suiteql(request: FastifyRequest, reply: FastifyReply) {
    const rawQuery = ((request.body ?? {}) as { q?: unknown }).q;
    const query = typeof rawQuery === 'string' ? rawQuery : '';
    const table = /^\s*select\s+.+?\s+from\s+(\w+)/is.exec(query)?.[1]?.toLowerCase();
    if (table && table in OTHER_TABLES)
      return this.tableQuery(request, reply, query, table as keyof typeof OTHER_TABLES);
    // An unknown column fails the whole query (docs/domain.md section 4), as NetSuite's search does.
    const selected = /^\s*select\s+(.+?)\s+from\s+transaction\b/i.exec(query)?.[1];
    const columns = selected?.split(',').map((column) => column.trim().toLowerCase()) ?? [];
    const unknown = columns.find((column) => !(TRANSACTION_COLUMNS as readonly string[]).includes(column));
    if (!selected || unknown) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: `Invalid search query. Detailed unprocessed description follows. Search error occurred: ${
            unknown
              ? `Field '${unknown}' for record 'transaction' was not found.`
              : 'a column list FROM transaction is required.'
          }`,
          'o:errorCode': 'INVALID_PARAMETER',
        },
      ]);
    }
    const { limit: limitText, offset: offsetText } = request.query as { limit?: string; offset?: string };
    const limit = Math.min(Number(limitText ?? 1000), 1000);
    const offset = Number(offsetText ?? 0);
    const match =
      /from\s+transaction\s+where\s+trandate\s*(?:=\s*'(\d{4}-\d{2}-\d{2})'|between\s*'(\d{4}-\d{2}-\d{2})'\s*and\s*'(\d{4}-\d{2}-\d{2})')(?:\s+and\s+type\s+in\s*\(([^)]*)\))?(?:\s+and\s+id\s*>\s*(\d+))?(?:\s+order\s+by\s+id)?\s*$/i.exec(
        query,
      );
    if (!match || !Number.isFinite(limit) || limit < 1 || !Number.isFinite(offset) || offset < 0) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail:
            "Invalid search query. Supported: SELECT ... FROM transaction WHERE trandate = 'YYYY-MM-DD' [AND type IN (...)] [AND id > N] [ORDER BY id]",
          'o:errorCode': 'INVALID_PARAMETER',
        },
      ]);
    }
    if (offset + limit > this.options.suiteqlMaxRows) {
      return netsuiteError(reply, 400, 'Bad Request', [
        {
          detail: `A query can page through at most ${this.options.suiteqlMaxRows} results; narrow it.`,
          'o:errorCode': 'INVALID_PARAMETER',
        },
      ]);
    }
    const from = match[1] ?? match[2];
    const to = match[1] ?? match[3];
    const types = match[4]?.split(',').map((code) => code.trim().replace(/'/g, ''));
    const afterId = Number(match[5] ?? 0);
    // Records are kept in creation order, which is id order: no sort needed.
    const page: Record<string, string | null>[] = [];
    let matched = 0;
    for (const record of this.records.values()) {
      if (record.tranDate < from || record.tranDate > to || Number(record.id) <= afterId) continue;
      if (types && !types.includes(TYPE_CODES[record.type])) continue;
      if (matched >= offset && page.length < limit) {
        // SuiteQL answers every value as text.
        const row: Record<(typeof TRANSACTION_COLUMNS)[number], string | null> = {
          id: record.id,
          tranid: record.id,
          type: TYPE_CODES[record.type],
          externalid: record.externalId ?? null,
          trandate: record.tranDate,
          foreigntotal: record.total,
          currency: currencyOf(record.body),
          entity: refId(record.body.entity),
          memo: typeof record.body.memo === 'string' ? record.body.memo : null,
        };
        page.push(Object.fromEntries(columns.map((column) => [column, row[column as keyof typeof row]])));
      }
      matched += 1;
    }
    return {
      links: [],
      count: page.length,
      hasMore: offset + page.length < matched,
      items: page,
      offset,
      totalResults: matched,
    };
  }

  /**
   * SuiteQL on the account's customers and items and on transaction lines
   * (docs/domain.md section 4: customers found by e-mail within the subsidiary,
   * items by name, lines from `transactionline`): `SELECT cols FROM table [WHERE
   * col = 'v' | col = N | col IN ('a', …) [AND …]] [ORDER BY id]`, paged like the
   * transaction listing. An unknown column fails the whole query.
   */
  private tableQuery(request: FastifyRequest, reply: FastifyReply, query: string, table: keyof typeof OTHER_TABLES) {
    const badQuery = (detail: string) =>
      netsuiteError(reply, 400, 'Bad Request', [
        { detail: `Invalid search query. Search error occurred: ${detail}`, 'o:errorCode': 'INVALID_PARAMETER' },
      ]);
    const match = /^\s*select\s+(.+?)\s+from\s+\w+\s*(?:where\s+(.+?))?\s*(?:order\s+by\s+(\w+))?\s*$/is.exec(query);
    if (!match) return badQuery('SELECT … FROM table [WHERE …] [ORDER BY id] is supported.');
    const known: readonly string[] = OTHER_TABLES[table];
    const columns = match[1].split(',').map((column) => column.trim().toLowerCase());
    const conditions = match[2] ? splitConditions(match[2]) : [];
    const unknown = [...columns, ...conditions.map((condition) => condition?.column ?? '')].find(
      (column) => !known.includes(column),
    );
    if (unknown !== undefined || conditions.some((condition) => !condition))
      return badQuery(`Field '${unknown ?? '?'}' for record '${table}' was not found.`);
    const { limit: limitText, offset: offsetText } = request.query as { limit?: string; offset?: string };
    const limit = Math.min(Number(limitText ?? 1000), 1000);
    const offset = Number(offsetText ?? 0);
    const sets = conditions.map((condition) => ({ column: condition!.column, values: new Set(condition!.values) }));
    // Lines of the transactions named, built only for them (as a database would use its index).
    const transactions = sets.find((condition) => condition.column === 'transaction')?.values;
    const rows = this.tableRows(table, transactions).filter((row) =>
      sets.every((condition) => condition.values.has(row[condition.column] ?? '')),
    );
    const page = rows
      .slice(offset, offset + limit)
      .map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null])));
    return {
      links: [],
      count: page.length,
      hasMore: offset + page.length < rows.length,
      items: page,
      offset,
      totalResults: rows.length,
    };
  }

  /** Every row of a table, values as SuiteQL answers them (text; `T`/`F` for booleans). */
  private tableRows(table: keyof typeof OTHER_TABLES, transactions?: Set<string>): Record<string, string | null>[] {
    const flag = (value: boolean | undefined) => (value ? 'T' : 'F');
    if (table === 'customer')
      return [...this.customers.values()].map((customer) => ({
        id: customer.id,
        entityid: customer.companyName ?? `${customer.firstName ?? ''} ${customer.lastName ?? ''}`.trim(),
        email: customer.email ?? null,
        subsidiary: customer.subsidiary,
        isinactive: flag(customer.inactive),
        externalid: customer.externalId ?? null,
        firstname: customer.firstName ?? null,
        lastname: customer.lastName ?? null,
        currency: customer.currency ?? null,
      }));
    if (table === 'item')
      return [...this.items.values()].map((item) => ({
        id: item.id,
        itemid: item.itemId,
        externalid: item.externalId ?? null,
        itemtype: item.type,
        isinactive: flag(item.inactive),
      }));
    if (table === 'nexttransactionlinelink')
      return [...this.records.values()].flatMap((record) => {
        const source = this.records.get(refOf(record.body.createdFrom) ?? '');
        if (!source) return [];
        const lines = (record.body.item as { items?: unknown } | undefined)?.items;
        // A record made without item lines (a customer refund) is linked by its header.
        const count = Array.isArray(lines) && lines.length > 0 ? lines.length : 1;
        return Array.from({ length: count }, (_, index) => ({
          previousdoc: source.id,
          previoustype: TYPE_CODES[source.type],
          previousline: String(index + 1),
          nextdoc: record.id,
          nexttype: TYPE_CODES[record.type],
          nextline: String(index + 1),
          linktype: TYPE_CODES[record.type],
        }));
      });
    const records = transactions
      ? [...transactions].flatMap((id) => this.records.get(id) ?? [])
      : [...this.records.values()];
    return records.flatMap((record) => {
      const lines = (record.body.item as { items?: unknown } | undefined)?.items;
      return (Array.isArray(lines) ? (lines as Record<string, unknown>[]) : []).map((line, index) => {
        const item = this.itemOf(line?.item);
        return {
          transaction: record.id,
          linesequencenumber: String(index + 1),
          item: item?.id ?? null,
          itemtype: item?.type ?? null,
          quantity: typeof line.quantity === 'number' ? String(line.quantity) : null,
          // The amount as the body gave it, in the transaction's currency (assumed sign: as posted).
          foreignamount: isAmount(line.amount) ? new Big(line.amount as number | string).toString() : null,
          isclosed: flag(line.isClosed === true),
          memo: typeof line.description === 'string' ? line.description : null,
          // The emulator keeps only the item sublist: no header, tax or cost-of-goods rows.
          mainline: 'F',
          taxline: 'F',
          iscogs: 'F',
        };
      });
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<string> {
    return this.app.listen({ port, host });
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

/** The sublists a request names in its `replace` query parameter (NetSuite help, "Replacing a Sublist"). */
function replacedSublists(request: FastifyRequest): Set<string> {
  const { replace } = request.query as { replace?: string };
  return new Set((replace ?? '').split(',').map((name) => name.trim()));
}

/** The sublists a GET returns as links unless expanded (NetSuite help, "Getting a Record Instance"). */
const SUBLISTS = ['item', 'taxDetails', 'apply'] as const;

/**
 * Columns of SuiteQL's `transaction` table the emulator knows (docs/domain.md section 4):
 * `foreigntotal` is the total in the transaction's currency; there is no `total`.
 */
export const TRANSACTION_COLUMNS = [
  'id',
  'tranid',
  'type',
  'externalid',
  'trandate',
  'foreigntotal',
  'currency',
  'entity',
  'memo',
] as const;

/** Columns of the other SuiteQL tables the emulator answers (docs/domain.md section 4). */
const OTHER_TABLES = {
  customer: ['id', 'entityid', 'email', 'subsidiary', 'isinactive', 'externalid', 'firstname', 'lastname', 'currency'],
  item: ['id', 'itemid', 'externalid', 'itemtype', 'isinactive'],
  transactionline: [
    'transaction',
    'linesequencenumber',
    'item',
    'itemtype',
    'quantity',
    'foreignamount',
    'isclosed',
    'memo',
    // NetSuite's own rows are flagged (records catalog: the header line, SuiteTax's tax lines, cost of goods).
    'mainline',
    'taxline',
    'iscogs',
  ],
  /**
   * The links a transform leaves from the lines of a record to the lines made from them
   * (Tim Dietrich, "NetSuite: Use SuiteQL to Get Related Transactions": previousdoc,
   * previoustype, previousline, nextdoc, nexttype, nextline, linktype; infer: the
   * emulator's linktype is the made record's type code, not NetSuite's link names).
   */
  nexttransactionlinelink: [
    'previousdoc',
    'previoustype',
    'previousline',
    'nextdoc',
    'nexttype',
    'nextline',
    'linktype',
  ],
} as const;

/**
 * `col = 'text'`, `col = 12` or `col IN ('a', 'b')` joined by AND, with SQL's doubled
 * quotes inside text; null for a condition it cannot read.
 */
function splitConditions(where: string): ({ column: string; values: string[] } | null)[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < where.length; index += 1) {
    const char = where[index];
    if (char === "'") quoted = !quoted;
    if (!quoted && /^\s+and\s+/i.test(where.slice(index)) && /\s/.test(char)) {
      const skip = /^\s+and\s+/i.exec(where.slice(index))![0].length;
      parts.push(current);
      current = '';
      index += skip - 1;
      continue;
    }
    current += char;
  }
  parts.push(current);
  const literal = (text: string) => {
    const trimmed = text.trim();
    if (/^'(?:[^']|'')*'$/.test(trimmed)) return trimmed.slice(1, -1).replace(/''/g, "'");
    return /^-?\d+$/.test(trimmed) ? trimmed : undefined;
  };
  return parts.map((part) => {
    const equal = /^\s*(\w+)\s*=\s*(.+?)\s*$/s.exec(part);
    if (equal) {
      const value = literal(equal[2]);
      return value === undefined ? null : { column: equal[1].toLowerCase(), values: [value] };
    }
    const list = /^\s*(\w+)\s+in\s*\((.*)\)\s*$/is.exec(part);
    if (!list) return null;
    const values = (list[2].match(/'(?:[^']|'')*'|-?\d+/g) ?? []).map((value) => literal(value) ?? '');
    return { column: list[1].toLowerCase(), values };
  });
}

function isAmount(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
  );
}

/**
 * NetSuite's total (docs/domain.md section 4, "Totals"): the item lines' amounts
 * (payment lines negative), the tax details' tax amounts, shipping and handling.
 */
function computedTotal(body: Record<string, unknown>): string {
  let total = new Big(0);
  const lines = (body.item as { items?: unknown } | undefined)?.items;
  for (const line of Array.isArray(lines) ? lines : []) {
    const { amount } = (line ?? {}) as Record<string, unknown>;
    if (isAmount(amount)) total = total.plus(amount as number | string);
  }
  const details = (body.taxDetails as { items?: unknown } | undefined)?.items;
  for (const detail of Array.isArray(details) ? details : []) {
    const { taxAmount } = (detail ?? {}) as Record<string, unknown>;
    if (isAmount(taxAmount)) total = total.plus(taxAmount as number | string);
  }
  for (const field of ['shippingCost', 'handlingCost'])
    if (isAmount(body[field])) total = total.plus(body[field] as number | string);
  // A customer refund pays out the credits it applies (docs/domain.md section 4).
  const applied = (body.apply as { items?: unknown } | undefined)?.items;
  for (const line of Array.isArray(applied) ? applied : []) {
    const { apply, amount } = (line ?? {}) as Record<string, unknown>;
    if (apply === true && isAmount(amount)) total = total.plus(amount as number | string);
  }
  return total.toString();
}

/** The internal id of a `{"id": …}` reference. */
function refOf(reference: unknown): string | undefined {
  const id = (reference ?? {}) as { id?: unknown };
  return typeof id.id === 'string' ? id.id : undefined;
}

function refId(reference: unknown): string | null {
  const { id, refName } = (reference ?? {}) as { id?: unknown; refName?: unknown };
  return typeof id === 'string' ? id : typeof refName === 'string' ? refName : null;
}

function currencyOf(body: Record<string, unknown>): string | null {
  return refId(body.currency);
}

/** The issuer (client id) of a JWT client assertion; the emulator does not check signatures. */
function decodeJwtIssuer(assertion: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(assertion.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      iss?: string;
    };
    return payload.iss;
  } catch {
    return undefined;
  }
}
