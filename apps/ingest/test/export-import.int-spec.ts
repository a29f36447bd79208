import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchingPublisher } from '@hub/kafka';
import { readTopic, testbed } from '@hub/testing';
import { runHubCommand } from '@hub/platform';
import { EventIntake } from '../src/event-intake.service';
import { importExport, listSources } from '../src/export-import';
import { ingestService } from '../src/ingest.service-definition';

describe('S3-export import against a real broker', () => {
  const bed = testbed('import', { topics: ['newstoreEvents'] });
  const { prefix, kafka } = bed;
  let intake: EventIntake;

  beforeAll(() => {
    const publisher = new BatchingPublisher(kafka.producer, {
      topic: kafka.topics.newstoreEvents,
      lingerMs: 5,
      maxBatchSize: 100,
      sendTimeoutMs: 10_000,
    });
    intake = new EventIntake(publisher, 10_000);
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

    // The second import runs as ingest's `import` command, through the webhook's own intake.
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    const progress = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await runHubCommand(ingestService, 'import', [folder], {
        ...process.env,
        KAFKA_TOPIC_PREFIX: `${prefix}.`,
        KAFKA_TOPIC_PARTITIONS: '3',
        // The command runs with ingest's configuration, whose keys it does not use.
        INGEST_API_KEYS: 'acme:import-test-key',
        LOG_LEVEL: 'warn',
      });
    } finally {
      write.mockRestore();
      progress.mockRestore();
    }
    // Rejected lines make exit code 2 and are listed with their place; the valid ones are imported.
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    expect(printed.join('')).toMatch(/Imported 250 of 252 events from 2 file\(s\)/);
    expect(printed.join('')).toContain(`${sources[1]}:81 malformed-json`);
    const afterSecond = await readTopic(kafka.kafka, kafka.topics.newstoreEvents);
    expect(afterSecond).toHaveLength(500);
    expect(new Set(afterSecond.map((message) => message.headers['event-id']))).toEqual(firstIds);
  });
});
