import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Provides the real services integration tests talk to, in this order:
 * 1. KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL, when all are set: used as they are.
 * 2. A Docker engine that answers: Kafka, Apicurio Registry and Postgres in containers (testcontainers).
 * 3. Otherwise: the local infrastructure of infra/local.sh (Kafka and Apicurio from Maven Central jars,
 *    the machine's Postgres), started here and stopped in global-teardown if it was not already running.
 * TEST_INFRA=env|containers|local forces one of them.
 */
const STATE_FILE = join(__dirname, '..', 'node_modules', '.cache', 'parity-hub-test-infra.json');

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<Record<string, string>> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  const postgres = await new GenericContainer('postgres:16')
    .withExposedPorts(5432)
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' })
    .withWaitStrategy(Wait.forLogMessage(/ready to accept connections/, 2))
    .start();
  writeFileSync(
    STATE_FILE,
    JSON.stringify({ mode: 'containers', ids: [kafka.getId(), registry.getId(), postgres.getId()] }),
  );
  return {
    KAFKA_BROKERS: `127.0.0.1:${kafka.getMappedPort(9092)}`,
    SCHEMA_REGISTRY_URL: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    DATABASE_URL: `postgres://postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/test`,
  };
}

function startLocal(): Record<string, string> {
  const script = join(__dirname, '..', 'infra', 'local.sh');
  const status = execFileSync('bash', [script, 'status'], { encoding: 'utf8' });
  const wasRunning = !/stopped/.test(status);
  execFileSync('bash', [script, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(STATE_FILE, JSON.stringify({ mode: 'local', stopAfter: !wasRunning }));
  const variables: Record<string, string> = {};
  for (const line of execFileSync('bash', [script, 'env'], { encoding: 'utf8' }).split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match) variables[match[1]] = match[2];
  }
  return variables;
}

export default async function globalSetup(): Promise<void> {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(__dirname, '..', 'node_modules', '.cache'), { recursive: true });
  const forced = process.env.TEST_INFRA;
  const allSet = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATABASE_URL'].every((name) => process.env[name]);
  let variables: Record<string, string>;
  if (forced === 'env' || (!forced && allSet)) {
    writeFileSync(STATE_FILE, JSON.stringify({ mode: 'env' }));
    return;
  } else if (forced === 'containers' || (!forced && (await dockerAnswers()))) {
    variables = await startContainers();
  } else {
    variables = startLocal();
  }
  for (const [name, value] of Object.entries(variables)) {
    // An explicitly set variable wins (for example DATABASE_URL of another server).
    process.env[name] = process.env[name] || value;
  }
}
