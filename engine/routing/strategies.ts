import type { BlendWeights, PlanTerms, Strategy } from './model.js';

// What each strategy prefers, in three forms the search needs:
//   - a line key: how good a node is for one line shipped alone (ranks the candidates);
//   - a carrier choice: which of a node's services carries a shipment of a given weight;
//   - a plan objective: a tuple compared lexicographically (lower is better).
// Hard constraints (status, stock, capacity, a required deliveryBy) are applied before any of
// this; a strategy only orders what is allowed.

export const defaultBlendWeights: Readonly<BlendWeights> = Object.freeze({
  cost: 1,
  speed: 0.75,
  lateness: 25,
  split: 3,
  capacity: 4,
  rejection: 15,
});

export function blendWeights(overrides?: Partial<BlendWeights>): BlendWeights {
  if (!overrides) return defaultBlendWeights;
  const weights = { ...defaultBlendWeights, ...overrides };
  for (const value of Object.values(weights)) if (!(Number.isFinite(value) && value >= 0)) return { ...defaultBlendWeights };
  return weights;
}

/** One carrier service for one shipment, weight aside: what the search compares. */
export interface ServiceOffer {
  /** Cost without the weight part, in the network currency. */
  fixedCost: number;
  perKg: number;
  promisedAtMs: number;
  /** Days from now until the promise. */
  days: number;
  /** Days late against a preferred deliveryBy (0 when on time or none). */
  lateDays: number;
}

export const offerCost = (offer: ServiceOffer, weightKg: number): number => offer.fixedCost + offer.perKg * weightKg;

/** Index of the offer a strategy ships `weightKg` with, or −1 when there is none. Ties: the first offer. */
export function chooseOffer(strategy: Strategy, offers: readonly ServiceOffer[], weightKg: number, weights: BlendWeights): number {
  let best = -1;
  let bestA = Infinity;
  let bestB = Infinity;
  for (let i = 0; i < offers.length; i++) {
    const offer = offers[i];
    const cost = offerCost(offer, weightKg);
    let a: number;
    let b: number;
    if (strategy === 'cheapest') {
      a = cost;
      b = offer.promisedAtMs;
    } else if (strategy === 'fastest') {
      a = offer.promisedAtMs;
      b = cost;
    } else {
      a = weights.cost * cost + weights.speed * offer.days + weights.lateness * offer.lateDays;
      b = offer.promisedAtMs;
    }
    if (a < bestA - 1e-9 || (Math.abs(a - bestA) <= 1e-9 && b < bestB)) {
      best = i;
      bestA = a;
      bestB = b;
    }
  }
  return best;
}

/** The terms of one node shipping one line alone (the explanation's "score by term"). */
export interface LineTerms {
  cost: number;
  speed: number;
  lateness: number;
  capacity: number;
  rejection: number;
}

export interface LineKeyInput {
  terms: LineTerms;
  rawCost: number;
  days: number;
  distanceKm: number;
  priority: number;
}

/** How good a candidate is for one line shipped alone under `strategy`; lower is better. */
export function lineKey(strategy: Strategy, input: LineKeyInput): number {
  switch (strategy) {
    case 'cheapest':
      return input.rawCost;
    case 'fastest':
      return input.days;
    case 'closest':
      return input.distanceKm;
    case 'priority':
      // Priority first, distance breaks ties (no distance on Earth reaches 1e5 km).
      return input.priority * 1e5 + input.distanceKm;
    case 'fewest_shipments':
    case 'blend': {
      const t = input.terms;
      return t.cost + t.speed + t.lateness + t.capacity + t.rejection;
    }
  }
}

/** What a whole plan measures; the objective picks from it. */
export interface PlanMeasures {
  cost: number;
  latestMs: number;
  shipments: number;
  /** Σ qty × km: units travel less in a closer plan. */
  kmUnits: number;
  /** Σ qty × node priority. */
  priorityUnits: number;
  terms: PlanTerms;
}

export type Objective = [number, number, number];

export function objectiveOf(strategy: Strategy, m: PlanMeasures): Objective {
  switch (strategy) {
    case 'cheapest':
      return [m.cost, m.latestMs, m.shipments];
    case 'fastest':
      return [m.latestMs, m.cost, m.shipments];
    case 'fewest_shipments':
      return [m.shipments, m.terms.total, m.cost];
    case 'closest':
      return [m.kmUnits, m.shipments, m.cost];
    case 'priority':
      return [m.priorityUnits, m.kmUnits, m.cost];
    case 'blend':
      return [m.terms.total, m.cost, m.shipments];
  }
}

/** `objectiveOf` without allocating: writes the tuple into `out`. */
export function objectiveInto(strategy: Strategy, cost: number, latestMs: number, shipments: number, kmUnits: number, priorityUnits: number, total: number, out: Objective): void {
  switch (strategy) {
    case 'cheapest': out[0] = cost; out[1] = latestMs; out[2] = shipments; return;
    case 'fastest': out[0] = latestMs; out[1] = cost; out[2] = shipments; return;
    case 'fewest_shipments': out[0] = shipments; out[1] = total; out[2] = cost; return;
    case 'closest': out[0] = kmUnits; out[1] = shipments; out[2] = cost; return;
    case 'priority': out[0] = priorityUnits; out[1] = kmUnits; out[2] = cost; return;
    case 'blend': out[0] = total; out[1] = cost; out[2] = shipments; return;
  }
}

/** −1 when `a` is better, 1 when `b` is, 0 when equal within rounding. */
export function compareObjectives(a: Objective, b: Objective): number {
  for (let i = 0; i < a.length; i++) {
    const tolerance = 1e-9 * Math.max(1, Math.abs(a[i]), Math.abs(b[i]));
    if (a[i] < b[i] - tolerance) return -1;
    if (a[i] > b[i] + tolerance) return 1;
  }
  return 0;
}
