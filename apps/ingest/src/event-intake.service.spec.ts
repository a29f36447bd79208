import { BatchingPublisher } from '@hub/kafka';
import { EventIntake } from './event-intake.service';

/** Publishers that record the keys they were given, acknowledging at once. */
function publishers(count: number) {
  const keys = Array.from({ length: count }, () => [] as string[]);
  const fakes = keys.map(
    (received) =>
      ({
        publish: async (message: { key: string }) => void received.push(message.key),
        drain: async () => undefined,
      }) as unknown as BatchingPublisher,
  );
  return { keys, fakes };
}

const event = (key: string) =>
  ({ record: { key, value: Buffer.from('{}'), headers: {} } }) as unknown as Parameters<EventIntake['publish']>[0];

describe('EventIntake', () => {
  it("sends every event of one order through the same producer, so the order's events keep their order", async () => {
    const { keys, fakes } = publishers(3);
    const intake = new EventIntake(fakes, 1_000);
    const orders = Array.from({ length: 60 }, (_, index) => `order-${index}`);
    for (let round = 0; round < 3; round += 1) for (const order of orders) await intake.publish(event(order));
    for (const received of keys)
      for (const order of new Set(received)) expect(received.filter((key) => key === order)).toHaveLength(3);
    expect(new Set(keys.flat()).size).toBe(60);
    // Orders spread over the producers.
    for (const received of keys) expect(new Set(received).size).toBeGreaterThan(5);
  });

  it('fails a publish that Kafka does not acknowledge within the deadline', async () => {
    const stuck = { publish: () => new Promise<void>(() => undefined), drain: async () => undefined };
    const intake = new EventIntake(stuck as unknown as BatchingPublisher, 50);
    await expect(intake.publish(event('order-1'))).rejects.toThrow('Kafka did not acknowledge within 50 ms');
  });
});
