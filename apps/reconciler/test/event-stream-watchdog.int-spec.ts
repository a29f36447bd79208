import { newStoreTestClient, waitFor } from '@hub/testing';
import { createServer, request as httpRequest, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { ADMIN_TOKEN, reconcilerTestbed } from './reconciler-testbed';

/**
 * The whole cycle of seed 004's "Managing rejected events": the webhook answers
 * 400, NewStore stores the events as rejected and stops the integration after
 * too many; the watchdog reports the stop with its reason, lists the rejected
 * events, refuses a restart while any is left, each is retried once the webhook
 * takes them, the integration is started again, and no event is lost.
 */
describe('event-stream watchdog', () => {
  const bed = reconcilerTestbed('watchdog', {
    newStore: {
      day: { tenant: 'acme', date: '2024-01-02', orders: 15, seed: 9 },
      pusher: { maxRejected: 3, concurrency: 1, duplicateRate: 0, timeScale: 0.0001 },
    },
  });
  const { newStore, admin, metrics } = bed;
  const received = new Set<string>();
  let rejecting = true;
  let webhook: Server;

  const keyOf = (envelope: { name: string; payload: { id?: unknown } }) =>
    `${envelope.name}:${String(envelope.payload.id)}`;
  const metric = async (name: string) =>
    new RegExp(`^${name}\\{tenant="acme"[^}]*\\} (\\S+)$`, 'm').exec(await metrics())?.[1];

  beforeAll(async () => {
    // The webhook: 400 (rejected) while `rejecting`, else 200; /ready answers as ingest's readiness would.
    webhook = createServer((request, response) => {
      if (request.url === '/ready') return void response.end('{}');
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (rejecting) {
          response.statusCode = 400;
          return void response.end('{"error":"invalid-envelope"}');
        }
        received.add(keyOf(JSON.parse(body) as { name: string; payload: { id?: unknown } }));
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    bed.closeAfter({ close: () => new Promise((resolve) => webhook.close(resolve)) });
  });

  it('reports the stop and why, lists the rejected events, restarts only when safe, and loses no event', async () => {
    const base = bed.newStoreUrl;
    const webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
    const bearer = await newStoreTestClient(base).token('acme');
    const api = `${base}/api/v1/org/integrations/eventstream`;
    const registered = (await (
      await fetch(api, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ callback_parameters: { callback_url: `${webhookUrl}/webhooks/newstore` } }),
      })
    ).json()) as { id: string };
    await fetch(`${api}/${registered.id}/_start`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` } });

    await bed.start({
      NEWSTORE_API_URL: base,
      WATCHDOG_INTEGRATIONS: `acme:${registered.id}`,
      WATCHDOG_INTERVAL_MS: '200',
      WATCHDOG_INGEST_READY_URL: `${webhookUrl}/ready`,
    });

    await waitFor(async () => (await metric('parity_eventstream_integration_up')) === '0', {
      what: 'the stopped integration reported',
      timeoutMs: 30_000,
    });
    const status = (await admin('GET', '/admin/eventstream')).body as {
      integrations: { status: string; stoppedReason: string; rejectedEvents: number }[];
    };
    expect(status.integrations[0]).toMatchObject({ status: 'stopped', rejectedEvents: 3 });
    expect(status.integrations[0].stoppedReason).toMatch(/too many rejected events/);
    expect(await metric('parity_eventstream_rejected_events')).toBe('3');

    const refused = await admin('POST', '/admin/eventstream/acme/start');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/3 rejected event\(s\) left/);

    rejecting = false;
    const { rejected } = (await admin('GET', '/admin/eventstream/acme/rejected')).body as {
      rejected: { eventId: string }[];
    };
    expect(rejected).toHaveLength(3);
    // An id that is a path (`..`, `.`, encoded) never reaches NewStore: sent as is (fetch would
    // resolve the dot segments itself; curl --path-as-is does not), it is refused (400, or 404 where
    // the router takes it for another path), and the integration and its rejected events are intact.
    const asIs = (method: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const call = httpRequest(
          `${bed.reconciler.url}${path}`,
          { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        );
        call.setTimeout(5_000, () => call.destroy(new Error(`no answer to ${method} ${path}`)));
        call.on('error', reject);
        call.end();
      });
    for (const hostile of ['%2E%2E', '%2e%2E', '%2E', 'a%2Fb'])
      expect([400, 404]).toContain(await asIs('DELETE', `/admin/eventstream/acme/rejected/${hostile}`));
    expect([400, 404]).toContain(await asIs('POST', '/admin/eventstream/acme/rejected/%2E%2E/retry'));
    expect((await admin('GET', '/admin/eventstream/acme/rejected')).body.rejected).toHaveLength(3);
    for (const event of rejected)
      expect((await admin('POST', `/admin/eventstream/acme/rejected/${event.eventId}/retry`)).status).toBe(200);
    expect((await admin('GET', '/admin/eventstream/acme/rejected')).body.rejected).toEqual([]);

    const started = await admin('POST', '/admin/eventstream/acme/start');
    expect(started.status).toBe(200);
    await waitFor(async () => (await metric('parity_eventstream_integration_up')) === '1', { what: 'running again' });
    const expected = Array.from({ length: newStore.store.size }, (_, index) =>
      eventsOfOrder(newStore.store.order(index), 'acme').map((event) => keyOf(event.envelope)),
    ).flat();
    await waitFor(() => expected.every((key) => received.has(key)), {
      what: 'every event of the day delivered',
      timeoutMs: 30_000,
    });
  });
});
