import { admitNodes, sortSmall, type LineState, type SearchContext } from './candidates.js';
import { assignWithinSet, exactCover, greedyCover, perLineBest } from './cover.js';
import { routingLimits } from './limits.js';
import { copyObjective, evaluate, score, usedNodes, type Assignment, type Part, type PlanEval, type Scratch } from './scoring.js';
import { compareObjectives, type Objective } from './strategies.js';

// The second half of sourcing: which allowed nodes serve which lines. Every step has a bound, so
// a 3-line order takes tens of microseconds and 100 lines × 200 nodes a few milliseconds (L lines,
// K = topK, S = maxShipments, N = nodes holding stock):
//
//   1. Single-node plans: nodes holding every line whole (evaluated or pending), the best
//      `singlesMax` by summed line keys; pending ones are evaluated now.   O(L × N)
//   2. Per-line best: each line from its best candidate (split best-first only when no candidate
//      serves it whole), then shipments dropped one at a time, the drop that leaves the best
//      plan, while above maxShipments.                                      O(S × S × L × S)
//   3. Greedy set cover (skipped when a single-node plan exists: its first pick would be one):
//      over the pool (each line's top K ∪ the singles; every candidate for fewest_shipments),
//      take the node that completes the most lines, then covers most units, then ranks best;
//      at most S picks.                                                     O(S × pool × L)
//   4. fewest_shipments (and any strategy when 2–3 found nothing within S): the exact minimum
//      cover smaller than the best plan so far, by iterative deepening from a lower bound,
//      branching on the line with the fewest candidates; at most `exactSearchExpansionsMax`
//      expansions, after which the plan says `fewestShipmentsExact: false`.
//   5. Improvement, at most `improveRoundsMax` rounds, each: drop shipments while that helps
//      (at most S drops), then move each line whole to one of its top K or the plan's nodes; a
//      change is kept only if the strategy's objective gets strictly better, so a round that
//      finds nothing ends the pass.                                         O(R × (S² + L × (K + S)) × L)
// Plans are compared with `score`, which allocates nothing; only the winner is built.
//
// Hard constraints are never relaxed: only allowed candidates exist here, a plan never takes more
// than a candidate has, and a plan with more than maxShipments shipments is never kept. A line is
// split only across nodes that each hold less than the line needs (in the order given), so the
// SKU actor's allocate(), given a line's nodes in that order, takes exactly the planned units.

export interface SearchInput {
  ctx: SearchContext;
  lines: LineState[];
  allowSplit: boolean;
  maxShipments: number;
  topK: number;
  scratch: Scratch;
}

export type SearchOutcome =
  | { ok: true; best: PlanEval; poolSize: number; plansCompared: number; improvements: number; fewestShipmentsExact?: boolean }
  | { ok: false; reason: 'not_enough_stock' | 'no_single_node' | 'over_max_shipments'; lineIndex?: number; exact?: boolean };

/** Drops shipments one at a time (the drop that leaves the best plan) until at most `maxShipments`. */
function consolidate(input: SearchInput, start: Assignment): Assignment | undefined {
  let assignment = start;
  let set = usedNodes(assignment);
  const objective: Objective = [0, 0, 0];
  const bestObjective: Objective = [0, 0, 0];
  // Each round removes one node, so at most |set| rounds.
  while (set.length > input.maxShipments) {
    let best: Assignment | undefined;
    for (const drop of set) {
      const next = assignWithinSet(input.lines, set.filter((node) => node !== drop));
      if (!next) continue;
      score(input, next, objective);
      if (!best || compareObjectives(objective, bestObjective) < 0) {
        best = next;
        copyObjective(objective, bestObjective);
      }
    }
    if (!best) return undefined;
    assignment = best;
    set = usedNodes(assignment);
  }
  return assignment;
}

function improve(input: SearchInput, start: Assignment, startObjective: Objective, topByLine: readonly number[][]): { best: Assignment; improvements: number } {
  const { lines, maxShipments } = input;
  const current = start.slice();
  const currentObjective: Objective = [...startObjective];
  const objective: Objective = [0, 0, 0];
  const bestObjective: Objective = [0, 0, 0];
  let improvements = 0;
  for (let round = 0; round < routingLimits.improveRoundsMax; round++) {
    let improved = false;
    // Drop shipments while that helps: its lines go to the plan's other nodes. Each kept drop
    // removes a node, so at most maxShipments drops.
    for (let set = usedNodes(current); set.length > 1; set = usedNodes(current)) {
      let best: Assignment | undefined;
      copyObjective(currentObjective, bestObjective);
      for (const drop of set) {
        const next = assignWithinSet(lines, set.filter((node) => node !== drop));
        if (!next) continue;
        score(input, next, objective);
        if (compareObjectives(objective, bestObjective) < 0) {
          best = next;
          copyObjective(objective, bestObjective);
        }
      }
      if (!best) break;
      for (let i = 0; i < current.length; i++) current[i] = best[i];
      copyObjective(bestObjective, currentObjective);
      improved = true;
      improvements++;
    }
    // Move a whole line to another node (of its top candidates, or already in the plan).
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const was = current[i];
      const used = usedNodes(current);
      let bestPart: Part[] | undefined;
      copyObjective(currentObjective, bestObjective);
      const tryNode = (node: number): void => {
        if (was.length === 1 && was[0].node === node) return;
        const candidate = line.byNode.get(node);
        if (!candidate || candidate.available < line.qty) return;
        const part = [{ node, qty: line.qty }];
        current[i] = part;
        const shipments = score(input, current, objective);
        current[i] = was;
        if (shipments <= maxShipments && compareObjectives(objective, bestObjective) < 0) {
          bestPart = part;
          copyObjective(objective, bestObjective);
        }
      };
      for (const node of topByLine[i]) tryNode(node);
      for (const node of used) if (!topByLine[i].includes(node)) tryNode(node);
      if (bestPart) {
        current[i] = bestPart;
        copyObjective(bestObjective, currentObjective);
        improved = true;
        improvements++;
      }
    }
    if (!improved) break;
  }
  return { best: current, improvements };
}

export function search(request: Omit<SearchInput, 'scratch'>): SearchOutcome {
  // Spelled out: an object spread costs more than the rest of a small search.
  const input: SearchInput = {
    ctx: request.ctx,
    lines: request.lines,
    allowSplit: request.allowSplit,
    maxShipments: request.maxShipments,
    topK: request.topK,
    scratch: request.ctx.network.scratch,
  };
  const { ctx, lines, allowSplit, maxShipments, topK } = input;
  for (const line of lines) if (line.totalAvailable < line.qty) return { ok: false, reason: 'not_enough_stock', lineIndex: line.index };

  let best: Assignment | undefined;
  const bestObjective: Objective = [0, 0, 0];
  const objective: Objective = [0, 0, 0];
  let plansCompared = 0;
  const consider = (assignment: Assignment | undefined): void => {
    if (!assignment) return;
    const shipments = score(input, assignment, objective);
    plansCompared++;
    if (shipments > maxShipments) return;
    if (!best || compareObjectives(objective, bestObjective) < 0) {
      best = assignment;
      copyObjective(objective, bestObjective);
    }
  };

  // 1. Single-node plans: nodes holding every line whole, evaluated or still pending (ranked by
  //    the sum of their keys, quick keys for pending ones); the best topK are evaluated and compared.
  const { count: wholeCount, sum: keySum, flag: inPool } = input.scratch;
  for (const line of lines) {
    for (const candidate of line.candidates) {
      const node = candidate.ev.node.index;
      wholeCount[node] = 0;
      keySum[node] = 0;
      inPool[node] = 0;
    }
    for (const ev of line.pending.evs) {
      const node = ev.node.index;
      wholeCount[node] = 0;
      keySum[node] = 0;
      inPool[node] = 0;
    }
  }
  let singles: number[] = [];
  for (const line of lines) {
    for (const candidate of line.candidates) {
      if (candidate.available < line.qty) continue;
      const node = candidate.ev.node.index;
      keySum[node] += candidate.key;
      if (++wholeCount[node] === lines.length) singles.push(node);
    }
    const { evs, available, quickKeys } = line.pending;
    for (let i = 0; i < evs.length; i++) {
      if (available[i] < line.qty) continue;
      const node = evs[i].node.index;
      keySum[node] += quickKeys[i];
      if (++wholeCount[node] === lines.length) singles.push(node);
    }
  }
  sortSmall(singles, (a, b) => keySum[a] - keySum[b] || a - b);
  if (singles.length > routingLimits.singlesMax) singles.length = routingLimits.singlesMax;
  // Pending holders among them are evaluated now; one that turns out excluded (no carrier) is no single.
  for (const line of lines) admitNodes(ctx, line, singles);
  singles = singles.filter((node) => lines.every((line) => line.byNode.has(node)));
  for (const node of singles) consider(lines.map((line) => [{ node, qty: line.qty }]));
  if (!allowSplit) {
    const single = best as Assignment | undefined;
    if (!single) return { ok: false, reason: 'no_single_node' };
    // One shipment is the fewest there can be.
    return { ok: true, best: evaluate(ctx, lines, single), poolSize: singles.length, plansCompared, improvements: 0, ...(ctx.strategy === 'fewest_shipments' ? { fewestShipmentsExact: true } : {}) };
  }

  // 2. Per-line best, consolidated down to maxShipments.
  let perLine: Assignment | undefined = perLineBest(lines);
  if (usedNodes(perLine).length > maxShipments) perLine = consolidate(input, perLine);
  consider(perLine);

  // 3. Greedy cover over the pool. (With a single-node plan its first pick completes every line
  //    and is the best of the singles, already compared: skipped.)
  const topByLine = lines.map((line) => {
    const top: number[] = [];
    for (let c = 0; c < line.candidates.length && c < topK; c++) top.push(line.candidates[c].ev.node.index);
    return top;
  });
  const pool: number[] = [];
  for (const nodes of [...topByLine, singles]) for (const node of nodes) if (!inPool[node]) (inPool[node] = 1), pool.push(node);
  sortSmall(pool, (a, b) => a - b);
  if (singles.length === 0) {
    // fewest_shipments (which evaluated every holder) covers greedily over all of them.
    const coverPool = ctx.strategy === 'fewest_shipments' ? [...new Set(lines.flatMap((line) => line.candidates.map((c) => c.ev.node.index)))].sort((a, b) => a - b) : pool;
    consider(greedyCover(lines, coverPool, maxShipments));
  }

  // 4. Exact fewest shipments, when asked for or when nothing above fit in maxShipments.
  let fewestShipmentsExact: boolean | undefined;
  if (ctx.strategy === 'fewest_shipments' || !best) {
    if (singles.length > 0) fewestShipmentsExact = true;
    else {
      // Only covers smaller than the best plan so far are worth finding.
      const sizeMax = best ? Math.min(maxShipments, usedNodes(best).length - 1) : maxShipments;
      const cover = exactCover(lines, sizeMax, routingLimits.exactSearchExpansionsMax);
      fewestShipmentsExact = cover.exact;
      for (const set of cover.solutions) consider(assignWithinSet(lines, set));
    }
  }
  const found = best as Assignment | undefined;
  if (!found) return { ok: false, reason: 'over_max_shipments', exact: fewestShipmentsExact };

  // 5. Bounded improvement.
  const improved = improve(input, found, bestObjective, topByLine);
  return {
    ok: true,
    best: evaluate(ctx, lines, improved.best),
    poolSize: pool.length,
    plansCompared,
    improvements: improved.improvements,
    ...(ctx.strategy === 'fewest_shipments' ? { fewestShipmentsExact } : {}),
  };
}
