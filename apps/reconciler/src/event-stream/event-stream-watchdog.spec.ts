import { EventStreamApi } from '@hub/newstore-graphql';
import pino from 'pino';
import { Registry } from 'prom-client';
import { EventStreamWatchdog } from './event-stream-watchdog';

/** NewStore's configuration API as a fake: the integration says it is running. */
const running = {
  integration: async () => ({ id: 'i-1', status: 'running' }),
  logEntries: async () => [],
  rejectedEvents: async () => [],
} as unknown as EventStreamApi;

const watchdog = (
  tradingHours = { from: '00:00', to: '24:00' },
  zones: Record<string, string> = {},
  integrations = new Map([['acme', 'i-1']]),
) =>
  new EventStreamWatchdog(
    running,
    {
      integrations,
      intervalMs: 1_000,
      autoRestart: false,
      silenceMinutes: 30,
      tradingHours,
      timeZoneOf: (tenant) => zones[tenant] ?? 'UTC',
    },
    new Registry(),
    pino({ level: 'silent' }),
  );

describe('event-stream silence', () => {
  const event = (at: Date, tenant = 'acme') => ({
    topic: 't',
    partition: 0,
    offset: '0',
    key: 'o-1',
    value: null,
    headers: { tenant },
    timestamp: String(at.getTime()),
  });

  it('is silence when no event came for longer than WATCHDOG_SILENCE_MINUTES, even while the integration runs', async () => {
    const dog = watchdog();
    const now = new Date();
    dog.eventsSeen([event(new Date(now.getTime() - 45 * 60_000))]);
    await dog.poll(now);
    expect(dog.status()[0]).toMatchObject({ status: 'running', silent: true });
    dog.eventsSeen([event(new Date(now.getTime() - 60_000))]);
    await dog.poll(now);
    expect(dog.status()[0]).toMatchObject({ silent: false });
  });

  it('is no silence outside the trading hours', async () => {
    const dog = watchdog({ from: '08:00', to: '20:00' });
    const night = new Date('2026-11-27T03:00:00Z');
    dog.eventsSeen([event(new Date('2026-11-26T19:00:00Z'))]);
    await dog.poll(night);
    expect(dog.status()[0].silent).toBe(false);
    await dog.poll(new Date('2026-11-27T10:00:00Z'));
    expect(dog.status()[0].silent).toBe(true);
  });

  it("reads the trading hours in each tenant's own time zone", async () => {
    const dog = watchdog(
      { from: '08:00', to: '20:00' },
      { tokyo: 'Asia/Tokyo', berlin: 'Europe/Berlin' },
      new Map([
        ['tokyo', 'i-1'],
        ['berlin', 'i-2'],
      ]),
    );
    const lastEvent = new Date('2026-11-26T12:00:00Z');
    dog.eventsSeen([event(lastEvent, 'tokyo'), event(lastEvent, 'berlin')]);
    // 03:00 UTC: 12:00 in Tokyo (trading), 04:00 in Berlin (closed).
    await dog.poll(new Date('2026-11-27T03:00:00Z'));
    expect(Object.fromEntries(dog.status().map((status) => [status.tenant, status.silent]))).toEqual({
      tokyo: true,
      berlin: false,
    });
  });
});
