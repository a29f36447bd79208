import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { ConcurrencyLimit } from './concurrency-limit';
import { HubConsumer, HubConsumerOptions } from './hub-consumer';

/** The kafkajs calls HubConsumer makes (commit, pause, seek), and its eachBatch to drive. */
function fakeKafka() {
  const calls: string[] = [];
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      eachBatch = config.eachBatch;
    },
    disconnect: async () => undefined,
    commitOffsets: async (offsets: { topic: string; partition: number; offset: string }[]) => {
      calls.push(`commit ${offsets[0].offset}`);
    },
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    seek: ({ offset }: { offset: string }) => calls.push(`seek ${offset}`),
  };
  const kafka = { consumer: () => consumer } as unknown as Kafka;
  const runBatch = (messages: { key: string; offset: string }[], running: () => boolean = () => true) =>
    eachBatch!({
      batch: {
        topic: 't',
        partition: 0,
        messages: messages.map(
          ({ key, offset }) =>
            ({
              key: Buffer.from(key),
              value: Buffer.from(offset),
              offset,
              headers: {},
              timestamp: '0',
            }) as KafkaMessage,
        ),
      },
      resolveOffset: () => undefined,
      heartbeat: async () => undefined,
      isRunning: running,
      isStale: () => false,
    } as unknown as EachBatchPayload);
  return { kafka, calls, runBatch };
}

async function startConsumer(kafka: Kafka, options: Partial<HubConsumerOptions>) {
  const consumer = new HubConsumer(
    kafka,
    {
      groupId: 'g',
      topics: ['t'],
      handler: async () => undefined,
      keyConcurrency: new ConcurrencyLimit(4),
      retryDelayMs: 10,
      maxRetryDelayMs: 20,
      ...options,
    },
    pino({ level: 'silent' }),
  );
  await consumer.start();
  return consumer;
}

describe('HubConsumer with key-level parallelism', () => {
  it("retries a failed message within its key while the partition's other keys go on, then commits the batch", async () => {
    const { kafka, calls, runBatch } = fakeKafka();
    const handled: string[] = [];
    let failuresLeft = 2;
    await startConsumer(kafka, {
      handler: async (message) => {
        if (message.offset === '0' && failuresLeft-- > 0) throw new Error('ERP answered 500');
        handled.push(`${message.key}@${message.offset}`);
      },
    });
    await runBatch([
      { key: 'order-a', offset: '0' },
      { key: 'order-b', offset: '1' },
      { key: 'order-a', offset: '2' },
      { key: 'order-b', offset: '3' },
    ]);
    // Order b did not wait for order a's retries; order a stayed in order.
    expect(handled).toEqual(['order-b@1', 'order-b@3', 'order-a@0', 'order-a@2']);
    expect(calls).toEqual(['commit 4']);
  });

  it('waits a prescribed delay (a 429 Retry-After) before retrying the key', async () => {
    const { kafka, runBatch } = fakeKafka();
    const attempts: number[] = [];
    await startConsumer(kafka, {
      prescribedRetryDelayMs: () => 200,
      handler: async () => {
        attempts.push(performance.now());
        if (attempts.length === 1) throw new Error('429');
      },
    });
    await runBatch([{ key: 'order-a', offset: '0' }]);
    expect(attempts).toHaveLength(2);
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(195);
  });

  it('gives up on a key after the retry budget: commits what is done below it and rewinds the partition to it', async () => {
    const { kafka, calls, runBatch } = fakeKafka();
    const handled: string[] = [];
    await startConsumer(kafka, {
      keyRetryBudgetMs: 100,
      handler: async (message) => {
        if (message.key === 'order-a') throw new Error('ERP answered 500');
        handled.push(`${message.key}@${message.offset}`);
      },
    });
    await runBatch([
      { key: 'order-b', offset: '0' },
      { key: 'order-a', offset: '1' },
      { key: 'order-b', offset: '2' },
      { key: 'order-a', offset: '3' },
    ]);
    // Order a's second message is not handled before its first.
    expect(handled).toEqual(['order-b@0', 'order-b@2']);
    expect(calls).toEqual(['commit 1', 'pause', 'seek 1']);
  });

  it('stops retrying when the consumer stops, and leaves the failed message uncommitted without rewinding', async () => {
    const { kafka, calls, runBatch } = fakeKafka();
    let running = true;
    await startConsumer(kafka, {
      keyRetryBudgetMs: 60_000,
      prescribedRetryDelayMs: () => 30_000,
      handler: async () => {
        setTimeout(() => (running = false), 50);
        throw new Error('429');
      },
    });
    const started = performance.now();
    await runBatch([{ key: 'order-a', offset: '0' }], () => running);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(calls).toEqual([]);
  });
});
