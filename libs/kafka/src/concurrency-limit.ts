/**
 * At most `limit` tasks at once; the others wait in arrival order. Shared by every
 * partition of a consumer, it bounds the requests a sink has in flight against an
 * ERP's concurrency governance, whatever the number of partitions.
 */
export class ConcurrencyLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Highest number of tasks that ran at once (for tests and benchmarks). */
  peak = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('a concurrency limit is a whole number above 0');
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
