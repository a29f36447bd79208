import { ConcurrencyLimit } from '@hub/kafka';
import { DataSource } from 'typeorm';

/**
 * Lock holders (and waiters) of each data source: at most half its pool. A holder
 * keeps its connection while `work` runs, and `work` needs connections of its own:
 * with every connection of the pool held by a lock, `work` would wait for a
 * connection forever (the chaos run found an enricher's ten connections so, each
 * holding a release lock, the enricher stalled).
 */
const lockSlots = new WeakMap<DataSource, ConcurrencyLimit>();

function slotsOf(dataSource: DataSource): ConcurrencyLimit {
  let slots = lockSlots.get(dataSource);
  if (!slots) {
    const pool = (dataSource.options.extra as { max?: number } | undefined)?.max ?? 10;
    slots = new ConcurrencyLimit(Math.max(1, Math.floor(pool / 2)));
    lockSlots.set(dataSource, slots);
  }
  return slots;
}

/**
 * Runs `work` while holding a Postgres session-level advisory lock on `key`, on a
 * connection of its own: whoever else asks for the same key (in this process or
 * another instance) waits until `work` ends. Not re-entrant across connections:
 * `work` must not ask for the same key again, nor any advisory lock of this function.
 * At most half the pool's connections are used for locks; the other half serves `work`.
 */
export async function withAdvisoryLock<T>(dataSource: DataSource, key: string, work: () => Promise<T>): Promise<T> {
  return slotsOf(dataSource).run(async () => {
    const runner = dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [key]);
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [key]);
      }
    } finally {
      await runner.release();
    }
  });
}

/**
 * Runs `work` with `acquired` true while holding a session-level advisory lock on
 * `key` in the connection's schema (deployments sharing a database keep theirs), or
 * with `acquired` false at once when another session holds it: a job one replica of
 * many should run (the reconciler's daily schedule) never waits for it.
 */
export async function withAdvisoryLockIfFree<T>(
  dataSource: DataSource,
  key: string,
  work: (acquired: boolean) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    const [{ acquired }] = (await runner.query(
      `SELECT pg_try_advisory_lock(hashtext($1 || current_schema())) AS acquired`,
      [key],
    )) as { acquired: boolean }[];
    try {
      return await work(acquired);
    } finally {
      if (acquired) await runner.query(`SELECT pg_advisory_unlock(hashtext($1 || current_schema()))`, [key]);
    }
  } finally {
    await runner.release();
  }
}
