import type { Consumer } from 'kafkajs';
import { PartitionRetry } from './partition-retry';

/** The consumer calls PartitionRetry makes, in order. */
function fakeConsumer(options: { resumeThrows?: boolean } = {}) {
  const calls: string[] = [];
  const listeners = new Map<string, () => void>();
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: () => void) => listeners.set(event, listener),
    pause: (topics: { topic: string; partitions: number[] }[]) =>
      calls.push(`pause ${topics[0].topic}:${topics[0].partitions[0]}`),
    resume: (topics: { topic: string; partitions: number[] }[]) => {
      // kafkajs, while a crashed consumer restarts.
      if (options.resumeThrows)
        throw new Error('Consumer group was not initialized, consumer#run must be called first');
      calls.push(`resume ${topics[0].topic}:${topics[0].partitions[0]}`);
    },
    seek: ({ topic, partition, offset }: { topic: string; partition: number; offset: string }) =>
      calls.push(`seek ${topic}:${partition}@${offset}`),
  } as unknown as Consumer;
  const crash = () => listeners.get('consumer.crash')?.();
  return { consumer, calls, crash };
}

describe('PartitionRetry', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pauses the partition at the failed offset and resumes it after the delay', () => {
    const { consumer, calls } = fakeConsumer();
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 1_000, jitter: false }, () => true);
    expect(retry.schedule('t', 2, '41')).toEqual({ attempt: 1, delayMs: 100 });
    expect(calls).toEqual(['pause t:2', 'seek t:2@41']);
    jest.advanceTimersByTime(99);
    expect(calls).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(calls).toEqual(['pause t:2', 'seek t:2@41', 'resume t:2']);
  });

  it('doubles the delay per failure of the same partition up to maxMs, and starts over after a success', () => {
    const { consumer } = fakeConsumer();
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 300, jitter: false }, () => true);
    expect([1, 2, 3].map(() => retry.schedule('t', 0, '1').delayMs)).toEqual([100, 200, 300]);
    expect(retry.schedule('t', 1, '1').delayMs).toBe(100);
    retry.succeeded('t', 0);
    expect(retry.schedule('t', 0, '1')).toEqual({ attempt: 1, delayMs: 100 });
  });

  it('waits at least what the failure asked for (a Retry-After), and jitters within the upper half', () => {
    const { consumer } = fakeConsumer();
    const retry = new PartitionRetry(consumer, { baseMs: 1_000, maxMs: 10_000, jitter: true }, () => true);
    expect(retry.schedule('t', 0, '1', 5_000).delayMs).toBe(5_000);
    const jittered = retry.schedule('t', 1, '1').delayMs;
    expect(jittered).toBeGreaterThanOrEqual(500);
    expect(jittered).toBeLessThanOrEqual(1_000);
  });

  it('uses a prescribed delay (a 429 Retry-After) as it is, without growing the back-off', () => {
    const { consumer } = fakeConsumer();
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 10_000, jitter: false }, () => true);
    expect(retry.schedule('t', 0, '1')).toEqual({ attempt: 1, delayMs: 100 });
    for (let i = 0; i < 5; i += 1)
      expect(retry.schedule('t', 0, '1', 0, 1_000)).toEqual({ attempt: 2, delayMs: 1_000 });
    // The back-off goes on from where the real failures left it.
    expect(retry.schedule('t', 0, '1')).toEqual({ attempt: 2, delayMs: 200 });
  });

  it('does not resume a partition once the consumer stopped, and cancel drops pending resumes', () => {
    const { consumer, calls } = fakeConsumer();
    let running = true;
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 100, jitter: false }, () => running);
    retry.schedule('t', 0, '1');
    running = false;
    jest.advanceTimersByTime(100);
    retry.schedule('t', 1, '1');
    retry.cancel();
    jest.advanceTimersByTime(1_000);
    expect(calls.filter((call) => call.startsWith('resume'))).toEqual([]);
  });

  it('drops pending resumes when the consumer crashes (it restarts with nothing paused)', () => {
    const { consumer, calls, crash } = fakeConsumer();
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 100, jitter: false }, () => true);
    retry.schedule('t', 0, '1');
    crash();
    jest.advanceTimersByTime(1_000);
    expect(calls.filter((call) => call.startsWith('resume'))).toEqual([]);
  });

  it('does not throw from its timer when kafkajs refuses the resume (a crashed group being rebuilt)', () => {
    const { consumer } = fakeConsumer({ resumeThrows: true });
    const retry = new PartitionRetry(consumer, { baseMs: 100, maxMs: 100, jitter: false }, () => true);
    retry.schedule('t', 0, '1');
    expect(() => jest.advanceTimersByTime(100)).not.toThrow();
  });
});
