import { ErpDocument, HEADERS, money } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec, KafkaInfrastructure } from '@hub/kafka';
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
import {
  dropSchema,
  eventRecordOf,
  newStoreEnv,
  newStoreTestClient,
  readTopic,
  ServiceUnderTest,
  startServiceForTest,
  testKafkaSettings,
  testLogger,
  uniqueName,
  waitFor,
} from '@hub/testing';
import { eventsOfOrder } from '../../../tools/emulators/shared/newstore-events';
import { NewStoreEmulator } from '../../../tools/emulators/newstore/newstore-emulator';
import { bookedAsSalesOrder } from '../../../tools/emulators/shared/retail-day';
import { enricherService } from '../src/enricher.service-definition';

const mapping = deploymentMappingSchema.parse(
  JSON.parse(readFileSync(join(__dirname, '../../../config/mapping.example.json'), 'utf8')),
);

describe('enricher against a real broker, Postgres, schema registry and the NewStore emulator', () => {
  const prefix = uniqueName('enricher');
  const schema = uniqueName('enricher');
  const settings = testKafkaSettings(prefix);
  const kafka = new KafkaInfrastructure(settings, testLogger(), {});
  const codec = new DocumentCodec(createSchemaRegistry(settings), `${prefix}.erp.documents.v1-value`);
  // Lag scaled by 0.02: "30 s" of GraphQL lag lasts 600 ms; retry tiers 200, 400, 800 ms.
  const emulator = new NewStoreEmulator({
    day: { tenant: 'acme', date: '2024-01-02', orders: 400, seed: 21 },
    visibility: 'published',
    lag: { timeScale: 0.02, paymentExtraMs: 0 },
  });
  let env: Record<string, string>;
  let enricher: ServiceUnderTest;
  let graphql: NewStoreGraphQlClient;

  const orderWith = (predicate: (order: ReturnType<typeof emulator.store.order>) => boolean, from = 0) => {
    for (let index = from; index < emulator.store.size; index += 1)
      if (predicate(emulator.store.order(index))) return emulator.store.order(index);
    throw new Error('no such order in the day');
  };
  const publish = async (...envelopes: NewStoreEnvelope[]) => {
    for (const envelope of envelopes) {
      emulator.store.markEventPublished(envelope);
      await kafka.producer.send(kafka.topics.newstoreEvents, [eventRecordOf(envelope)]);
    }
  };
  const documentsOf = async (orderId: string): Promise<ErpDocument[]> => {
    const messages = (await readTopic(kafka.kafka, kafka.topics.erpDocuments)).filter(
      (message) => message.key === orderId,
    );
    return Promise.all(messages.map((message) => codec.decode(message.value)));
  };
  const metrics = async () => (await fetch(`${enricher.url}/metrics`)).text();

  beforeAll(async () => {
    await kafka.connect(['newstoreEvents', 'erpDocuments', 'enricherDlq']);
    const base = await emulator.listen(0);
    graphql = newStoreTestClient(base, 2_000);
    env = {
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      KAFKA_TOPIC_PARTITIONS: '3',
      DATABASE_SCHEMA: schema,
      ...newStoreEnv(base),
      ENRICHER_RETRY_TIERS_MS: '200,400,800',
      ENRICHER_CONSUMER_GROUP: uniqueName('enricher-group'),
    };
    enricher = await startServiceForTest(enricherService, env);
  });

  afterAll(async () => {
    await enricher?.close();
    await kafka.close();
    await emulator.close();
    await dropSchema(schema);
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
      ...env,
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
