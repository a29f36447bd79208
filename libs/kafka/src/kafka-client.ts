import { readFileSync } from 'node:fs';
import { Kafka, KafkaConfig, logLevel, SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';

export interface KafkaConnectionSettings {
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
  KAFKA_SSL: boolean;
  KAFKA_SSL_CA_FILE?: string;
  KAFKA_SASL_MECHANISM: 'none' | 'plain' | 'scram-sha-256' | 'scram-sha-512';
  KAFKA_SASL_USERNAME?: string;
  KAFKA_SASL_PASSWORD?: string;
}

function sasl(settings: KafkaConnectionSettings): SASLOptions | undefined {
  if (settings.KAFKA_SASL_MECHANISM === 'none') return undefined;
  if (!settings.KAFKA_SASL_USERNAME || !settings.KAFKA_SASL_PASSWORD) {
    throw new Error(
      `KAFKA_SASL_MECHANISM=${settings.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`,
    );
  }
  const credentials = { username: settings.KAFKA_SASL_USERNAME, password: settings.KAFKA_SASL_PASSWORD };
  return { mechanism: settings.KAFKA_SASL_MECHANISM, ...credentials };
}

const LEVELS: Record<logLevel, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.NOTHING]: 'debug',
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client for the configured cluster, logging through pino. */
export function createKafka(settings: KafkaConnectionSettings, logger: Logger, clientSuffix?: string): Kafka {
  const config: KafkaConfig = {
    clientId: clientSuffix ? `${settings.KAFKA_CLIENT_ID}-${clientSuffix}` : settings.KAFKA_CLIENT_ID,
    brokers: settings.KAFKA_BROKERS,
    ssl: settings.KAFKA_SSL
      ? settings.KAFKA_SSL_CA_FILE
        ? { ca: [readFileSync(settings.KAFKA_SSL_CA_FILE, 'utf8')] }
        : true
      : undefined,
    sasl: sasl(settings),
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    // kafkajs logs rebalances and connection errors as ERROR although it recovers from
    // them; WARN keeps the useful ones without flooding.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }) => {
        const { message, ...extra } = log;
        logger[LEVELS[level]]({ context: 'kafkajs', ...extra }, message);
      },
  };
  return new Kafka(config);
}
