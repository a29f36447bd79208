import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import { redact, redactText } from './redact';

export interface LoggerOptions {
  service: string;
  level: string;
  format: 'json' | 'pretty';
  /** A file to append JSON lines to, instead of stdout. */
  file?: string;
  /** Write to stderr, synchronously (a start-up failure, logged right before the process exits). */
  stderr?: boolean;
}

/**
 * Structured logger: JSON lines in production, pretty output for a local
 * terminal. Every object logged passes through {@link redact}.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.file
    ? pino.destination({ dest: options.file, mkdir: true, sync: true })
    : options.stderr
      ? pino.destination({ fd: 2, sync: true })
      : undefined;
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redact(object) as Record<string, unknown>,
      },
      // The message itself is free text too: what it quotes is scrubbed like any string.
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
      transport:
        options.format === 'pretty' && !destination
          ? {
              target: 'pino-pretty',
              options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
            }
          : undefined,
    },
    destination,
  );
}

/** Lets NestJS write through pino, with the Nest context as a field. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.write('info', message, context);
  }
  error(message: unknown, traceOrContext?: string, context?: string): void {
    this.write('error', message, context ?? traceOrContext);
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.write('trace', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.write('fatal', message, context);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, context?: string) {
    if (typeof message === 'object' && message !== null) {
      this.logger[level]({ context, ...message });
    } else {
      this.logger[level]({ context }, String(message));
    }
  }
}
