import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from 'pino';

export interface Revival {
  /** False from a crash kafkajs gives up on until the consumer runs again. */
  readonly alive: boolean;
  /** The consumer is being stopped on purpose: no more revival. */
  stop(): void;
}

/**
 * Keeps a consumer running through the crashes kafkajs does not restart. kafkajs
 * restarts a consumer that crashed on a retriable error, but gives up on one it
 * marks non-retriable, such as "Specified group generation id is not valid" from a
 * coordinator that moved while a broker was killed: the consumer then stops for
 * good while the process goes on, and its partitions stall with nothing said. Here
 * such a crash is logged as an error, the consumer reads as not alive (readiness,
 * metrics), and it is connected and run again with a growing delay until it runs:
 * its group hands it partitions again from the committed offsets, so nothing is
 * skipped.
 */
export function reviveOnCrash(
  consumer: Consumer,
  runConfig: () => ConsumerRunConfig,
  logger: Logger,
  options: { baseMs?: number; maxMs?: number; onCrash?: () => void } = {},
): Revival {
  let alive = true;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const baseMs = options.baseMs ?? 1_000;
  const maxMs = options.maxMs ?? 30_000;
  const attempt = (delayMs: number) => {
    timer = setTimeout(() => {
      if (stopped) return;
      consumer
        .connect()
        .then(() => consumer.run(runConfig()))
        .then(
          () => {
            alive = true;
            logger.warn('consumer running again after its crash');
          },
          (error: unknown) => {
            logger.error({ err: error, retryInMs: Math.min(delayMs * 2, maxMs) }, 'consumer not running again yet');
            attempt(Math.min(delayMs * 2, maxMs));
          },
        );
    }, delayMs);
    timer.unref();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (stopped || payload.restart) return;
    alive = false;
    options.onCrash?.();
    logger.error(
      { err: payload.error, retryInMs: baseMs },
      'consumer crashed and kafkajs will not restart it: starting it again',
    );
    attempt(baseMs);
  });
  return {
    get alive() {
      return alive;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
