import type { TopicName } from '@hub/contracts';
import { KafkaInfrastructure } from '@hub/kafka';
import { Client } from 'pg';
import { dropSchema } from './fixtures';
import { uniqueName } from './names';
import { testDatabaseUrl, testKafkaSettings, testLogger } from './settings';

/** Jest's hooks, read where a testbed is made (this library is also compiled outside Jest, for the chaos run's tools). */
interface JestHooks {
  beforeAll: (run: () => Promise<unknown>) => void;
  afterAll: (run: () => Promise<unknown>) => void;
}

/** Anything a test starts and must stop: a service, an emulator, a client. */
interface Closable {
  close(): Promise<unknown>;
}

/**
 * What an int-spec's describe block stands on, made once instead of in every file:
 * its own topic prefix (so blocks sharing the broker never see each other's
 * messages), a Postgres schema name, the broker's topics connected before the block
 * and closed after it, and whatever the block starts (services, emulators) closed
 * after it, last registered first, before the schema is dropped. (Jest runs a block's
 * afterAll hooks in the order they were declared: register clean-up with
 * {@link closeAfter}, not with an afterAll of its own, so it runs before this one's.)
 */
export function testbed(name: string, options: { topics?: readonly TopicName[] } = {}) {
  const prefix = uniqueName(name);
  const settings = testKafkaSettings(prefix);
  const kafka = new KafkaInfrastructure(settings, testLogger(), {});
  const schema = uniqueName(`${name}_db`);
  /** The block's schemas: its own, and one per service where several run (schemaFor). */
  const schemas = [schema];
  const closing: Closable[] = [];
  const { beforeAll, afterAll } = globalThis as unknown as JestHooks;

  beforeAll(() => kafka.connect(options.topics ?? []));
  afterAll(async () => {
    for (const thing of closing.splice(0).reverse()) await thing.close();
    await kafka.close();
    for (const each of schemas) await dropSchema(each);
  });

  return {
    prefix,
    settings,
    kafka,
    schema,
    /** The environment a service of this block starts with: its topics' prefix and its schema, plus `more`. */
    env: (more: Record<string, string> = {}): Record<string, string> => ({
      KAFKA_TOPIC_PREFIX: `${prefix}.`,
      DATABASE_SCHEMA: schema,
      ...more,
    }),
    /** A schema of the block's for one of several services (`<schema>_<part>`), dropped after the block. */
    schemaFor: (part: string): string => {
      const named = `${schema}_${part}`;
      schemas.push(named);
      return named;
    },
    /** A Postgres client for the block's own queries: connected before the block, ended after it. */
    postgres: (): Client => {
      const client = new Client({ connectionString: testDatabaseUrl() });
      beforeAll(() => client.connect());
      closing.push({ close: () => client.end() });
      return client;
    },
    /** Closes `thing` after the block (before the topics' client and the schema go). */
    closeAfter: <T extends Closable>(thing: T): T => {
      closing.push(thing);
      return thing;
    },
  };
}
