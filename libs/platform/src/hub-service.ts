import {
  ConfigOf,
  ConfigProblem,
  ConfigRule,
  databaseEnv,
  describeConfig,
  env,
  EnvShape,
  kafkaEnv,
  loadConfig,
  serviceEnv,
} from '@hub/config';
import { TopicName } from '@hub/contracts';
import { HubProducer, KafkaInfrastructure } from '@hub/kafka';
import { assertMigrated, createServiceDataSource, databaseAnswers, migrate } from '@hub/persistence';
import { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { bootstrapService, createCommandContext, runMain } from './bootstrap';
import { HubRootModule, HubServiceConnections } from './platform.module';
import { ServiceRuntime } from './service-runtime';

export const commonEnv = { ...serviceEnv, ...kafkaEnv };
export type CommonConfig = ConfigOf<typeof commonEnv>;

export interface HubServiceDefinition<S extends EnvShape> {
  service: string;
  /** The service's own variables; the common service and Kafka variables are added. */
  env: S;
  defaultPort: number;
  topics: readonly TopicName[];
  database?: {
    schema: string;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    migrations: Function[];
    // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
    entities?: Function[];
  };
  /**
   * The app's Nest module: its controllers (HTTP and `@EventPattern` Kafka handlers)
   * and providers, which inject the config, runtime, Kafka and DataSource that
   * {@link PlatformModule} provides. A function when the module's shape depends on
   * the config (ingest's route path).
   */
  module: Type<unknown> | ((config: ConfigOf<S> & HubServiceBaseConfig) => DynamicModule);
  /** Rules across the service's variables, checked with the rest of its configuration before anything connects. */
  rules?: ConfigRule<ConfigOf<S> & HubServiceBaseConfig>[];
  /** Largest request body, read from the validated config. */
  bodyLimitFromConfig?: (config: HubServiceBaseConfig) => number;
  /**
   * Commands besides `serve` and `migrate` (e.g. `replay-dlq`): their arguments are
   * checked before the configuration is read or anything connects; then each runs
   * inside the app's Nest context (the same providers as when serving; no schedule,
   * no consumer unless the command starts one), and the process exits.
   */
  commands?: Record<string, HubCommand<ConfigOf<S> & HubServiceBaseConfig>>;
  /** false: the service parses bodies itself (ingest keeps the raw bytes). */
  bodyParser?: boolean;
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

export interface HubCommandContext<C> extends HubServiceConnections<C> {
  /** The app's providers: `app.get(ReconcilerService)`. */
  app: INestApplicationContext;
}

/**
 * One command of a service, in a file of its own: its usage (what `--help` prints),
 * its arguments read and checked by {@link parse} before anything connects (a wrong
 * flag fails at once, naming what the command takes), and what it does with them.
 */
export interface HubCommand<C, O = unknown> {
  /** Synopsis and what it does, e.g. `replay-dlq [--order ID]... [--dry-run]\n    puts ... back`. */
  usage: string;
  /** The arguments after the command's name, checked; throws a message a person can act on. */
  parse(args: string[]): O;
  /** Runs with the service's connections and what {@link parse} returned. */
  run(context: HubCommandContext<C>, options: O): Promise<void>;
}

/** A command, typed by what its arguments parse to (the record of a service's commands holds any). */
export function hubCommand<C, O>(command: HubCommand<C, O>): HubCommand<C> {
  return command;
}

export type HubServiceBaseConfig = CommonConfig & { PORT: number } & Partial<ConfigOf<typeof databaseEnv>> & {
    DATABASE_SCHEMA?: string;
  };

/** The full environment shape of a service, so tests and docs can validate it without starting anything. */
export function serviceEnvShape<S extends EnvShape>(
  definition: Pick<HubServiceDefinition<S>, 'env' | 'defaultPort' | 'database'>,
) {
  return {
    ...commonEnv,
    ...(definition.database ? { ...databaseEnv, DATABASE_SCHEMA: env.string(definition.database.schema) } : {}),
    PORT: env.port(definition.defaultPort),
    ...definition.env,
  };
}

/**
 * The start-up sequence every service follows: validate config (nothing has
 * connected yet), create logger and metrics, connect Kafka and create or verify
 * its topics, connect Postgres and migrate its schema, then serve HTTP.
 */
export async function startHubService<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  source: NodeJS.ProcessEnv = process.env,
  options: { installSignalHandlers?: boolean } = {},
): Promise<NestFastifyApplication> {
  const { config, runtime } = prepare(definition, source);
  try {
    return await startWith(definition, config, runtime, source, options);
  } catch (error) {
    // A start that fails half-way (a check at bootstrap, a port in use) closes what it had
    // opened (Kafka, Postgres), so nothing keeps the process alive behind the error.
    await runtime.shutdown().catch(() => undefined);
    throw error;
  }
}

function prepare<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  source: NodeJS.ProcessEnv,
  mode: 'serve' | 'command' = 'serve',
) {
  const shape = serviceEnvShape(definition);
  // The merged shape's type is the service's config; TypeScript cannot prove it for every S.
  const config = loadConfig(
    definition.service,
    shape,
    source,
    serviceConfigRules(definition),
  ) as unknown as ConfigOf<S> & HubServiceBaseConfig;
  const runtime = new ServiceRuntime({
    service: definition.service,
    logLevel: config.LOG_LEVEL,
    logFormat: config.LOG_FORMAT,
    logFile: config.LOG_FILE,
    mode,
    env: source,
    tracing: { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, scheduledDelayMs: config.OTEL_BSP_SCHEDULE_DELAY },
  });
  runtime.logger.info({ config: describeConfig(shape, config as never) }, 'configuration valid');
  return { config, runtime };
}

/** Every rule a service's configuration must pass at start-up: the ones all services share, then its own. */
export function serviceConfigRules<S extends EnvShape>(definition: HubServiceDefinition<S>): ConfigRule<unknown>[] {
  return [logFormatAvailable, registryAuth, ...((definition.rules ?? []) as ConfigRule<unknown>[])];
}

/**
 * The schema registry's basic auth needs both halves: a password without a user name
 * would be dropped without a word (no authentication sent), and a user name without a
 * password sends none either. In production the registry is reached over https only:
 * its credentials and every schema would otherwise cross the network in clear.
 */
const registryAuth: ConfigRule<unknown> = (config) => {
  const { SCHEMA_REGISTRY_URL, SCHEMA_REGISTRY_USERNAME, SCHEMA_REGISTRY_PASSWORD, NODE_ENV } = config as {
    SCHEMA_REGISTRY_URL?: string;
    SCHEMA_REGISTRY_USERNAME?: string;
    SCHEMA_REGISTRY_PASSWORD?: string;
    NODE_ENV?: string;
  };
  const problems: ConfigProblem[] = [];
  if (SCHEMA_REGISTRY_PASSWORD && !SCHEMA_REGISTRY_USERNAME)
    problems.push({
      variable: 'SCHEMA_REGISTRY_USERNAME',
      message: 'must be set with SCHEMA_REGISTRY_PASSWORD: basic auth needs both, the password alone is never sent',
    });
  if (SCHEMA_REGISTRY_USERNAME && !SCHEMA_REGISTRY_PASSWORD)
    problems.push({
      variable: 'SCHEMA_REGISTRY_PASSWORD',
      message: 'must be set with SCHEMA_REGISTRY_USERNAME: basic auth needs both, the user name alone is never sent',
    });
  if (NODE_ENV === 'production' && SCHEMA_REGISTRY_URL && !SCHEMA_REGISTRY_URL.startsWith('https://'))
    problems.push({
      variable: 'SCHEMA_REGISTRY_URL',
      message: 'must be https:// with NODE_ENV=production: credentials and schemas would cross the network in clear',
    });
  return problems;
};

/**
 * LOG_FORMAT=pretty needs pino-pretty, a development dependency that the production
 * image leaves out: refused there with a clear message rather than a crash at the
 * first log line.
 */
const logFormatAvailable: ConfigRule<unknown> = (config) => {
  if ((config as { LOG_FORMAT?: string }).LOG_FORMAT !== 'pretty') return [];
  try {
    require.resolve('pino-pretty');
    return [];
  } catch {
    return [
      {
        variable: 'LOG_FORMAT',
        message: 'pretty needs pino-pretty, which this install lacks (a production image): use json',
      },
    ];
  }
};

/** Kafka (topics created or verified) and, when declared, Postgres (migrated); both closed on shutdown. */
async function connectDependencies<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  config: ConfigOf<S> & HubServiceBaseConfig,
  runtime: ServiceRuntime,
  source: NodeJS.ProcessEnv,
): Promise<{ kafka: KafkaInfrastructure; dataSource?: DataSource }> {
  const kafka = new KafkaInfrastructure(config, runtime.logger.child({ context: 'kafka' }), source);
  countResends(kafka.producer, runtime);
  await kafka.connect(definition.topics);
  runtime.onShutdown('kafka', () => kafka.close());
  runtime.addReadinessCheck(kafka.readinessCheck());
  if (!definition.database) return { kafka };
  const dataSource = createServiceDataSource({
    url: config.DATABASE_URL ?? '',
    schema: config.DATABASE_SCHEMA ?? definition.database.schema,
    migrations: definition.database.migrations,
    entities: definition.database.entities,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName: config.DATABASE_APPLICATION_NAME ?? definition.service,
  });
  runtime.onShutdown('postgres', () => dataSource.destroy());
  if (config.DATABASE_MIGRATE === false) await assertMigrated(dataSource);
  else {
    const applied = await migrate(dataSource);
    runtime.logger.info({ schema: config.DATABASE_SCHEMA, applied }, 'database schema up to date');
  }
  runtime.addReadinessCheck({ name: 'postgres', check: () => databaseAnswers(dataSource) });
  return { kafka, dataSource };
}

async function startWith<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  config: ConfigOf<S> & HubServiceBaseConfig,
  runtime: ServiceRuntime,
  source: NodeJS.ProcessEnv,
  options: { installSignalHandlers?: boolean },
): Promise<NestFastifyApplication> {
  const app = await bootstrapService({
    runtime,
    module: rootModule(definition, config, runtime, source),
    host: config.HTTP_HOST,
    port: config.PORT,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    bodyLimit: definition.bodyLimitFromConfig?.(config),
    bodyParser: definition.bodyParser,
    installSignalHandlers: options.installSignalHandlers,
    configure: definition.configure,
  });
  if (config.METRICS_PORT === undefined) return app;
  try {
    await serveMetrics(runtime, config.HTTP_HOST, config.METRICS_PORT);
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/**
 * GET /metrics on a port of its own (METRICS_PORT), nothing else: monitoring is let in
 * there only, never to the service's API. Closed with the service, after its last scrape.
 */
async function serveMetrics(runtime: ServiceRuntime, host: string, port: number): Promise<void> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served on this port\n');
      return;
    }
    runtime.metrics.metrics().then(
      (text) =>
        response.writeHead(200, { 'content-type': runtime.metrics.contentType, 'cache-control': 'no-store' }).end(text),
      (error: unknown) => {
        runtime.logger.error({ err: error }, 'metrics not collected');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics not collected\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  runtime.onShutdown('metrics port', () => new Promise<void>((resolve) => server.close(() => resolve())));
  runtime.logger.info({ port: (server.address() as AddressInfo).port }, 'metrics served on their own port');
}

/** The `migrate` command of a service: applies its pending migrations and exits. */
export async function migrateHubService<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  source: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  if (!definition.database) return [];
  const config = loadConfig(
    definition.service,
    { ...serviceEnv, ...databaseEnv, DATABASE_SCHEMA: env.string(definition.database.schema) },
    source,
  );
  const dataSource = createServiceDataSource({
    url: config.DATABASE_URL,
    schema: config.DATABASE_SCHEMA,
    migrations: definition.database.migrations,
    applicationName: `${definition.service}-migrate`,
  });
  try {
    return await migrate(dataSource);
  } finally {
    // Destroying a source that never connected throws, and would hide why it did not.
    if (dataSource.isInitialized) await dataSource.destroy();
  }
}

/** main.ts of every service: `node main.js` serves, `node main.js migrate` migrates and exits. */
export function runHubService<S extends EnvShape>(definition: HubServiceDefinition<S>, argv = process.argv): void {
  const command = argv[2] ?? 'serve';
  // Help is printed before any configuration is read or anything connected.
  if (['--help', '-h', 'help'].includes(command) || argv.slice(3).some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(hubServiceHelp(definition, ['--help', '-h', 'help'].includes(command) ? undefined : command));
    return;
  }
  if (command === 'migrate') {
    runMain(async () => {
      const applied = await migrateHubService(definition);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database already up to date\n');
    }, definition.service);
  } else if (command === 'serve') {
    runMain(() => startHubService(definition), definition.service);
  } else if (definition.commands?.[command]) {
    try {
      // A wrong argument is a usage error (64), said plainly, before anything is read or connected.
      definition.commands[command].parse(argv.slice(3));
    } catch (error) {
      process.stderr.write(
        `${command}: ${error instanceof Error ? error.message : String(error)}\n${hubServiceHelp(definition, command)}`,
      );
      process.exit(64);
    }
    runMain(() => runHubCommand(definition, command, argv.slice(3)), definition.service);
  } else {
    const known = ['serve', 'migrate', ...Object.keys(definition.commands ?? {})].map((name) => `"${name}"`).join(', ');
    process.stderr.write(`unknown command "${command}": use one of ${known}\n`);
    process.exit(64);
  }
}

/** Runs one of a service's commands with its config, Kafka and database, then closes them. */
export async function runHubCommand<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  command: string,
  args: string[],
  source: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const run = definition.commands?.[command];
  if (!run) throw new Error(`${definition.service} has no command "${command}"`);
  // Arguments first: a wrong flag is refused before the configuration is read or anything connects.
  const options = run.parse(args);
  const { config, runtime } = prepare(definition, source, 'command');
  let app: INestApplicationContext | undefined;
  try {
    app = await createCommandContext(rootModule(definition, config, runtime, source), runtime);
    const kafka = app.get(KafkaInfrastructure, { strict: false });
    const dataSource = definition.database ? app.get(DataSource, { strict: false }) : undefined;
    await run.run({ config, runtime, kafka, dataSource, app }, options);
  } finally {
    // Closing the app stops what the command started and runs the runtime's steps (Kafka, Postgres).
    if (app) await app.close();
    else await runtime.shutdown();
  }
}

/**
 * The service's root module: the platform (the config and runtime as values; Kafka and
 * Postgres as async providers that connect, and migrate, when Nest makes them) and the
 * app's module. A start that fails half-way (Kafka connected, the migration refused)
 * still closes what was opened: each connection registers its close with the runtime as
 * it opens, and the caller runs the runtime's shutdown.
 */
function rootModule<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  config: ConfigOf<S> & HubServiceBaseConfig,
  runtime: ServiceRuntime,
  source: NodeJS.ProcessEnv,
): DynamicModule {
  const appModule = isModuleFactory(definition.module) ? definition.module(config) : definition.module;
  return HubRootModule.of(appModule, {
    config,
    runtime,
    database: definition.database !== undefined,
    connect: () => connectDependencies(definition, config, runtime, source),
  });
}

function isModuleFactory<C>(
  module: Type<unknown> | ((config: C) => DynamicModule),
): module is (config: C) => DynamicModule {
  // A module class carries Nest's metadata; a factory is a plain function.
  return Reflect.getMetadataKeys(module).length === 0;
}

/** The usage of a service's commands (or of one), as `--help` prints it. */
export function hubServiceHelp<S extends EnvShape>(definition: HubServiceDefinition<S>, command?: string): string {
  const usage: Record<string, string> = {
    serve: 'serve                 run the service (the default): HTTP on PORT, health, metrics',
    migrate: 'migrate               apply pending database migrations and exit',
    ...Object.fromEntries(Object.entries(definition.commands ?? {}).map(([name, command]) => [name, command.usage])),
  };
  const main = `node dist/apps/${definition.service}/src/main.js`;
  if (command !== undefined) {
    if (!usage[command]) return `unknown command "${command}"; ${main} --help lists them\n`;
    return `${main} ${usage[command]}\nConfiguration comes from the environment (see docs/configuration.md, the table for ${definition.service}).\n`;
  }
  return [
    `${definition.service}: ${main} [command] [arguments]`,
    '',
    ...Object.values(usage).map((line) => `  ${line}`),
    '',
    `Configuration comes from the environment (see docs/configuration.md, the table for ${definition.service}); --help needs no connection.`,
    '',
  ].join('\n');
}

/**
 * Counts the messages a producer had to send again because Kafka acknowledged a
 * send without their partition (see HubProducer): recovered, but an operator
 * should see how often the cluster's leadership moves under the hub's sends.
 */
export function countResends(producer: HubProducer, runtime: Pick<ServiceRuntime, 'metrics'>): void {
  const name = 'parity_kafka_messages_resent_total';
  const counter =
    (runtime.metrics.getSingleMetric(name) as Counter<'topic'> | undefined) ??
    new Counter({
      name,
      help: 'Messages sent again because Kafka acknowledged their send without their partition (kafkajs, a leader moved during a retry)',
      labelNames: ['topic'],
      registers: [runtime.metrics],
    });
  producer.onResent = (topic, messages) => counter.inc({ topic }, messages);
}
