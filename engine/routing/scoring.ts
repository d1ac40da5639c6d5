import type { LineState, NodeEval, SearchContext } from './candidates.js';
import { dayMs } from './calendar.js';
import type { NetworkScratch } from './network.js';
import { chooseOffer, objectiveInto, objectiveOf, offerCost, type Objective, type PlanMeasures } from './strategies.js';

// What a candidate plan is worth: its shipments (one per node, the carrier the strategy picks for
// the shipment's weight), its measures and blend terms, and the strategy's objective. `evaluate`
// builds all of it for the winner; `score` gives the same objective without allocating, for the
// hundreds of plans the search compares.

export interface Part {
  node: number;
  qty: number;
}

/** Per line (in line order): the nodes it is taken from, in the order the SKU actor should try them. */
export type Assignment = Part[][];

export interface ShipmentEval {
  ev: NodeEval;
  units: number;
  weightKg: number;
  offerIndex: number;
  cost: number;
  promisedAtMs: number;
}

export interface PlanEval {
  assignment: Assignment;
  /** In order of first appearance over the lines. */
  shipments: ShipmentEval[];
  measures: PlanMeasures;
  objective: Objective;
}

export interface MeasurePart {
  cost: number;
  promisedAtMs: number;
  capacityTerm: number;
  rejectionTerm: number;
}

/** The plan-level measures and blend terms of a set of shipments. */
export function measure(ctx: SearchContext, parts: readonly MeasurePart[], kmUnits: number, priorityUnits: number): PlanMeasures {
  const w = ctx.weights;
  let cost = 0;
  let latestMs = ctx.nowMs;
  let capacity = 0;
  let rejection = 0;
  for (const part of parts) {
    cost += part.cost;
    if (part.promisedAtMs > latestMs) latestMs = part.promisedAtMs;
    capacity += part.capacityTerm;
    rejection += part.rejectionTerm;
  }
  const costTerm = w.cost * cost;
  const speed = w.speed * Math.max(0, latestMs - ctx.nowMs) / dayMs;
  const lateness = ctx.deliveryByMs !== undefined && !ctx.hardDeliveryBy ? w.lateness * Math.max(0, latestMs - ctx.deliveryByMs) / dayMs : 0;
  const split = w.split * Math.max(0, parts.length - 1);
  const total = costTerm + speed + lateness + split + capacity + rejection;
  return { cost, latestMs, shipments: parts.length, kmUnits, priorityUnits, terms: { cost: costTerm, speed, lateness, split, capacity, rejection, total } };
}

export function evaluate(ctx: SearchContext, lines: readonly LineState[], assignment: Assignment): PlanEval {
  const byNode = new Map<number, ShipmentEval>();
  let kmUnits = 0;
  let priorityUnits = 0;
  for (let i = 0; i < assignment.length; i++) {
    const line = lines[i];
    for (const part of assignment[i]) {
      let shipment = byNode.get(part.node);
      if (!shipment) {
        const ev = line.byNode.get(part.node)!.ev;
        shipment = { ev, units: 0, weightKg: 0, offerIndex: -1, cost: 0, promisedAtMs: 0 };
        byNode.set(part.node, shipment);
      }
      shipment.units += part.qty;
      shipment.weightKg += part.qty * line.unitWeightKg;
      kmUnits += part.qty * shipment.ev.distanceKm;
      priorityUnits += part.qty * shipment.ev.priority;
    }
  }
  const shipments = [...byNode.values()];
  const parts: MeasurePart[] = [];
  for (const shipment of shipments) {
    const { ev } = shipment;
    shipment.offerIndex = chooseOffer(ctx.strategy, ev.offers, shipment.weightKg, ctx.weights);
    const offer = ev.offers[shipment.offerIndex];
    shipment.cost = offerCost(offer, shipment.weightKg);
    shipment.promisedAtMs = offer.promisedAtMs;
    parts.push({ cost: shipment.cost, promisedAtMs: shipment.promisedAtMs, capacityTerm: ev.capacityTerm, rejectionTerm: ev.rejectionTerm });
  }
  const measures = measure(ctx, parts, kmUnits, priorityUnits);
  return { assignment, shipments, measures, objective: objectiveOf(ctx.strategy, measures) };
}

/** Scratch of the scorer, indexed by node (the network's, reused): no allocation per evaluated plan. */
export type Scratch = NetworkScratch;

/**
 * The objective of a plan, written into `out`, and its number of shipments; the same numbers as
 * `evaluate` (which also builds the shipments), without allocating. The search compares
 * hundreds of plans per request with this and builds only the winner.
 */
export function score(input: { ctx: SearchContext; lines: readonly LineState[]; scratch: Scratch }, assignment: Assignment, out: Objective): number {
  const { ctx, lines, scratch } = input;
  const round = ++scratch.round;
  let count = 0;
  let kmUnits = 0;
  let priorityUnits = 0;
  for (let i = 0; i < assignment.length; i++) {
    const unitWeightKg = lines[i].unitWeightKg;
    const parts = assignment[i];
    for (let p = 0; p < parts.length; p++) {
      const { node, qty } = parts[p];
      if (scratch.stamp[node] !== round) {
        scratch.stamp[node] = round;
        scratch.weightKg[node] = 0;
        scratch.touched[count++] = node;
      }
      scratch.weightKg[node] += qty * unitWeightKg;
      const ev = ctx.evals[node]!;
      kmUnits += qty * ev.distanceKm;
      priorityUnits += qty * ev.priority;
    }
  }
  const w = ctx.weights;
  let cost = 0;
  let latestMs = ctx.nowMs;
  let perShipment = 0;
  for (let t = 0; t < count; t++) {
    const node = scratch.touched[t];
    const ev = ctx.evals[node]!;
    const weightKg = scratch.weightKg[node];
    const offer = ev.offers[chooseOffer(ctx.strategy, ev.offers, weightKg, w)];
    cost += offerCost(offer, weightKg);
    if (offer.promisedAtMs > latestMs) latestMs = offer.promisedAtMs;
    perShipment += ev.capacityTerm + ev.rejectionTerm;
  }
  const speed = (w.speed * Math.max(0, latestMs - ctx.nowMs)) / dayMs;
  const lateness = ctx.deliveryByMs !== undefined && !ctx.hardDeliveryBy ? (w.lateness * Math.max(0, latestMs - ctx.deliveryByMs)) / dayMs : 0;
  const total = w.cost * cost + speed + lateness + w.split * Math.max(0, count - 1) + perShipment;
  objectiveInto(ctx.strategy, cost, latestMs, count, kmUnits, priorityUnits, total, out);
  return count;
}

/** The plan's nodes in order of first appearance. Plans hold few nodes: a linear scan beats a Set. */
export const usedNodes = (assignment: Assignment): number[] => {
  const seen: number[] = [];
  for (const parts of assignment) for (const part of parts) if (!seen.includes(part.node)) seen.push(part.node);
  return seen;
};

export const copyObjective = (from: Objective, to: Objective): void => {
  to[0] = from[0];
  to[1] = from[1];
  to[2] = from[2];
};
