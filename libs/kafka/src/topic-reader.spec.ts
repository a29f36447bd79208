import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } from 'kafkajs';
import { isRetriableKafkaError, whileRetriable } from './kafka-retriable';

/** What a broker restarted a moment ago answers an OffsetFetch (kafkajs marks it retriable). */
const loading = () =>
  // kafkajs builds its protocol errors from the code's entry; its typings only name (Error | string).
  new KafkaJSProtocolError({
    type: 'COORDINATOR_LOAD_IN_PROGRESS',
    code: 14,
    retriable: true,
    message: "The coordinator is loading and hence can't process requests for this group",
  } as unknown as Error);

describe('whileRetriable', () => {
  it('asks again while the broker answers with a retriable error, and returns the answer', async () => {
    let calls = 0;
    const offsets = await whileRetriable(
      async () => {
        calls += 1;
        if (calls < 3) throw loading();
        return [{ topic: 't', partitions: [{ partition: 0, offset: '42' }] }];
      },
      { attempts: 5, delayMs: 1 },
    );
    expect(calls).toBe(3);
    expect(offsets[0].partitions[0].offset).toBe('42');
  });

  it('throws at once an error that is not retriable, and the last retriable one when attempts run out', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('not authorized for the group'), { retriable: false });
    await expect(
      whileRetriable(
        async () => {
          calls += 1;
          throw denied;
        },
        { attempts: 5, delayMs: 1 },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
    await expect(
      whileRetriable(
        async () => {
          calls += 1;
          throw loading();
        },
        { attempts: 3, delayMs: 1 },
      ),
    ).rejects.toThrow(/coordinator is loading/);
    expect(calls).toBe(4);
  });
});

/** kafkajs's wrapper of an error its retries gave up on (its typings omit the `cause` option it takes). */
const wrapped = (error: Error, cause: Error) => Object.assign(new KafkaJSNonRetriableError(error), { cause });

describe('isRetriableKafkaError', () => {
  it("reads through kafkajs's wrapper to the first cause, as kafkajs decides a crashed consumer's restart", () => {
    // A broker down for a restart: kafkajs's nested retries run out and it wraps the connection error
    // as the cause of a non-retriable one (kafkajs/src/retry: `new KafkaJSNonRetriableError(e, { cause })`).
    const refused = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:19292');
    const exhausted = wrapped(new Error('retries exhausted'), refused);
    expect(isRetriableKafkaError(wrapped(exhausted, refused))).toBe(true);
    expect(isRetriableKafkaError(loading())).toBe(true);
    // A generation the coordinator no longer knows: kafkajs will not restart the consumer for it.
    const generation = new KafkaJSProtocolError({
      type: 'ILLEGAL_GENERATION',
      code: 22,
      retriable: false,
      message: 'Specified group generation id is not valid',
    } as unknown as Error);
    expect(isRetriableKafkaError(wrapped(generation, generation))).toBe(false);
    expect(isRetriableKafkaError(new Error('not a Kafka error'))).toBe(false);
  });
});
