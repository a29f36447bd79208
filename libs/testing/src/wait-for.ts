import { consumerGroupLag } from '@hub/kafka';
import type { Kafka } from 'kafkajs';
/** Polls until the check returns a value that is not undefined/false, or fails after the timeout. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(
    `timed out waiting for ${options.what ?? 'condition'}` +
      (lastError instanceof Error ? ` (last error: ${lastError.message})` : ''),
  );
}

/**
 * Waits until a consumer group has committed every message now on its topics
 * (committed offset = end offset on every partition): from then on, what the
 * group does with those messages is done, and a test can count its effects
 * instead of sleeping and hoping nothing more happens.
 */
export async function waitForQuiescence(
  kafka: Kafka,
  groupId: string,
  topics: string[],
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(async () => (await consumerGroupLag(admin, groupId, topics)) === 0, {
      what: `consumer group ${groupId} caught up with ${topics.join(', ')}`,
      timeoutMs: options.timeoutMs ?? 60_000,
    });
  } finally {
    await admin.disconnect();
  }
}
