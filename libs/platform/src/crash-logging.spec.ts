import { EventEmitter } from 'node:events';
import pino from 'pino';
import { installCrashLogging } from './bootstrap';

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
