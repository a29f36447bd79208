import type { Consumer } from 'kafkajs';

export interface PartitionRetrySettings {
  /** First pause; doubles with each failure of the same partition up to maxMs. */
  baseMs: number;
  maxMs: number;
  /** Full jitter on the upper half, so consumers that failed together do not retry together. */
  jitter: boolean;
}

/**
 * The pause before attempt `attempt + 1`: the back-off (baseMs doubled per attempt up
 * to maxMs, jittered) or at least `minimumMs`; a `prescribedMs` replaces the back-off.
 */
export function retryDelayMs(
  settings: PartitionRetrySettings,
  attempt: number,
  minimumMs = 0,
  prescribedMs?: number,
): number {
  if (prescribedMs !== undefined)
    return settings.jitter ? prescribedMs + Math.random() * (prescribedMs / 2) : prescribedMs;
  const backoff = Math.min(settings.baseMs * 2 ** (attempt - 1), settings.maxMs);
  const jittered = settings.jitter ? backoff / 2 + Math.random() * (backoff / 2) : backoff;
  return Math.max(jittered, minimumMs);
}

/**
 * Retrying a failed message or batch in place: its partition is paused, the fetch
 * position rewound to it, and the partition resumed after a growing delay, so
 * nothing behind it overtakes it and nothing is skipped.
 */
export class PartitionRetry {
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly consumer: Consumer,
    private readonly settings: PartitionRetrySettings,
    private readonly isRunning: () => boolean,
  ) {
    // A consumer that crashed (a broker gone too long) restarts with a new group: nothing
    // paused, fetching from the committed offsets. A resume due from before has nothing
    // left to resume, and while the group is being rebuilt kafkajs throws on it.
    consumer.on(consumer.events.CRASH, () => this.cancel());
  }

  /**
   * Pauses the partition at `offset` and resumes it later; returns the attempt number
   * and the delay. `minimumMs`: the failure asks for at least this long (a Retry-After).
   * `prescribedMs`: the failure says when to come back (a 429's Retry-After, "too many
   * at once" rather than "broken"): that delay is used instead of the back-off, which
   * does not grow, so a busy ERP is not answered with ever longer pauses.
   */
  schedule(
    topic: string,
    partition: number,
    offset: string,
    minimumMs = 0,
    prescribedMs?: number,
  ): { attempt: number; delayMs: number } {
    const slot = `${topic}:${partition}`;
    const attempt = (this.failures.get(slot) ?? 0) + 1;
    if (prescribedMs === undefined) this.failures.set(slot, attempt);
    const delayMs = retryDelayMs(this.settings, attempt, minimumMs, prescribedMs);
    this.consumer.pause([{ topic, partitions: [partition] }]);
    this.consumer.seek({ topic, partition, offset });
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.isRunning()) return;
      try {
        this.consumer.resume([{ topic, partitions: [partition] }]);
      } catch {
        // No group (the consumer is restarting after a crash): it starts with nothing paused,
        // from the committed offsets, so there is nothing to resume. Thrown from a timer, the
        // error would end the process.
      }
    }, delayMs);
    this.timers.add(timer);
    return { attempt, delayMs };
  }

  /** The partition's next failure starts the back-off again. */
  succeeded(topic: string, partition: number): void {
    this.failures.delete(`${topic}:${partition}`);
  }

  cancel(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
