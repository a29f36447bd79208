import { ensurePhysicalTopics, minInsyncReplicasFor, TopicConfigurationError } from '@hub/kafka';
import { testbed } from '@hub/testing';
import { ConfigResourceTypes } from 'kafkajs';

/** Topic durability: what the hub declares is what the topics keep. */
describe('topic verification against a real broker', () => {
  const bed = testbed('topics');
  const { prefix, kafka: infra } = bed;
  const settings = { partitions: 1, replicationFactor: 1, create: true };

  const configs = async (name: string) => {
    const described = await infra.admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name }],
    });
    return Object.fromEntries(
      described.resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]),
    );
  };

  it('needs two in-sync replicas for an acknowledged write once there are three replicas', () => {
    expect(minInsyncReplicasFor(1)).toBe(1);
    expect(minInsyncReplicasFor(2)).toBe(1);
    expect(minInsyncReplicasFor(3)).toBe(2);
    expect(minInsyncReplicasFor(5)).toBe(2);
  });

  it('raises a retention shorter than declared, keeping the other overrides, and reports it', async () => {
    const name = `${prefix}.documents`;
    await infra.admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: name,
          numPartitions: 1,
          configEntries: [
            { name: 'retention.ms', value: String(30 * 86_400_000) },
            { name: 'max.message.bytes', value: '2000000' },
          ],
        },
      ],
    });
    const raised = await ensurePhysicalTopics(
      infra.admin,
      [{ name, cleanupPolicy: 'delete', retentionMs: -1 }],
      settings,
    );
    expect(raised).toEqual([`${name}: retention.ms 2592000000 → -1`]);
    expect(await configs(name)).toMatchObject({ 'retention.ms': '-1', 'max.message.bytes': '2000000' });
    // A second start finds nothing to change.
    expect(
      await ensurePhysicalTopics(infra.admin, [{ name, cleanupPolicy: 'delete', retentionMs: -1 }], settings),
    ).toEqual([]);
  });

  it('refuses to start on a topic whose cleanup policy would lose or keep data', async () => {
    const name = `${prefix}.status`;
    await infra.admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: 1 }] });
    await expect(
      ensurePhysicalTopics(infra.admin, [{ name, cleanupPolicy: 'compact', retentionMs: -1 }], settings),
    ).rejects.toThrow(TopicConfigurationError);
  });
});
