import pino from 'pino';
import { ExtractRepository } from './extract.repository';
import { PeriodReconciliation } from './period-reconciliation';

describe('PeriodReconciliation.range', () => {
  const periods = (zone = 'UTC', settleMinutes = 15) => {
    const reconciliation = new PeriodReconciliation(
      { RECONCILER_SETTLE_MINUTES: settleMinutes },
      {} as ExtractRepository,
      { run: jest.fn() },
      { timeZoneOf: () => zone },
      { logger: pino({ level: 'silent' }) },
    );
    return { range: (period: string, now: Date) => reconciliation.range(period, zone, now) };
  };
  const now = new Date('2026-11-27T10:00:00Z');

  it('covers a past month or year whole, including February of a leap year and December', () => {
    expect(periods().range('2024-02', now)).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(periods().range('2025-12', now)).toEqual({ from: '2025-12-01', to: '2025-12-31' });
    expect(periods().range('2025', now)).toEqual({ from: '2025-01-01', to: '2025-12-31' });
  });

  it('stops a running month or year at the last whole day once its settle window has passed', () => {
    expect(periods().range('2026-11', now)).toEqual({ from: '2026-11-01', to: '2026-11-26' });
    expect(periods().range('2026', now)).toEqual({ from: '2026-01-01', to: '2026-11-26' });
    // 00:10 UTC with a 15-minute settle window: the 26th is not settled yet.
    expect(periods().range('2026-11', new Date('2026-11-27T00:10:00Z')).to).toBe('2026-11-25');
    // In Auckland (UTC+13) it is already the 27th's evening: the 26th is whole.
    expect(periods('Pacific/Auckland').range('2026-11', new Date('2026-11-27T05:00:00Z')).to).toBe('2026-11-26');
  });

  it('refuses what is no month or year, and a period with no whole day yet', () => {
    expect(() => periods().range('2024-13', now)).toThrow('"2024-13" is not a month');
    expect(() => periods().range('24-01', now)).toThrow('neither a month (YYYY-MM) nor a year (YYYY)');
    expect(() => periods().range('2026-12', now)).toThrow('2026-12 has no whole day yet');
  });
});
