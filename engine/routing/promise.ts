import {
  addDaysIn,
  dateOfDay,
  endOfLocalDay,
  firstDayIn,
  isDayIn,
  localTime,
  minuteMs,
  minutesPerDay,
  startOfLocalDay,
  zonedInstant,
} from './calendar.js';
import type { LatLon, TransitEstimates } from './model.js';
import type { PreparedCarrier, PreparedNode, ScheduleMemo } from './network.js';

// The delivery promise of one shipment, day by day in the node's own calendar:
//   start day    today if it is a working day and now is before the cutoff, else the next working day
//   ship day     start day + handlingDays working days
//   handover     the first day on or after the ship day the carrier collects (a working day too)
//   delivery     handover + transit days, counted in the carrier's delivery days (0: the same day)
// and the promise is the end of the delivery day, in the destination's timezone when known, else
// the node's. Transit days come from the learner when it has enough deliveries, else the band.

const earthRadiusKm = 6371;
const toRadians = Math.PI / 180;

/** Great-circle distance from a prepared node to a point (haversine, node side precomputed). */
export function nodeDistanceKm(node: PreparedNode, to: LatLon): number {
  const lat = to.lat * toRadians;
  const h = Math.sin((node.latRadians - lat) / 2) ** 2 + Math.cos(lat) * node.cosLat * Math.sin((node.lonRadians - to.lon * toRadians) / 2) ** 2;
  return 2 * earthRadiusKm * Math.asin(Math.min(1, Math.sqrt(h)));
}

export interface StartDay {
  /** The node's local day now. */
  today: number;
  /** `today` as "YYYY-MM-DD". */
  todayDate: string;
  /** The local day the order starts being handled. */
  startDay: number;
}

/**
 * Today and the start day at a node. Memoized on the node for the span in which the answer cannot
 * change (up to the cutoff, or up to local midnight), so most calls make no Intl call at all.
 */
export function startDayOf(node: PreparedNode, nowMs: number): StartDay {
  const memo = node.startMemo;
  if (nowMs >= memo.fromMs && nowMs < memo.untilMs) return memo;
  const tz = node.timezone;
  const local = localTime(nowMs, tz);
  const today = local.dayNumber;
  const dayStartMs = startOfLocalDay(today, tz);
  const nextDayStartMs = startOfLocalDay(today + 1, tz);
  const cutoffMs = node.cutoffMinute >= minutesPerDay ? nextDayStartMs : zonedInstant(today, node.cutoffMinute, tz);
  let startDay: number;
  let fromMs: number;
  let untilMs: number;
  if (isDayIn(node.workingMask, today) && nowMs < cutoffMs) {
    startDay = today;
    fromMs = dayStartMs;
    untilMs = cutoffMs;
  } else {
    startDay = firstDayIn(node.workingMask, today + 1);
    fromMs = isDayIn(node.workingMask, today) ? cutoffMs : dayStartMs;
    untilMs = nextDayStartMs;
  }
  // The window must hold `nowMs`; if a timezone oddity says otherwise, answer without memoizing.
  if (fromMs <= nowMs && nowMs < untilMs) {
    memo.fromMs = fromMs;
    memo.untilMs = untilMs;
    memo.startDay = startDay;
    memo.today = today;
    memo.todayDate = dateOfDay(today);
    return memo;
  }
  return { today, todayDate: dateOfDay(today), startDay };
}

/** The days of a shipment on a carrier (shared, read-only: it is also the carrier's memo). */
export type CarrierDays = Readonly<ScheduleMemo>;

/**
 * The days of one shipment on one carrier service, or undefined when the service does not reach
 * `km`. Memoized per carrier and band while the start day and the transit days are the same.
 */
export function carrierDays(node: PreparedNode, carrier: PreparedCarrier, km: number, startDay: number, learner?: TransitEstimates): CarrierDays | undefined {
  let bandIndex = -1;
  for (let i = 0; i < carrier.bandsMaxKm.length; i++) {
    if (km <= carrier.bandsMaxKm[i]) {
      bandIndex = i;
      break;
    }
  }
  if (bandIndex < 0) return undefined;
  const nominal = carrier.bandsDays[bandIndex];
  const transitDays = learner ? learner.transitDaysFor(carrier.id, bandIndex, nominal) : nominal;
  const memo = carrier.scheduleMemo[bandIndex];
  if (memo && memo.startDay === startDay && memo.transitDays === transitDays) return memo;
  const shipDay = addDaysIn(node.workingMask, startDay, node.handlingDays);
  const handoverDay = firstDayIn(carrier.pickupMask, shipDay);
  const deliveryDay = transitDays === 0 ? firstDayIn(carrier.deliveryMask, handoverDay) : addDaysIn(carrier.deliveryMask, handoverDay, transitDays);
  const nodeEndOfDayMs = endOfLocalDay(deliveryDay, node.timezone);
  const days: ScheduleMemo = { carrier, bandIndex, startDay, transitDays, shipDay, handoverDay, deliveryDay, nodeEndOfDayMs };
  carrier.scheduleMemo[bandIndex] = days;
  return days;
}

/** Pickup in store: when a store picking from `fromMs` on has the order ready (opening hours + prep). */
export function storeReadyAt(node: PreparedNode, fromMs: number, prepMinutes: number): number | undefined {
  const local = localTime(fromMs, node.timezone);
  for (let offset = 0; offset <= 7; offset++) {
    const day = local.dayNumber + offset;
    let best: number | undefined;
    for (const window of node.opening) {
      if (!isDayIn(window.mask, day)) continue;
      const startMinute = offset === 0 ? Math.max(local.minuteOfDay, window.openMinute) : window.openMinute;
      if (startMinute + prepMinutes > window.closeMinute) continue;
      const readyMs = offset === 0 && startMinute === local.minuteOfDay ? fromMs + prepMinutes * minuteMs : zonedInstant(day, startMinute + prepMinutes, node.timezone);
      if (best === undefined || readyMs < best) best = readyMs;
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/**
 * Pickup by transfer: goods that arrive at the store on local day `arrivalDay` are on the shelf by
 * that day's closing time when the store opens that day, else by the next opening plus prep.
 */
export function storeReadyAfterArrival(node: PreparedNode, arrivalDay: number, prepMinutes: number): number | undefined {
  let close = -1;
  for (const window of node.opening) if (isDayIn(window.mask, arrivalDay)) close = Math.max(close, window.closeMinute);
  if (close >= 0) return zonedInstant(arrivalDay, close, node.timezone);
  return storeReadyAt(node, startOfLocalDay(arrivalDay + 1, node.timezone), prepMinutes);
}

export interface ShipmentPromise {
  carrierId: string;
  bandIndex: number;
  transitDays: number;
  startDate: string;
  shipDate: string;
  handoverDate: string;
  deliveryDate: string;
  deliveryByMs: number;
  deliveryBy: string;
}

/**
 * The promise of every carrier service of a node for one destination (those that reach it), as
 * the sourcing engine computes them. For tests, POST /v1/promise and the node detail page.
 */
export function promisesFrom(node: PreparedNode, destination: LatLon & { timezone?: string }, nowMs: number, learner?: TransitEstimates): ShipmentPromise[] {
  const { startDay } = startDayOf(node, nowMs);
  const km = nodeDistanceKm(node, destination);
  const out: ShipmentPromise[] = [];
  for (const carrier of node.carriers) {
    const days = carrierDays(node, carrier, km, startDay, learner);
    if (!days) continue;
    const deliveryByMs = endOfLocalDay(days.deliveryDay, destination.timezone ?? node.timezone);
    out.push({
      carrierId: carrier.id,
      bandIndex: days.bandIndex,
      transitDays: days.transitDays,
      startDate: dateOfDay(startDay),
      shipDate: dateOfDay(days.shipDay),
      handoverDate: dateOfDay(days.handoverDay),
      deliveryDate: dateOfDay(days.deliveryDay),
      deliveryByMs,
      deliveryBy: new Date(deliveryByMs).toISOString(),
    });
  }
  return out;
}
