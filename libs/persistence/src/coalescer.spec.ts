import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  it('serves calls made together with one batch, each caller getting its own output', async () => {
    const batches: number[][] = [];
    const double = new Coalescer<number, number>(
      async (inputs) => {
        batches.push(inputs);
        return inputs.map((input) => input * 2);
      },
      { maxBatch: 10, parallel: 1 },
    );
    expect(await Promise.all([1, 2, 3].map((input) => double.call(input)))).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('keeps at most `parallel` batches in flight and `maxBatch` inputs per batch; later calls join the next one', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let peak = 0;
    const echo = new Coalescer<number, number>(
      async (inputs) => {
        batches.push(inputs);
        peak = Math.max(peak, (inFlight += 1));
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
        return inputs;
      },
      { maxBatch: 4, parallel: 2 },
    );
    const outputs = await Promise.all(Array.from({ length: 10 }, (_, index) => echo.call(index)));
    expect(outputs).toEqual(Array.from({ length: 10 }, (_, index) => index));
    expect(peak).toBe(2);
    expect(batches.map((batch) => batch.length)).toEqual([4, 4, 2]);
  });

  it("fails every caller of a failed batch with the batch's error, and goes on with the next", async () => {
    let fail = true;
    const flaky = new Coalescer<string, string>(
      async (inputs) => {
        if (fail) throw new Error('database unavailable');
        return inputs;
      },
      { maxBatch: 10, parallel: 1 },
    );
    const failed = await Promise.allSettled(['a', 'b'].map((input) => flaky.call(input)));
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect((failed[0] as PromiseRejectedResult).reason).toEqual(new Error('database unavailable'));
    fail = false;
    await expect(flaky.call('c')).resolves.toBe('c');
  });
});
