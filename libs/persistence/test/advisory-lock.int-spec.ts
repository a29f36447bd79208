import { createServiceDataSource, withAdvisoryLock, withAdvisoryLockIfFree } from '@hub/persistence';
import { testDatabaseUrl, uniqueName } from '@hub/testing';

/**
 * Many orders released at once, each under its own lock, each release querying the
 * database: more releases than the pool has connections. None may wait forever for
 * a connection that another lock holder keeps (the chaos run's stalled enricher).
 */
describe('withAdvisoryLock under more callers than the pool has connections', () => {
  const dataSource = createServiceDataSource({ url: testDatabaseUrl(), schema: 'public', poolSize: 4 });

  beforeAll(() => dataSource.initialize());
  afterAll(() => dataSource.destroy());

  it('finishes every locked work that needs connections of its own, and keeps one key to one holder at a time', async () => {
    const holding = new Map<string, number>();
    let overlap = false;
    const releases = Array.from({ length: 24 }, (_, index) => {
      const key = `advisory-lock-spec:${index % 8}`;
      return withAdvisoryLock(dataSource, key, async () => {
        holding.set(key, (holding.get(key) ?? 0) + 1);
        if (holding.get(key)! > 1) overlap = true;
        // The work needs the pool: two queries at once, as a release reads and writes.
        await Promise.all([dataSource.query('SELECT pg_sleep(0.02)'), dataSource.query('SELECT 1')]);
        holding.set(key, holding.get(key)! - 1);
        return index;
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('locked work stalled: the pool is held by lock holders')), 20_000);
    });
    try {
      expect(await Promise.race([Promise.all(releases), stalled])).toEqual(Array.from({ length: 24 }, (_, i) => i));
    } finally {
      clearTimeout(timer);
    }
    expect(overlap).toBe(false);
  });
});

describe('withAdvisoryLockIfFree: one replica of many runs a job', () => {
  const first = createServiceDataSource({ url: testDatabaseUrl(), schema: 'public', poolSize: 2 });
  const second = createServiceDataSource({ url: testDatabaseUrl(), schema: 'public', poolSize: 2 });
  const otherSchema = uniqueName('lock_schema');
  const elsewhere = createServiceDataSource({ url: testDatabaseUrl(), schema: otherSchema, poolSize: 2 });

  beforeAll(async () => {
    await Promise.all([first.initialize(), second.initialize()]);
    await first.query(`CREATE SCHEMA IF NOT EXISTS "${otherSchema}"`);
    await elsewhere.initialize();
  });
  afterAll(async () => {
    await first.query(`DROP SCHEMA IF EXISTS "${otherSchema}" CASCADE`);
    await Promise.all([first.destroy(), second.destroy(), elsewhere.destroy()]);
  });

  it('lets the second replica of a schema go on at once without the lock, another schema take its own, and frees it after', async () => {
    const key = `${uniqueName('schedule')}:`;
    const seen: Record<string, boolean> = {};
    await withAdvisoryLockIfFree(first, key, async (acquired) => {
      seen.first = acquired;
      await withAdvisoryLockIfFree(second, key, async (other) => {
        seen.second = other;
      });
      await withAdvisoryLockIfFree(elsewhere, key, async (other) => {
        seen.elsewhere = other;
      });
    });
    await withAdvisoryLockIfFree(second, key, async (acquired) => {
      seen.afterwards = acquired;
    });
    expect(seen).toEqual({ first: true, second: false, elsewhere: true, afterwards: true });
  });

  it('frees the lock when the work fails', async () => {
    const key = `${uniqueName('failing')}:`;
    await expect(
      withAdvisoryLockIfFree(first, key, async () => {
        throw new Error('run failed');
      }),
    ).rejects.toThrow('run failed');
    expect(await withAdvisoryLockIfFree(second, key, async (acquired) => acquired)).toBe(true);
  });
});
