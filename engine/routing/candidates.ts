import { dayMs, endOfLocalDay } from './calendar.js';
import type { BlendWeights, LatLon, PlanContext, RejectReason, RoutingLine, StockView, Strategy, TransitEstimates } from './model.js';
import type { PreparedNode, RoutingNetwork } from './network.js';
import { carrierDays, nodeDistanceKm, startDayOf, storeReadyAfterArrival, type CarrierDays } from './promise.js';
import { chooseOffer, lineKey, offerCost, type LineTerms, type ServiceOffer } from './strategies.js';

// The first half of sourcing: which nodes may serve a request at all (hard constraints), and
// how each allowed node ranks for each line. Two phases keep it bounded:
//   1. Screen every node holding the SKU cheaply: status, exclusion, capacity (no allocation,
//      one distance per node per request), and a quick key: the strategy's key from the nodes'
//      carrier bands and costs, without calendars.
//   2. Fully evaluate (calendars, promises, every carrier) the best `evaluateMax` holders by quick
//      key, more only while they do not hold the line's quantity. The rest stay pending: the
//      search admits single-node holders it wants to compare, and a request that fails on the
//      evaluated ones is searched again with every holder admitted.
// fewest_shipments evaluates every holder (its exact search needs them all).

export interface Offer extends ServiceOffer {
  schedule: CarrierDays;
}

export interface NodeEval {
  node: PreparedNode;
  distanceKm: number;
  /** The hard constraint that excludes the node, if any. */
  reason: RejectReason | undefined;
  /** The node's services that reach the destination (and make a required deliveryBy); filled by `withOffers`. */
  offers: Offer[];
  offersReady: boolean;
  startDay: number;
  /** Per reachable carrier: [cost without weight, cost per kg, handling + nominal days]; built on first use. */
  quick: number[] | undefined;
  /** Blend terms that depend on the node alone (per shipment from it). */
  capacityTerm: number;
  rejectionTerm: number;
  priority: number;
}

export interface Candidate {
  ev: NodeEval;
  available: number;
  key: number;
  terms: LineTerms;
  offerIndex: number;
  rawCost: number;
}

/**
 * Screened holders not evaluated yet, as parallel arrays (a line of a popular SKU has dozens of
 * holders; one object each would be most of the garbage of a request).
 */
export interface Pending {
  evs: NodeEval[];
  available: number[];
  quickKeys: number[];
}

export interface LineState {
  index: number;
  sku: string;
  qty: number;
  weightKg: number;
  unitWeightKg: number;
  /** The evaluated allowed nodes with stock, best first under the strategy (ties: node order). */
  candidates: Candidate[];
  byNode: Map<number, Candidate>;
  totalAvailable: number;
  /** Screened holders not evaluated yet (in no particular order). */
  pending: Pending;
  /** In the order found (the explanation sorts them, nearest first). */
  rejected: Array<{ node: PreparedNode; reason: RejectReason; distanceKm: number }>;
  nodesWithoutStock: number;
}

export interface SearchContext {
  network: RoutingNetwork;
  strategy: Strategy;
  weights: BlendWeights;
  nowMs: number;
  learner: TransitEstimates | undefined;
  destination: LatLon & { timezone?: string };
  /** A transfer ships to this store; its promise is when the store has it ready. */
  transferTo: PreparedNode | undefined;
  prepMinutes: number;
  deliveryByMs: number | undefined;
  hardDeliveryBy: boolean;
  excluded: ReadonlySet<string>;
  capacityUsed: PlanContext['capacityUsed'];
  rejectionRates: PlanContext['rejectionRates'];
  evals: Array<NodeEval | undefined>;
}

function usedToday(ctx: SearchContext, node: PreparedNode, todayDate: string): number {
  const given = ctx.capacityUsed?.get(node.nodeId);
  if (given !== undefined) {
    if (typeof given === 'number') return given;
    return given.localDate === todayDate ? given.used : 0;
  }
  const used = node.node.capacityUsedToday ?? 0;
  if (node.node.capacityDay !== undefined && node.node.capacityDay !== todayDate) return 0;
  return used;
}

function promisedAt(ctx: SearchContext, node: PreparedNode, schedule: CarrierDays): number | undefined {
  if (ctx.transferTo) return storeReadyAfterArrival(ctx.transferTo, schedule.deliveryDay, ctx.prepMinutes);
  const timezone = ctx.destination.timezone;
  return timezone === undefined || timezone === node.timezone ? schedule.nodeEndOfDayMs : endOfLocalDay(schedule.deliveryDay, timezone);
}

/** Phase 1 of a node: the constraints that need no calendar. */
function screenNode(ctx: SearchContext, node: PreparedNode): NodeEval {
  const ev: NodeEval = {
    node,
    distanceKm: nodeDistanceKm(node, ctx.destination),
    reason: undefined,
    offers: [],
    offersReady: false,
    startDay: 0,
    quick: undefined,
    capacityTerm: 0,
    rejectionTerm: 0,
    priority: node.node.priority,
  };
  const status = node.node.status;
  if (status !== 'online') {
    ev.reason = status;
    return ev;
  }
  if (ctx.excluded.size > 0 && ctx.excluded.has(node.nodeId)) {
    ev.reason = 'excluded';
    return ev;
  }
  const { todayDate, startDay } = startDayOf(node, ctx.nowMs);
  ev.startDay = startDay;
  const capacity = node.node.capacityPerDay;
  if (capacity !== undefined) {
    const used = usedToday(ctx, node, todayDate);
    // At the cap the node is skipped until its next local day.
    if (used >= capacity) {
      ev.reason = 'at_capacity';
      return ev;
    }
    ev.capacityTerm = ctx.weights.capacity * ((used + 1) / capacity) ** 2;
  }
  const rate = ctx.rejectionRates?.get(node.nodeId) ?? node.node.recentRejectionRate ?? 0;
  ev.rejectionTerm = ctx.weights.rejection * Math.min(1, Math.max(0, rate));
  return ev;
}

/** Phase 2 of a node: every carrier's promise; a node left with none is excluded. */
export function withOffers(ctx: SearchContext, ev: NodeEval): NodeEval {
  if (ev.offersReady || ev.reason) return ev;
  ev.offersReady = true;
  const { node, distanceKm } = ev;
  let missed = false;
  for (const carrier of node.carriers) {
    const schedule = carrierDays(node, carrier, distanceKm, ev.startDay, ctx.learner);
    if (!schedule) continue;
    const at = promisedAt(ctx, node, schedule);
    if (at === undefined) continue;
    if (ctx.deliveryByMs !== undefined && ctx.hardDeliveryBy && at > ctx.deliveryByMs) {
      missed = true;
      continue;
    }
    const lateDays = ctx.deliveryByMs !== undefined && !ctx.hardDeliveryBy ? Math.max(0, (at - ctx.deliveryByMs) / dayMs) : 0;
    const distanceCost = carrier.base + carrier.perKm * distanceKm;
    ev.offers.push({ schedule, fixedCost: distanceCost, perKg: carrier.perKg, promisedAtMs: at, days: Math.max(0, (at - ctx.nowMs) / dayMs), lateDays });
  }
  if (ev.offers.length === 0) ev.reason = missed ? 'misses_delivery_by' : 'no_carrier';
  return ev;
}

/** The node's evaluation in this request (screened; offers only once asked for). */
export function nodeEval(ctx: SearchContext, node: PreparedNode): NodeEval {
  let ev = ctx.evals[node.index];
  if (!ev) {
    ev = screenNode(ctx, node);
    ctx.evals[node.index] = ev;
  }
  return ev;
}

/**
 * The strategy's key from carrier bands and costs alone (handling + nominal transit as days, no
 * calendar): cheap, and close enough to order which holders to evaluate first.
 */
function quickKey(ctx: SearchContext, ev: NodeEval, weightKg: number): number {
  const { strategy } = ctx;
  if (strategy === 'closest') return ev.distanceKm;
  if (strategy === 'priority') return ev.priority * 1e5 + ev.distanceKm;
  let quick = ev.quick;
  if (!quick) {
    // Weight aside, a node's quick figures are the same for every line: computed once per request.
    quick = [];
    const { node, distanceKm } = ev;
    for (const carrier of node.carriers) {
      for (let b = 0; b < carrier.bandsMaxKm.length; b++) {
        if (distanceKm <= carrier.bandsMaxKm[b]) {
          quick.push(carrier.base + carrier.perKm * distanceKm, carrier.perKg, node.handlingDays + carrier.bandsDays[b]);
          break;
        }
      }
    }
    ev.quick = quick;
  }
  const w = ctx.weights;
  let best = Infinity;
  for (let q = 0; q < quick.length; q += 3) {
    const cost = quick[q] + quick[q + 1] * weightKg;
    const key = strategy === 'cheapest' ? cost : strategy === 'fastest' ? quick[q + 2] : w.cost * cost + w.speed * quick[q + 2];
    if (key < best) best = key;
  }
  return best + (strategy === 'blend' || strategy === 'fewest_shipments' ? ev.capacityTerm + ev.rejectionTerm : 0);
}

function candidateFor(ctx: SearchContext, ev: NodeEval, available: number, weightKg: number): Candidate {
  const offerIndex = chooseOffer(ctx.strategy, ev.offers, weightKg, ctx.weights);
  const offer = ev.offers[offerIndex];
  const rawCost = offerCost(offer, weightKg);
  const w = ctx.weights;
  const terms: LineTerms = {
    cost: w.cost * rawCost,
    speed: w.speed * offer.days,
    lateness: w.lateness * offer.lateDays,
    capacity: ev.capacityTerm,
    rejection: ev.rejectionTerm,
  };
  const key = lineKey(ctx.strategy, { terms, rawCost, days: offer.days, distanceKm: ev.distanceKm, priority: ev.priority });
  return { ev, available, key, terms, offerIndex, rawCost };
}

/** Evaluates a screened holder; it becomes a candidate, or a rejection (no carrier, misses deliveryBy). */
function admit(ctx: SearchContext, state: LineState, screened: NodeEval, available: number): Candidate | undefined {
  const ev = withOffers(ctx, screened);
  if (ev.reason) {
    state.rejected.push({ node: ev.node, reason: ev.reason, distanceKm: ev.distanceKm });
    return undefined;
  }
  const candidate = candidateFor(ctx, ev, available, state.weightKg);
  state.candidates.push(candidate);
  state.byNode.set(ev.node.index, candidate);
  state.totalAvailable += available;
  return candidate;
}

/** Admits the pending holder at position `at` and removes it (swap with the last: order is not kept). */
function admitPending(ctx: SearchContext, state: LineState, at: number): void {
  const { evs, available, quickKeys } = state.pending;
  const last = evs.length - 1;
  const ev = evs[at];
  const units = available[at];
  evs[at] = evs[last];
  available[at] = available[last];
  quickKeys[at] = quickKeys[last];
  evs.pop();
  available.pop();
  quickKeys.pop();
  admit(ctx, state, ev, units);
}

/**
 * Sorts in place; insertion sort below 24 elements, where Array.prototype.sort's setup costs more
 * than the sorting (the search sorts many short lists per request). Stable, like the built-in.
 */
export function sortSmall<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > 24) return items.sort(compare);
  for (let i = 1; i < items.length; i++) {
    const item = items[i];
    let j = i - 1;
    while (j >= 0 && compare(items[j], item) > 0) {
      items[j + 1] = items[j];
      j--;
    }
    items[j + 1] = item;
  }
  return items;
}

/** Holder i ranks below holder j on the quick key (node order breaks ties). */
const worseHolder = (evs: readonly NodeEval[], quickKeys: readonly number[], i: number, j: number): boolean =>
  quickKeys[i] > quickKeys[j] || (quickKeys[i] === quickKeys[j] && evs[i].node.index > evs[j].node.index);

const byKey = (a: Candidate, b: Candidate): number => a.key - b.key || a.ev.node.index - b.ev.node.index;

/**
 * One line's candidates: every node holding the SKU is screened against the cheap hard
 * constraints (status, exclusion, capacity) and given a quick key; the best `evaluateMax` by quick
 * key (more while they hold less than the line's quantity; all when `evaluateMax` is Infinity) are
 * evaluated in full and ranked by the strategy's line key. The best are picked one at a time
 * (a partial selection, O(holders) each) rather than sorting every holder.
 */
export function buildLine(ctx: SearchContext, stock: StockView, line: RoutingLine, index: number, evaluateMax: number): LineState {
  const unitWeightKg = line.unitWeightKg ?? 1;
  const state: LineState = {
    index,
    sku: line.sku,
    qty: line.qty,
    unitWeightKg,
    weightKg: line.qty * unitWeightKg,
    candidates: [],
    byNode: new Map(),
    totalAvailable: 0,
    pending: { evs: [], available: [], quickKeys: [] },
    rejected: [],
    nodesWithoutStock: ctx.network.nodes.length,
  };
  const { pending } = state;
  // forEach: no [key, value] pair allocated per entry on this hot loop.
  stock.get(line.sku)?.forEach((units, nodeId) => {
    const node = ctx.network.get(nodeId);
    if (!node) return;
    const available = Math.floor(units);
    if (!(available >= 1)) {
      // Not screened: a node with none of the SKU needs no calendar or capacity look-up.
      state.rejected.push({ node, reason: 'no_stock', distanceKm: ctx.evals[node.index]?.distanceKm ?? nodeDistanceKm(node, ctx.destination) });
      return;
    }
    const ev = nodeEval(ctx, node);
    state.nodesWithoutStock--;
    if (ev.reason) {
      state.rejected.push({ node, reason: ev.reason, distanceKm: ev.distanceKm });
      return;
    }
    pending.evs.push(ev);
    pending.available.push(available);
    pending.quickKeys.push(quickKey(ctx, ev, state.weightKg));
  });
  if (evaluateMax === Infinity) {
    admitAll(ctx, state);
    return state;
  }
  // The best `evaluateMax` by quick key, in one pass with a small sorted buffer of positions.
  const best: number[] = [];
  const { evs, quickKeys } = pending;
  for (let i = 0; i < evs.length; i++) {
    if (best.length === evaluateMax && !worseHolder(evs, quickKeys, best[best.length - 1], i)) continue;
    let at = best.length === evaluateMax ? best.length - 1 : best.length;
    while (at > 0 && worseHolder(evs, quickKeys, best[at - 1], i)) {
      best[at] = best[at - 1];
      at--;
    }
    best[at] = i;
  }
  // Admit them (highest position first, so the swap-removal does not move a position still to come).
  sortSmall(best, (a, b) => b - a);
  for (const position of best) admitPending(ctx, state, position);
  // Not enough units among them: the next best, one at a time, until enough or none left.
  while (evs.length > 0 && state.totalAvailable < line.qty) {
    let next = 0;
    for (let i = 1; i < evs.length; i++) if (worseHolder(evs, quickKeys, next, i)) next = i;
    admitPending(ctx, state, next);
  }
  sortSmall(state.candidates, byKey);
  return state;
}

/** Evaluates the pending holders at `nodes`, if any (single-node plans the search wants to compare). */
export function admitNodes(ctx: SearchContext, state: LineState, nodes: readonly number[]): void {
  const { evs } = state.pending;
  let admitted = false;
  for (let i = 0; i < evs.length; ) {
    if (nodes.includes(evs[i].node.index)) {
      admitPending(ctx, state, i);
      admitted = true;
    } else i++;
  }
  if (admitted) sortSmall(state.candidates, byKey);
}

/** Evaluates every pending holder of the line. */
export function admitAll(ctx: SearchContext, state: LineState): void {
  const { evs, available } = state.pending;
  if (evs.length === 0) return;
  for (let i = 0; i < evs.length; i++) admit(ctx, state, evs[i], available[i]);
  state.pending = { evs: [], available: [], quickKeys: [] };
  sortSmall(state.candidates, byKey);
}
