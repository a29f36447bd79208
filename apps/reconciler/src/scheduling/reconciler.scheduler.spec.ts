import type { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerScheduler } from './reconciler.scheduler';

/** The scheduler with its collaborators faked: the runs it asks for, in order, and what the lock lets through. */
function scheduler(options: { recheckDays: number; lockFree?: boolean; doneBefore?: boolean; failing?: string }) {
  const runs: [string, string, string][] = [];
  const errors: unknown[] = [];
  const reconciliation = {
    run: async (tenant: string, day: string, trigger: string) => {
      runs.push([tenant, day, trigger]);
      if (day === options.failing) throw new Error('NewStore answered 503');
      return {};
    },
  };
  const repository = {
    whileScheduling: async (work: (acquired: boolean) => Promise<void>) => work(options.lockFree ?? true),
    hasScheduledSuccess: async () => options.doneBefore ?? false,
  };
  const runtime = { logger: { info: () => undefined, error: (entry: unknown) => errors.push(entry) } };
  const config = { RECONCILER_RECHECK_DAYS: options.recheckDays } as ReconcilerConfig;
  const instance = new ReconcilerScheduler(
    config,
    runtime as never,
    {} as never,
    {} as never,
    repository as never,
    reconciliation as never,
    {} as never,
    {} as never,
    {} as never,
  );
  return { instance, runs, errors };
}

describe('ReconcilerScheduler: the daily run and its rechecks', () => {
  it('reconciles the days before a scheduled day again, oldest first, after the day itself', async () => {
    const { instance, runs } = scheduler({ recheckDays: 3 });
    await instance.runScheduled('acme', '2026-12-03', 'schedule');
    expect(runs).toEqual([
      ['acme', '2026-12-03', 'schedule'],
      ['acme', '2026-11-30', 'recheck'],
      ['acme', '2026-12-01', 'recheck'],
      ['acme', '2026-12-02', 'recheck'],
    ]);
  });

  it('rechecks nothing after a catch-up, when turned off, or when another replica holds the schedule or ran the day', async () => {
    for (const [options, trigger] of [
      [{ recheckDays: 3 }, 'catch-up'],
      [{ recheckDays: 0 }, 'schedule'],
      [{ recheckDays: 3, lockFree: false }, 'schedule'],
      [{ recheckDays: 3, doneBefore: true }, 'schedule'],
    ] as const) {
      const { instance, runs } = scheduler(options);
      await instance.runScheduled('acme', '2026-12-03', trigger);
      expect(runs.filter((run) => run[2] === 'recheck')).toEqual([]);
    }
  });

  it('goes on with the next day when a recheck fails, and logs the failure', async () => {
    const { instance, runs, errors } = scheduler({ recheckDays: 2, failing: '2026-12-01' });
    await instance.runScheduled('acme', '2026-12-03', 'schedule');
    expect(runs.map((run) => run[1])).toEqual(['2026-12-03', '2026-12-01', '2026-12-02']);
    expect(errors).toEqual([expect.objectContaining({ tenant: 'acme', businessDate: '2026-12-01' })]);
  });
});
