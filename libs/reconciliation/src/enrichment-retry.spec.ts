import { describeRetry, retryTier } from './enrichment-retry';

describe('a retry as a person reads it', () => {
  it('names the tier by its attempt and delay, in seconds from one second up', () => {
    expect(retryTier({ attempt: 3, delayMs: 8000 })).toBe('tier 3 (8 s)');
    expect(retryTier({ attempt: 1, delayMs: 200 })).toBe('tier 1 (200 ms)');
    expect(retryTier({ attempt: null, delayMs: 1500 })).toBe('tier ? (1.5 s)');
  });

  it('gives the event, the tier, when it is due and why, and says so when a header was missing', () => {
    const retry = {
      eventId: 'e1',
      eventName: 'order.opened',
      attempt: 2,
      delayMs: 4000,
      reason: 'payments not settled',
      movedAt: '2026-12-04T09:59:56.000Z',
      dueAt: '2026-12-04T10:00:00.000Z',
    };
    expect(describeRetry(retry)).toBe(
      'order.opened in tier 2 (4 s), due 2026-12-04T10:00:00.000Z: payments not settled',
    );
    expect(describeRetry({ ...retry, eventName: null, reason: null, dueAt: null })).toBe(
      'event in tier 2 (4 s), due at once: no reason given',
    );
  });
});
