import { retryTemporary } from './retry';

class Failure extends Error {
  constructor(
    readonly kind: 'temporary' | 'permanent',
    readonly details: { retryAfterMs?: number } = {},
  ) {
    super(kind);
  }
}

/** A call that fails with these failures, one per call, then answers 'ok'. */
function failing(...failures: Error[]) {
  const calls: number[] = [];
  const call = async () => {
    calls.push(Date.now());
    const failure = failures.shift();
    if (failure) throw failure;
    return 'ok';
  };
  return { call, calls };
}

describe('retryTemporary', () => {
  it('calls again after temporary failures, doubling the wait, and returns the answer', async () => {
    const { call, calls } = failing(new Failure('temporary'), new Failure('temporary'));
    const waits: number[] = [];
    await expect(
      retryTemporary(call, { attempts: 3, baseMs: 20, onRetry: (_error, _attempt, delayMs) => waits.push(delayMs) }),
    ).resolves.toBe('ok');
    expect(waits).toEqual([20, 40]);
    expect(calls).toHaveLength(3);
    expect(calls[2] - calls[0]).toBeGreaterThanOrEqual(55);
  });

  it("waits the service's Retry-After when it is longer than the back-off", async () => {
    const { call } = failing(new Failure('temporary', { retryAfterMs: 150 }));
    const waits: number[] = [];
    await retryTemporary(call, { attempts: 2, baseMs: 10, onRetry: (_e, _a, delayMs) => waits.push(delayMs) });
    expect(waits).toEqual([150]);
  });

  it('throws a permanent failure at once, and the last temporary one when the attempts are spent', async () => {
    const permanent = failing(new Failure('permanent'));
    await expect(retryTemporary(permanent.call, { attempts: 5, baseMs: 1 })).rejects.toMatchObject({
      kind: 'permanent',
    });
    expect(permanent.calls).toHaveLength(1);
    const lasting = failing(new Failure('temporary'), new Failure('temporary'), new Failure('temporary'));
    await expect(retryTemporary(lasting.call, { attempts: 2, baseMs: 1 })).rejects.toMatchObject({
      kind: 'temporary',
    });
    expect(lasting.calls).toHaveLength(2);
    // Anything that does not say it is temporary (a bug, a TypeError) is not retried.
    const bug = failing(new TypeError('x is undefined'));
    await expect(retryTemporary(bug.call, { attempts: 3, baseMs: 1 })).rejects.toThrow(TypeError);
    expect(bug.calls).toHaveLength(1);
  });
});
