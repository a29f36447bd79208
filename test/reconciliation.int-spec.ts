import { discrepancySchema, runSchema } from '../apps/reconciler/src/reconciliation/reconciliation.schemas';
import { decimal, discrepancyMessageSchema, HEADERS } from '@hub/contracts';
import { sendToDeadLetters } from '@hub/kafka';
import { eventRecordOf, launchBrowser, readTopic, ServiceUnderTest, waitFor } from '@hub/testing';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErpRecord } from '../tools/emulators/erp/erp-emulator';
import { eventsOfOrder } from '../tools/emulators/shared/newstore-events';
import { hubTestbed } from './hub-testbed';

const TENANT = 'acme';
const DAY = '2024-01-02';
const TOKEN = 'test-admin-token';

/**
 * The whole pipeline on a real broker, registry and Postgres, against both
 * emulators: a day flows through enricher and sink into the ERP, the emulators
 * plant one discrepancy of each kind, the reconciler finds exactly those, a resync
 * repairs them, and a second run shows full parity.
 */
describe('reconciler: a planted day, found, resynced, in parity', () => {
  const bed = hubTestbed('recon', {
    newStore: { day: { tenant: TENANT, date: DAY, orders: 40, seed: 27 } },
    erp: { concurrencyLimit: 10 },
    // The enricher's tiers, which the reconciler projects.
    env: { ENRICHER_RETRY_TIERS_MS: '200,400,800' },
  });
  const { prefix, kafka, newStore, erp, schemas } = bed;
  const database = bed.postgres();
  let reconciler: ServiceUnderTest;
  const days = Array.from({ length: newStore.store.size }, (_, index) => newStore.store.order(index));
  // Orders with only a sale (no cancellation, return or appeasement) and not historical: planted ones.
  // Sales are booked on the store's local date (docs/domain.md section 3): orders placed around
  // midday UTC are on the day in every store's zone, from San Francisco to Berlin.
  const plain = days.filter(
    (order) =>
      !order.isHistorical &&
      !order.cancellation &&
      !order.return &&
      !order.appeasement &&
      new Date(order.createdAt).getUTCHours() >= 9 &&
      new Date(order.createdAt).getUTCHours() < 20,
  );
  const [neverDelivered, removed, changed, duplicated] = plain;
  /** A sale whose lines someone edits in the ERP: 5.00 moved from one line to another, the total unchanged. */
  let reLined: (typeof days)[number];
  /** An order whose item cancellation NewStore holds and never sent (its sale is a sales order). */
  const uncancelled = days.find(
    (order) =>
      order.cancellation &&
      // A store sale handed over in the store is a cash sale, which a cancellation never changes.
      order.channelType === 'web' &&
      !order.isHistorical &&
      new Date(order.createdAt).getUTCHours() >= 9 &&
      new Date(order.createdAt).getUTCHours() < 20,
  )!;
  /** A return NewStore holds and never sent, processed on the day (the tenant's zone is UTC). */
  const unreturned = days.find(
    (order) =>
      order.return &&
      order.id !== uncancelled.id &&
      !order.isHistorical &&
      Date.parse(order.createdAt) + order.return.offsetMinutes * 60_000 < Date.parse(`${DAY}T23:00:00Z`),
  )!;
  /** Events NewStore holds that never reached the hub (sent later, as NewStore's manual retry would). */
  const withheld = (event: { envelope: { name: string; payload: Record<string, unknown> } }) =>
    (event.envelope.name === 'order.items_cancelled' && event.envelope.payload.id === uncancelled.id) ||
    (event.envelope.name === 'return.processed' && event.envelope.payload.id === unreturned.return!.id);
  /** The edited sale's line amounts as the hub posted them. */
  let postedLineAmounts: unknown[] = [];
  const lineAmounts = (record: ErpRecord) =>
    ((record.body.item as { items: { amount: unknown }[] }).items ?? []).map((line) => line.amount);
  /** The changed order's ERP total as the hub posted it, before it was changed behind the hub's back. */
  let changedTotal = '';
  /** An ERP record with a hub-shaped external id (a credit memo's CM-) that no hub document explains. */
  const ORPHAN = 'CM-keyed-in-by-hand-1';

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${reconciler.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.text() };
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await admin(method, path, body);
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.body}`);
    return JSON.parse(response.body) as T;
  };
  const documentOf = (order: { externalId: string }): ErpRecord =>
    [...erp.records.values()].find((record) => record.externalId === order.externalId)!;
  /** Someone in the ERP lowers the first line above 5.00 of an order's sale by `by`: the record and that line. */
  const lowerALine = async (order: { externalId: string }, by: number) => {
    const edited = documentOf(order);
    const [first] = lineAmounts(edited)
      .map((amount, position) => ({ amount: Number(amount), position }))
      .filter(({ amount }) => amount > 5);
    const plant = await fetch(`${bed.erpUrl}/_emulator/records/${edited.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        lines: [{ position: first.position, amount: decimal(first.amount).minus(by).toString() }],
      }),
    });
    expect(plant.ok).toBe(true);
    return { edited, first };
  };
  const query = async <T>(sql: string, parameters: unknown[] = []) =>
    (await database.query(sql.replace(/\bS\./g, `"${schemas.reconciler}".`), parameters)).rows as T[];
  /**
   * The pipeline is idle: every opened order has its sale document, every projected
   * document is posted, the ERP holds exactly those (a cancellation's closing is a
   * change to its sale, no record of its own), and nothing changed for 2 s.
   */
  const settled = async (expectedOrders: number) => {
    let previous = '';
    let stableSince = Date.now();
    return waitFor(
      async () => {
        const [row] = await query<{ orders: number; documents: number; pending: number; unsold: number }>(
          `SELECT (SELECT count(*) FROM S.orders WHERE opened)::int AS orders,
                  (SELECT count(*) FROM S.erp_documents WHERE tran_date IS NOT NULL AND NOT closes_lines)::int
                    AS documents,
                  (SELECT count(*) FROM S.erp_documents WHERE status IS DISTINCT FROM 'posted')::int AS pending,
                  (SELECT count(*) FROM S.orders o WHERE o.opened AND NOT o.is_historical AND NOT EXISTS (
                     SELECT 1 FROM S.erp_documents d WHERE d.order_id = o.order_id
                     AND d.document_type IN ('salesOrder', 'cashSale')))::int AS unsold`,
        );
        const state = JSON.stringify({ ...row, erp: erp.records.size });
        if (state !== previous) {
          previous = state;
          stableSince = Date.now();
        }
        const idle =
          row.orders === expectedOrders &&
          row.unsold === 0 &&
          row.pending === 0 &&
          row.documents > 0 &&
          row.documents === erp.records.size;
        return idle && Date.now() - stableSince > 2_000 && row;
      },
      { what: 'pipeline settled', timeoutMs: 90_000, intervalMs: 250 },
    );
  };

  beforeAll(async () => {
    await bed.start('enricher');
    await bed.start('erp-sink', { SINK_WAITING_SWEEP_MS: '200', ERP_RETRY_BASE_MS: '100' });
    reconciler = await bed.start('reconciler', {
      RECONCILER_ADMIN_TOKENS: TOKEN,
      RECONCILER_RESYNC_DELETE_DUPLICATES: 'true',
      RECONCILER_RETRY_BASE_MS: '50',
    });
    const events = days
      .filter((order) => order.id !== neverDelivered.id)
      .flatMap((order) => eventsOfOrder(order, TENANT))
      .filter((event) => !withheld(event))
      .sort((a, b) => a.at - b.at);
    await kafka.producer.send(
      kafka.topics.newstoreEvents,
      events.map((event) => eventRecordOf(event.envelope)),
    );
    await settled(days.length - 1);
  });

  it('finds each planted discrepancy with the right kind and nothing else, on the topic and in the report', async () => {
    // An event never delivered is the order left out above; the ERP loses, changes and duplicates a document.
    const plant = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${bed.erpUrl}/_emulator/records${path}`, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
      expect(response.ok).toBe(true);
    };
    await plant('DELETE', `/${documentOf(removed).id}`);
    changedTotal = documentOf(changed).total;
    await plant('PATCH', `/${documentOf(changed).id}`, { total: decimal(changedTotal).plus(5).toString() });
    const original = documentOf(duplicated);
    await plant('POST', `/${original.type}`, { externalId: original.externalId, tranDate: DAY, total: original.total });
    await plant('POST', '/creditMemo', { externalId: ORPHAN, tranDate: DAY, total: '3.30' });
    // Someone moves 5.00 from one line of a sale to another: the total stays what it was.
    reLined = plain
      .slice(4)
      .find((order) => lineAmounts(documentOf(order)).filter((amount) => Number(amount) > 5).length >= 2)!;
    const edited = documentOf(reLined);
    postedLineAmounts = lineAmounts(edited);
    const [first, second] = postedLineAmounts
      .map((amount, position) => ({ amount: Number(amount), position }))
      .filter(({ amount }) => amount > 5);
    await plant('PATCH', `/${edited.id}`, {
      lines: [
        { position: first.position, amount: decimal(first.amount).minus(5).toString() },
        { position: second.position, amount: decimal(second.amount).plus(5).toString() },
      ],
    });
    expect(documentOf(reLined).total).toBe(edited.total);
    // The order whose cancellation never arrived was sold on a sales order, whose lines a cancellation closes.
    expect(documentOf(uncancelled).type).toBe('salesOrder');

    const { runs } = await json<{
      runs: { id: string; status: string; openDiscrepancies: number; parityRatio: number; newstoreOrders: number }[];
    }>('POST', '/admin/reconciliations', { tenant: TENANT, date: DAY });
    expect(runs).toHaveLength(1);
    // Exactly what the OpenAPI document says a run is (made from the same schema): no field undocumented.
    expect(() => runSchema.parse(runs[0])).not.toThrow();
    expect(runs[0]).toMatchObject({ status: 'succeeded', newstoreOrders: days.length, openDiscrepancies: 9 });
    // Parity is over the union of the three systems' orders: the orphan's record counts as one.
    expect(runs[0].parityRatio).toBeCloseTo((days.length + 1 - 8) / (days.length + 1), 5);

    const report = await json<{
      discrepancies: {
        kind: string;
        orderId: string;
        delta: string | null;
        erpInternalIds: string[];
        detail: string;
      }[];
    }>('GET', `/admin/reports/${DAY}?tenant=${TENANT}`);
    for (const discrepancy of report.discrepancies) expect(() => discrepancySchema.parse(discrepancy)).not.toThrow();
    const found = report.discrepancies
      .map(({ kind, orderId }) => ({ kind, orderId }))
      .sort((a, b) => a.kind.localeCompare(b.kind));
    expect(found).toEqual(
      [
        { kind: 'amount_mismatch', orderId: changed.id },
        { kind: 'duplicate_in_erp', orderId: duplicated.id },
        { kind: 'missing_in_erp', orderId: removed.id },
        { kind: 'missing_in_hub', orderId: neverDelivered.id },
        { kind: 'orphan_in_erp', orderId: `erp:${documentOf({ externalId: ORPHAN }).id}` },
        { kind: 'line_mismatch', orderId: reLined.id },
        { kind: 'line_mismatch', orderId: reLined.id },
        { kind: 'missing_cancellation', orderId: uncancelled.id },
        { kind: 'missing_return', orderId: unreturned.id },
      ].sort((a, b) => a.kind.localeCompare(b.kind)),
    );
    // Each edited line named, with both amounts.
    const lineFindings = report.discrepancies.filter((item) => item.kind === 'line_mismatch');
    // Exact decimal strings, never floats.
    expect(lineFindings.map((item) => item.delta).sort()).toEqual(['-5', '5']);
    for (const finding of lineFindings)
      expect(finding.detail).toMatch(/line \d+: amount: the hub posted [\d.]+, the ERP has [\d.]+/);
    expect(report.discrepancies.find((item) => item.kind === 'missing_cancellation')?.detail).toContain(
      `item ${uncancelled.cancellation!.itemIds[0]} is cancelled in NewStore`,
    );
    expect(report.discrepancies.find((item) => item.kind === 'amount_mismatch')?.delta).toBe('5');
    expect(report.discrepancies.find((item) => item.kind === 'duplicate_in_erp')?.erpInternalIds).toHaveLength(2);

    const messages = (await readTopic(kafka.kafka, `${prefix}.reconciliation.discrepancies.v1`)).map((message) => ({
      key: message.key,
      value: discrepancyMessageSchema.parse(JSON.parse(message.value!.toString('utf8'))),
    }));
    expect(messages.map((message) => message.value.kind).sort()).toEqual(found.map((item) => item.kind).sort());
    for (const message of messages) expect(message.key).toBe(message.value.orderId);

    const csv = await admin('GET', `/admin/reports/${DAY}?tenant=${TENANT}&format=csv`);
    expect(csv.body.trim().split('\n')).toHaveLength(10);
    expect(csv.body).toContain(`missing_in_hub,${neverDelivered.id}`);
    const metrics = await (await fetch(`${reconciler.url}/metrics`)).text();
    expect(metrics).toContain(
      `parity_reconciliation_discrepancies{tenant="${TENANT}",business_date="${DAY}",kind="missing_in_hub",state="open",service="reconciler"} 1`,
    );
    expect(metrics).toContain(
      `parity_reconciliation_orders{tenant="${TENANT}",business_date="${DAY}",system="newstore",service="reconciler"} ${days.length}`,
    );
  });

  it("shows the day's report as a web page in a real browser: charts with the found counts, no console error, nothing loaded from elsewhere, a resync that asks first", async () => {
    let session = '';
    const { browser, close } = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 900 });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warn') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(String(error)));
      page.on('request', (request) => requests.push(request.url()));
      // A person signs in once with the admin token; a wrong one is refused.
      const reportPath = `/reports/${DAY}.html?tenant=${TENANT}`;
      await page.goto(`${reconciler.url}/reports/login.html?next=${encodeURIComponent(reportPath)}`);
      // The sign-in's own answer, whatever navigation events the browser reports around it.
      const signInAnswer = () =>
        page.waitForResponse(
          (answer) => answer.request().method() === 'POST' && answer.url() === `${reconciler.url}/reports/login.html`,
        );
      await page.type('#token', 'not-the-token');
      const [refused] = await Promise.all([signInAnswer(), page.click('#sign-in')]);
      expect(refused.status()).toBe(401);
      await page.waitForSelector('p.bad');
      expect(await page.$eval('p.bad', (p) => p.textContent)).toBe('That token is not one of the admin tokens.');
      // The browser reports the refused page itself; from here on, nothing may be logged.
      expect(problems).toEqual([expect.stringContaining('status of 401')]);
      problems.length = 0;
      await page.type('#token', TOKEN);
      const reportAnswer = page.waitForResponse(
        (answer) => answer.request().method() === 'GET' && answer.url() === `${reconciler.url}${reportPath}`,
      );
      const [accepted] = await Promise.all([signInAnswer(), page.click('#sign-in')]);
      expect(accepted.status()).toBe(303);
      const response = await reportAnswer;
      expect(response.status()).toBe(200);
      expect(response.headers()['content-security-policy']).toContain("default-src 'none'");
      await page.waitForSelector('#kind-chart');
      expect(page.url()).toBe(`${reconciler.url}${reportPath}`);

      const kindCounts = await page.$$eval('#kind-chart rect', (rects) =>
        rects.map((rect): [string, number] => [
          rect.getAttribute('data-key') ?? '',
          Number(rect.getAttribute('data-count')),
        ]),
      );
      const kinds = Object.fromEntries(kindCounts);
      expect(Object.entries(kinds).filter(([, count]) => count > 0)).toEqual(
        expect.arrayContaining([
          ['amount_mismatch', 1],
          ['duplicate_in_erp', 1],
          ['missing_in_erp', 1],
          ['missing_in_hub', 1],
          ['orphan_in_erp', 1],
          ['line_mismatch', 2],
          ['missing_cancellation', 1],
          ['missing_return', 1],
        ]),
      );
      expect(Object.values(kinds).reduce((sum, count) => sum + count, 0)).toBe(9);
      // Found minutes ago: all nine are under a day old.
      const ages = await page.$$eval('#age-chart rect', (rects) =>
        rects.map((rect) => rect.getAttribute('data-count')),
      );
      expect(ages).toEqual(['9', '0', '0', '0']);
      // 30 days of parity: this day's bar with its parity, the 29 before it unknown (never reconciled).
      expect(
        await page.$$eval('#parity-chart rect.parity', (rects) => rects.map((r) => r.getAttribute('data-date'))),
      ).toEqual([DAY]);
      expect(await page.$$eval('#parity-chart rect.unknown', (rects) => rects.length)).toBe(29);
      expect(
        await page.$$eval('#delta-chart rect.delta', (rects) => rects.map((r) => r.getAttribute('data-delta'))),
      ).toEqual(['5']);
      // The open list shows each order's path: the removed document was posted, with its ERP id.
      const removedRow = await page.$eval(`tr[data-order="${removed.id}"]`, (row) => row.textContent ?? '');
      expect(removedRow).toMatch(/missing in erp/);
      expect(removedRow).toMatch(/posted, ERP id \S+/);
      const neverRow = await page.$eval(`tr[data-order="${neverDelivered.id}"]`, (row) => row.textContent ?? '');
      expect(neverRow).toContain('events: none reached the hub');

      const screenshots = process.env.UPDATE_SCREENSHOTS ? 'docs' : join('node_modules', '.cache', 'test-logs');
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, 'parity-report.png'), fullPage: true });

      // The resync button asks first; cancelling goes back to the report with nothing done.
      await Promise.all([page.waitForNavigation(), page.click('form.resync button')]);
      expect(await page.$eval('h1', (h1) => h1.textContent)).toBe(`Resync ${TENANT}, ${DAY}?`);
      expect(await page.$eval('#confirm', (button) => button.textContent)).toBe('Yes, resync 8 order(s)');
      await Promise.all([page.waitForNavigation(), page.click('a')]);
      expect(page.url()).toBe(`${reconciler.url}/reports/${DAY}.html?tenant=${TENANT}`);

      const month = await page.goto(`${reconciler.url}/reports/${DAY.slice(0, 7)}.html?tenant=${TENANT}`);
      expect(month?.status()).toBe(200);
      expect(await page.$$eval('#parity-chart rect', (rects) => rects.length)).toBe(31);
      expect(await page.$$eval('#open tbody tr', (rows) => rows.length)).toBe(9);

      expect(problems).toEqual([]);
      expect(requests.filter((url) => !url.startsWith(`${reconciler.url}/`))).toEqual([]);

      // The browser holds a session, never the token itself; signing out removes it.
      const [cookie] = await page.cookies(`${reconciler.url}/reports/`);
      expect(cookie).toMatchObject({ name: 'parity_admin', httpOnly: true, sameSite: 'Strict', path: '/reports' });
      expect(cookie.value).not.toContain(TOKEN);
      session = cookie.value;
      await Promise.all([page.waitForNavigation(), page.click('#sign-out')]);
      expect(page.url()).toBe(`${reconciler.url}/reports/login.html`);
      expect(await page.cookies(`${reconciler.url}/reports/`)).toEqual([]);
      expect((await page.goto(`${reconciler.url}${reportPath}`))?.status()).toBe(401);
    } finally {
      await close();
    }
    // The session works on the report pages only, and the token as a cookie does not.
    const withCookie = (path: string, value: string) =>
      fetch(`${reconciler.url}${path}`, { headers: { cookie: `parity_admin=${value}` } });
    expect((await withCookie(`/reports/${DAY}.html?tenant=${TENANT}`, session)).status).toBe(200);
    expect((await withCookie(`/admin/reports/${DAY}?tenant=${TENANT}`, session)).status).toBe(401);
    expect((await withCookie(`/reports/${DAY}.html?tenant=${TENANT}`, TOKEN)).status).toBe(401);

    // Without the token, or posted from another site, or not confirmed: refused, nothing done.
    expect((await fetch(`${reconciler.url}/reports/${DAY}.html`)).status).toBe(401);
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${reconciler.url}/reports/${DAY}/resync.html`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    expect((await post({ origin: 'https://elsewhere.example' }, `tenant=${TENANT}&confirm=yes`)).status).toBe(403);
    expect((await post({}, `tenant=${TENANT}`)).status).toBe(400);
    expect((await admin('GET', '/reports/2024-13-01.html')).status).toBe(400);
    expect((await admin('GET', '/reports/last-week.html')).status).toBe(404);
  });

  it('resyncs the day: a second run shows 100 % parity, the four resolved, and no duplicate ERP record', async () => {
    // The orphan is a person's call (resync does not touch it): here, the person voids it.
    const orphan = documentOf({ externalId: ORPHAN });
    expect((await fetch(`${bed.erpUrl}/_emulator/records/${orphan.id}`, { method: 'DELETE' })).status).toBe(204);
    const summary = await json<{
      ordersInjected: string[];
      cancellationsInjected: string[];
      ordersReplayed: string[];
      duplicatesDeleted: string[];
    }>('POST', '/admin/resync', { tenant: TENANT, date: DAY });
    expect(summary.ordersInjected).toEqual([neverDelivered.id]);
    // The cancellation NewStore shows and never sent is rebuilt from GraphQL.
    expect(summary.cancellationsInjected).toEqual([uncancelled.id]);
    expect(summary.ordersReplayed.sort()).toEqual(
      [removed.id, changed.id, reLined.id, uncancelled.id, unreturned.id].sort(),
    );
    expect(summary.duplicatesDeleted).toHaveLength(1);
    // A return's event the hub never received is NewStore's to send again (its manual retry).
    const returnEvent = eventsOfOrder(unreturned, TENANT).find((event) => event.envelope.name === 'return.processed')!;
    await kafka.producer.send(kafka.topics.newstoreEvents, [eventRecordOf(returnEvent.envelope)]);
    const closedLines = (record: ErpRecord | undefined) =>
      ((record?.body.item as { items: { isClosed?: boolean }[] } | undefined)?.items ?? []).filter(
        (line) => line.isClosed,
      ).length;
    await waitFor(
      () =>
        documentOf(neverDelivered) &&
        documentOf(removed) &&
        documentOf(changed).total === changedTotal &&
        JSON.stringify(lineAmounts(documentOf(reLined))) === JSON.stringify(postedLineAmounts) &&
        closedLines(documentOf(uncancelled)) > 0 &&
        [...erp.records.values()].some((record) => record.externalId === `RT-${unreturned.return!.id}`),
      { what: 'resynced documents in the ERP', timeoutMs: 60_000, intervalMs: 250 },
    );
    await settled(days.length);

    const { runs } = await json<{
      runs: { status: string; openDiscrepancies: number; resolvedDiscrepancies: number; parityRatio: number }[];
    }>('POST', '/admin/reconciliations', { tenant: TENANT, date: DAY });
    expect(runs[0]).toMatchObject({
      status: 'succeeded',
      openDiscrepancies: 0,
      resolvedDiscrepancies: 9,
      parityRatio: 1,
    });
    const perDocument = new Map<string, number>();
    for (const record of erp.records.values()) {
      const key = `${record.type}:${record.externalId}`;
      perDocument.set(key, (perDocument.get(key) ?? 0) + 1);
    }
    expect([...perDocument.values()].every((count) => count === 1)).toBe(true);
    // One ERP record per hub document that is a record (a cancellation closes lines of its sale).
    const [{ documents }] = await query<{ documents: number }>(
      `SELECT count(*)::int AS documents FROM S.erp_documents WHERE NOT closes_lines`,
    );
    expect(erp.records.size).toBe(documents);
  });

  it("tells one order's whole story, found by its id, its order number or its sale's ERP external id", async () => {
    interface Story {
      order: { orderId: string; orderNumber: string | null; status: string };
      events: { name: string | null; eventId: string | null; at: string; duplicate: boolean }[];
      documents: {
        externalId: string | null;
        status: string | null;
        erpInternalId: string | null;
        attempts: number | null;
      }[];
      deadLetters: unknown[];
      discrepancies: { open: { kind: string }[]; resolved: { kind: string; resyncRequestedAt: string | null }[] };
    }
    const story = await json<Story>('GET', `/admin/orders/${removed.id}?tenant=${TENANT}`);
    expect(story.order).toMatchObject({ orderId: removed.id, orderNumber: removed.externalId });
    // Its events as they are on newstore.events.v1, each with its id and time.
    expect(story.events.map((event) => event.name)).toContain('order.opened');
    expect(story.events.every((event) => event.eventId && !Number.isNaN(Date.parse(event.at)))).toBe(true);
    // Its sale, deleted from the ERP, found missing, resynced: posted again, under the id the ERP holds now.
    expect(story.documents.find((document) => document.externalId === removed.externalId)).toMatchObject({
      status: 'posted',
      erpInternalId: documentOf(removed).id,
    });
    expect(story.discrepancies.open).toEqual([]);
    expect(story.discrepancies.resolved).toEqual([expect.objectContaining({ kind: 'missing_in_erp' })]);
    expect(story.deadLetters).toEqual([]);
    // The same order by its order number, and by its sale's external id in the ERP.
    for (const id of [removed.externalId, documentOf(removed).externalId ?? ''])
      expect((await json<Story>('GET', `/admin/orders/${encodeURIComponent(id)}?tenant=${TENANT}`)).order.orderId).toBe(
        removed.id,
      );
    const unknown = await admin('GET', `/admin/orders/no-such-order?tenant=${TENANT}`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).message).toMatch(/no order "no-such-order" of tenant acme/);
  });

  it('fixes an order from its page in a real browser: searched by its number, a resync that names the amounts it writes over, recorded', async () => {
    // Someone edits a line of a sale again; the next run finds it.
    const { edited, first } = await lowerALine(reLined, 1);
    const { runs } = await json<{ runs: { openDiscrepancies: number }[] }>('POST', '/admin/reconciliations', {
      tenant: TENANT,
      date: DAY,
    });
    expect(runs[0].openDiscrepancies).toBe(1);
    // Posted without ticking the amounts it writes over, the resync is refused, the amounts named.
    const unticked = await fetch(`${reconciler.url}/reports/orders/${encodeURIComponent(reLined.id)}/resync.html`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ tenant: TENANT, confirm: 'yes', actor: 'Dana' }).toString(),
    });
    expect(unticked.status).toBe(400);
    expect(await unticked.text()).toContain('tick the box that names them');

    const { browser, close } = await launchBrowser();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(String(error)));
      const reportPath = `/reports/${DAY}.html?tenant=${TENANT}`;
      await page.goto(`${reconciler.url}/reports/login.html?next=${encodeURIComponent(reportPath)}`);
      await page.type('#token', TOKEN);
      await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
      expect(page.url()).toBe(`${reconciler.url}${reportPath}`);

      // An order number nobody has: the search says so, and offers the box again.
      await page.type('#order-search', 'W-NO-SUCH');
      await Promise.all([page.waitForNavigation(), page.click('#order-search-go')]);
      expect(await page.$eval('#not-found', (p) => p.textContent)).toContain('No order "W-NO-SUCH"');
      // The order by its number: its page.
      await page.type('#order-search', reLined.externalId);
      await Promise.all([page.waitForNavigation(), page.click('#order-search-go')]);
      expect(new URL(page.url()).pathname).toBe(`/reports/orders/${reLined.id}`);
      expect(await page.$eval('h1', (h1) => h1.textContent)).toBe(`Order ${reLined.externalId} of ${TENANT}`);
      expect(await page.$$eval('#open tbody tr', (rows) => rows.map((row) => row.getAttribute('data-kind')))).toEqual([
        'line_mismatch',
      ]);
      const eventNames = await page.$$eval('#events tbody tr td:nth-child(2)', (cells) =>
        cells.map((c) => c.textContent),
      );
      expect(eventNames).toContain('order.opened');
      const documentRows = await page.$$eval('#documents tbody tr', (rows) => rows.map((row) => row.textContent ?? ''));
      expect(documentRows.some((row) => row.includes(edited.externalId!) && row.includes('posted'))).toBe(true);
      expect(await page.$eval('#actions', (node) => node.textContent)).toBe('None.');

      // The resync asks first: what it does, the amount it writes over, named; without the tick it does nothing.
      await Promise.all([page.waitForNavigation(), page.click('#resync-order')]);
      expect(await page.$$eval('#plan tbody tr', (rows) => rows.map((row) => row.getAttribute('data-kind')))).toEqual([
        'line_mismatch',
      ]);
      // The dry run reads the record from the ERP now: the edited line, and only it, would change.
      const changedLines = await page.$$eval(`table.dry-run[data-document="${edited.externalId}"] tr.changed`, (rows) =>
        rows.map((row) => row.getAttribute('data-line')),
      );
      expect(changedLines).toEqual([String(first.position + 1)]);
      const amounts = await page.$eval('#amounts', (span) => span.textContent ?? '');
      expect(amounts).toBe(
        `${edited.type} ${edited.externalId}: ${decimal(first.amount).minus(1).toString()} → ${decimal(first.amount).toString()}`,
      );
      await page.type('#actor', 'Dana from finance');
      await page.click('#confirm-amounts');
      await Promise.all([page.waitForNavigation(), page.click('#confirm')]);
      expect(await page.$eval('h1', (h1) => h1.textContent)).toBe(`Resync of order ${reLined.id}: done`);
      expect(await page.$eval('#outcome', (p) => p.textContent)).toMatch(/^\d+ event\(s\) replayed/);
      await Promise.all([page.waitForNavigation(), page.click('#back')]);
      const action = await page.$eval('#actions tbody tr', (row) => row.textContent ?? '');
      expect(action).toContain('Dana from finance (report pages)');
      expect(action).toContain('resync');
      expect(action).toContain('line_mismatch; amounts confirmed');
      expect(problems).toEqual([]);
    } finally {
      await close();
    }
    // What the hub posted is in the ERP again.
    await waitFor(() => JSON.stringify(lineAmounts(documentOf(reLined))) === JSON.stringify(postedLineAmounts), {
      what: 'the edited line written back',
      timeoutMs: 60_000,
      intervalMs: 250,
    });
  });

  it('re-posts the records as the hub built them when the operator chooses so, after a dry run that shows where NewStore differs today', async () => {
    // The ERP's line edited again, and NewStore's order changed since (its first item 2.00 dearer).
    const { edited, first } = await lowerALine(reLined, 3);
    const index = newStore.store.indexOf(reLined.id)!;
    const original = newStore.store.order(index);
    newStore.store.replace(index, (order) => {
      // Dearer by 2.00 a unit, and paid for: the order's totals and its card's authorization and capture follow.
      const delta = 2 * order.items[0].quantity;
      return {
        ...order,
        items: order.items.map((item, position) =>
          position === 0 ? { ...item, pricebookPrice: item.pricebookPrice + 2 } : item,
        ),
        subtotal: order.subtotal + delta,
        grandTotal: order.grandTotal + delta,
        instruments: order.instruments.map((instrument, position) =>
          position === 0
            ? {
                ...instrument,
                transactions: instrument.transactions.map((transaction) =>
                  transaction.transactionType === 'refund'
                    ? transaction
                    : { ...transaction, amount: transaction.amount + delta },
                ),
              }
            : instrument,
        ),
      };
    });
    try {
      await json('POST', '/admin/reconciliations', { tenant: TENANT, date: DAY });
      const page = `/reports/orders/${encodeURIComponent(reLined.id)}/resync.html`;
      const dryRun = await fetch(`${reconciler.url}${page}?tenant=${TENANT}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const html = await dryRun.text();
      expect(dryRun.status).toBe(200);
      expect(html).toContain('<th>NewStore today: quantity</th>');
      // The sale's table: the edited line changes in the ERP; the first item is made otherwise by NewStore today.
      const table = new RegExp(`<table class="dry-run" data-document="${edited.externalId}">([\\s\\S]*?)</table>`).exec(
        html,
      )![1];
      const rowsOf = (mark: string) =>
        [...table.matchAll(/<tr class="([^"]*)" data-line="(\d+)">/g)]
          .filter((row) => row[1].split(' ').includes(mark))
          .map((row) => Number(row[2]));
      expect(rowsOf('changed')).toEqual([first.position + 1]);
      // Made otherwise today: the first item's line, and the payment line that pays for it (the last).
      const lines = [...table.matchAll(/<tr class="[^"]*" data-line="\d+">/g)].length;
      expect(rowsOf('differs')).toEqual([1, lines]);
      expect(html).toContain('id="source-stored"');

      const posted = await fetch(`${reconciler.url}${page}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          tenant: TENANT,
          confirm: 'yes',
          confirmAmounts: 'yes',
          actor: 'Dana from finance',
          source: 'stored',
        }).toString(),
      });
      const done = await posted.text();
      expect(posted.status).toBe(200);
      expect(done).toMatch(/0 event\(s\) replayed; [1-9]\d* document\(s\) re-posted as built/);
      // The ERP holds the lines as the hub built them, not NewStore's new price.
      await waitFor(() => JSON.stringify(lineAmounts(documentOf(reLined))) === JSON.stringify(postedLineAmounts), {
        what: 'the edited line written back as built',
        timeoutMs: 60_000,
        intervalMs: 250,
      });
      const story = await json<{ actions: { actor: string; what: string }[] }>(
        'GET',
        `/admin/orders/${encodeURIComponent(reLined.id)}?tenant=${TENANT}`,
      );
      expect(story.actions.map((action) => action.what)).toContainEqual(
        expect.stringMatching(/line_mismatch; amounts confirmed: .*; wrote the documents as built$/),
      );
      // A source the resync does not know is refused, naming the two it takes.
      const unknown = await fetch(`${reconciler.url}${page}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ tenant: TENANT, confirm: 'yes', actor: 'Dana', source: 'yesterday' }).toString(),
      });
      expect(unknown.status).toBe(400);
      expect(await unknown.text()).toContain(
        '\\"newstore\\" (enriched from NewStore today) or \\"stored\\" (as built)',
      );
    } finally {
      newStore.store.replace(index, () => original);
    }
  });

  it('refuses an order resync that is not confirmed, that names no one, or that comes from another site', async () => {
    const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${reconciler.url}/reports/orders/${encodeURIComponent(reLined.id)}/resync.html`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ tenant: TENANT, ...fields }).toString(),
      });
    expect((await form({ actor: 'Dana' })).status).toBe(400);
    const anonymous = await form({ confirm: 'yes' });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.text()).toContain('actor (your name) is required');
    const crossSite = await form({ confirm: 'yes', actor: 'Dana' }, { 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
  });

  it('shows a dead-letter topic by reason and tenant, replays one after a dry run, and records it on the order', async () => {
    // An event the enricher gave up on (its cause since fixed): on enricher.dlq.v1 with its reason.
    const opened = eventRecordOf(eventsOfOrder(changed, TENANT)[0].envelope);
    const eventId = opened.headers[HEADERS.eventId];
    await sendToDeadLetters(
      kafka.producer,
      `${prefix}.enricher.dlq.v1`,
      { topic: `${prefix}.newstore.events.v1`, partition: 0, offset: '0', ...opened },
      'order not in NewStore GraphQL after 9 tries',
      eventId,
    );
    const html = async (path: string, init: RequestInit = {}) => {
      const response = await fetch(`${reconciler.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers ?? {}) },
      });
      return { status: response.status, body: await response.text() };
    };
    const list = await html(`/reports/dead-letters/enricher?tenant=${TENANT}`);
    expect(list.status).toBe(200);
    expect(list.body).toMatch(
      /<tr data-reason="order not in NewStore GraphQL after 9 tries"><td><a[^>]*>[^<]*<\/a><\/td><td>1<\/td>/,
    );
    expect(list.body).toContain(`data-id="${eventId}"`);
    // The ERP's dead letters are read here and replayed by the sink (only the enricher writes erp.documents.v1).
    expect((await html(`/reports/dead-letters/erp?tenant=${TENANT}`)).status).toBe(200);
    const erpReplay = await html(`/reports/dead-letters/erp/replay.html?tenant=${TENANT}&id=some-key`);
    expect(erpReplay.status).toBe(409);
    expect(erpReplay.body).toContain('replay-dlq --key some-key');
    // An unknown topic is named.
    const unknown = await html(`/reports/dead-letters/nowhere?tenant=${TENANT}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain('/reports/dead-letters/enricher or /reports/dead-letters/erp');

    const dryRun = await html(
      `/reports/dead-letters/enricher/replay.html?tenant=${TENANT}&id=${encodeURIComponent(eventId)}`,
    );
    expect(dryRun.body).toContain('Dry run');
    expect(dryRun.body).toContain(changed.id);
    // Replays from here on (the day's resync replayed this order's events already).
    const since = new Date().toISOString();
    const replays = async () =>
      (await readTopic(kafka.kafka, `${prefix}.newstore.events.v1`)).filter(
        (message) => message.headers[HEADERS.eventId] === eventId && (message.headers[HEADERS.replay] ?? '') >= since,
      ).length;
    // The dry run sent nothing.
    expect(await replays()).toBe(0);

    const replay = await html('/reports/dead-letters/enricher/replay.html', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ tenant: TENANT, confirm: 'yes', id: eventId, actor: 'Sam from support' }).toString(),
    });
    expect(replay.status).toBe(200);
    expect(replay.body).toContain('Replayed 1 dead letter(s)');
    expect(await replays()).toBe(1);
    const orderPage = await html(`/reports/orders/${changed.id}?tenant=${TENANT}`);
    expect(orderPage.body).toMatch(/data-action="replay-dead-letter"[\s\S]*Sam from support \(report pages\)/);
  });

  it('rebuilds the projections through the admin API to exactly the rows the incremental build made', async () => {
    const snapshot = async () => ({
      orders: await query(`SELECT * FROM S.orders ORDER BY tenant, order_id`),
      documents: await query(`SELECT * FROM S.erp_documents ORDER BY idempotency_key`),
      deadLetters: await query(`SELECT * FROM S.dead_letters ORDER BY topic_partition, topic_offset`),
    });
    const before = await snapshot();
    expect(before.orders.length).toBe(days.length);
    const started = await admin('POST', '/admin/rebuild');
    expect(started.status).toBe(202);
    const progress = await waitFor(
      async () => {
        const current = await json<{ state: string; done: number; total: number }>('GET', '/admin/rebuild');
        return current.state === 'done' && current;
      },
      { what: 'rebuild done', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(progress.done).toBe(progress.total);
    expect(await snapshot()).toEqual(before);
  });

  it('reports a failed run as failed: an error status with the reason, a report that says parity is unknown, no parity metric', async () => {
    const otherDay = '2024-01-05';
    erp.setFaults({ outageUntil: Date.now() + 60_000 });
    try {
      const failed = await admin('POST', '/admin/reconciliations', { tenant: TENANT, date: otherDay });
      expect(failed.status).toBe(502);
      expect(JSON.parse(failed.body)).toMatchObject({
        error: 'reconciliation failed',
        message: expect.stringMatching(/^2024-01-05: /),
        runs: [{ status: 'failed' }],
      });
    } finally {
      erp.setFaults({});
    }
    const report = await admin('GET', `/admin/reports/${otherDay}?tenant=${TENANT}`);
    expect(report.status).toBe(409);
    expect(JSON.parse(report.body).message).toMatch(/no successful reconciliation .* its parity is unknown/);
    const text = await admin('GET', `/admin/reports/${otherDay}?tenant=${TENANT}&format=text`);
    expect(text.status).toBe(409);
    const never = await admin('GET', `/admin/reports/2024-01-06?tenant=${TENANT}`);
    expect(never.status).toBe(404);
    const metrics = await (await fetch(`${reconciler.url}/metrics`)).text();
    expect(metrics).toContain(
      `parity_reconciliation_day_known{tenant="${TENANT}",business_date="${otherDay}",service="reconciler"} 0`,
    );
    expect(metrics).not.toContain(`parity_reconciliation_parity_ratio{tenant="${TENANT}",business_date="${otherDay}"`);
    expect(metrics).toContain(`parity_reconciliation_last_run_success{tenant="${TENANT}",service="reconciler"} 0`);
  });

  it('refuses admin calls without the token, and bad input with a message that names the field', async () => {
    const anonymous = await fetch(`${reconciler.url}/admin/reconciliations`, { method: 'GET' });
    expect(anonymous.status).toBe(401);
    const badDate = await admin('POST', '/admin/reconciliations', { tenant: TENANT, date: '2024-02-30' });
    expect(badDate.status).toBe(400);
    expect(badDate.body).toContain('date: \\"2024-02-30\\" is not a date');
    const unknownTenant = await admin('POST', '/admin/resync', { tenant: 'other', date: DAY });
    expect(unknownTenant.status).toBe(400);
    expect(unknownTenant.body).toContain('tenant \\"other\\" is not one of acme');
    const openapi = await json<{
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    }>('GET', '/admin/openapi.json');
    // A run as documented: every field the API returns (the schema that types it is strict).
    expect(Object.keys(openapi.components.schemas.Run.properties).sort()).toEqual(Object.keys(runSchema.shape).sort());
    expect(Object.keys(openapi.components.schemas.Run.properties)).toEqual(
      expect.arrayContaining(['timeZone', 'trigger', 'startedAt', 'finishedAt', 'hubOrdersUnsettled']),
    );
    expect(Object.keys(openapi.paths).sort()).toEqual(
      [
        '/admin/rebuild',
        '/admin/reconciliations',
        '/admin/reconciliations/periods',
        '/admin/reports/{date}',
        '/reports/{page}',
        '/admin/resync',
        '/admin/orders/{id}',
        '/admin/eventstream',
        '/admin/eventstream/{tenant}/rejected',
        '/admin/eventstream/{tenant}/rejected/{eventId}/retry',
        '/admin/eventstream/{tenant}/rejected/{eventId}',
        '/admin/eventstream/{tenant}/start',
      ].sort(),
    );
  });
});
