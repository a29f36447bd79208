import { HEADERS } from '@hub/contracts';
import { createKafka } from '@hub/kafka';
import { parseEnvelope } from '@hub/newstore';
import {
  readTopic,
  startServiceForTest,
  testbed,
  testKafkaSettings,
  testLogger,
  uniqueName,
  ServiceUnderTest,
} from '@hub/testing';
import fc from 'fast-check';
import { ingestService } from '../src/ingest.service-definition';

const API_KEY = 'test-key-current';
const ROTATED_KEY = 'test-key-next';
const OTHER_TENANT_KEY = 'test-key-of-other';

describe('ingest webhook against a real broker', () => {
  const bed = testbed('ingest');
  const topic = bed.kafka.topics.newstoreEvents;
  const kafka = bed.kafka.kafka;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    service = bed.closeAfter(
      await startServiceForTest(
        ingestService,
        bed.env({
          KAFKA_TOPIC_PARTITIONS: '3',
          INGEST_API_KEYS: `acme:${API_KEY},acme:${ROTATED_KEY},other:${OTHER_TENANT_KEY}`,
          INGEST_BODY_LIMIT_BYTES: '65536',
        }),
      ),
    );
  });

  function post(body: string | Buffer, headers: Record<string, string> = {}) {
    return fetch(`${service.url}/webhooks/newstore`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
  }

  async function topicSize(): Promise<number> {
    const offsets = await bed.kafka.admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  }

  it('stores a body sent with a UTF-8 byte-order mark without it, under the same event id, so every consumer reads JSON', async () => {
    const orderId = uniqueName('order');
    const json = `{"tenant":"acme","name":"order.opened","payload":{"id":"${orderId}","external_id":"B-1"}}`;
    const response = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]));
    expect(response.status).toBe(200);
    const { eventId } = (await response.json()) as { eventId: string };
    const [stored] = (await readTopic(kafka, topic)).filter((message) => message.key === orderId);
    expect(stored.value!.toString('utf8')).toBe(json);
    expect(() => JSON.parse(stored.value!.toString('utf8')) as unknown).not.toThrow();
    expect(stored.headers[HEADERS.eventId]).toBe(eventId);
    expect((await (await post(json)).json()) as { eventId: string }).toMatchObject({ eventId });
  });

  it('stores a valid event with its order id as key, its original bytes and all headers', async () => {
    const orderId = uniqueName('order');
    // Attribute order and spacing are kept as sent: the stored value is the raw body.
    const opened = `{"name":"order.opened",  "tenant":"acme","published_at":"2020-12-01T18:41:09.571Z","payload":{"id":"${orderId}","external_id":"A-1","customer_email":"jane@example.com"}}`;
    const fulfilled = JSON.stringify({
      tenant: 'acme',
      name: 'fulfillment_request.items_completed',
      payload: { id: 'fr-1', order_id: orderId, items: [{ id: 'i1', product_id: 'p1' }] },
    });
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const first = await post(opened, { traceparent });
    expect(first.status).toBe(200);
    const firstBody = (await first.json()) as { eventId: string; key: string };
    expect(firstBody.key).toBe(orderId);
    expect((await post(fulfilled)).status).toBe(200);

    const messages = (await readTopic(kafka, topic)).filter((message) => message.key === orderId);
    expect(messages).toHaveLength(2);
    expect(messages[0].value!.toString()).toBe(opened);
    expect(messages[1].value!.toString()).toBe(fulfilled);
    expect(messages[0].partition).toBe(messages[1].partition);
    expect(BigInt(messages[0].offset)).toBeLessThan(BigInt(messages[1].offset));
    expect(messages[0].headers).toMatchObject({
      [HEADERS.eventId]: firstBody.eventId,
      [HEADERS.eventName]: 'order.opened',
      [HEADERS.tenant]: 'acme',
      [HEADERS.keySource]: 'order-id',
      [HEADERS.contentType]: 'application/json',
      [HEADERS.traceparent]: traceparent,
    });
    expect(Date.parse(messages[0].headers[HEADERS.receivedAt])).toBeGreaterThan(Date.now() - 60_000);
    expect(messages[1].headers[HEADERS.keySource]).toBe('payload-order-id');
    expect(messages[1].headers[HEADERS.traceparent]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it("answers 400 (NewStore stores it as rejected and goes on) and stores nothing for a tenant this hub does not serve, or another tenant's key", async () => {
    const before = await topicSize();
    const event = (tenant: string) =>
      JSON.stringify({ tenant, name: 'order.opened', payload: { id: uniqueName('o') } });
    const unknownTenant = await post(event('intruder'));
    expect(unknownTenant.status).toBe(400);
    expect(((await unknownTenant.json()) as { message: string }).message).toMatch(/"intruder" is not served/);
    const crossed = await post(event('other'));
    expect(crossed.status).toBe(400);
    expect(((await crossed.json()) as { message: string }).message).toMatch(/another tenant/);
    const pathLike = await post(event('../acme'));
    expect(pathLike.status).toBe(400);
    expect(JSON.stringify(await pathLike.json())).toContain('must be a tenant name');
    expect(await topicSize()).toBe(before);
    expect((await post(event('other'), { authorization: `Bearer ${OTHER_TENANT_KEY}` })).status).toBe(200);
  });

  it('accepts either key during a rotation', async () => {
    const body = JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: uniqueName('o') } });
    expect((await post(body, { authorization: `Bearer ${ROTATED_KEY}` })).status).toBe(200);
  });

  it('gives the same event id to the same event with its attributes in another order', async () => {
    const id = uniqueName('order');
    const a = await post(
      `{"tenant":"acme","name":"order.opened","payload":{"id":"${id}","items":[{"id":"1","quantity":2}],"grand_total":10}}`,
    );
    const b = await post(
      `{"payload":{"grand_total":10,"items":[{"quantity":2,"id":"1"}],"id":"${id}"},"name":"order.opened","tenant":"acme"}`,
    );
    const c = await post(
      `{"tenant":"acme","name":"order.opened","payload":{"id":"${id}","items":[{"id":"1","quantity":3}],"grand_total":10}}`,
    );
    const [idA, idB, idC] = await Promise.all(
      [a, b, c].map(async (response) => ((await response.json()) as { eventId: string }).eventId),
    );
    expect(idA).toBe(idB);
    expect(idC).not.toBe(idA);
  });

  it('refuses bad requests with a status NewStore acts on and a message a person can act on, and stores nothing', async () => {
    // docs/domain.md section 1: NewStore retries every answer but 2xx and 400 for about 20 minutes and
    // then stops the integration; a 400 is stored as rejected and the feed goes on. So an event wrong in
    // itself is a 400 whatever is wrong with it; only a wrong key (a misconfigured integration) is a 401.
    const before = await topicSize();
    const valid = JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: 'o-1' } });

    const unauthorized = await post(valid, { authorization: 'Bearer wrong' });
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toMatchObject({
      error: 'unauthorized',
      message: expect.stringMatching(/api_key/),
    });
    expect((await post(valid, { authorization: '' })).status).toBe(401);
    // The key is checked before the body is read: a wrong key with a body over the limit is a 401, not a 400.
    const unauthorizedLarge = await post(
      JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: 'x', pad: 'x'.repeat(70_000) } }),
      { authorization: 'Bearer wrong' },
    );
    expect(unauthorizedLarge.status).toBe(401);

    const tooLarge = await post(
      JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: 'x', pad: 'x'.repeat(70_000) } }),
    );
    expect(tooLarge.status).toBe(400);
    expect(((await tooLarge.json()) as { message: string }).message).toMatch(/too large/i);

    const notJson = await post('tenant=acme', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { message: string }).message).toMatch(/application\/json/);

    const malformed = await post('{"tenant": "acme", ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: 'malformed-json', problems: [{ path: '$' }] });

    const missing = await post(JSON.stringify({ name: 'order.opened', payload: {} }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { problems: unknown[] }).problems).toEqual([
      { path: '$.tenant', message: 'is required' },
      { path: '$.payload.id', message: 'is required' },
    ]);

    const wrongType = await post(JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: 42 } }));
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { problems: unknown[] }).problems).toEqual([
      { path: '$.payload.id', message: 'must be a string, got a number' },
    ]);

    expect(await topicSize()).toBe(before);
  });

  it('answers every random or hostile body with 2xx or 4xx, stays up, and stores only valid events', async () => {
    const hostile = fc.oneof(
      fc.json().map((text) => Buffer.from(text)),
      fc.string({ maxLength: 2_000 }).map((text) => Buffer.from(text)),
      fc.uint8Array({ minLength: 1, maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => Buffer.from('['.repeat(depth) + ']'.repeat(depth))),
      fc
        .integer({ min: 60, max: 200 })
        .map((depth) =>
          Buffer.from(
            `{"tenant":"t","name":"order.opened","payload":{"id":"x","deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}}`,
          ),
        ),
      fc
        .constantFrom(
          '{"tenant":"t","name":"order.opened","payload":{"id":"x"},"__proto__":{"polluted":true}}',
          '{"tenant":"t","name":"order.opened","payload":{"id":"x","constructor":{"prototype":{"polluted":true}}}}',
          '{"tenant":"t","name":"order.opened","payload":{"id":"\\ud800"}}',
          `{"tenant":"${'t'.repeat(60_000)}","name":"order.opened","payload":{"id":"x"}}`,
        )
        .map((text) => Buffer.from(text)),
      fc
        .record({
          tenant: fc.oneof(fc.string(), fc.integer(), fc.constant(undefined)),
          name: fc.oneof(fc.constantFrom('order.opened', 'return.processed', 'custom.thing'), fc.string()),
          payload: fc.oneof(fc.record({ id: fc.oneof(fc.string(), fc.integer()) }), fc.anything()),
        })
        .map((envelope) => Buffer.from(JSON.stringify(envelope))),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        const response = await post(body);
        await response.arrayBuffer();
        return (response.status >= 200 && response.status < 300) || (response.status >= 400 && response.status < 500);
      }),
      { numRuns: 200 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    for (const message of await readTopic(kafka, topic)) {
      expect(parseEnvelope(message.value!).ok).toBe(true);
    }
  });

  it('exposes request and rejection metrics', async () => {
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/parity_ingest_requests_total\{event_name="order.opened",status="200"[^}]*\} \d+/);
    expect(metrics).toMatch(/parity_ingest_rejections_total\{reason="unauthorized"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/parity_ingest_batch_size_count/);
  });
});

describe('ingest start-up against the event store topic', () => {
  it('refuses to start when a body at its limit could never be stored, naming both sizes', async () => {
    const prefix = uniqueName('ingest_size');
    const kafka = createKafka(testKafkaSettings(prefix), testLogger());
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: `${prefix}.newstore.events.v1`,
            numPartitions: 1,
            configEntries: [
              { name: 'retention.ms', value: '-1' },
              { name: 'max.message.bytes', value: '100000' },
            ],
          },
        ],
      });
      await expect(
        startServiceForTest(ingestService, {
          KAFKA_TOPIC_PREFIX: `${prefix}.`,
          INGEST_API_KEYS: `acme:${API_KEY}`,
          INGEST_BODY_LIMIT_BYTES: '200000',
        }),
      ).rejects.toThrow(/INGEST_BODY_LIMIT_BYTES=200000 .* max\.message\.bytes=100000/);
    } finally {
      await admin.disconnect();
    }
  });

  it('serves the webhook at the configured INGEST_PATH only, its key checked there', async () => {
    const prefix = uniqueName('ingest_path');
    const service = await startServiceForTest(ingestService, {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      INGEST_API_KEYS: `acme:${API_KEY}`,
      INGEST_PATH: '/hooks/newstore-eu',
    });
    try {
      const post = (path: string, key: string) =>
        fetch(`${service.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: uniqueName('order') } }),
        });
      expect((await post('/hooks/newstore-eu', API_KEY)).status).toBe(200);
      expect((await post('/hooks/newstore-eu', 'wrong-key')).status).toBe(401);
      expect((await post('/webhooks/newstore', API_KEY)).status).toBe(404);
    } finally {
      await service.close();
    }
  });
});
