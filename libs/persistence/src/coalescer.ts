/**
 * Coalesces concurrent calls into batches (the DataLoader pattern, with an adaptive
 * window): a call made while `parallel` batches are in flight waits and joins the
 * next batch, up to `maxBatch` inputs; alone, a call goes out on the next turn of
 * the event loop. Each caller gets its own output, or the batch's error.
 */
export class Coalescer<I, O> {
  private waiting: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /** Runs one batch; returns one output per input, in the same order. */
    private readonly runBatch: (inputs: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; parallel: number },
  ) {}

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0 || this.inFlight >= this.options.parallel) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    const batch = this.waiting.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight += 1;
    this.runBatch(batch.map((item) => item.input))
      .then(
        (outputs) => batch.forEach((item, index) => item.resolve(outputs[index])),
        (error: unknown) => batch.forEach((item) => item.reject(error)),
      )
      .finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
    this.schedule();
  }
}
