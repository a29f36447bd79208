import { DataSource } from 'typeorm';

/**
 * Runs `work` while holding a Postgres session-level advisory lock on `key`, on a
 * connection of its own: whoever else asks for the same key (in this process or
 * another instance) waits until `work` ends. Not re-entrant across connections:
 * `work` must not ask for the same key again.
 */
export async function withAdvisoryLock<T>(dataSource: DataSource, key: string, work: () => Promise<T>): Promise<T> {
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
}
