import { ageBucket, renderReport, renderResyncDone, reportCsp } from './report-html';
import type { DiscrepancyRow } from '../reconciliation/reconciliation.repository';

const now = new Date('2026-11-27T12:00:00Z');

function discrepancy(overrides: Partial<DiscrepancyRow>): DiscrepancyRow {
  return {
    id: '1',
    tenant: 'acme',
    businessDate: '2026-11-26',
    kind: 'missing_in_erp',
    orderId: 'order-1',
    subject: 'cashSale:order-1',
    documentType: 'cashSale',
    externalId: 'S1',
    expected: '10',
    found: null,
    delta: null,
    erpInternalIds: [],
    detail: 'not in the ERP',
    firstSeenAt: '2026-11-27T02:00:00Z',
    lastSeenAt: '2026-11-27T02:00:00Z',
    resolvedAt: null,
    resyncRequestedAt: null,
    ...overrides,
  };
}

describe('the HTML parity report', () => {
  it('sorts open discrepancies by age into under 1 day, 1-3, 3-7 and 7 days or more', () => {
    expect(
      ['2026-11-27T01:00:00Z', '2026-11-25T13:00:00Z', '2026-11-22T00:00:00Z', '2026-10-01T00:00:00Z'].map((at) =>
        ageBucket(at, now),
      ),
    ).toEqual([0, 1, 2, 3]);
  });

  it('escapes what NewStore and the ERP wrote: an order id or a detail cannot become markup', () => {
    const html = renderReport({
      tenant: 'acme',
      period: '2026-11-26',
      headline: [{ tone: 'warn', text: 'Parity 50.00 %' }],
      figures: [],
      history: [{ businessDate: '2026-11-26', parityRatio: 0.5, amountDelta: '0' }],
      open: [discrepancy({ orderId: '"><script>alert(1)</script>', detail: '<img src=x onerror=alert(1)>' })],
      paths: new Map(),
      now,
      nonce: 'abc',
      links: [],
    });
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The only stylesheet carries the nonce the policy names; no script is allowed at all.
    expect(html).toContain('<style nonce="abc">');
    expect(reportCsp('abc')).toBe(
      "default-src 'none'; style-src 'nonce-abc'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
  });

  it('says a resync that left orders undone is not done, naming each order and why, escaped', () => {
    const html = renderResyncDone({
      tenant: 'acme',
      date: '2026-11-26',
      back: '/reports/2026-11-26.html',
      nonce: 'n',
      summary: {
        eventsReplayed: 3,
        ordersReplayed: ['o-1'],
        documentsReposted: 0,
        ordersReposted: [],
        ordersInjected: [],
        cancellationsInjected: [],
        ordersNotFound: [],
        duplicatesDeleted: [],
        manual: [],
        failed: [{ orderId: '<b>o-2</b>', action: 'inject', error: 'HTTP 503' }],
      },
    });
    expect(html).toContain('<h1>Resync of acme, 2026-11-26: 1 order(s) failed</h1>');
    expect(html).toContain('<li>&lt;b&gt;o-2&lt;/b&gt; (inject): HTTP 503</li>');
    expect(html).not.toContain('<b>o-2');
  });
});
