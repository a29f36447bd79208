import { ConsumedMessage, HubConsumer } from '@hub/kafka';
import { testbed, testLogger, uniqueName, waitFor, waitForQuiescence } from '@hub/testing';
import { ConfigResourceTypes } from 'kafkajs';

describe('libs/kafka against a real broker', () => {
  const logger = testLogger();
  const bed = testbed('kafka', { topics: ['newstoreEvents', 'erpSyncStatus'] });
  const infra = bed.kafka;
  const consumers: HubConsumer[] = [];
  bed.closeAfter({ close: () => Promise.allSettled(consumers.map((consumer) => consumer.stop())) });

  function consumer(groupId: string, handler: (message: ConsumedMessage) => Promise<void>) {
    const created = new HubConsumer(
      infra.kafka,
      { groupId, topics: [infra.topics.newstoreEvents], handler, retryDelayMs: 100, partitionsConsumedConcurrently: 3 },
      logger,
    );
    consumers.push(created);
    return created;
  }

  it('creates topics with their declared configs: the status topic is compacted, the event store is not', async () => {
    const described = await infra.admin.describeConfigs({
      includeSynonyms: false,
      resources: [infra.topics.erpSyncStatus, infra.topics.newstoreEvents].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['cleanup.policy', 'retention.ms'],
      })),
    });
    const config = (topic: string, name: string) =>
      described.resources
        .find((resource) => resource.resourceName === topic)
        ?.configEntries.find((entry) => entry.configName === name)?.configValue;
    expect(config(infra.topics.erpSyncStatus, 'cleanup.policy')).toBe('compact');
    expect(config(infra.topics.newstoreEvents, 'cleanup.policy')).toBe('delete');
    expect(config(infra.topics.newstoreEvents, 'retention.ms')).toBe('-1');
    const metadata = await infra.admin.fetchTopicMetadata({ topics: [infra.topics.newstoreEvents] });
    expect(metadata.topics[0].partitions).toHaveLength(3);
  });

  it('delivers all messages of one key to one partition, in the order they were produced', async () => {
    const keys = ['order-a', 'order-b', 'order-c', 'order-d'];
    for (let sequence = 0; sequence < 25; sequence += 1) {
      await infra.producer.send(
        infra.topics.newstoreEvents,
        keys.map((key) => ({ key, value: JSON.stringify({ key, sequence }) })),
      );
    }
    const seen = new Map<string, { partition: number; sequence: number }[]>();
    consumer(uniqueName('order'), async (message) => {
      const body = JSON.parse(message.value!.toString()) as { key: string; sequence: number };
      seen.set(body.key, [...(seen.get(body.key) ?? []), { partition: message.partition, sequence: body.sequence }]);
    });
    await consumers[consumers.length - 1].start();
    await waitFor(() => keys.every((key) => (seen.get(key)?.length ?? 0) >= 25), { what: '100 messages' });
    await consumers[consumers.length - 1].stop();
    for (const key of keys) {
      const received = seen.get(key)!;
      expect(new Set(received.map((item) => item.partition)).size).toBe(1);
      expect(received.map((item) => item.sequence)).toEqual(Array.from({ length: 25 }, (_, index) => index));
    }
  });

  it('redelivers a message whose handler failed after a restart, and not one that succeeded', async () => {
    const topic = infra.topics.newstoreEvents;
    const groupId = uniqueName('redeliver');
    // Start the group at the end of the topic, so only the two messages below count.
    await infra.admin.setOffsets({
      groupId,
      topic,
      partitions: (await infra.admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
        partition,
        offset: high,
      })),
    });
    const key = uniqueName('key');
    await infra.producer.send(topic, [
      { key, value: 'succeeds' },
      { key, value: 'fails' },
    ]);

    const firstRun: string[] = [];
    const first = consumer(groupId, async (message) => {
      firstRun.push(message.value!.toString());
      if (message.value!.toString() === 'fails') throw new Error('downstream unavailable');
    });
    await first.start();
    await waitFor(() => firstRun.filter((value) => value === 'fails').length >= 2, { what: 'in-process retry' });
    await first.stop();
    expect(firstRun[0]).toBe('succeeds');
    expect(firstRun.filter((value) => value === 'succeeds')).toHaveLength(1);

    const secondRun: string[] = [];
    const second = consumer(groupId, async (message) => {
      secondRun.push(message.value!.toString());
    });
    await second.start();
    await waitFor(() => secondRun.includes('fails'), { what: 'redelivery after restart' });
    // Committed to the end: nothing more will be delivered to the group, so the list is final.
    await waitForQuiescence(infra.kafka, groupId, [topic]);
    expect(secondRun).toEqual(['fails']);
  });
});
