import { addDays, businessDateOf } from '@hub/reconciliation';
import { waitFor } from '@hub/testing';
import { ReconcilerScheduler } from '../src/scheduling/reconciler.scheduler';
import { reconcilerTestbed } from './reconciler-testbed';

/**
 * The reconciler as an operator runs it: two replicas during a rollout, days
 * missed while it was down, a restart. One scheduled run per day across
 * replicas, missed days caught up, and the parity gauges back from Postgres
 * before any new run.
 */
describe('reconciler schedule across replicas and restarts', () => {
  const bed = reconcilerTestbed('recon_sched', {
    newStore: { day: { tenant: 'acme', date: '2024-01-02', orders: 10, seed: 3 } },
    env: {
      RECONCILER_SCHEDULE_ENABLED: 'true',
      RECONCILER_DAILY_AT: '00:00',
      RECONCILER_CATCH_UP_DAYS: '3',
      // Counted per day below; the rechecks after a scheduled run have a unit spec of their own.
      RECONCILER_RECHECK_DAYS: '0',
      RECONCILER_RETRY_BASE_MS: '50',
    },
  });
  const { schema } = bed;
  const database = bed.postgres();

  const runs = async () =>
    (
      await database.query<{ business_date: string; trigger: string; status: string }>(
        `SELECT to_char(business_date, 'YYYY-MM-DD') AS business_date, trigger, status FROM "${schema}".reconciliation_runs ORDER BY id`,
      )
    ).rows;

  it('catches up the missed days once across two replicas, and a restarted one shows their parity at once', async () => {
    await Promise.all([bed.start(), bed.start()]);
    const yesterday = addDays(businessDateOf(new Date(), 'UTC'), -1);
    const days = [addDays(yesterday, -2), addDays(yesterday, -1), yesterday];
    const caughtUp = await waitFor(
      async () => {
        const rows = await runs();
        return days.every((day) => rows.some((row) => row.business_date === day && row.status === 'succeeded')) && rows;
      },
      { what: 'the three missed days reconciled', timeoutMs: 60_000 },
    );
    // One scheduled run per day, whichever replica ran it.
    const missed = caughtUp.filter((row) => days.includes(row.business_date));
    expect(missed.map((row) => row.business_date).sort()).toEqual(days);
    expect(missed.every((row) => row.trigger === 'catch-up')).toBe(true);

    await bed.stop();
    const restarted = await bed.start();
    const metrics = await (await fetch(`${restarted.url}/metrics`)).text();
    for (const day of days) {
      expect(metrics).toContain(
        `parity_reconciliation_parity_ratio{tenant="acme",business_date="${day}",service="reconciler"} 1`,
      );
      expect(metrics).toContain(
        `parity_reconciliation_day_known{tenant="acme",business_date="${day}",service="reconciler"} 1`,
      );
    }
    // Nothing was missed since: the restart ran none of those days again. A
    // run that straddles midnight UTC sees one more day fall due (the 00:00
    // schedule's own run), which is right, so the check is per day, not a count.
    // The restarted replica's catch-up has finished: what it ran, if anything, is in the table.
    await restarted.app.get(ReconcilerScheduler, { strict: false }).settled();
    const after = await runs();
    expect(after.filter((row) => days.includes(row.business_date))).toHaveLength(3);
    const dates = after.map((row) => row.business_date);
    expect(new Set(dates).size).toBe(dates.length);
    expect(dates.filter((date) => !days.includes(date))).toEqual(
      dates.length > 3 ? [addDays(businessDateOf(new Date(), 'UTC'), -1)] : [],
    );
  });
});
