import { kafkaEnv, loadConfig } from '@hub/config';
import pino, { Logger } from 'pino';

/** Kafka settings for a test: the harness's broker, a private topic prefix. */
export function testKafkaSettings(prefix: string) {
  return loadConfig('test', kafkaEnv, {
    ...process.env,
    KAFKA_TOPIC_PREFIX: `${prefix}.`,
    KAFKA_TOPIC_PARTITIONS: '3',
  });
}

export function testDatabaseUrl(): string {
  return process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** Logs only warnings and errors, to the test log file when there is one (LOG_FILE), to keep test output short. */
export function testLogger(): Logger {
  const level = process.env.TEST_LOG_LEVEL ?? 'warn';
  const file = process.env.LOG_FILE;
  return file ? pino({ level }, pino.destination({ dest: file, mkdir: true, sync: true })) : pino({ level });
}
