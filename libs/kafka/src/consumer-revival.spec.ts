import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { reviveOnCrash } from './consumer-revival';

/** The part of a kafkajs consumer the revival uses: its CRASH event, connect and run. */
function fakeConsumer(failingRuns = 0) {
  const emitter = new EventEmitter();
  const calls: string[] = [];
  let runs = 0;
  const consumer = {
    events: { CRASH: 'consumer.crash' },
    on: (event: string, listener: (event: unknown) => void) => emitter.on(event, listener),
    connect: async () => void calls.push('connect'),
    run: async () => {
      runs += 1;
      calls.push('run');
      if (runs <= failingRuns) throw new Error('broker still down');
    },
  };
  const crash = (restart: boolean) =>
    emitter.emit('consumer.crash', {
      payload: { error: new Error('Specified group generation id is not valid'), restart },
    });
  return { consumer: consumer as unknown as Consumer, calls, crash };
}

const quiet = pino({ level: 'silent' });
const until = async (condition: () => boolean) => {
  for (let tries = 0; tries < 200 && !condition(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('reviveOnCrash', () => {
  it('runs again a consumer kafkajs gave up on, reading as not alive until it runs', async () => {
    const { consumer, calls, crash } = fakeConsumer(1);
    const revival = reviveOnCrash(consumer, () => ({}), quiet, { baseMs: 1, maxMs: 4 });
    crash(false);
    expect(revival.alive).toBe(false);
    await until(() => revival.alive);
    expect(revival.alive).toBe(true);
    // The first run failed (a broker still down), the second took.
    expect(calls).toEqual(['connect', 'run', 'connect', 'run']);
  });

  it('leaves to kafkajs a crash it restarts itself, and revives nothing once stopped', async () => {
    const { consumer, calls, crash } = fakeConsumer();
    const revival = reviveOnCrash(consumer, () => ({}), quiet, { baseMs: 1 });
    crash(true);
    expect(revival.alive).toBe(true);
    revival.stop();
    crash(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual([]);
  });
});
