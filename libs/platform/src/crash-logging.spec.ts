import { EventEmitter } from 'node:events';
import pino from 'pino';
import { ConfigError } from '@hub/config';
import { installCrashLogging, runMain } from './bootstrap';

describe('an error that escaped every handler', () => {
  it('is logged as one structured fatal line with its stack, and the process exits with 70', () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const processLike = new EventEmitter();
    const exits: number[] = [];
    installCrashLogging(logger, processLike, (code) => exits.push(code));

    processLike.emit('uncaughtException', new Error('Consumer group was not initialized'));
    processLike.emit('unhandledRejection', new Error('no one awaited this'));

    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; err: { stack: string } });
    expect(logged.map(({ level, msg }) => [level, msg])).toEqual([
      [60, 'uncaught exception: exiting'],
      [60, 'unhandled rejection: exiting'],
    ]);
    expect(logged[0].err.stack).toContain('Consumer group was not initialized');
    expect(exits).toEqual([70, 70]);
  });
});

describe('a start-up that fails', () => {
  const run = async (error: Error) => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info', formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => lines.push(line) },
    );
    const exited = new Promise<number>((resolve) => runMain(() => Promise.reject(error), 'ingest', resolve, logger));
    const code = await exited;
    return { code, logged: lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
  };

  it('logs a configuration error as one structured fatal line naming every variable, and exits with 78', async () => {
    const { code, logged } = await run(
      new ConfigError('ingest', [
        { variable: 'INGEST_API_KEYS', message: 'is required but not set' },
        { variable: 'PORT', message: 'must be a TCP port number' },
      ]),
    );
    expect(code).toBe(78);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 'fatal',
      msg: expect.stringMatching(/^Invalid configuration for ingest:\n {2}- INGEST_API_KEYS: is required but not set/),
      problems: [
        { variable: 'INGEST_API_KEYS', message: 'is required but not set' },
        { variable: 'PORT', message: 'must be a TCP port number' },
      ],
    });
  });

  it('logs any other failure as a structured fatal line with its stack, and exits with 1', async () => {
    const { code, logged } = await run(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    expect(code).toBe(1);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 'fatal',
        msg: 'start-up failed: exiting',
        err: expect.objectContaining({ stack: expect.stringContaining('ECONNREFUSED') }),
      }),
    ]);
  });
});
