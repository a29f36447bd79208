import type { Client } from 'pg';
import type { ChaosCluster } from './cluster';
import type { Fleet } from './fleet';
import type { FiredFault } from './report';
import type { Fault } from './schedule';
import type { Workload } from './workload';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface FaultTargets {
  fleet: Fleet;
  cluster: ChaosCluster;
  brokers: string[];
  /** The run's topic prefix: the busiest leader is the broker leading most of its partitions. */
  prefix: string;
  /** Postgres, where the run cuts the connections whose application name starts with `applicationPrefix`. */
  database: Client;
  applicationPrefix: string;
  workload: Workload;
  erpOutageSeconds: number;
  /** Draws the broker a restart stops. */
  random: () => number;
  log: (line: string) => void;
}

/**
 * Carries out a fault schedule against the running hub: each fault at its time after
 * the push started, its outcome recorded. A killed instance comes back 3 s later while
 * the schedule goes on (its time to be ready again is its outcome); brokers take turns.
 */
export class FaultInjector {
  readonly fired: FiredFault[] = [];
  private readonly restarts: Promise<void>[] = [];
  private pushStarted = 0;

  constructor(private readonly targets: FaultTargets) {}

  /** Fires the schedule from `pushStarted` on; returns once every fault is done and every killed instance is back. */
  async run(schedule: Fault[], pushStarted: number): Promise<FiredFault[]> {
    this.pushStarted = pushStarted;
    for (const fault of schedule) {
      const wait = pushStarted + fault.atMs - Date.now();
      if (wait > 0) await sleep(wait);
      const fired: FiredFault = { ...fault, firedAtMs: Date.now() - pushStarted, outcome: 'under way' };
      this.fired.push(fired);
      fired.outcome = await this.fire(fired).catch((error: unknown) => `failed: ${(error as Error).message}`);
      this.targets.log(
        `  +${(fired.firedAtMs / 1000).toFixed(1)} s  ${fault.kind}${fault.target ? ` ${fault.target}` : ''}: ${fired.outcome}`,
      );
    }
    await Promise.all(this.restarts);
    return this.fired;
  }

  /** Restarts survived: the instances started again after a kill, and the brokers' and registry's restarts. */
  get restartsSurvived(): number {
    return (
      [...this.targets.fleet.restarts.values()].reduce((sum, count) => sum + count, 0) +
      this.fired.filter((fault) => fault.kind.startsWith('broker') || fault.kind === 'registry-restart').length
    );
  }

  private async fire(fault: FiredFault): Promise<string> {
    const { fleet, cluster } = this.targets;
    switch (fault.kind) {
      case 'kill-service':
      case 'kill-partner':
        await fleet.kill(fault.target!);
        this.restarts.push(this.restartLater(fault));
        return 'killed; restart in 3 s';
      case 'broker-restart': {
        const node = 1 + Math.floor(this.targets.random() * cluster.nodes);
        await cluster.stopBroker(node);
        await sleep(5_000);
        await cluster.startBroker(node);
        return `node ${node} stopped and started`;
      }
      case 'broker-kill-leader': {
        const node = await cluster.busiestLeader(this.targets.brokers, this.targets.prefix);
        await cluster.killBroker(node);
        await sleep(15_000);
        await cluster.startBroker(node);
        return `node ${node} killed, started again`;
      }
      case 'registry-restart':
        await cluster.restartRegistry();
        return 'stopped and started';
      case 'postgres-cut': {
        const result = await this.targets.database.query(
          `SELECT count(pg_terminate_backend(pid))::int AS cut FROM pg_stat_activity WHERE application_name LIKE $1`,
          [`${this.targets.applicationPrefix}-%`],
        );
        return `${(result.rows[0] as { cut: number }).cut} connections terminated`;
      }
      case 'erp-outage':
        this.targets.workload.erpOutage(this.targets.erpOutageSeconds);
        return `until +${this.targets.erpOutageSeconds} s`;
    }
  }

  /** The killed instance started again 3 s after its kill; its outcome says when it was ready, or why never. */
  private async restartLater(fault: FiredFault): Promise<void> {
    await sleep(3_000);
    try {
      await this.targets.fleet.restart(fault.target!);
      const after = `${((Date.now() - this.pushStarted - fault.firedAtMs) / 1000).toFixed(1)} s after its kill`;
      fault.outcome = `killed; ready again ${after}`;
      this.targets.log(`  ${fault.target} ready again ${after}`);
    } catch (error) {
      fault.outcome = `failed: ${(error as Error).message}`;
    }
  }
}
