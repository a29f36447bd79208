import { HEADERS, money } from '@hub/contracts';
import {
  applyDeploymentMapping,
  deploymentMappingSchema,
  mapEventToDocument,
  NewStoreEnvelope,
  timeZoneFor,
} from '@hub/newstore';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NewStoreGraphQlClient } from '@hub/newstore-graphql';
import { runHubCommand } from '@hub/platform';
import { newStoreTestClient, readTopic, waitFor } from '@hub/testing';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { bookedAsSalesOrder } from '../../../tools/emulators/shared/retail-day';
import { enricherService } from '../src/enricher.service-definition';
import { enricherTestbed } from './enricher-testbed';

const mapping = deploymentMappingSchema.parse(
  JSON.parse(readFileSync(join(__dirname, '../../../config/mapping.example.json'), 'utf8')),
);

describe('enricher against a real broker, Postgres, schema registry and the NewStore emulator', () => {
  // Lag scaled by 0.02: "30 s" of GraphQL lag lasts 600 ms; retry tiers 200, 400, 800 ms.
  const bed = enricherTestbed('enricher', {
    newStore: {
      day: { tenant: 'acme', date: '2024-01-02', orders: 400, seed: 21 },
      visibility: 'published',
      lag: { timeScale: 0.02, paymentExtraMs: 0 },
    },
    env: { ENRICHER_RETRY_TIERS_MS: '200,400,800' },
  });
  const { emulator, kafka, publish, documentsOf, metrics } = bed;
  let graphql: NewStoreGraphQlClient;

  const orderWith = (predicate: (order: ReturnType<typeof emulator.store.order>) => boolean, from = 0) => {
    for (let index = from; index < emulator.store.size; index += 1)
      if (predicate(emulator.store.order(index))) return emulator.store.order(index);
    throw new Error('no such order in the day');
  };

  beforeAll(async () => {
    graphql = newStoreTestClient(bed.newStoreUrl, 2_000);
    await bed.start();
  });

  it('emits the document of an order opened while GraphQL lags 30 s, after retries, the same as without lag', async () => {
    const order = orderWith((candidate) => !candidate.isHistorical && candidate.channelType === 'web', 0);
    emulator.store.setLag(order.id, 30_000);
    const opened = eventsOfOrder(order, 'acme')[0].envelope as NewStoreEnvelope;
    await publish(opened);
    const [document] = await waitFor(async () => (await documentsOf(order.id)).length > 0 && documentsOf(order.id), {
      what: 'document after lag',
      timeoutMs: 20_000,
    });
    const current = await graphql.order('acme', order.id);
    const expected = mapEventToDocument({
      envelope: opened,
      eventId: document.source.eventId,
      order: current,
      timeZone: timeZoneFor(mapping, current?.demandLocationId),
    });
    expect(expected.kind === 'document' && applyDeploymentMapping(expected.document, current, mapping)).toEqual(
      document,
    );
    expect(document.erp).toMatchObject({
      subsidiary: '1',
      location: '100',
      channel: '11',
      currency: expect.any(String),
    });
    // The sale lines make NewStore's grandTotal; the payment lines take what was captured back to 0.
    expect(document).toMatchObject({
      documentType: 'salesOrder',
      orderId: order.id,
      saleTotal: money(order.grandTotal, order.currency),
      total: money(0, order.currency),
    });
    expect(await metrics()).toMatch(/parity_enricher_retries_total\{tier="200"/);
    await waitFor(
      async () => /parity_enricher_consumer_lag_messages\{consumer="events"[^}]*\} 0/.test(await metrics()),
      { what: 'lag metric' },
    );
  });

  it('never emits the cancellation before the sales order when the opened event is stuck in retry', async () => {
    const order = orderWith(
      (candidate) => !candidate.isHistorical && candidate.cancellation !== undefined && bookedAsSalesOrder(candidate),
    );
    emulator.store.setLag(order.id, 40_000);
    const events = eventsOfOrder(order, 'acme');
    const opened = events.find((event) => event.envelope.name === 'order.opened')!.envelope as NewStoreEnvelope;
    const cancelled = events.find((event) => event.envelope.name === 'order.items_cancelled')!
      .envelope as NewStoreEnvelope;
    await publish(opened, cancelled);
    await waitFor(
      async () =>
        /parity_enricher_events_total\{event_name="order.items_cancelled",outcome="parked"/.test(await metrics()),
      { what: 'cancellation parked' },
    );
    const documents = await waitFor(
      async () => ((await documentsOf(order.id)).length >= 2 ? documentsOf(order.id) : undefined),
      { what: 'two documents', timeoutMs: 20_000 },
    );
    expect(documents.map((document) => [document.documentType, document.operation])).toEqual([
      ['salesOrder', undefined],
      ['salesOrder', 'closeLines'],
    ]);
    expect(documents[1].dependsOn?.idempotencyKey).toBe(documents[0].idempotencyKey);
  });

  it('dead-letters an event that never becomes ready after the configured tiers, and a replay succeeds once NewStore has the data', async () => {
    const order = orderWith((candidate) => !candidate.isHistorical, 100);
    emulator.store.hide(order.id);
    const opened = eventsOfOrder(order, 'acme')[0].envelope as NewStoreEnvelope;
    await publish(opened);
    const dead = await waitFor(
      async () => (await readTopic(kafka.kafka, kafka.topics.enricherDlq)).find((message) => message.key === order.id),
      {
        what: 'dead letter',
        timeoutMs: 20_000,
      },
    );
    expect(dead.headers[HEADERS.dlqReason]).toMatch(
      /still not ready after 3 retries: order not in NewStore GraphQL yet/,
    );
    expect(dead.headers[HEADERS.attempt]).toBe('3');
    expect(await documentsOf(order.id)).toHaveLength(0);

    emulator.store.hide(order.id, false);
    await runHubCommand(enricherService, 'replay-dlq', ['--order', order.id], {
      ...process.env,
      ...bed.env,
      LOG_LEVEL: 'warn',
    });
    const documents = await waitFor(async () => (await documentsOf(order.id)).length > 0 && documentsOf(order.id), {
      what: 'document after replay',
    });
    expect(documents).toHaveLength(1);
  });

  it('counts a duplicated event as duplicate and emits no second document', async () => {
    const order = orderWith((candidate) => !candidate.isHistorical, 200);
    emulator.store.setLag(order.id, 0);
    const opened = eventsOfOrder(order, 'acme')[0].envelope as NewStoreEnvelope;
    await publish(opened);
    await waitFor(async () => (await documentsOf(order.id)).length === 1, { what: 'first document' });
    await publish(opened);
    await waitFor(
      async () =>
        /parity_enricher_events_total\{event_name="order.opened",outcome="duplicate"[^}]*\} 1/.test(await metrics()),
      { what: 'duplicate counted' },
    );
    expect(await documentsOf(order.id)).toHaveLength(1);
  });
});
