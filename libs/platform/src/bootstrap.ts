import type { Logger } from 'pino';
import { ConfigError } from '@hub/config';
import { createLogger, PinoNestLogger } from '@hub/observability';
import { connectTransport, HubKafkaTransport } from '@hub/kafka';
import { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { HttpErrorFilter } from './http-error.filter';
import { ServiceRuntime } from './service-runtime';

export interface BootstrapOptions {
  runtime: ServiceRuntime;
  /** The root module: the platform and the app's module. */
  module: DynamicModule;
  host: string;
  port: number;
  shutdownTimeoutMs: number;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
  /** false in tests that start a service in-process and close it themselves. */
  installSignalHandlers?: boolean;
  /** false: Nest registers no body parsers; the app's configure() registers its own. */
  bodyParser?: boolean;
  /** Lets an app register content-type parsers or hooks before the routes. */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

/**
 * Starts a service: Nest on Fastify, logs through pino, and a graceful shutdown
 * on SIGTERM/SIGINT: readiness fails first, then Nest's shutdown hooks finish
 * in-flight work, commit and disconnect; a timer bounds the whole stop.
 */
export async function bootstrapService(options: BootstrapOptions): Promise<NestFastifyApplication> {
  const { runtime } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    options.module,
    new FastifyAdapter({ bodyLimit: options.bodyLimit ?? 1_048_576, trustProxy: true }),
    {
      logger: new PinoNestLogger(runtime.logger.child({ context: 'nest' })),
      bufferLogs: false,
      bodyParser: options.bodyParser ?? true,
      // Errors reach the caller (runMain prints them, tests see them) instead of exiting the process.
      abortOnError: false,
    },
  );
  app.useGlobalFilters(new HttpErrorFilter(runtime.logger.child({ context: 'http' })));
  await options.configure?.(app);
  const transport = connectKafkaTransport(app);
  try {
    // HTTP first (its bootstrap hooks prepare what the handlers need: a rebuilt ledger,
    // the retry topics), then the Kafka consumers.
    await app.listen(options.port, options.host);
    runtime.logger.info({ port: options.port, host: options.host }, `${runtime.service} listening`);
    if (transport) {
      await app.startAllMicroservices();
      runtime.logger.info('kafka consumers started');
    }
  } catch (error) {
    // A start refused half-way (a consumer group without offsets, a port in use): the app's
    // shutdown hooks stop what its bootstrap hooks started (timers, sweeps) before the error goes up.
    await app.close().catch(() => undefined);
    throw error;
  }
  if (options.installSignalHandlers ?? true) installShutdown(app, runtime, options.shutdownTimeoutMs);
  return app;
}

/**
 * A command's Nest context: the app's providers, and its Kafka handlers registered
 * on the transport without starting any consumer (the command starts what it needs).
 */
export async function createCommandContext(module: DynamicModule, runtime: ServiceRuntime): Promise<INestApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), {
    logger: new PinoNestLogger(runtime.logger.child({ context: 'nest' })),
    bufferLogs: false,
    abortOnError: false,
  });
  app.useGlobalFilters(new HttpErrorFilter(runtime.logger.child({ context: 'http' })));
  const transport = connectKafkaTransport(app);
  await app.init();
  if (transport) await app.startAllMicroservices();
  return app;
}

/** Connects the app's {@link HubKafkaTransport}, when it has one, as a Nest microservice. */
function connectKafkaTransport(app: INestApplication): HubKafkaTransport | undefined {
  let transport: HubKafkaTransport;
  try {
    transport = app.get(HubKafkaTransport, { strict: false });
  } catch {
    return undefined; // an app without Kafka handlers (ingest)
  }
  connectTransport(app, transport);
  return transport;
}

function installShutdown(app: INestApplication, runtime: ServiceRuntime, timeoutMs: number): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    runtime.startDraining();
    runtime.logger.info({ signal }, 'shutting down: finishing in-flight work');
    const timer = setTimeout(() => {
      runtime.logger.error({ timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app
      .close()
      .then(() => {
        runtime.logger.info('stopped cleanly');
        runtime.logger.flush();
        process.exit(0);
      })
      .catch((error: unknown) => {
        runtime.logger.error({ err: error }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  installCrashLogging(runtime.logger);
}

/**
 * An error that escaped every handler (thrown from a timer, a rejected promise no one
 * awaited) ends the process, as Node would, since its state is unknown; what is not
 * committed is handled again by the next instance. It is logged first as a structured
 * fatal line with the stack, so the log shows why the pod restarted, not a bare
 * stderr trace. Exit code 70 (EX_SOFTWARE).
 */
export function installCrashLogging(
  logger: Pick<Logger, 'fatal' | 'flush'>,
  target: Pick<NodeJS.EventEmitter, 'on'> = process,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error, kind }, `${kind}: exiting`);
    logger.flush();
    exit(70);
  };
  target.on('uncaughtException', crash('uncaught exception'));
  target.on('unhandledRejection', crash('unhandled rejection'));
}

/**
 * Runs a service's main. A failure is one structured fatal line on stderr, as a
 * crash is: a configuration error names every variable at fault (its `problems`)
 * and exits with code 78 (EX_CONFIG) before anything connects; any other start-up
 * failure carries its error and stack and exits with 1.
 */
export function runMain(
  main: () => Promise<unknown>,
  service = 'parity-hub',
  exit: (code: number) => void = (code) => process.exit(code),
  logger: Logger = createLogger({ service, level: 'info', format: 'json', stderr: true }),
): void {
  main().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      logger.fatal({ problems: error.problems }, error.message);
      exit(78);
      return;
    }
    logger.fatal({ err: error }, 'start-up failed: exiting');
    exit(1);
  });
}
