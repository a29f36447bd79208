import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafka } from '@hub/kafka';
import { readTopic, startServiceForTest, testLogger, uniqueName, waitFor, ServiceUnderTest } from '@hub/testing';
import { ingestService } from '../src/ingest.service-definition';

const run = promisify(execFile);
const LOCAL_SH = join(__dirname, '..', '..', '..', 'infra', 'local.sh');
// A broker of this file's own (infra/local.sh KAFKA_INSTANCE), so stopping it disturbs no other test.
const BROKER_ENV = { ...process.env, KAFKA_INSTANCE: 'outage', KAFKA_PORT: '29092', KAFKA_CONTROLLER_PORT: '29093' };
const BROKERS = '127.0.0.1:29092';
const DEADLINE_MS = 2_000;

function broker(command: 'up' | 'down' | 'reset') {
  return run('bash', [LOCAL_SH, command, ...(command === 'reset' ? [] : ['kafka'])], { env: BROKER_ENV });
}

describe('ingest while its Kafka broker is down', () => {
  const prefix = uniqueName('outage');
  let service: ServiceUnderTest;

  beforeAll(async () => {
    await broker('reset');
    await broker('up');
    service = await startServiceForTest(ingestService, {
      KAFKA_BROKERS: BROKERS,
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      INGEST_API_KEYS: 'acme:k',
      INGEST_PRODUCE_DEADLINE_MS: String(DEADLINE_MS),
      INGEST_RETRY_AFTER_SECONDS: '7',
    });
  }, 180_000);

  afterAll(async () => {
    await service?.close();
    await broker('reset');
  }, 60_000);

  const post = (orderId: string) =>
    fetch(`${service.url}/webhooks/newstore`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: orderId } }),
    });

  it('answers 503 with Retry-After within the deadline, then stores every accepted event once the broker is back', async () => {
    const accepted = new Set<string>();
    for (let index = 0; index < 5; index += 1) {
      const response = await post(`before-${index}`);
      expect(response.status).toBe(200);
      accepted.add(((await response.json()) as { eventId: string }).eventId);
    }

    await broker('down');
    const started = Date.now();
    const refused = await post('during');
    const elapsed = Date.now() - started;
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('7');
    expect(elapsed).toBeLessThan(DEADLINE_MS + 1_500);
    expect(((await refused.json()) as { message: string }).message).toMatch(/retry later/);
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(503);

    await broker('up');
    // NewStore retries; once the broker answers, requests succeed again.
    await waitFor(async () => (await post('retry-of-during')).status === 200, {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      what: 'recovery',
    });
    for (let index = 0; index < 5; index += 1) {
      const response = await post(`after-${index}`);
      expect(response.status).toBe(200);
      accepted.add(((await response.json()) as { eventId: string }).eventId);
    }
    expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);

    const kafka = createKafka(
      { KAFKA_BROKERS: [BROKERS], KAFKA_CLIENT_ID: 'reader', KAFKA_SSL: false, KAFKA_SASL_MECHANISM: 'none' },
      testLogger(),
    );
    const stored = new Set(
      (await readTopic(kafka, `${prefix}.newstore.events.v1`)).map((message) => message.headers['event-id']),
    );
    for (const eventId of accepted) expect(stored.has(eventId)).toBe(true);
  }, 240_000);
});
