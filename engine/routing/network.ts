import { assert } from '../assert.js';
import { isValidTimeZone, minutesPerDay, parseWallTime, weekdayMask, type WeekdayMask } from './calendar.js';
import { defaultCarriers } from './carriers.js';
import { everyDay, mondayToFriday, type CarrierService, type IsoWeekday, type RoutingNode } from './model.js';

// The network prepared once per change (a node added, edited or its status changed) and reused
// for every request: defaults applied, wall times parsed, weekdays as bit masks, carrier costs in
// one currency, coordinates in radians. What changes per request (capacity used, rejection
// rates, stock) is not baked in; it comes with the request.

const toRadians = Math.PI / 180;

export interface PreparedCarrier {
  service: CarrierService;
  id: string;
  /** In the network currency. */
  base: number;
  perKm: number;
  perKg: number;
  bandsMaxKm: readonly number[];
  bandsDays: readonly number[];
  /** The carrier's pickup days that are also the node's working days. */
  pickupMask: WeekdayMask;
  deliveryMask: WeekdayMask;
  /** Per distance band: the last schedule computed (reused while the start day and transit days hold). */
  scheduleMemo: Array<ScheduleMemo | undefined>;
}

export interface ScheduleMemo {
  carrier: PreparedCarrier;
  bandIndex: number;
  startDay: number;
  transitDays: number;
  shipDay: number;
  handoverDay: number;
  deliveryDay: number;
  /** The end of the delivery day in the node's timezone. */
  nodeEndOfDayMs: number;
}

export interface PreparedOpening {
  mask: WeekdayMask;
  openMinute: number;
  closeMinute: number;
}

/** The start-day memo of a node: valid for `nowMs` in [fromMs, untilMs). */
export interface StartDayMemo {
  fromMs: number;
  untilMs: number;
  startDay: number;
  today: number;
  /** `today` as "YYYY-MM-DD" (what per-local-day capacity counts are keyed by). */
  todayDate: string;
}

export interface PreparedNode {
  index: number;
  nodeId: string;
  node: RoutingNode;
  timezone: string;
  latRadians: number;
  lonRadians: number;
  cosLat: number;
  /** Minutes after local midnight; no cutoff: the end of the day (every order starts the same day). */
  cutoffMinute: number;
  handlingDays: number;
  workingMask: WeekdayMask;
  pickupCapable: boolean;
  opening: readonly PreparedOpening[];
  carriers: readonly PreparedCarrier[];
  /** Services left out: unknown currency, or no pickup day that is a working day. */
  droppedCarrierIds: readonly string[];
  startMemo: StartDayMemo;
}

export interface NetworkScratch {
  weightKg: Float64Array;
  stamp: Int32Array;
  touched: Int32Array;
  round: number;
  count: Int32Array;
  sum: Float64Array;
  flag: Uint8Array;
}

export interface NetworkOptions {
  /** The currency every cost is compared in. Default USD. */
  currency?: string;
  /** Value of one unit of each other currency in `currency` (e.g. { CAD: 0.73 }). */
  exchangeRates?: Readonly<Record<string, number>>;
}

export class RoutingNetwork {
  readonly nodes: readonly PreparedNode[];
  readonly currency: string;
  /**
   * Working memory of the search, sized to the network and reused by every request (planning is
   * synchronous, so one request at a time uses it). Holds nothing between requests.
   */
  readonly scratch: NetworkScratch;
  private readonly byId: Map<string, number>;

  constructor(nodes: readonly PreparedNode[], currency: string) {
    this.nodes = nodes;
    this.currency = currency;
    this.byId = new Map(nodes.map((node) => [node.nodeId, node.index]));
    const count = nodes.length;
    this.scratch = { weightKg: new Float64Array(count), stamp: new Int32Array(count), touched: new Int32Array(count), round: 0, count: new Int32Array(count), sum: new Float64Array(count), flag: new Uint8Array(count) };
  }

  indexOf(nodeId: string): number {
    return this.byId.get(nodeId) ?? -1;
  }

  get(nodeId: string): PreparedNode | undefined {
    const index = this.byId.get(nodeId);
    return index === undefined ? undefined : this.nodes[index];
  }
}

const isWeekday = (day: unknown): day is IsoWeekday => Number.isInteger(day) && (day as number) >= 1 && (day as number) <= 7;
const isNonNegative = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function validateCarrier(carrier: CarrierService, at: string, problems: string[]): void {
  if (!carrier.id) problems.push(`${at}.id is empty`);
  if (!['same_day', 'next_day', 'standard', 'economy'].includes(carrier.level)) problems.push(`${at}.level is not a service level`);
  if (!carrier.cost?.currency) problems.push(`${at}.cost.currency is empty`);
  if (!isNonNegative(carrier.cost?.base)) problems.push(`${at}.cost.base must be ≥ 0`);
  if (carrier.cost?.perKm !== undefined && !isNonNegative(carrier.cost.perKm)) problems.push(`${at}.cost.perKm must be ≥ 0`);
  if (carrier.cost?.perKg !== undefined && !isNonNegative(carrier.cost.perKg)) problems.push(`${at}.cost.perKg must be ≥ 0`);
  if (!Array.isArray(carrier.transit) || carrier.transit.length === 0) problems.push(`${at}.transit needs at least one band`);
  let lastKm = 0;
  for (const [i, band] of (carrier.transit ?? []).entries()) {
    if (!(band.maxKm > lastKm) || !Number.isFinite(band.maxKm)) problems.push(`${at}.transit[${i}].maxKm must ascend`);
    if (!Number.isInteger(band.days) || band.days < 0 || band.days > 60) problems.push(`${at}.transit[${i}].days must be 0..60`);
    lastKm = band.maxKm;
  }
  for (const field of ['pickupDays', 'deliveryDays'] as const) {
    const days = carrier[field];
    if (days !== undefined && (days.length === 0 || !days.every(isWeekday))) problems.push(`${at}.${field} must be ISO weekdays`);
  }
}

/** What is wrong with a node, for people; empty when it is fine. The gateway validates with it. */
export function validateRoutingNode(node: RoutingNode): string[] {
  const problems: string[] = [];
  if (!node.nodeId) problems.push('nodeId is empty');
  if (!['warehouse', 'store', '3pl'].includes(node.type)) problems.push('type is not a node type');
  if (!['online', 'paused', 'offline'].includes(node.status)) problems.push('status is not a node status');
  const { lat, lon } = node.location ?? {};
  if (!(typeof lat === 'number' && lat >= -90 && lat <= 90 && typeof lon === 'number' && lon >= -180 && lon <= 180)) problems.push('location is not a lat/lon');
  if (!Number.isFinite(node.priority)) problems.push('priority is not a number');
  if (node.capacityPerDay !== undefined && !(Number.isInteger(node.capacityPerDay) && node.capacityPerDay >= 0)) problems.push('capacityPerDay must be an integer ≥ 0');
  if (node.capacityUsedToday !== undefined && !isNonNegative(node.capacityUsedToday)) problems.push('capacityUsedToday must be ≥ 0');
  if (node.cutoff) {
    if (parseWallTime(node.cutoff.time) === undefined) problems.push('cutoff.time is not HH:MM');
    if (!isValidTimeZone(node.cutoff.timezone)) problems.push('cutoff.timezone is not an IANA timezone');
  }
  if (node.timezone !== undefined && !isValidTimeZone(node.timezone)) problems.push('timezone is not an IANA timezone');
  if (node.handlingDays !== undefined && !(Number.isInteger(node.handlingDays) && node.handlingDays >= 0 && node.handlingDays <= 30)) problems.push('handlingDays must be 0..30');
  if (node.workingDays !== undefined && (node.workingDays.length === 0 || !node.workingDays.every(isWeekday))) problems.push('workingDays must be ISO weekdays');
  for (const [i, hours] of (node.openingHours ?? []).entries()) {
    const open = parseWallTime(hours.open);
    const close = parseWallTime(hours.close);
    if (open === undefined || close === undefined || open >= close) problems.push(`openingHours[${i}] must open before it closes`);
    if (hours.days.length === 0 || !hours.days.every(isWeekday)) problems.push(`openingHours[${i}].days must be ISO weekdays`);
  }
  for (const [i, carrier] of (node.carriers ?? []).entries()) validateCarrier(carrier, `carriers[${i}]`, problems);
  if (node.recentRejectionRate !== undefined && !(node.recentRejectionRate >= 0 && node.recentRejectionRate <= 1)) problems.push('recentRejectionRate must be 0..1');
  return problems;
}

function prepareCarrier(service: CarrierService, workingMask: WeekdayMask, currency: string, rates: Readonly<Record<string, number>>): PreparedCarrier | undefined {
  const rate = service.cost.currency === currency ? 1 : rates[service.cost.currency];
  if (rate === undefined || !(rate > 0)) return undefined;
  const pickupMask = weekdayMask(service.pickupDays ?? everyDay) & workingMask;
  if (pickupMask === 0) return undefined;
  return {
    service,
    id: service.id,
    base: service.cost.base * rate,
    perKm: (service.cost.perKm ?? 0) * rate,
    perKg: (service.cost.perKg ?? 0) * rate,
    bandsMaxKm: service.transit.map((band) => band.maxKm),
    bandsDays: service.transit.map((band) => band.days),
    pickupMask,
    deliveryMask: weekdayMask(service.deliveryDays ?? mondayToFriday),
    scheduleMemo: [],
  };
}

function prepareNode(node: RoutingNode, index: number, currency: string, rates: Readonly<Record<string, number>>): PreparedNode {
  const isStore = node.type === 'store';
  const workingDays = node.workingDays ?? (isStore ? everyDay : mondayToFriday);
  const workingMask = weekdayMask(workingDays);
  const services = node.carriers && node.carriers.length > 0 ? node.carriers : defaultCarriers(node.type);
  const carriers: PreparedCarrier[] = [];
  const droppedCarrierIds: string[] = [];
  for (const service of services) {
    const prepared = prepareCarrier(service, workingMask, currency, rates);
    if (prepared) carriers.push(prepared);
    else droppedCarrierIds.push(service.id);
  }
  const opening = (node.openingHours ?? [{ days: workingDays, open: '10:00', close: '20:00' }]).map((hours) => ({
    mask: weekdayMask(hours.days),
    openMinute: parseWallTime(hours.open)!,
    closeMinute: parseWallTime(hours.close)!,
  }));
  const latRadians = node.location.lat * toRadians;
  return {
    index,
    nodeId: node.nodeId,
    node,
    timezone: node.cutoff?.timezone ?? node.timezone ?? 'UTC',
    latRadians,
    lonRadians: node.location.lon * toRadians,
    cosLat: Math.cos(latRadians),
    cutoffMinute: node.cutoff ? parseWallTime(node.cutoff.time)! : minutesPerDay,
    handlingDays: node.handlingDays ?? (isStore ? 0 : 1),
    workingMask,
    pickupCapable: node.pickupCapable ?? isStore,
    opening,
    carriers,
    droppedCarrierIds,
    startMemo: { fromMs: 0, untilMs: 0, startDay: 0, today: 0, todayDate: '' },
  };
}

/**
 * Prepares the network for routing. Nodes are ordered by id, which is the last tie-break of every
 * ranking, so the same network gives the same plans whatever order it was listed in.
 * The nodes must be valid (`validateRoutingNode`): an invalid one is a programmer error here.
 */
export function prepareNetwork(nodes: Iterable<RoutingNode>, options: NetworkOptions = {}): RoutingNetwork {
  const currency = options.currency ?? 'USD';
  const rates = options.exchangeRates ?? {};
  const sorted = [...nodes].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const problems = validateRoutingNode(sorted[i]);
    assert(problems.length === 0, `routing node ${sorted[i].nodeId}: ${problems.join('; ')}`);
    assert(i === 0 || sorted[i - 1].nodeId !== sorted[i].nodeId, `routing node ${sorted[i].nodeId} listed twice`);
  }
  return new RoutingNetwork(sorted.map((node, index) => prepareNode(node, index, currency, rates)), currency);
}
