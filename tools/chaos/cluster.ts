import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * The chaos run's own infrastructure, from infra/local.sh: a 3-node KRaft cluster
 * (every node a broker and a controller, replication factor 3, min.insync.replicas 2)
 * and a schema registry that keeps its schemas across a restart, on ports of their
 * own so that the single-node broker of the other tests is not disturbed.
 */
export class ChaosCluster {
  readonly env: Record<string, string>;
  readonly nodes = 3;

  constructor(basePort = Number(process.env.CHAOS_KAFKA_PORT ?? 19292)) {
    this.env = {
      KAFKA_INSTANCE: 'chaos',
      KAFKA_NODES: String(this.nodes),
      KAFKA_PORT: String(basePort),
      KAFKA_CONTROLLER_PORT: String(basePort + 1),
      REGISTRY_PORT: process.env.CHAOS_REGISTRY_PORT ?? '18181',
    };
  }

  private async local(...args: string[]): Promise<string> {
    const { stdout } = await run('bash', [join(ROOT, 'infra', 'local.sh'), ...args], {
      env: { ...process.env, ...this.env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  /** Starts from empty storage: a run never sees an earlier run's topics or schemas. */
  async up(): Promise<void> {
    await this.local('reset');
    await this.local('up');
  }

  async down(): Promise<void> {
    await this.local('down');
    await this.local('reset');
  }

  /** KAFKA_BROKERS, SCHEMA_REGISTRY_URL and DATABASE_URL of this cluster. */
  async variables(): Promise<Record<string, string>> {
    const variables: Record<string, string> = {};
    for (const line of (await this.local('env')).split('\n')) {
      const match = /^export (\w+)=(.*)$/.exec(line);
      if (match) variables[match[1]] = match[2];
    }
    return variables;
  }

  killBroker(node: number): Promise<string> {
    return this.local('broker', 'kill', String(node));
  }

  stopBroker(node: number): Promise<string> {
    return this.local('broker', 'stop', String(node));
  }

  startBroker(node: number): Promise<string> {
    return this.local('broker', 'start', String(node));
  }

  async restartRegistry(): Promise<void> {
    await this.local('down', 'registry');
    await this.local('up', 'registry');
  }

  /** The node that leads the most partitions of the topics whose names start with `prefix`. */
  async busiestLeader(brokers: string[], prefix: string): Promise<number> {
    const kafka = new Kafka({ clientId: 'chaos-leaders', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
      const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
      const led = new Map<number, number>();
      for (const topic of metadata)
        for (const partition of topic.partitions) led.set(partition.leader, (led.get(partition.leader) ?? 0) + 1);
      return [...led.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 1;
    } finally {
      await admin.disconnect();
    }
  }
}
