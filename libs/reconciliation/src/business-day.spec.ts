import { businessDateOf, businessDayWindow, datesBetween, nextDailyRun } from '@hub/reconciliation';

describe('business days in a time zone', () => {
  it('bounds a UTC day at midnight UTC', () => {
    expect(businessDayWindow('2024-01-02', 'UTC')).toEqual({
      from: new Date('2024-01-02T00:00:00.000Z'),
      to: new Date('2024-01-03T00:00:00.000Z'),
    });
  });

  it("bounds a Berlin day at Berlin's midnight, 23 hours long on the spring daylight-saving change", () => {
    expect(businessDayWindow('2024-01-02', 'Europe/Berlin').from).toEqual(new Date('2024-01-01T23:00:00.000Z'));
    const spring = businessDayWindow('2024-03-31', 'Europe/Berlin');
    expect(spring.from).toEqual(new Date('2024-03-30T23:00:00.000Z'));
    expect(spring.to.getTime() - spring.from.getTime()).toBe(23 * 3_600_000);
  });

  it('dates an instant by the wall clock of the zone, with or without the Z NewStore may omit', () => {
    expect(businessDateOf('2024-01-02T23:30:00Z', 'UTC')).toBe('2024-01-02');
    expect(businessDateOf('2024-01-02T23:30:00', 'Europe/Berlin')).toBe('2024-01-03');
    expect(businessDateOf('2024-01-02T03:30:00Z', 'America/New_York')).toBe('2024-01-01');
  });

  it('schedules the next run at the configured local time, for the day before it', () => {
    expect(nextDailyRun(new Date('2024-01-02T01:00:00Z'), 'UTC', '02:00')).toEqual({
      at: new Date('2024-01-02T02:00:00Z'),
      businessDate: '2024-01-01',
    });
    expect(nextDailyRun(new Date('2024-01-02T03:00:00Z'), 'UTC', '02:00')).toEqual({
      at: new Date('2024-01-03T02:00:00Z'),
      businessDate: '2024-01-02',
    });
    expect(nextDailyRun(new Date('2024-07-01T12:00:00Z'), 'Europe/Berlin', '02:00').at).toEqual(
      new Date('2024-07-02T00:00:00Z'),
    );
  });

  it('lists a range of dates and refuses impossible ones with a message', () => {
    expect(datesBetween('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(() => datesBetween('2024-02-30', '2024-03-01')).toThrow('"2024-02-30" is not a date: expected YYYY-MM-DD');
    expect(() => datesBetween('2024-03-02', '2024-03-01')).toThrow(
      'the range ends (2024-03-01) before it starts (2024-03-02)',
    );
    expect(() => nextDailyRun(new Date(), 'UTC', '25:00')).toThrow('"25:00" is not a time of day');
  });
});
