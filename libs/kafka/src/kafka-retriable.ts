/**
 * Whether a Kafka failure may pass if asked again, as kafkajs decides it for a crashed
 * consumer: its own retries ran out, or the first cause is marked retriable (a broker
 * that refused the connection while it restarts, a coordinator still loading) even
 * where kafkajs wrapped it in a KafkaJSNonRetriableError after its retries.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  type Chain = { name?: string; retriable?: boolean; cause?: Chain } | undefined;
  let cause = error as Chain;
  if (cause?.name === 'KafkaJSNumberOfRetriesExceeded' || cause?.retriable === true) return true;
  while (cause?.cause) cause = cause.cause;
  return cause?.retriable === true;
}

/**
 * Runs a Kafka request again while it fails in a way that may pass (see
 * {@link isRetriableKafkaError}: a partition without a leader yet, a coordinator still
 * loading, a broker down for a restart), up to `attempts` times `delayMs` apart; any
 * other error, or the last attempt's, is thrown.
 */
export async function whileRetriable<T>(
  request: () => Promise<T>,
  { attempts, delayMs }: { attempts: number; delayMs: number },
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      if (!isRetriableKafkaError(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
