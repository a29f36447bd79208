import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicTasks } from './periodic-tasks';

describe('PeriodicTasks', () => {
  const warnings: unknown[] = [];
  const logger = { warn: (...args: unknown[]) => warnings.push(args) };
  let registry: SchedulerRegistry;
  let tasks: PeriodicTasks;

  beforeEach(() => {
    jest.useFakeTimers();
    warnings.length = 0;
    registry = new SchedulerRegistry();
    tasks = new PeriodicTasks(registry, { logger } as never);
  });

  afterEach(async () => {
    await tasks.beforeApplicationShutdown();
    jest.useRealTimers();
  });

  /** A task whose runs end only when the test says so. */
  function controlledTask() {
    const ends: (() => void)[] = [];
    const task = jest.fn(() => new Promise<void>((resolve) => ends.push(resolve)));
    return { task, endRun: () => ends.shift()?.() };
  }

  it('runs every interval, in Nest’s scheduler registry, at once too when asked', async () => {
    const task = jest.fn(async () => undefined);
    tasks.every('gauges', 1_000, task, { immediate: true });
    expect(registry.getIntervals()).toEqual(['gauges']);
    expect(task).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(3_000);
    expect(task).toHaveBeenCalledTimes(4);
  });

  it('never starts a run while the last one is still going', async () => {
    const { task, endRun } = controlledTask();
    tasks.every('sweep', 100, task);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(task).toHaveBeenCalledTimes(1);
    endRun();
    await jest.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
    endRun();
  });

  it('logs a failed run with the task named, and runs it again at its next turn', async () => {
    const task = jest.fn().mockRejectedValueOnce(new Error('Postgres went away')).mockResolvedValue(undefined);
    tasks.every('purge', 100, task);
    await jest.advanceTimersByTimeAsync(100);
    expect(warnings).toEqual([
      [{ err: new Error('Postgres went away'), task: 'purge' }, 'periodic task failed; it runs again at its next turn'],
    ]);
    await jest.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('at shutdown waits for the run in flight, then starts none', async () => {
    const { task, endRun } = controlledTask();
    tasks.every('lag', 100, task);
    await jest.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = tasks.beforeApplicationShutdown().then(() => (stopped = true));
    expect(tasks.stopping).toBe(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    endRun();
    await stopping;
    expect(registry.getIntervals()).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(task).toHaveBeenCalledTimes(1);
  });
});
