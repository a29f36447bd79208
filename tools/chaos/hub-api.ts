/**
 * The hub as the chaos run sees it from outside: the reconciler's admin API (behind
 * its bearer token) and each instance's /metrics. Nothing here reads a service's
 * private tables.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A reconciliation run as the admin API answers it. */
export interface ReconciliationRun {
  status: string;
  openDiscrepancies: number;
  parityRatio: number | null;
  error: string | null;
}

export interface ResyncAnswer {
  ordersInjected: string[];
  ordersReplayed: string[];
  duplicatesDeleted: string[];
  failed: { orderId: string; action: string; error: string }[];
}

/** What the chaos run reads of the reconciler's order API (GET /admin/orders/{id}). */
interface StoryOfOrder {
  events: { name: string | null; duplicate?: boolean }[];
  documents: {
    documentType: string;
    externalId: string;
    status: string | null;
    attempts?: number | null;
    error?: string | null;
  }[];
  deadLetters: { reason?: string | null }[];
}

export class HubApi {
  constructor(
    private readonly reconciler: string,
    private readonly adminToken: string,
  ) {}

  private async admin<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.reconciler}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // 502: the run or resync answered with what failed in its body (a check reads it).
    if (response.status >= 300 && response.status !== 502)
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /** Waits (up to 5 minutes) until every projection has consumed its topic to the end (lag 0 on /metrics). */
  async projectionsCaughtUp(): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const metrics = await (await fetch(`${this.reconciler}/metrics`)).text();
      const lags = [...metrics.matchAll(/^parity_projection_lag_messages\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
      if (lags.length > 0 && lags.every((lag) => lag === 0)) return;
      await sleep(1_000);
    }
  }

  /** The tenant's day reconciled now, once the projections have caught up. */
  async reconcile(tenant: string, date: string): Promise<ReconciliationRun> {
    await this.projectionsCaughtUp();
    return (await this.admin<{ runs: ReconciliationRun[] }>('POST', '/admin/reconciliations', { tenant, date }))
      .runs[0];
  }

  /** The day's discrepancies, as `kind:orderId`, sorted. */
  async discrepancies(tenant: string, date: string): Promise<string[]> {
    const report = await this.admin<{ discrepancies: { kind: string; orderId: string }[] }>(
      'GET',
      `/admin/reports/${date}?tenant=${tenant}`,
    );
    return report.discrepancies.map(({ kind, orderId }) => `${kind}:${orderId}`).sort();
  }

  resync(request: { tenant: string; date?: string; orderIds?: string[] }): Promise<ResyncAnswer> {
    return this.admin<ResyncAnswer>('POST', '/admin/resync', request);
  }

  /** One line of what the hub knows of an order (its events, documents with their ERP outcome, dead letters), or why not. */
  async storyOf(tenant: string, orderId: string): Promise<string> {
    return fetch(`${this.reconciler}/admin/orders/${encodeURIComponent(orderId)}?tenant=${tenant}`, {
      headers: { authorization: `Bearer ${this.adminToken}` },
    })
      .then(async (response) =>
        response.ok
          ? describeStory((await response.json()) as StoryOfOrder)
          : `${response.status} ${await response.text()}`,
      )
      .catch((error: unknown) => `unreadable: ${(error as Error).message}`);
  }
}

/** One line per order: its events by name, each document with its ERP outcome, its dead letters. */
function describeStory(story: StoryOfOrder): string {
  const events = story.events.map((event) => `${event.name ?? '?'}${event.duplicate ? ' (copy)' : ''}`).join(', ');
  const documents = story.documents
    .map(
      (document) =>
        `${document.documentType} ${document.externalId} ${document.status ?? 'no outcome'}${document.error ? ` (${document.error})` : ''}`,
    )
    .join('; ');
  const dead = story.deadLetters.map((letter) => letter.reason ?? 'dead letter').join('; ');
  return `events [${events}]; documents [${documents || 'none'}]${dead ? `; dead letters [${dead}]` : ''}`;
}

/**
 * Sums a counter's series by one label across the instances' /metrics. An instance
 * that does not answer (one that died: a check says so) is counted under
 * `unreachable`, so the figures do not pass for complete.
 */
export async function counterByLabel(urls: string[], metric: string, label: string): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const url of urls) {
    let text: string;
    try {
      text = await (await fetch(`${url}/metrics`)).text();
    } catch {
      sums.unreachable = (sums.unreachable ?? 0) + 1;
      continue;
    }
    for (const match of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
      const value = new RegExp(`${label}="([^"]*)"`).exec(match[1])?.[1] ?? '';
      sums[value] = (sums[value] ?? 0) + Number(match[2]);
    }
  }
  return sums;
}
