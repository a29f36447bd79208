import { eventRecordOf, spawnApp, waitFor } from '@hub/testing';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { enricherTestbed } from './enricher-testbed';

describe('enricher killed with SIGKILL mid-stream', () => {
  const bed = enricherTestbed('enrichcrash', {
    newStore: { day: { tenant: 'acme', date: '2024-01-02', orders: 150, seed: 44 }, visibility: 'all' },
    env: { ENRICHER_RETRY_TIERS_MS: '200,400', ENRICHER_SESSION_TIMEOUT_MS: '6000', PORT: '0', LOG_LEVEL: 'warn' },
  });
  const { emulator, kafka, documents } = bed;

  it('ends with every event enriched once in effect: duplicates only with the same idempotency key', async () => {
    const expected = new Set<string>();
    for (let index = 0; index < emulator.store.size; index += 1) {
      const order = emulator.store.order(index);
      const records = eventsOfOrder(order, 'acme').map((event) => eventRecordOf(event.envelope));
      await kafka.producer.send(kafka.topics.newstoreEvents, records);
      if (!order.isHistorical) expected.add(order.id);
    }
    // The enricher as its own process (its main.ts, from source), so SIGKILL kills it whole.
    const env = bed.env;
    const first = spawnApp('enricher', [], env);
    await waitFor(async () => (await documents()).length >= 40, {
      timeoutMs: 90_000,
      intervalMs: 200,
      what: '40 documents',
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = spawnApp('enricher', [], env);
    try {
      await waitFor(
        async () =>
          new Set(
            (await documents())
              .filter((document) => ['salesOrder', 'cashSale'].includes(document.documentType))
              .map((document) => document.orderId),
          ).size >= expected.size,
        {
          timeoutMs: 120_000,
          intervalMs: 500,
          what: 'a sale for every order',
        },
      );
      const all = await documents();
      const byKey = new Map<string, string>();
      for (const document of all) {
        const fingerprint = JSON.stringify({ ...document, source: undefined });
        // A duplicate is allowed only as the same document: same key, same content.
        if (byKey.has(document.idempotencyKey)) expect(fingerprint).toBe(byKey.get(document.idempotencyKey));
        byKey.set(document.idempotencyKey, fingerprint);
      }
      const sales = new Set(
        all
          .filter((document) => ['salesOrder', 'cashSale'].includes(document.documentType))
          .map((document) => document.orderId),
      );
      expect(sales).toEqual(expected);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
});
