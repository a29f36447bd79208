import { HEADERS } from '@hub/contracts';
import { eventRecordOf, ServiceUnderTest, waitFor } from '@hub/testing';
import { eventsOfOrder } from '../tools/emulators/shared/newstore-events';
import { hubTestbed } from './hub-testbed';

const TENANT = 'acme';
const TOKEN = 'order-enrichment-admin-token';

interface Retry {
  eventName: string | null;
  attempt: number | null;
  delayMs: number;
  reason: string | null;
  dueAt: string | null;
}
interface Story {
  events: {
    name: string | null;
    eventId: string | null;
    enrichment: { state: string; detail: string; retries: Retry[] } | null;
  }[];
}

/**
 * An order's enrichment on its page, from the topics: an order GraphQL does not have
 * yet goes through the enricher's retry tiers (each with its tier and reason), its later
 * event waits behind it, and once NewStore has the order both are enriched, the retries
 * still told.
 */
describe('the order page: enrichment retries, parked events, and the outcome', () => {
  const bed = hubTestbed('story', {
    newStore: { day: { tenant: TENANT, date: '2024-01-02', orders: 40, seed: 27 } },
    // Two short tiers, then one long enough to look at the order while it waits there.
    env: { ENRICHER_RETRY_TIERS_MS: '200,400,6000' },
  });
  const { kafka, newStore } = bed;
  let reconciler: ServiceUnderTest;
  const order = Array.from({ length: newStore.store.size }, (_, index) => newStore.store.order(index)).find(
    (candidate) => candidate.cancellation && candidate.channelType === 'web' && !candidate.isHistorical,
  )!;

  const story = async (): Promise<Story> => {
    const response = await fetch(`${reconciler.url}/admin/orders/${order.id}?tenant=${TENANT}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return response.status === 200 ? ((await response.json()) as Story) : { events: [] };
  };
  const byName = (view: Story, name: string) => view.events.find((event) => event.name === name)?.enrichment;

  beforeAll(async () => {
    await bed.start('enricher');
    reconciler = await bed.start('reconciler', { RECONCILER_ADMIN_TOKENS: TOKEN });
  });

  it('shows each retry with its tier and reason, the later event parked behind it, then both enriched', async () => {
    expect(order).toBeDefined();
    newStore.store.hide(order.id);
    const events = eventsOfOrder(order, TENANT);
    const opened = eventRecordOf(events.find((event) => event.envelope.name === 'order.opened')!.envelope);
    const cancelled = eventRecordOf(events.find((event) => event.envelope.name === 'order.items_cancelled')!.envelope);
    await kafka.producer.send(kafka.topics.newstoreEvents, [opened]);
    await kafka.producer.send(kafka.topics.newstoreEvents, [cancelled]);

    // In the third tier (6 s): the order page says so, with every move and why.
    const waiting = await waitFor(
      async () => {
        const view = await story();
        return (
          byName(view, 'order.opened')?.state === 'in retry' &&
          byName(view, 'order.opened')!.retries.length === 3 &&
          view
        );
      },
      { what: 'the opening in its third retry tier', timeoutMs: 20_000, intervalMs: 100 },
    );
    const inRetry = byName(waiting, 'order.opened')!;
    expect(inRetry.retries.map((retry) => [retry.attempt, retry.delayMs])).toEqual([
      [1, 200],
      [2, 400],
      [3, 6000],
    ]);
    expect(inRetry.retries.every((retry) => /order not in NewStore GraphQL yet/.test(retry.reason ?? ''))).toBe(true);
    expect(inRetry.detail).toMatch(/^tier 3 \(6 s\), due .*: .*order not in NewStore GraphQL yet/);
    // The cancellation waits behind it: the enricher keeps an order's events in order.
    expect(byName(waiting, 'order.items_cancelled')).toMatchObject({
      state: 'waiting',
      detail: `behind order.opened ${opened.headers[HEADERS.eventId]}, in retry`,
      retries: [],
    });

    // The page shows the same, for a person.
    const html = await (
      await fetch(`${reconciler.url}/reports/orders/${order.id}?tenant=${TENANT}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).text();
    expect(html).toMatch(/<h2>Enrichment retries \(3\)<\/h2>/);
    expect(html).toMatch(/data-enrichment="waiting"/);

    // NewStore has the order now: when the tier is due, both are enriched, the retries still told.
    newStore.store.hide(order.id, false);
    const done = await waitFor(
      async () => {
        const view = await story();
        return (
          byName(view, 'order.opened')?.state === 'enriched' &&
          byName(view, 'order.items_cancelled')?.state === 'enriched' &&
          view
        );
      },
      { what: 'both events enriched', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(byName(done, 'order.opened')!.detail).toMatch(/^salesOrder .*, after 3 retries$/);
    expect(byName(done, 'order.items_cancelled')!.retries).toEqual([]);
  });
});
