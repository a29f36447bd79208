import { ErpDocument, HEADERS } from '@hub/contracts';
import { DelayRetryTopics } from '@hub/kafka';
import { NewStoreEnvelope } from '@hub/newstore';
import { eventRecordOf, newStoreTestClient, readTopic, uniqueName, waitFor } from '@hub/testing';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { bookedAsSalesOrder } from '../../../tools/emulators/shared/retail-day';
import { EnricherStateRepository } from '../src/enricher-state.repository';
import { EnrichmentFlow } from '../src/enrichment-flow';
import { enricherTestbed } from './enricher-testbed';

/**
 * Faults injected into a running enricher: a send to the first retry tier that
 * fails while GraphQL catches up (the order's retry mark must not outlive it), and
 * poison events interleaved with valid ones (each bad one dead-lettered at once,
 * the partition going on).
 */
/** A document as its event and record type. */
const label = (document: ErpDocument) => `${document.source.eventName}:${document.documentType}`;
/** A return's documents (docs/domain.md section 3): a web order's chain, else one cash refund. */
const returnLabels = (order: { channelType: string }) =>
  (order.channelType === 'web' ? ['returnAuthorization', 'creditMemo', 'customerRefund'] : ['cashRefund']).map(
    (type) => `return.processed:${type}`,
  );

describe('enricher: nothing stalls, nothing is stuck for ever', () => {
  const bed = enricherTestbed('enrich_robust', {
    newStore: {
      day: { tenant: 'acme', date: '2024-01-02', orders: 300, seed: 33 },
      visibility: 'published',
      lag: { timeScale: 0.02, paymentExtraMs: 0 },
    },
    partitions: 2,
    env: {
      ENRICHER_RETRY_TIERS_MS: '300,600,1200',
      ENRICHER_STALE_SWEEP_MS: '200',
      ENRICHER_STALE_GRACE_MS: '0',
    },
  });
  const { emulator, kafka, schema, publish, documents } = bed;
  const database = bed.postgres();
  const day = Array.from({ length: emulator.store.size }, (_, index) => emulator.store.order(index));
  const count = async (table: string, orderKey: string) =>
    Number(
      (await database.query(`SELECT count(*) AS n FROM "${schema}".${table} WHERE order_key = $1`, [orderKey])).rows[0]
        .n,
    );

  /** The flow's release, as a retry message that ended `endedEventId` calls it. */
  const releaser = (flow: EnrichmentFlow) =>
    (flow as unknown as { releaseParked(orderKey: string, endedEventId: string): Promise<void> }).releaseParked.bind(
      flow,
    );

  beforeAll(() => bed.start());

  it("clears an order's retry mark when its head succeeds after a failed send to the retry tier, so later events drain", async () => {
    const retries = bed.enricher.app.get(DelayRetryTopics, { strict: false });
    const order = day.find(
      (candidate) => !candidate.isHistorical && candidate.cancellation && bookedAsSalesOrder(candidate),
    )!;
    const events = eventsOfOrder(order, 'acme');
    const opened = events.find((event) => event.envelope.name === 'order.opened')!.envelope as NewStoreEnvelope;
    const cancelled = events.find((event) => event.envelope.name === 'order.items_cancelled')!
      .envelope as NewStoreEnvelope;
    emulator.store.hide(order.id);
    // The first send to the retry tier fails; meanwhile GraphQL catches up, so the redelivered
    // head succeeds on the main topic and no retry message ever exists for it.
    const send = jest.spyOn(retries, 'send').mockImplementationOnce(async () => {
      emulator.store.hide(order.id, false);
      throw new Error('injected: the retry tier is unreachable');
    });
    try {
      await publish(opened);
      await waitFor(async () => (await documents()).some((document) => document.orderId === order.id), {
        what: 'the sale after the failed send',
        timeoutMs: 30_000,
      });
      expect(send).toHaveBeenCalled();
      await publish(cancelled);
      const ofOrder = await waitFor(
        async () => {
          const found = (await documents()).filter((document) => document.orderId === order.id);
          return found.length >= 2 && found;
        },
        { what: 'the cancellation, not parked for ever', timeoutMs: 30_000 },
      );
      expect(ofOrder.map((document) => [document.documentType, document.operation])).toEqual([
        ['salesOrder', undefined],
        ['salesOrder', 'closeLines'],
      ]);
      expect(await count('parked_events', order.id)).toBe(0);
      expect(await count('retrying_keys', order.id)).toBe(0);
    } finally {
      send.mockRestore();
    }
  });

  it('releases an order whose head ended but whose release never happened, and counts it (issue 26, item 3)', async () => {
    const state = bed.enricher.app.get(EnricherStateRepository, { strict: false });
    const order = day.filter(
      (candidate) => !candidate.isHistorical && !candidate.cancellation && !candidate.return,
    )[20];
    emulator.store.markOrderPublished(order);
    const opened = eventRecordOf(eventsOfOrder(order, 'acme')[0].envelope);
    // The head ended (processed) and then its release failed: its mark stayed, the next event parked behind it.
    await state.startRetrying(order.id, 'ended-head');
    expect(await state.parkIfRetrying(order.id, opened.headers[HEADERS.eventId], opened.value, opened.headers)).toBe(
      true,
    );
    await state.markProcessed('ended-head', order.id, 'enriched');
    // The sweep finds the mark, releases what was parked, and clears the mark.
    await waitFor(async () => (await documents()).some((document) => document.orderId === order.id), {
      what: 'the parked event released by the sweep',
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await count('retrying_keys', order.id)) === 0, { what: 'the mark cleared' });
    expect(await count('parked_events', order.id)).toBe(0);
    expect(await (await fetch(`${bed.enricher.url}/metrics`)).text()).toMatch(
      /parity_enricher_stale_marks_released_total\{[^}]*\} [1-9]/,
    );
  });

  it('parks a redelivered copy of a parked event once, so the copy never reads as a release cut short (issue 26, item 2)', async () => {
    const state = bed.enricher.app.get(EnricherStateRepository, { strict: false });
    const orderKey = uniqueName('order-dup');
    const value = Buffer.from('{}');
    await state.startRetrying(orderKey, 'G');
    // Head G in retry; H, P and H again (a redelivered copy of H) arrive behind it.
    for (const eventId of ['H', 'P', 'H'])
      expect(await state.parkIfRetrying(orderKey, eventId, value, { [HEADERS.eventId]: eventId })).toBe(true);
    expect(await count('parked_events', orderKey)).toBe(2);
    // G succeeds; the release takes H, which needs a retry itself and becomes the head.
    const head = await state.nextParked(orderKey);
    expect(head?.headers[HEADERS.eventId]).toBe('H');
    await state.setRetryHead(orderKey, 'H');
    await state.removeParked(head!.seq);
    // While H is in retry, no other event of the order that ends may release P ahead of it.
    expect(await state.mayRelease(orderKey, 'X')).toBe(false);
    expect(await state.mayRelease(orderKey, 'H')).toBe(true);
  });

  it("releases an order's parked events once each and in order when two releasers run at once", async () => {
    const flow = bed.enricher.app.get(EnrichmentFlow, { strict: false });
    const state = bed.enricher.app.get(EnricherStateRepository, { strict: false });
    const order = day.find(
      (candidate) =>
        !candidate.isHistorical && candidate.cancellation && candidate.return && bookedAsSalesOrder(candidate),
    )!;
    const events = eventsOfOrder(order, 'acme');
    emulator.store.markOrderPublished(order);
    await waitFor(async () => (await newStoreTestClient(bed.newStoreUrl).order('acme', order.id)) !== null, {
      what: 'order visible in GraphQL',
    });
    // The order's head is in retry; its later events were parked behind it, in this order.
    await state.startRetrying(order.id, 'the-head-event');
    const later = ['order.items_cancelled', 'return.processed'].map((name) => {
      const record = eventRecordOf(events.find((event) => event.envelope.name === name)!.envelope);
      return record;
    });
    for (const record of later)
      expect(await state.parkIfRetrying(order.id, record.headers[HEADERS.eventId], record.value, record.headers)).toBe(
        true,
      );
    // Two releasers at once, as when two retry copies (or two instances) finish together.
    const release = releaser(flow);
    // The order may have documents from an earlier test: only what the release emits counts.
    const before = (await documents()).filter((document) => document.orderId === order.id).length;
    await Promise.all([release(order.id, 'the-head-event'), release(order.id, 'the-head-event')]);
    const ofOrder = (await documents()).filter((document) => document.orderId === order.id).slice(before);
    expect(ofOrder.map(label)).toEqual(['order.items_cancelled:salesOrder', ...returnLabels(order)]);
    expect(await count('parked_events', order.id)).toBe(0);
    expect(await count('retrying_keys', order.id)).toBe(0);
  });

  it("finishes a release cut short between making a parked event the order's new head and sending it to retry", async () => {
    const flow = bed.enricher.app.get(EnrichmentFlow, { strict: false });
    const state = bed.enricher.app.get(EnricherStateRepository, { strict: false });
    const retries = bed.enricher.app.get(DelayRetryTopics, { strict: false });
    const order = day.filter(
      (candidate) =>
        !candidate.isHistorical && candidate.cancellation && candidate.return && bookedAsSalesOrder(candidate),
    )[1];
    const events = eventsOfOrder(order, 'acme');
    const [opened, cancelled, returned] = ['order.opened', 'order.items_cancelled', 'return.processed'].map((name) =>
      eventRecordOf(events.find((event) => event.envelope.name === name)!.envelope),
    );
    // order.opened is the order's head in retry; its two later events were parked behind it.
    await state.startRetrying(order.id, opened.headers[HEADERS.eventId]);
    for (const later of [cancelled, returned])
      expect(await state.parkIfRetrying(order.id, later.headers[HEADERS.eventId], later.value, later.headers)).toBe(
        true,
      );
    // The head ended; GraphQL still lacks the order, so the release makes the cancellation the
    // new head, and its send to the retry tier fails (a broker gone): no retry message exists for it.
    emulator.store.hide(order.id);
    const send = jest
      .spyOn(retries, 'send')
      .mockRejectedValueOnce(new Error('injected: the retry tier is unreachable'));
    try {
      await expect(releaser(flow)(order.id, opened.headers[HEADERS.eventId])).rejects.toThrow('injected');
    } finally {
      send.mockRestore();
    }
    // GraphQL catches up, and the head's retry message, never committed, is handled again.
    emulator.store.hide(order.id, false);
    emulator.store.markOrderPublished(order, 0);
    const before = (await documents()).filter((document) => document.orderId === order.id).length;
    await retries.send(0, order.id, opened.value, opened.headers, 'redelivered', new Date().toISOString());
    const ofOrder = await waitFor(
      async () => {
        const found = (await documents()).filter((document) => document.orderId === order.id).slice(before);
        return found.length >= 2 + returnLabels(order).length && found;
      },
      { what: 'the parked events released, not parked for ever', timeoutMs: 30_000 },
    );
    expect(ofOrder.map(label)).toEqual([
      'order.opened:salesOrder',
      'order.items_cancelled:salesOrder',
      ...returnLabels(order),
    ]);
    expect(await count('parked_events', order.id)).toBe(0);
    expect(await count('retrying_keys', order.id)).toBe(0);
  });

  it('dead-letters each poison event at once, with its reason, while the valid events around it are enriched', async () => {
    const valid = day.filter((candidate) => !candidate.isHistorical && !candidate.cancellation).slice(5, 11);
    const victim = valid[0];
    const poison: { envelope: NewStoreEnvelope; reason: RegExp }[] = [
      {
        envelope: { tenant: 'acme', name: 'order.items_cancelled', payload: { id: victim.id, items: 'all of them' } },
        reason: /payload.items is not a list/,
      },
      {
        envelope: { tenant: 'acme', name: 'order.items_cancelled', payload: { id: victim.id, items: [null] } },
        reason: /payload.items\[0\] has no id/,
      },
      {
        envelope: {
          tenant: 'acme',
          name: 'return.processed',
          payload: {
            id: 'r-poison-1',
            order_id: victim.id,
            returned_at: 'soon',
            total_refund_amount: 5,
            currency: 'USD',
            items: [],
          },
        },
        reason: /"soon" is not a datetime/,
      },
      {
        envelope: {
          tenant: 'acme',
          name: 'refund_request.issued',
          payload: { id: 'a-poison-1', order_id: victim.id, amount: 'NaN', requested_at: '2024-01-02T10:00:00Z' },
        },
        reason: /not an amount: "NaN"/,
      },
      {
        envelope: {
          tenant: 'acme',
          name: 'return.processed',
          payload: {
            id: 'r-poison-2',
            order_id: victim.id,
            returned_at: '2024-01-02T11:00:00Z',
            total_refund_amount: 'lots',
            currency: 'USD',
            items: [],
          },
        },
        reason: /not an amount: "lots"/,
      },
    ];
    // Valid opening events of other orders, each followed by one poison event.
    const openings = valid.map(
      (order) => eventsOfOrder(order, 'acme').find((event) => event.envelope.name === 'order.opened')!.envelope,
    ) as NewStoreEnvelope[];
    await publish(openings[0]);
    for (const [index, bad] of poison.entries()) await publish(bad.envelope, openings[index + 1]);

    const dead = await waitFor(
      async () => {
        const messages = (await readTopic(kafka.kafka, kafka.topics.enricherDlq)).filter(
          (message) => message.key === victim.id,
        );
        return messages.length >= poison.length && messages;
      },
      { what: 'every poison event in the DLQ', timeoutMs: 30_000 },
    );
    expect(dead).toHaveLength(poison.length);
    for (const [index, bad] of poison.entries()) {
      expect(dead[index].headers[HEADERS.dlqReason]).toMatch(bad.reason);
      // Straight to the DLQ: never sent through a retry tier.
      expect(dead[index].headers[HEADERS.attempt]).toBeUndefined();
    }
    const emitted = await waitFor(
      async () => {
        const found = new Set((await documents()).map((document) => document.orderId));
        return valid.every((order) => found.has(order.id)) && found;
      },
      { what: 'every valid order enriched', timeoutMs: 30_000 },
    );
    expect(valid.filter((order) => !emitted.has(order.id))).toEqual([]);
  });
});
