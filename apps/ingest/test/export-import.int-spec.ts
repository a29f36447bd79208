import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchingPublisher, KafkaInfrastructure } from '@hub/kafka';
import { readTopic, testKafkaSettings, testLogger, uniqueName } from '@hub/testing';
import { EventIntake } from '../src/event-intake.service';
import { importExport, listSources } from '../src/export-import';

describe('S3-export import against a real broker', () => {
  const prefix = uniqueName('import');
  const kafka = new KafkaInfrastructure(testKafkaSettings(prefix), testLogger(), {});
  let intake: EventIntake;

  beforeAll(async () => {
    await kafka.connect(['newstoreEvents']);
    const publisher = new BatchingPublisher(kafka.producer, {
      topic: kafka.topics.newstoreEvents,
      lingerMs: 5,
      maxBatchSize: 100,
      sendTimeoutMs: 10_000,
    });
    intake = new EventIntake(publisher, 10_000);
  });

  afterAll(async () => {
    await kafka.close();
  });

  it('imports a folder of newline-delimited events, reports rejected lines, and a second import repeats the same event ids', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'export-'));
    const events = Array.from({ length: 250 }, (_, index) =>
      JSON.stringify({ tenant: 'acme', name: 'order.opened', payload: { id: `order-${index % 40}`, seq: index } }),
    );
    writeFileSync(join(folder, '2024-01-02T00-00.ndjson'), events.slice(0, 120).join('\n') + '\n');
    writeFileSync(
      join(folder, '2024-01-02T00-05.ndjson'),
      [
        ...events.slice(120, 200),
        '{"tenant":"acme","name":"order.opened"',
        '',
        '{"name":"x.y","payload":{"id":"1"}}',
        ...events.slice(200),
      ].join('\r\n'),
    );
    const sources = await listSources([folder]);
    expect(sources).toHaveLength(2);

    const first = await importExport(sources, intake, { maxInFlight: 50 });
    expect(first.lines).toBe(252);
    expect(first.published).toBe(250);
    expect(first.rejected).toEqual([
      expect.objectContaining({ source: sources[1], line: 81, reason: 'malformed-json' }),
      expect.objectContaining({
        source: sources[1],
        line: 83,
        reason: 'invalid-envelope',
        problems: [{ path: '$.tenant', message: 'is required' }],
      }),
    ]);

    const afterFirst = await readTopic(kafka.kafka, kafka.topics.newstoreEvents);
    expect(afterFirst).toHaveLength(250);
    const firstIds = new Set(afterFirst.map((message) => message.headers['event-id']));
    expect(firstIds.size).toBe(250);
    // Each event is keyed by its order id, like the webhook does.
    expect(afterFirst.every((message) => JSON.parse(message.value!.toString()).payload.id === message.key)).toBe(true);

    await importExport(sources, intake);
    const afterSecond = await readTopic(kafka.kafka, kafka.topics.newstoreEvents);
    expect(afterSecond).toHaveLength(500);
    expect(new Set(afterSecond.map((message) => message.headers['event-id']))).toEqual(firstIds);
  });
});
