import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopChildProcess } from '@hub/platform';

const ROOT = join(__dirname, '..', '..');

/**
 * How long a (re)started instance may take to be ready. A consumer's start waits for
 * its group's rebalance: after a SIGKILL the dead member stays in the group until its
 * session times out (30 s), and the rebalance then waits for the partner instance to
 * finish the batch in hand and rejoin (kafkajs's rebalance timeout, 60 s), all while
 * other faults may hold a broker down. A Kubernetes readiness probe has no deadline;
 * this one only tells a slow start from one that never ends.
 */
const READY_WITHIN_MS = 180_000;

export type HubApp = 'ingest' | 'enricher' | 'erp-sink' | 'reconciler';

export interface Instance {
  /** enricher-1, erp-sink-2, ... */
  name: string;
  app: HubApp;
  port: number;
  env: Record<string, string>;
}

/**
 * The hub's processes as a scaled-out deployment runs them: each instance is the
 * built app (`dist/apps/<app>/src/main.js`) in its own process, its log in the run's
 * folder. An instance can be killed with SIGKILL and started again with the same
 * settings; every start waits for `/health/ready`.
 */
export class Fleet {
  private readonly processes = new Map<string, ChildProcess>();
  readonly restarts = new Map<string, number>();

  constructor(
    private readonly instances: Instance[],
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.instance(name).port}`;
  }

  names(app?: HubApp): string[] {
    return this.instances.filter((instance) => !app || instance.app === app).map((instance) => instance.name);
  }

  private instance(name: string): Instance {
    const instance = this.instances.find((candidate) => candidate.name === name);
    if (!instance) throw new Error(`no instance ${name}`);
    return instance;
  }

  async start(name: string): Promise<void> {
    const instance = this.instance(name);
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...instance.env,
      PORT: String(instance.port),
      HTTP_HOST: '127.0.0.1',
    };
    // Logs go to stdout, into the instance's file (not to a test run's LOG_FILE).
    delete env.LOG_FILE;
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', instance.app, 'src', 'main.js')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.processes.set(name, child);
    const deadline = Date.now() + READY_WITHIN_MS;
    let lastAnswer = 'no answer';
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} (see ${this.logDir})`);
      const ready = await fetch(`${this.url(name)}/health/ready`)
        .then(async (response) => {
          lastAnswer = `${response.status} ${await response.text()}`;
          return response.ok;
        })
        .catch((error: unknown) => {
          lastAnswer = (error as Error).message;
          return false;
        });
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    throw new Error(
      `${name} did not become ready within ${READY_WITHIN_MS / 1000} s; its readiness last answered ${lastAnswer.slice(0, 500)} (see ${this.logDir})`,
    );
  }

  async startAll(): Promise<void> {
    for (const { name } of this.instances) await this.start(name);
  }

  /** kill -9: no shutdown hook runs, nothing in flight is finished or committed. */
  async kill(name: string): Promise<void> {
    const child = this.processes.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async restart(name: string): Promise<void> {
    await this.start(name);
    this.restarts.set(name, (this.restarts.get(name) ?? 0) + 1);
  }

  /** Instances that exited on their own (not killed by the run). */
  crashed(): string[] {
    return [...this.processes.entries()]
      .filter(([, child]) => child.exitCode !== null && child.signalCode === null)
      .map(([name]) => name);
  }

  /** SIGTERM to every instance: each finishes its work, commits and disconnects. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.processes.values()].map((child) => stopChildProcess(child)));
  }
}
