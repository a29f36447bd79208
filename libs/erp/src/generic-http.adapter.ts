import { retryTemporary, type ErpDocument, type ErpDocumentType } from '@hub/contracts';
import { erpAmount, ErpError, ErpPort, ErpPostResult, ErpTransaction } from './erp-port';
import { classifyHttpFailure, deleteWithRetries, ERP_CALL_RETRIES, networkFailure } from './http-failure';

export interface GenericHttpSettings {
  /** e.g. https://erp.example.com/api/{documentType}/{externalId}; placeholders: documentType, externalId, tenant, orderId. */
  upsertUrlTemplate: string;
  /** e.g. https://erp.example.com/api/transactions?date={date}&page={page}; answers { items, hasMore }. */
  listUrlTemplate?: string;
  /** e.g. https://erp.example.com/api/{documentType}/{internalId}; without it, deleting is refused. */
  deleteUrlTemplate?: string;
  method: 'PUT' | 'POST';
  /** Header carrying the idempotency key, for ERPs that deduplicate on it. */
  idempotencyHeader: string;
  bearerToken?: string;
  requestTimeoutMs: number;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

/** Any ERP with an HTTP API that upserts by a key in the URL or honours an idempotency header. */
export class GenericHttpAdapter implements ErpPort {
  readonly name = 'generic-http';

  constructor(private readonly settings: GenericHttpSettings) {}

  async upsert(document: ErpDocument): Promise<ErpPostResult> {
    const url = fill(this.settings.upsertUrlTemplate, {
      documentType: document.documentType,
      externalId: document.externalId,
      tenant: document.tenant,
      orderId: document.orderId,
    });
    let response: Response;
    try {
      response = await fetch(url, {
        method: this.settings.method,
        headers: {
          'content-type': 'application/json',
          [this.settings.idempotencyHeader]: document.idempotencyKey,
          ...(this.settings.bearerToken ? { authorization: `Bearer ${this.settings.bearerToken}` } : {}),
        },
        body: JSON.stringify(document),
        // A redirect is an answer, never followed (see classifyHttpFailure).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (error) {
      throw networkFailure(error);
    }
    const text = await response.text();
    if (!response.ok)
      throw classifyHttpFailure(
        response.status,
        response.headers.get('retry-after'),
        `HTTP ${response.status}: ${text.slice(0, 500)}`,
      );
    const fromLocation = response.headers.get('location')?.split('/').pop();
    let fromBody: string | undefined;
    try {
      const id = (JSON.parse(text) as { id?: unknown }).id;
      fromBody = typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    } catch {
      fromBody = undefined;
    }
    const internalId = fromBody ?? fromLocation;
    if (!internalId)
      throw new ErpError('temporary', `HTTP ${response.status} without an id in the body or a Location header`);
    return { internalId };
  }

  async *listTransactions(date: string): AsyncGenerator<ErpTransaction[]> {
    if (!this.settings.listUrlTemplate)
      throw new ErpError('permanent', 'No listUrlTemplate configured for the generic ERP adapter');
    for (let page = 0; ; page += 1) {
      const listUrl = fill(this.settings.listUrlTemplate, { date, page: String(page) });
      // Each page is retried on its own: the listing goes on from where it is.
      const body = await retryTemporary(
        async () =>
          (await (await this.call(listUrl, 'GET')).json()) as {
            items: (Omit<ErpTransaction, 'total'> & { total: unknown })[];
            hasMore: boolean;
          },
        ERP_CALL_RETRIES,
      );
      yield body.items.map((item) => ({ ...item, total: erpAmount(item.total, item.internalId) }));
      if (!body.hasMore) return;
    }
  }

  async deleteTransaction(documentType: ErpDocumentType, internalId: string): Promise<void> {
    if (!this.settings.deleteUrlTemplate)
      throw new ErpError('permanent', 'No deleteUrlTemplate configured for the generic ERP adapter');
    const url = fill(this.settings.deleteUrlTemplate, { documentType, internalId });
    await deleteWithRetries(() => this.call(url, 'DELETE'));
  }

  /** A bodiless call with the bearer token; failures classified as temporary or permanent. */
  private async call(url: string, method: 'GET' | 'DELETE'): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: this.settings.bearerToken ? { authorization: `Bearer ${this.settings.bearerToken}` } : {},
        // A redirect is an answer, never followed (see classifyHttpFailure).
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.requestTimeoutMs),
      });
    } catch (error) {
      throw networkFailure(error);
    }
    if (!response.ok)
      throw classifyHttpFailure(response.status, response.headers.get('retry-after'), `HTTP ${response.status}`);
    return response;
  }
}
