import { assert } from '../assert.js';
import { routingLimits } from './limits.js';
import type { IsoWeekday } from './model.js';

// Local calendars without a timezone library. Intl.DateTimeFormat with `timeZone` turns an
// instant into local wall time; its inverse (a local wall time → the instant) is found from the
// offsets a day either side, which handles DST gaps (the wall time is moved forward, as clocks
// are) and overlaps (the earlier instant). Days are day numbers: days since 1970-01-01 of a
// civil date, so "next working day" is integer arithmetic on a weekday bit mask.
//
// Intl calls cost microseconds (formatToParts ≈ 4 µs on Node 20), so the two lookups on the hot
// path are memoized in bounded tables: formatters per timezone, and instants per (timezone,
// day, minute). A memo only remembers answers of a pure function, so same inputs → same outputs.

export const dayMs = 86_400_000;
export const minuteMs = 60_000;
export const minutesPerDay = 1_440;

/** Weekdays as a bit mask: bit (isoWeekday − 1). */
export type WeekdayMask = number;

export const weekdayMask = (days: readonly IsoWeekday[]): WeekdayMask => {
  let mask = 0;
  for (const day of days) mask |= 1 << (day - 1);
  return mask;
};

/** 1970-01-01 was a Thursday (ISO 4). */
export const isoWeekdayOf = (dayNumber: number): IsoWeekday => ((((dayNumber + 3) % 7) + 7) % 7 + 1) as IsoWeekday;

export const isDayIn = (mask: WeekdayMask, dayNumber: number): boolean => ((mask >> (isoWeekdayOf(dayNumber) - 1)) & 1) === 1;

/** The first day on or after `dayNumber` in `mask`. The mask must not be empty (a week bounds the loop). */
export function firstDayIn(mask: WeekdayMask, dayNumber: number): number {
  assert(mask !== 0, 'empty weekday mask');
  let day = dayNumber;
  while (!isDayIn(mask, day)) day++;
  return day;
}

/** The `count`-th day after `dayNumber` that is in `mask` (count 0: `dayNumber` itself). At most 7 × count steps. */
export function addDaysIn(mask: WeekdayMask, dayNumber: number, count: number): number {
  assert(mask !== 0, 'empty weekday mask');
  let day = dayNumber;
  for (let left = count; left > 0; ) {
    day++;
    if (isDayIn(mask, day)) left--;
  }
  return day;
}

/** Days in `mask` after `fromDay` up to and including `toDay` (0 when toDay ≤ fromDay). */
export function countDaysIn(mask: WeekdayMask, fromDay: number, toDay: number): number {
  let count = 0;
  const last = Math.min(toDay, fromDay + routingLimits.calendarDaysMax);
  for (let day = fromDay + 1; day <= last; day++) if (isDayIn(mask, day)) count++;
  return count;
}

const twoDigits = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * "YYYY-MM-DD" of a day number (years 0000–9999), by the civil-from-days algorithm (H. Hinnant):
 * a plan formats a few dates, and Date#toISOString is the slow part of doing it.
 */
export function dateOfDay(dayNumber: number): string {
  const z = dayNumber + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1_460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}`;
}

export function dayOfDate(date: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isFinite(ms) ? ms / dayMs : undefined;
}

/** "HH:MM" → minutes after midnight; "24:00" is allowed (the end of the day). */
export function parseWallTime(text: string): number | undefined {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  if (Number(match[2]) > 59 || minutes > minutesPerDay) return undefined;
  return minutes;
}

// ---- timezones -------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter) return formatter;
  formatter = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  // Bounded: the oldest formatter goes first (a network has a handful of timezones).
  if (formatters.size >= routingLimits.timezoneFormattersMax) formatters.delete(formatters.keys().next().value!);
  formatters.set(timezone, formatter);
  return formatter;
}

export function isValidTimeZone(timezone: string): boolean {
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalTime {
  dayNumber: number;
  minuteOfDay: number;
  isoWeekday: IsoWeekday;
  /** local wall time − UTC, in ms (Chicago in winter: −6 h). */
  offsetMs: number;
}

/** The local wall time of an instant in `timezone`. */
export function localTime(ms: number, timezone: string): LocalTime {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timezone).formatToParts(ms)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value) % 24; break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
    }
  }
  const wholeSecondMs = Math.floor(ms / 1000) * 1000;
  const localAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const dayNumber = Math.floor(localAsUtc / dayMs);
  return { dayNumber, minuteOfDay: hour * 60 + minute, isoWeekday: isoWeekdayOf(dayNumber), offsetMs: localAsUtc - wholeSecondMs };
}

export const offsetAt = (ms: number, timezone: string): number => localTime(ms, timezone).offsetMs;

/** Per timezone: (day × 1440 + minute) → instant. Cleared as a whole at the bound (a cache, not state). */
const instants = new Map<string, Map<number, number>>();
let instantsSize = 0;

/**
 * The instant at which the wall clock in `timezone` reads `minuteOfDay` on `dayNumber`.
 * A wall time skipped by DST resolves to the same duration after the gap (02:30 on a spring-forward
 * day → 03:30); a repeated one resolves to the earlier instant.
 */
export function zonedInstant(dayNumber: number, minuteOfDay: number, timezone: string): number {
  let memoOfZone = instants.get(timezone);
  const key = dayNumber * minutesPerDay + minuteOfDay;
  const memo = memoOfZone?.get(key);
  if (memo !== undefined) return memo;
  const wall = dayNumber * dayMs + minuteOfDay * minuteMs;
  // Offsets a day either side of the wall time: no zone changes its offset twice within two days.
  const before = offsetAt(wall - dayMs, timezone);
  const after = offsetAt(wall + dayMs, timezone);
  let instant: number;
  const early = wall - before;
  const late = wall - after;
  const earlyValid = offsetAt(early, timezone) === before;
  const lateValid = before !== after && offsetAt(late, timezone) === after;
  if (earlyValid && lateValid) instant = Math.min(early, late);
  else if (earlyValid) instant = early;
  else if (lateValid) instant = late;
  else instant = wall - before; // in the gap: as if the old offset still held, i.e. pushed forward
  if (instantsSize >= routingLimits.zonedInstantMemoMax) {
    instants.clear();
    instantsSize = 0;
    memoOfZone = undefined;
  }
  if (!memoOfZone) instants.set(timezone, (memoOfZone = new Map()));
  memoOfZone.set(key, instant);
  instantsSize++;
  return instant;
}

export const startOfLocalDay = (dayNumber: number, timezone: string): number => zonedInstant(dayNumber, 0, timezone);

/** The last millisecond of a local day. */
export const endOfLocalDay = (dayNumber: number, timezone: string): number => zonedInstant(dayNumber + 1, 0, timezone) - 1;

/** The local date ("YYYY-MM-DD") of an instant: what a per-local-day counter (capacity) keys on. */
export const localDate = (ms: number, timezone: string): string => dateOfDay(localTime(ms, timezone).dayNumber);
