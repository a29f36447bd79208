import { assertMigrated, createServiceDataSource, migrate } from '@hub/persistence';
import { dropSchema, testDatabaseUrl, uniqueName } from '@hub/testing';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** Four migrations that fail if run twice (a column added twice), as real ones do. */
const migrations = [1, 2, 3, 4].map((step) => {
  class Step implements MigrationInterface {
    name = `Step${step}${1700000000000 + step}`;
    async up(queryRunner: QueryRunner): Promise<void> {
      if (step === 1) await queryRunner.query('CREATE TABLE runs (id text PRIMARY KEY)');
      else await queryRunner.query(`ALTER TABLE runs ADD COLUMN c${step} integer`);
    }
    async down(queryRunner: QueryRunner): Promise<void> {
      if (step === 1) await queryRunner.query('DROP TABLE runs');
      else await queryRunner.query(`ALTER TABLE runs DROP COLUMN c${step}`);
    }
  }
  Object.defineProperty(Step, 'name', { value: `Step${step}${1700000000000 + step}` });
  return Step;
});

/** Replicas that start together (a rollout, a scale-up) migrate one at a time. */
describe('migrations of replicas starting together', () => {
  const schema = uniqueName('migrate_race');

  afterAll(() => dropSchema(schema));

  it('applies each migration once: one replica applies, the others find nothing to do', async () => {
    const replicas = [0, 1, 2, 3].map(() =>
      createServiceDataSource({ url: testDatabaseUrl(), schema, migrations, applicationName: 'migrate-race' }),
    );
    try {
      const applied = await Promise.all(replicas.map((replica) => migrate(replica)));
      expect(applied.filter((names) => names.length === 4)).toHaveLength(1);
      expect(applied.filter((names) => names.length === 0)).toHaveLength(3);
    } finally {
      await Promise.all(replicas.map((replica) => replica.destroy()));
    }
  });
});

/** Services started with DATABASE_MIGRATE=false leave migrating to a Job, and refuse a schema behind. */
describe('a service that does not migrate', () => {
  const schema = uniqueName('migrate_job');

  afterAll(() => dropSchema(schema));

  it('refuses a missing or outdated schema, naming the Job to run, and starts on a migrated one', async () => {
    const service = () =>
      createServiceDataSource({ url: testDatabaseUrl(), schema, migrations, applicationName: 'no-migrate' });
    const first = service();
    try {
      await expect(assertMigrated(first)).rejects.toThrow(/has pending migrations.*run the migration Job/);
    } finally {
      await first.destroy();
    }
    const job = createServiceDataSource({
      url: testDatabaseUrl(),
      schema,
      migrations: migrations.slice(0, 2),
      applicationName: 'migration-job',
    });
    await migrate(job).finally(() => job.destroy());
    const behind = service();
    try {
      await expect(assertMigrated(behind)).rejects.toThrow(`schema "${schema}" has pending migrations`);
      await migrate(behind);
      await expect(assertMigrated(behind)).resolves.toBeUndefined();
    } finally {
      await behind.destroy();
    }
  });
});
