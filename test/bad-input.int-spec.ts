import { HEADERS } from '@hub/contracts';
import { parseEnvelope } from '@hub/newstore';
import { readTopic, ServiceUnderTest, uniqueName, waitFor } from '@hub/testing';
import fc from 'fast-check';
import { eventsOfOrder } from '../tools/emulators/shared/newstore-events';
import { hubTestbed } from './hub-testbed';

const KEY = 'bad-input-key';
const ADMIN = 'bad-input-admin';
/** A fixed seed in CI; BAD_INPUT_SEED=<n> BAD_INPUT_RUNS=<n> for longer, other runs (the seed is printed). */
const SEED = Number(process.env.BAD_INPUT_SEED ?? 20261127);
const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 150);

/** Strings that break naive SQL, GraphQL, headers, logs or object handling. */
const hostileText = fc.oneof(
  fc.constantFrom(
    "'; DROP TABLE processed_events; --",
    '") { __schema { types { name } } } #',
    'x\r\nSet-Cookie: a=b',
    'line\nbreak',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '\u0000',
    '\ud800',
    '\u202e',
    '',
  ),
  fc.string({ maxLength: 50 }),
);
/** Any JSON value, including numbers beyond 2^53 written out and huge arrays. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileText,
  fc.constant(Array.from({ length: 5_000 }, (_, index) => index)),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n }).map((value) => ({ raw: value.toString() })),
);

describe('bad input against the running ingest and admin APIs (property-based, fast-check)', () => {
  const bed = hubTestbed('badinput', {
    newStore: { day: { tenant: 'acme', date: '2024-01-02', orders: 5, seed: 21 } },
    topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'],
    env: { ENRICHER_RETRY_TIERS_MS: '100,200' },
  });
  const { kafka, newStore } = bed;
  let ingest: ServiceUnderTest;
  let enricher: ServiceUnderTest;
  let reconciler: ServiceUnderTest;
  const outcomes = new Map<string, number>();
  const count = (outcome: string) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);

  beforeAll(async () => {
    ingest = await bed.start('ingest', { INGEST_API_KEYS: `acme:${KEY}`, INGEST_BODY_LIMIT_BYTES: '65536' });
    enricher = await bed.start('enricher');
    reconciler = await bed.start('reconciler', { RECONCILER_ADMIN_TOKENS: ADMIN });
  });

  afterAll(async () => {
    process.stdout.write(
      `bad input (seed ${SEED}, ${RUNS} runs per property): ${[...outcomes].map(([outcome, n]) => `${outcome} ${n}`).join(', ')}\n`,
    );
  });

  /** The answer: a 2xx, or a 4xx whose JSON body names the problem; never a 5xx for the caller's fault. */
  async function judge(response: Response, what: string): Promise<number> {
    const text = await response.text();
    count(`${what} ${response.status}`);
    if (response.status >= 200 && response.status < 300) return response.status;
    expect(`${what}: ${response.status}`).toMatch(/: 4\d\d$/);
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    expect(typeof body.error).toBe('string');
    expect(typeof body.message).toBe('string');
    expect((body.message as string).length).toBeGreaterThan(5);
    return response.status;
  }

  it('answers hostile webhook requests with a 4xx naming the problem, stores only valid events, and loses none of the valid ones', async () => {
    const valid = eventsOfOrder(newStore.store.order(0), 'acme').map((event) => JSON.stringify(event.envelope));
    let accepted = 0;
    const request = fc.record({
      body: fc.oneof(
        // An envelope with hostile or wrongly typed values at any level.
        fc
          .record({
            tenant: fc.oneof(fc.constant('acme'), anyValue),
            name: fc.oneof(fc.constantFrom('order.opened', 'order.items_cancelled', 'return.processed'), anyValue),
            published_at: fc.oneof(fc.constant('2024-01-02T10:00:00Z'), anyValue),
            payload: fc.oneof(
              fc.record({ id: fc.oneof(hostileText, anyValue), items: anyValue, external_id: anyValue }),
              anyValue,
            ),
          })
          .map((envelope) => JSON.stringify(envelope)),
        // Duplicate keys, a byte-order mark, truncation, deep nesting.
        fc.constantFrom(
          '{"tenant":"acme","tenant":"other","name":"order.opened","payload":{"id":"dup"}}',
          '\ufeff{"tenant":"acme","name":"order.opened","payload":{"id":"bom"}}',
          '{"tenant":"acme","name":"order.opened","payload":{"id":"cut"',
          `{"tenant":"acme","name":"order.opened","payload":{"id":"deep","x":${'['.repeat(500)}${']'.repeat(500)}}}`,
          '{"tenant":"acme","name":"order.opened","payload":{"id":9007199254740993123}}',
        ),
      ),
      contentType: fc.oneof(
        { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8'), weight: 6 },
        { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', ''), weight: 1 },
      ),
      auth: fc.oneof(
        { arbitrary: fc.constant(`Bearer ${KEY}`), weight: 6 },
        { arbitrary: fc.constantFrom('Bearer wrong', '', `Basic ${KEY}`), weight: 1 },
      ),
      validAlongside: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, auth, validAlongside }) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (auth) headers.authorization = auth;
        const [answer, alongside] = await Promise.all([
          fetch(`${ingest.url}/webhooks/newstore`, { method: 'POST', headers, body }),
          validAlongside
            ? fetch(`${ingest.url}/webhooks/newstore`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
                body: valid[0],
              })
            : undefined,
        ]);
        if ((await judge(answer, 'webhook')) === 200) accepted += 1;
        if (alongside) {
          expect(await judge(alongside, 'valid alongside')).toBe(200);
          accepted += 1;
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Exactly what was acknowledged is stored, and all of it is a well-formed envelope.
    const stored = await waitFor(
      async () => {
        const messages = await readTopic(kafka.kafka, kafka.topics.newstoreEvents);
        return messages.length >= accepted && messages;
      },
      { what: 'every acknowledged event in the raw topic' },
    );
    expect(stored).toHaveLength(accepted);
    for (const message of stored) expect(parseEnvelope(message.value!).ok).toBe(true);
    expect((await fetch(`${ingest.url}/health/ready`)).status).toBe(200);
  });

  it('keeps the enricher moving: broken events go to the DLQ with a reason, and a valid order after them is enriched', async () => {
    // Well-formed but broken: an order NewStore never has. It is retried, then dead-lettered.
    const missing = uniqueName('no-such-order');
    const broken = await fetch(`${ingest.url}/webhooks/newstore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: missing } }),
    });
    expect(broken.status).toBe(200);
    const order = newStore.store.order(1);
    newStore.store.markOrderPublished(order);
    const opened = eventsOfOrder(order, 'acme').find((event) => event.envelope.name === 'order.opened')!;
    const response = await fetch(`${ingest.url}/webhooks/newstore`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify(opened.envelope),
    });
    expect(response.status).toBe(200);
    await waitFor(
      async () => (await readTopic(kafka.kafka, kafka.topics.erpDocuments)).some((message) => message.key === order.id),
      { what: 'the valid order enriched after the hostile ones', timeoutMs: 60_000 },
    );
    const letters = await waitFor(
      async () => {
        const all = await readTopic(kafka.kafka, kafka.topics.enricherDlq);
        return all.some((letter) => letter.key === missing) && all;
      },
      { what: 'the broken event in the DLQ', timeoutMs: 60_000 },
    );
    expect(letters.find((letter) => letter.key === missing)!.headers[HEADERS.dlqReason]).toMatch(
      /not in NewStore GraphQL/,
    );
    for (const letter of letters) {
      count('enricher dead letter');
      expect(letter.headers[HEADERS.dlqReason]?.length).toBeGreaterThan(5);
    }
    expect((await fetch(`${enricher.url}/health/ready`)).status).toBe(200);
  });

  it('answers hostile admin requests with a 4xx naming the problem', async () => {
    const path = fc.oneof(
      fc.record({
        method: fc.constant('POST'),
        path: fc.constantFrom('/admin/reconciliations', '/admin/resync'),
        body: fc.oneof(
          fc.record({ date: anyValue, tenant: anyValue }),
          fc.record({ from: fc.constant('2024-01-01'), to: fc.constant('2025-01-01') }),
          fc.record({ date: fc.constant('2024-02-30') }),
          fc.record({ orderIds: anyValue, extra: anyValue }),
          anyValue,
        ),
      }),
      fc.record({
        method: fc.constant('GET'),
        path: fc
          .oneof(hostileText, fc.constantFrom('2024-13-01', '20240102', '2024-01-02T00:00:00Z'))
          .map((date) => `/admin/reports/${encodeURIComponent(Buffer.from(date || 'x').toString('utf8'))}`),
        body: fc.constant(undefined),
      }),
    );
    await fc.assert(
      fc.asyncProperty(path, fc.boolean(), async (call, authorized) => {
        const response = await fetch(`${reconciler.url}${call.path}`, {
          method: call.method,
          headers: {
            ...(authorized ? { authorization: `Bearer ${ADMIN}` } : {}),
            ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
        });
        const status = await judge(response, 'admin');
        expect(status).toBeGreaterThanOrEqual(400);
        if (!authorized) expect(status).toBe(401);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect((await fetch(`${reconciler.url}/health/live`)).status).toBe(200);
  });
});
