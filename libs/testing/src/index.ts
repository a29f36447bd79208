import { randomBytes } from 'node:crypto';
import { kafkaEnv, loadConfig } from '@hub/config';
import pino, { Logger } from 'pino';

/** A unique, Kafka- and Postgres-safe name part, so each test file isolates its topics, groups and schemas. */
export function uniqueName(label: string): string {
  return `${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Kafka settings for a test: the harness's broker, a private topic prefix. */
export function testKafkaSettings(prefix: string) {
  return loadConfig('test', kafkaEnv, { ...process.env, KAFKA_TOPIC_PREFIX: `${prefix}.`, KAFKA_TOPIC_PARTITIONS: '3' });
}

export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Logs only warnings and errors, to keep test output readable. */
export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' });
}

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
