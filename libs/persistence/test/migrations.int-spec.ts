import { createServiceDataSource, migrate, revertLastMigration } from '@hub/persistence';
import { testDatabaseUrl, uniqueName } from '@hub/testing';
import { MigrationInterface, QueryRunner } from 'typeorm';

class CreateWidgets1700000000000 implements MigrationInterface {
  name = 'CreateWidgets1700000000000';
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('CREATE TABLE widgets (id text PRIMARY KEY)');
  }
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE widgets');
  }
}

describe('migrations against a real Postgres', () => {
  const schema = uniqueName('migrations');
  const dataSource = createServiceDataSource({
    url: testDatabaseUrl(),
    schema,
    migrations: [CreateWidgets1700000000000],
  });

  afterAll(async () => {
    await dataSource.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dataSource.destroy();
  });

  it('apply on an empty schema, are a no-op the second time, and revert', async () => {
    expect(await migrate(dataSource)).toEqual(['CreateWidgets1700000000000']);
    const tables: { table_name: string }[] = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
      [schema],
    );
    expect(tables.map((row) => row.table_name)).toEqual(['migrations', 'widgets']);
    expect(await migrate(dataSource)).toEqual([]);
    await revertLastMigration(dataSource);
    const after: { n: number }[] = await dataSource.query(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'widgets'`,
      [schema],
    );
    expect(after[0].n).toBe(0);
  });
});
