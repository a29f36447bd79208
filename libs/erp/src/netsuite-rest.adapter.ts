import { constants, createPrivateKey, sign } from 'node:crypto';
import { retryTemporary, type ErpDocument, type ErpDocumentType } from '@hub/contracts';
import { erpAmount, ErpError, ErpPort, ErpPostResult, ErpTransaction } from './erp-port';
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
}

interface NetSuiteErrorBody {
  title?: string;
  'o:errorDetails'?: { detail?: string; 'o:errorCode'?: string; 'o:errorPath'?: string }[];
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url');
}

/**
 * The NetSuite REST body of a document: header fields, item lines, shipping and
 * handling, NewStore references. Never `total`: NetSuite computes it from the
 * lines (amount + tax), `shippingCost` and `handlingCost`, and the field is
 * read-only (docs/domain.md section 4). Amounts travel as decimal strings inside the
 * hub; JSON numbers written from that text carry the same digits.
 */
export function toNetSuiteRecord(document: ErpDocument): Record<string, unknown> {
  return {
    externalId: document.externalId,
    tranDate: document.tranDate,
    currency: { refName: document.currency },
    ...(document.shippingCost === undefined ? {} : { shippingCost: jsonAmount(document.shippingCost) }),
    ...(document.handlingCost === undefined ? {} : { handlingCost: jsonAmount(document.handlingCost) }),
    memo: `NewStore order ${document.orderId}`,
    custbody_newstore_order_id: document.orderId,
    custbody_newstore_event_id: document.source.eventId,
    ...(document.dependsOn ? { createdFrom: { externalId: document.dependsOn.externalId } } : {}),
    ...(document.erp
      ? {
          subsidiary: { id: document.erp.subsidiary },
          location: { id: document.erp.location },
          ...(document.erp.channel ? { class: { id: document.erp.channel } } : {}),
          ...(document.erp.customer ? { entity: { id: document.erp.customer } } : {}),
          ...(document.erp.shippingMethod ? { shipMethod: { id: document.erp.shippingMethod } } : {}),
        }
      : {}),
    item: {
      items: document.lines.map((line) => ({
        item: { externalId: line.sku ?? line.itemId },
        quantity: line.quantity,
        amount: jsonAmount(line.amount),
        tax1Amt: jsonAmount(line.tax),
      })),
    },
  };
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

  async upsert(document: ErpDocument): Promise<ErpPostResult> {
    const { record } = NETSUITE_RECORDS[document.documentType];
    // PUT on eid: creates or updates: a repeated write cannot create a second record.
    const response = await this.request(
      'PUT',
      `/record/v1/${record}/eid:${document.externalId}`,
      toNetSuiteRecord(document),
    );
    const location = response.headers.get('location');
    const internalId = location?.split('/').pop();
    if (response.status !== 204 || !internalId) {
      throw new ErpError('temporary', `Unexpected answer ${response.status} without a Location header`, {
        status: response.status,
      });
    }
    return { internalId };
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
    let afterId = 0;
    for (;;) {
      // `foreigntotal` is the total in the transaction's currency; `transaction` has no `total` column (docs/domain.md section 4).
      const q = `SELECT id, externalid, type, trandate, foreigntotal FROM transaction WHERE trandate = '${day}' AND type IN (${codes}) AND id > ${afterId} ORDER BY id`;
      let windowRows = 0;
      let hasMore = true;
      while (hasMore && windowRows < cap) {
        const limit = Math.min(pageSize, cap - windowRows);
        // Each page is retried on its own (a read at the same offset; docs/domain.md section 4, SuiteQL):
        // the listing goes on from where it is.
        const page = await retryTemporary(async () => {
          const response = await this.request(
            'POST',
            `/query/v1/suiteql?limit=${limit}&offset=${windowRows}`,
            { q },
            { prefer: 'transient' },
          );
          return (await response.json()) as {
            items: { id: string; externalid: string | null; type: string; trandate: string; foreigntotal: unknown }[];
            hasMore: boolean;
            count: number;
          };
        }, ERP_CALL_RETRIES);
        if (page.items.length === 0) return;
        yield page.items.map((item) => ({
          internalId: String(item.id),
          externalId: item.externalid,
          documentType: byCode.get(item.type) ?? 'other',
          tranDate: item.trandate,
          total: erpAmount(item.foreigntotal, item.id),
        }));
        windowRows += page.items.length;
        afterId = Math.max(afterId, ...page.items.map((item) => Number(item.id)));
        hasMore = page.hasMore;
      }
      if (windowRows < cap) return;
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
