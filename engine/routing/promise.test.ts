// Shows how a promise is dated: the node's cutoff in its own timezone (before → starts today on a
// working day, after → the next working day), handling days counted in working days, the
// carrier's pickup days and transit days (counted in its delivery days), across a weekend, across
// both 2026 DST changes in America/Chicago, and in several timezones at the same instant; and when
// a store has a pickup ready within its opening hours.
// How: a node is prepared and `promisesFrom` / `storeReadyAt` are asked at instants worked out by
// hand; every case names its local time in a comment.
import { describe, expect, it } from 'vitest';
import { courierService, expressService, groundService } from './carriers.js';
import type { CarrierService, RoutingNode, TransitEstimates } from './model.js';
import { prepareNetwork, type PreparedNode } from './network.js';
import { promisesFrom, storeReadyAt, storeReadyAfterArrival } from './promise.js';
import { dayOfDate } from './calendar.js';
import { at, carrier, chicago, node, northOf } from './test-fixtures.js';

const prepared = (routingNode: RoutingNode): PreparedNode => prepareNetwork([routingNode]).get(routingNode.nodeId)!;
const nearby = northOf(chicago, 100); // the 1-day band of ground (≤ 150 km)

function promise(routingNode: RoutingNode, nowIso: string, carrierId = 'ground', options: { learner?: TransitEstimates; timezone?: string; destination?: { lat: number; lon: number } } = {}) {
  const destination = { ...(options.destination ?? nearby), ...(options.timezone ? { timezone: options.timezone } : {}) };
  const found = promisesFrom(prepared(routingNode), destination, at(nowIso), options.learner).find((p) => p.carrierId === carrierId);
  if (!found) throw new Error(`no ${carrierId} promise`);
  return found;
}

describe('cutoff, handling and weekends (Chicago warehouse, cutoff 15:00, handling 1, ground 1 day)', () => {
  const warehouse = node('wh', chicago);
  it.each([
    // now (UTC), local time, start, ship, delivery
    ['2026-03-10T19:00:00Z', 'Tue 14:00 CDT, before cutoff', '2026-03-10', '2026-03-11', '2026-03-12'],
    ['2026-03-10T20:00:00Z', 'Tue 15:00 CDT, at cutoff', '2026-03-11', '2026-03-12', '2026-03-13'],
    ['2026-03-10T21:00:00Z', 'Tue 16:00 CDT, after cutoff', '2026-03-11', '2026-03-12', '2026-03-13'],
    ['2026-03-13T19:00:00Z', 'Fri 14:00 CDT, before cutoff', '2026-03-13', '2026-03-16', '2026-03-17'],
    ['2026-03-13T21:00:00Z', 'Fri 16:00 CDT, after cutoff', '2026-03-16', '2026-03-17', '2026-03-18'],
    ['2026-03-14T15:00:00Z', 'Sat 10:00 CDT, not a working day', '2026-03-16', '2026-03-17', '2026-03-18'],
    ['2026-03-16T04:59:00Z', 'Sun 23:59 CDT', '2026-03-16', '2026-03-17', '2026-03-18'],
    ['2026-03-16T05:00:00Z', 'Mon 00:00 CDT', '2026-03-16', '2026-03-17', '2026-03-18'],
  ])('%s (%s): starts %s, ships %s, delivered %s', (now, _local, start, ship, delivery) => {
    const p = promise(warehouse, now);
    expect([p.startDate, p.shipDate, p.deliveryDate]).toEqual([start, ship, delivery]);
  });

  it('promises the end of the delivery day in the node timezone, or the destination one when known', () => {
    const p = promise(warehouse, '2026-03-10T19:00:00Z');
    expect(p.deliveryBy).toBe('2026-03-13T04:59:59.999Z'); // Thu 12 23:59:59.999 CDT
    const east = promise(warehouse, '2026-03-10T19:00:00Z', 'ground', { timezone: 'America/New_York' });
    expect(east.deliveryBy).toBe('2026-03-13T03:59:59.999Z'); // Thu 12 23:59:59.999 EDT
  });

  it('counts handling in working days and ships the same day with handlingDays 0', () => {
    expect(promise(node('h0', chicago, { handlingDays: 0 }), '2026-03-13T19:00:00Z').shipDate).toBe('2026-03-13');
    expect(promise(node('h3', chicago, { handlingDays: 3 }), '2026-03-12T19:00:00Z').shipDate).toBe('2026-03-17'); // Thu → Fri, Mon, Tue
  });

  it('works on the node working days: a Monday–Saturday node ships on a Saturday', () => {
    const sixDays = node('six', chicago, { workingDays: [1, 2, 3, 4, 5, 6], carriers: [carrier('ground6', { days: 1, pickupDays: [1, 2, 3, 4, 5, 6], deliveryDays: [1, 2, 3, 4, 5, 6] })] });
    const p = promise(sixDays, '2026-03-13T19:00:00Z', 'ground6'); // Fri 14:00
    expect([p.shipDate, p.deliveryDate]).toEqual(['2026-03-14', '2026-03-16']);
  });
});

describe('across a DST change (America/Chicago)', () => {
  const warehouse = node('wh', chicago);
  it.each([
    // The cutoff is 15:00 local: 21:00Z in CST, 20:00Z in CDT.
    ['2026-03-02T20:30:00Z', 'Mon 14:30 CST: before cutoff', '2026-03-02'],
    ['2026-03-09T20:30:00Z', 'Mon 15:30 CDT: after cutoff (the same UTC time of day)', '2026-03-10'],
    ['2026-10-26T20:30:00Z', 'Mon 15:30 CDT: after cutoff', '2026-10-27'],
    ['2026-11-02T20:30:00Z', 'Mon 14:30 CST: before cutoff', '2026-11-02'],
  ])('%s (%s) starts %s', (now, _local, start) => {
    expect(promise(warehouse, now).startDate).toBe(start);
  });

  it('dates a promise made before the spring change and delivered after it', () => {
    const p = promise(warehouse, '2026-03-06T22:00:00Z'); // Fri 16:00 CST, after cutoff
    expect([p.startDate, p.shipDate, p.deliveryDate]).toEqual(['2026-03-09', '2026-03-10', '2026-03-11']);
    expect(p.deliveryBy).toBe('2026-03-12T04:59:59.999Z'); // end of Wed 11 in CDT (UTC−5)
    const before = promise(warehouse, '2026-03-02T19:00:00Z'); // Mon 13:00 CST
    expect(before.deliveryBy).toBe('2026-03-05T05:59:59.999Z'); // end of Wed 4 in CST (UTC−6)
  });

  it('dates a promise across the autumn change (a 25-hour Sunday)', () => {
    const p = promise(warehouse, '2026-10-30T21:00:00Z'); // Fri 16:00 CDT, after cutoff
    expect([p.startDate, p.shipDate, p.deliveryDate]).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
    expect(p.deliveryBy).toBe('2026-11-05T05:59:59.999Z'); // CST
  });
});

describe('several timezones at one instant (2026-03-10T21:30Z, cutoff 15:00 local everywhere)', () => {
  it.each([
    ['America/New_York', '17:30 EDT: after', '2026-03-11'],
    ['America/Chicago', '16:30 CDT: after', '2026-03-11'],
    ['America/Denver', '15:30 MDT: after', '2026-03-11'],
    ['America/Phoenix', '14:30 MST (no DST): before', '2026-03-10'],
    ['America/Los_Angeles', '14:30 PDT: before', '2026-03-10'],
    ['Europe/Berlin', '22:30 CET: after', '2026-03-11'],
    ['Asia/Tokyo', 'Wed 06:30 JST: before, already Wednesday', '2026-03-11'],
    ['Pacific/Auckland', 'Wed 10:30 NZDT: before', '2026-03-11'],
  ])('%s (%s) starts %s', (timezone, _local, start) => {
    const here = node('n', chicago, { cutoff: { time: '15:00', timezone } });
    expect(promise(here, '2026-03-10T21:30:00Z').startDate).toBe(start);
  });

  it('uses `timezone` for a node without a cutoff (every order starts the same working day)', () => {
    const tokyo = node('t', chicago, { cutoff: undefined, timezone: 'Asia/Tokyo' });
    expect(promise(tokyo, '2026-03-10T14:59:00Z').startDate).toBe('2026-03-10'); // 23:59 JST
    expect(promise(tokyo, '2026-03-10T15:00:00Z').startDate).toBe('2026-03-11'); // 00:00 JST
  });
});

describe('carrier pickup and delivery days', () => {
  it('waits for the carrier pickup day', () => {
    const tueThu = node('n', chicago, { carriers: [carrier('tt', { days: 1, pickupDays: [2, 4] })] });
    const p = promise(tueThu, '2026-03-10T19:00:00Z', 'tt'); // Tue 14:00: ships Wed, collected Thu
    expect([p.shipDate, p.handoverDate, p.deliveryDate]).toEqual(['2026-03-11', '2026-03-12', '2026-03-13']);
  });

  it('drops a carrier with no pickup on a working day', () => {
    const weekendOnly = node('n', chicago, { carriers: [carrier('weekend', { pickupDays: [6, 7] }), groundService] });
    const prep = prepared(weekendOnly);
    expect(prep.carriers.map((c) => c.id)).toEqual(['ground']);
    expect(prep.droppedCarrierIds).toEqual(['weekend']);
  });

  it('counts transit in the carrier delivery days: express delivers on Saturday, ground waits for Monday', () => {
    const warehouse = node('wh', chicago, { carriers: [groundService, expressService] });
    const friday = '2026-03-12T19:00:00Z'; // Thu 14:00: ships Fri 13
    expect(promise(warehouse, friday, 'express').deliveryDate).toBe('2026-03-14');
    expect(promise(warehouse, friday, 'ground').deliveryDate).toBe('2026-03-16');
  });

  it('delivers the same day by courier from a store before its cutoff, and not beyond 40 km', () => {
    const store = node('st', chicago, { type: 'store', cutoff: { time: '14:00', timezone: 'America/Chicago' } });
    const p = promise(store, '2026-03-14T16:00:00Z', 'courier', { destination: northOf(chicago, 10) }); // Sat 11:00
    expect([p.shipDate, p.deliveryDate, p.transitDays]).toEqual(['2026-03-14', '2026-03-14', 0]);
    const far = promisesFrom(prepared(store), northOf(chicago, 60), at('2026-03-14T16:00:00Z'));
    expect(far.map((x) => x.carrierId)).not.toContain(courierService.id);
  });

  it('takes transit days from the learner when it knows the service', () => {
    const slowGround: TransitEstimates = { transitDaysFor: (id, _band, nominal) => (id === 'ground' ? nominal + 2 : nominal) };
    const p = promise(node('wh', chicago), '2026-03-10T19:00:00Z', 'ground', { learner: slowGround });
    expect([p.transitDays, p.deliveryDate]).toEqual([3, '2026-03-16']);
  });

  it('knows which band a distance falls in', () => {
    const bands: CarrierService = carrier('b', { days: 1, maxKm: 100 });
    const warehouse = node('wh', chicago, { carriers: [{ ...bands, transit: [{ maxKm: 100, days: 1 }, { maxKm: 1_000, days: 3 }] }] });
    expect(promise(warehouse, '2026-03-10T19:00:00Z', 'b', { destination: northOf(chicago, 50) }).transitDays).toBe(1);
    expect(promise(warehouse, '2026-03-10T19:00:00Z', 'b', { destination: northOf(chicago, 500) }).transitDays).toBe(3);
    expect(promisesFrom(prepared(warehouse), northOf(chicago, 1_500), at('2026-03-10T19:00:00Z'))).toEqual([]);
  });
});

describe('pickup readiness within opening hours (store open 10:00–20:00, closed Sunday, 120 min to pick)', () => {
  const store = prepared(
    node('st', chicago, { type: 'store', openingHours: [{ days: [1, 2, 3, 4, 5, 6], open: '10:00', close: '20:00' }] }),
  );
  it.each([
    ['2026-03-10T16:00:00Z', 'Tue 11:00: ready at 13:00', '2026-03-10T18:00:00.000Z'],
    ['2026-03-10T13:00:00Z', 'Tue 08:00, before opening: 12:00', '2026-03-10T17:00:00.000Z'],
    ['2026-03-10T23:30:00Z', 'Tue 18:30, too late to pick today: Wed 12:00', '2026-03-11T17:00:00.000Z'],
    ['2026-03-14T23:00:00Z', 'Sat 18:00: ready at closing, 20:00', '2026-03-15T01:00:00.000Z'],
    ['2026-03-14T23:30:00Z', 'Sat 18:30: Sunday closed, Mon 12:00', '2026-03-16T17:00:00.000Z'],
    ['2026-03-08T00:30:00Z', 'Sat 18:30 CST before the DST night: Mon 12:00 CDT', '2026-03-09T17:00:00.000Z'],
  ])('%s (%s) → %s', (now, _local, ready) => {
    expect(new Date(storeReadyAt(store, at(now), 120)!).toISOString()).toBe(ready);
  });

  it('has a transfer on the shelf by closing time on its arrival day, or the next opening', () => {
    expect(new Date(storeReadyAfterArrival(store, dayOfDate('2026-03-12')!, 120)!).toISOString()).toBe('2026-03-13T01:00:00.000Z'); // Thu 20:00 CDT
    expect(new Date(storeReadyAfterArrival(store, dayOfDate('2026-03-15')!, 120)!).toISOString()).toBe('2026-03-16T17:00:00.000Z'); // Sun → Mon 12:00
  });

  it('cannot promise a pickup when no opening is long enough to pick', () => {
    const tiny = prepared(node('tiny', chicago, { type: 'store', openingHours: [{ days: [1], open: '10:00', close: '10:30' }] }));
    expect(storeReadyAt(tiny, at('2026-03-10T16:00:00Z'), 120)).toBeUndefined();
  });
});
