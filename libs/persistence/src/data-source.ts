import { withAdvisoryLock } from './advisory-lock';
import { DataSource, MixedList, EntitySchema } from 'typeorm';

export interface ServiceDataSourceOptions {
  url: string;
  /** The service's own Postgres schema; every table of the service lives in it. */
  schema: string;
  // TypeORM's own signature for entity and migration lists.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations?: MixedList<Function | string>;
  poolSize?: number;
  applicationName?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A TypeORM data source confined to one service's schema. synchronize is off:
 * the schema changes only through migrations.
 */
export function createServiceDataSource(options: ServiceDataSourceOptions): DataSource {
  if (!SCHEMA_NAME.test(options.schema)) {
    throw new Error(`Invalid Postgres schema name "${options.schema}": lower-case letters, digits and _ only`);
  }
  return new DataSource({
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: options.entities ?? [],
    migrations: options.migrations ?? [],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    applicationName: options.applicationName,
    // Unqualified names in migrations and queries resolve to the service's schema.
    extra: { max: options.poolSize ?? 10, options: `-c search_path=${options.schema}` },
  });
}

/**
 * Creates the schema if needed and applies pending migrations. Returns the names
 * of the migrations applied: empty when the database was already up to date.
 * Replicas starting together (a rollout, a scaled deployment) migrate one at a
 * time, under an advisory lock per schema: the next finds nothing left to do.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const schema = (dataSource.options as { schema?: string }).schema;
  if (!dataSource.isInitialized) await dataSource.initialize();
  return withAdvisoryLock(dataSource, `migrate:${schema ?? 'public'}`, async () => {
    if (schema) await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}

/**
 * For services that do not migrate (a migration Job does): fails, naming what to
 * run, when the schema has migrations pending.
 */
export async function assertMigrated(dataSource: DataSource): Promise<void> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const schema = (dataSource.options as { schema?: string }).schema ?? 'public';
  const exists = await dataSource.query<unknown[]>('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
    schema,
  ]);
  if (exists.length === 0 || (await dataSource.showMigrations()))
    throw new Error(
      `schema "${schema}" has pending migrations and DATABASE_MIGRATE=false: run the migration Job (main.js migrate) first`,
    );
}

/** Reverts the last applied migration; used to prove migrations are reversible. */
export async function revertLastMigration(dataSource: DataSource): Promise<void> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  await dataSource.undoLastMigration({ transaction: 'each' });
}

/** Readiness probe: the database answers a trivial query. */
export async function databaseAnswers(dataSource: DataSource): Promise<boolean> {
  if (!dataSource.isInitialized) return false;
  await dataSource.query('SELECT 1');
  return true;
}
