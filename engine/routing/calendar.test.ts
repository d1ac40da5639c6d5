// Shows that the calendar turns instants into local days and back without a timezone library:
// weekdays, working-day steps, and local wall times across DST gaps and overlaps in several
// zones (America/Chicago on 2026-03-08 and 2026-11-01, Europe/Berlin, Asia/Tokyo).
// How: table-driven checks of the pure functions against instants worked out by hand.
import { describe, expect, it } from 'vitest';
import {
  addDaysIn,
  countDaysIn,
  dateOfDay,
  dayOfDate,
  endOfLocalDay,
  firstDayIn,
  isDayIn,
  isoWeekdayOf,
  isValidTimeZone,
  localDate,
  localTime,
  parseWallTime,
  startOfLocalDay,
  weekdayMask,
  zonedInstant,
} from './calendar.js';
import { everyDay, mondayToFriday } from './model.js';
import { at } from './test-fixtures.js';

const day = (date: string): number => dayOfDate(date)!;
const hour = 3_600_000;

describe('days and weekdays', () => {
  it.each([
    ['1970-01-01', 4],
    ['2026-03-08', 7],
    ['2026-03-09', 1],
    ['2026-11-01', 7],
    ['2024-02-29', 4],
  ])('%s is ISO weekday %i', (date, weekday) => {
    expect(isoWeekdayOf(day(date))).toBe(weekday);
    expect(dateOfDay(day(date))).toBe(date);
  });

  it('steps over the days outside a mask', () => {
    const weekdays = weekdayMask(mondayToFriday);
    expect(isDayIn(weekdays, day('2026-03-07'))).toBe(false);
    expect(dateOfDay(firstDayIn(weekdays, day('2026-03-07')))).toBe('2026-03-09');
    expect(dateOfDay(firstDayIn(weekdays, day('2026-03-10')))).toBe('2026-03-10');
    expect(dateOfDay(addDaysIn(weekdays, day('2026-03-13'), 1))).toBe('2026-03-16');
    expect(dateOfDay(addDaysIn(weekdays, day('2026-03-13'), 0))).toBe('2026-03-13');
    expect(dateOfDay(addDaysIn(weekdays, day('2026-03-10'), 5))).toBe('2026-03-17');
    expect(dateOfDay(addDaysIn(weekdayMask(everyDay), day('2026-03-13'), 2))).toBe('2026-03-15');
    expect(countDaysIn(weekdays, day('2026-03-13'), day('2026-03-16'))).toBe(1);
    expect(countDaysIn(weekdays, day('2026-03-16'), day('2026-03-13'))).toBe(0);
  });

  it('refuses an empty mask (a programmer error: the loop would never end)', () => {
    expect(() => firstDayIn(0, 0)).toThrow();
  });

  it.each([
    ['00:00', 0],
    ['15:00', 900],
    ['23:59', 1_439],
    ['24:00', 1_440],
    ['24:01', undefined],
    ['7:00', undefined],
    ['12:60', undefined],
    ['noon', undefined],
  ])('reads wall time %s', (text, minutes) => {
    expect(parseWallTime(text)).toBe(minutes);
  });

  it('rejects a malformed date and an unknown timezone', () => {
    expect(dayOfDate('2026-3-8')).toBeUndefined();
    expect(isValidTimeZone('America/Chicago')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});

describe('local wall time', () => {
  it.each([
    // instant, zone, local date, local minute, offset hours
    ['2026-03-08T07:59:00Z', 'America/Chicago', '2026-03-08', 1 * 60 + 59, -6],
    ['2026-03-08T08:00:00Z', 'America/Chicago', '2026-03-08', 3 * 60, -5],
    ['2026-11-01T06:30:00Z', 'America/Chicago', '2026-11-01', 1 * 60 + 30, -5],
    ['2026-11-01T07:30:00Z', 'America/Chicago', '2026-11-01', 1 * 60 + 30, -6],
    ['2026-03-10T21:30:00Z', 'Asia/Tokyo', '2026-03-11', 6 * 60 + 30, 9],
    ['2026-03-10T21:30:00Z', 'America/Phoenix', '2026-03-10', 14 * 60 + 30, -7],
    ['2026-03-10T21:30:00Z', 'Europe/Berlin', '2026-03-10', 22 * 60 + 30, 1],
  ])('%s in %s is %s minute %i (UTC%i)', (instant, zone, date, minute, offsetHours) => {
    const local = localTime(at(instant), zone);
    expect(dateOfDay(local.dayNumber)).toBe(date);
    expect(local.minuteOfDay).toBe(minute);
    expect(local.offsetMs).toBe(offsetHours * hour);
    expect(localDate(at(instant), zone)).toBe(date);
  });

  it.each([
    // local wall time → instant
    ['2026-03-09', '15:00', 'America/Chicago', '2026-03-09T20:00:00Z'],
    ['2026-03-02', '15:00', 'America/Chicago', '2026-03-02T21:00:00Z'],
    // spring forward: 02:30 does not exist; it moves forward to 03:30 CDT
    ['2026-03-08', '02:30', 'America/Chicago', '2026-03-08T08:30:00Z'],
    // fall back: 01:30 happens twice; the earlier one (CDT)
    ['2026-11-01', '01:30', 'America/Chicago', '2026-11-01T06:30:00Z'],
    ['2026-10-25', '02:30', 'Europe/Berlin', '2026-10-25T00:30:00Z'],
    ['2026-03-29', '02:30', 'Europe/Berlin', '2026-03-29T01:30:00Z'],
    ['2026-03-11', '09:00', 'Asia/Tokyo', '2026-03-11T00:00:00Z'],
  ])('%s %s in %s is %s', (date, time, zone, instant) => {
    expect(new Date(zonedInstant(day(date), parseWallTime(time)!, zone)).toISOString()).toBe(new Date(at(instant)).toISOString());
  });

  it('knows a DST day has 23 or 25 hours', () => {
    const length = (date: string, zone: string): number => (endOfLocalDay(day(date), zone) + 1 - startOfLocalDay(day(date), zone)) / hour;
    expect(length('2026-03-08', 'America/Chicago')).toBe(23);
    expect(length('2026-11-01', 'America/Chicago')).toBe(25);
    expect(length('2026-03-09', 'America/Chicago')).toBe(24);
    expect(length('2026-03-08', 'America/Phoenix')).toBe(24);
  });
});
