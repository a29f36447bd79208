/**
 * Business days in a tenant's time zone. A business day D runs from midnight of D
 * to midnight of D+1 in that zone, whatever UTC offsets (and daylight-saving
 * changes) apply; NewStore orders are dated by their creation instant in it.
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Throws a message a person can act on when `date` is not a real YYYY-MM-DD day. */
export function assertBusinessDate(date: string): void {
  if (!DATE.test(date) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date)
    throw new RangeError(`"${date}" is not a date: expected YYYY-MM-DD`);
}

/** Throws when `zone` is not an IANA time zone this runtime knows. */
export function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new RangeError(`"${zone}" is not an IANA time zone such as Europe/Berlin or UTC`);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, format);
  }
  return format;
}

/** The wall-clock fields of an instant in a zone. */
function wallClock(instant: number, zone: string) {
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(instant)
      .filter((part) => part.type !== 'literal')
      .map((part) => [part.type, Number(part.value)]),
  ) as Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', number>;
  return parts;
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(instant: number, zone: string): number {
  const wall = wallClock(instant, zone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/** The instant at which the wall clock of `zone` shows `date` at `minutes` past midnight. */
function zonedInstant(date: string, minutes: number, zone: string): number {
  const wallAsUtc = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  // Two passes settle the offset even next to a daylight-saving change.
  let instant = wallAsUtc - offsetAt(wallAsUtc, zone);
  instant = wallAsUtc - offsetAt(instant, zone);
  return instant;
}

const QUARTER_HOUR = 900_000;
const datesOfQuarter = new Map<string, string>();

/**
 * The business date (YYYY-MM-DD) of an instant in a zone. Every zone's offset is a
 * whole number of quarter hours, so local midnight falls on a UTC quarter hour and
 * the date is the same across each one: it is computed once per quarter hour.
 */
export function businessDateOf(instant: Date | string | number, zone: string): string {
  const time =
    typeof instant === 'string'
      ? Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(instant) ? instant : `${instant}Z`)
      : new Date(instant).getTime();
  const quarter = Math.floor(time / QUARTER_HOUR) * QUARTER_HOUR;
  const key = `${zone} ${quarter}`;
  let date = datesOfQuarter.get(key);
  if (date === undefined) {
    const wall = wallClock(quarter, zone);
    date = `${wall.year}-${String(wall.month).padStart(2, '0')}-${String(wall.day).padStart(2, '0')}`;
    if (datesOfQuarter.size > 50_000) datesOfQuarter.clear();
    datesOfQuarter.set(key, date);
  }
  return date;
}

/** The day's bounds as UTC instants: from (inclusive) to (exclusive). */
export function businessDayWindow(date: string, zone: string): { from: Date; to: Date } {
  assertBusinessDate(date);
  return { from: new Date(zonedInstant(date, 0, zone)), to: new Date(zonedInstant(addDays(date, 1), 0, zone)) };
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Every date from `from` to `to`, both included. */
export function datesBetween(from: string, to: string): string[] {
  assertBusinessDate(from);
  assertBusinessDate(to);
  if (to < from) throw new RangeError(`the range ends (${to}) before it starts (${from})`);
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * The next daily run: the first instant after `now` at which the zone's clock shows
 * `time` (HH:MM); it reconciles the business day before the one it runs in.
 */
export function nextDailyRun(now: Date, zone: string, time: string): { at: Date; businessDate: string } {
  const match = /^(\d{2}):(\d{2})$/.exec(time);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59)
    throw new RangeError(`"${time}" is not a time of day: expected HH:MM`);
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  let date = businessDateOf(now, zone);
  let at = zonedInstant(date, minutes, zone);
  if (at <= now.getTime()) {
    date = addDays(date, 1);
    at = zonedInstant(date, minutes, zone);
  }
  return { at: new Date(at), businessDate: addDays(date, -1) };
}
