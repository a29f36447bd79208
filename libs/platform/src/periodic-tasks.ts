import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { ServiceRuntime } from './service-runtime';

export interface PeriodicTaskOptions {
  /** Run once at once as well, not only after the first interval. */
  immediate?: boolean;
}

/**
 * A service's recurring work (gauge refreshes, sweeps, purges, polls) as intervals in
 * Nest's {@link SchedulerRegistry}, each with what every such job needs and the
 * services used to write by hand: never two runs of one task at once (a tick while
 * the last run is still going is skipped), a failure logged and the task run again at
 * its next turn, and at shutdown no new run, the runs in flight finished before the
 * consumers stop and Kafka and Postgres close.
 */
@Injectable()
export class PeriodicTasks implements BeforeApplicationShutdown {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly names = new Set<string>();
  private stopped = false;

  constructor(
    @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry,
    @Inject(ServiceRuntime) private readonly runtime: Pick<ServiceRuntime, 'logger'>,
  ) {}

  /** Runs `task` every `everyMs` ms under `name` (unique in the service). */
  every(name: string, everyMs: number, task: () => Promise<unknown>, options: PeriodicTaskOptions = {}): void {
    if (this.stopped) return;
    this.names.add(name);
    this.registry.addInterval(
      name,
      setInterval(() => void this.run(name, task), everyMs),
    );
    if (options.immediate) void this.run(name, task);
  }

  /**
   * Runs the task now unless its last run is still going (then resolves when that one
   * ends). Resolves, never rejects: a failure is logged.
   */
  run(name: string, task: () => Promise<unknown>): Promise<void> {
    const running = this.inFlight.get(name);
    if (running) return running;
    if (this.stopped) return Promise.resolve();
    const started = task()
      .then(
        () => undefined,
        (error: unknown) =>
          this.runtime.logger.warn({ err: error, task: name }, 'periodic task failed; it runs again at its next turn'),
      )
      .finally(() => this.inFlight.delete(name));
    this.inFlight.set(name, started);
    return started;
  }

  /** True once the service is shutting down: a long task stops between its steps. */
  get stopping(): boolean {
    return this.stopped;
  }

  /** No new run; the runs in flight finish (before the consumers stop, Kafka and Postgres close). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const name of this.names) if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
    await Promise.all(this.inFlight.values());
  }
}
