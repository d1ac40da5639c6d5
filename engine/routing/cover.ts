import type { LineState } from './candidates.js';
import { routingLimits } from './limits.js';
import type { Assignment, Part } from './scoring.js';

// Covers: sets of nodes that serve every line, and how the lines are spread over a given set.

/**
 * Serves every line from the nodes of `set` only: whole from the best node that can, else split
 * best-first (each node giving all it has until the line is served, as the SKU actor does).
 */
export function assignWithinSet(lines: readonly LineState[], set: readonly number[]): Assignment | undefined {
  const assignment: Assignment = [];
  for (const line of lines) {
    const options = [];
    for (const node of set) {
      const candidate = line.byNode.get(node);
      if (candidate) options.push(candidate);
    }
    options.sort((a, b) => a.key - b.key || a.ev.node.index - b.ev.node.index);
    const whole = options.find((candidate) => candidate.available >= line.qty);
    if (whole) {
      assignment.push([{ node: whole.ev.node.index, qty: line.qty }]);
      continue;
    }
    const parts: Part[] = [];
    let left = line.qty;
    for (const candidate of options) {
      if (left === 0) break;
      const take = Math.min(left, candidate.available);
      parts.push({ node: candidate.ev.node.index, qty: take });
      left -= take;
    }
    if (left > 0) return undefined;
    assignment.push(parts);
  }
  return assignment;
}

/** Every line from its own best candidate: whole where any node can, else split best-first. */
export function perLineBest(lines: readonly LineState[]): Assignment {
  return lines.map((line) => {
    const whole = line.candidates.find((candidate) => candidate.available >= line.qty);
    if (whole) return [{ node: whole.ev.node.index, qty: line.qty }];
    const parts: Part[] = [];
    let left = line.qty;
    for (const candidate of line.candidates) {
      if (left === 0) break;
      const take = Math.min(left, candidate.available);
      parts.push({ node: candidate.ev.node.index, qty: take });
      left -= take;
    }
    return parts;
  });
}

/**
 * Greedy set cover: repeatedly the pool node that completes the most open lines, then covers the
 * most units, then ranks best; at most `maxShipments` picks. The plan then comes from
 * `assignWithinSet` over the picked nodes, so each line goes to its best picked node.
 */
export function greedyCover(lines: readonly LineState[], pool: readonly number[], maxShipments: number): Assignment | undefined {
  const need = lines.map((line) => line.qty);
  const chosen: number[] = [];
  const taken = new Set<number>();
  let open = need.length;
  while (open > 0 && chosen.length < maxShipments) {
    let bestNode = -1;
    let bestWhole = -1;
    let bestUnits = 0;
    let bestKey = Infinity;
    for (const node of pool) {
      if (taken.has(node)) continue;
      let whole = 0;
      let units = 0;
      let key = 0;
      for (let i = 0; i < lines.length; i++) {
        if (need[i] === 0) continue;
        const candidate = lines[i].byNode.get(node);
        if (!candidate) continue;
        const take = Math.min(need[i], candidate.available);
        units += take;
        if (take === need[i]) whole++;
        key += candidate.key;
      }
      if (units === 0) continue;
      if (whole > bestWhole || (whole === bestWhole && (units > bestUnits || (units === bestUnits && key < bestKey)))) {
        bestNode = node;
        bestWhole = whole;
        bestUnits = units;
        bestKey = key;
      }
    }
    if (bestNode < 0) return undefined;
    chosen.push(bestNode);
    taken.add(bestNode);
    for (let i = 0; i < lines.length; i++) {
      if (need[i] === 0) continue;
      const candidate = lines[i].byNode.get(bestNode);
      if (!candidate) continue;
      need[i] -= Math.min(need[i], candidate.available);
      if (need[i] === 0) open--;
    }
  }
  return open === 0 ? assignWithinSet(lines, chosen) : undefined;
}

/**
 * The fewest nodes that can serve every line (a line may be split among them), by iterative
 * deepening on the number of nodes from a lower bound (the fewest nodes whose line counts add up
 * to the number of lines) up to `sizeMax`. Each level branches on the uncovered line with the
 * fewest candidates (any cover holds one of them); a node explored in one branch is banned in its
 * later siblings, so each set is visited once; a branch whose remaining picks cannot reach the
 * uncovered lines even at the best node's line count is cut. Bounded by `expansionsMax`.
 * `exact`: every size up to the answer (or up to `sizeMax` when there is none) was searched to
 * the end.
 */
export function exactCover(lines: readonly LineState[], sizeMax: number, expansionsMax: number): { solutions: number[][]; exact: boolean } {
  const nodeLines = new Map<number, Array<{ line: number; available: number }>>();
  const fullLines = new Map<number, number>();
  for (const line of lines) {
    for (const candidate of line.candidates) {
      const node = candidate.ev.node.index;
      let list = nodeLines.get(node);
      if (!list) nodeLines.set(node, (list = []));
      list.push({ line: line.index, available: candidate.available });
      if (candidate.available >= line.qty) fullLines.set(node, (fullLines.get(node) ?? 0) + 1);
    }
  }
  // Branch order: nodes that serve more lines whole first, then more lines at all, then node order.
  const order = lines.map((line) =>
    line.candidates
      .map((candidate) => candidate.ev.node.index)
      .sort((a, b) => (fullLines.get(b) ?? 0) - (fullLines.get(a) ?? 0) || nodeLines.get(b)!.length - nodeLines.get(a)!.length || a - b),
  );
  const lineCounts = [...nodeLines.values()].map((list) => list.length).sort((a, b) => b - a);
  const maxCover = lineCounts[0] ?? 0;
  let lowerBound = 1;
  for (let sum = lineCounts[0] ?? 0; sum < lines.length && lowerBound < lineCounts.length; ) sum += lineCounts[lowerBound++];
  const need = lines.map((line) => line.qty);
  let uncovered = lines.length;
  const inSet = new Set<number>();
  const banned = new Set<number>();
  const chosen: number[] = [];
  const solutions: number[][] = [];
  let budget = expansionsMax;
  let exhausted = false;
  const solutionsMax = routingLimits.exactSearchSolutionsMax;

  const dfs = (size: number): void => {
    if (exhausted || solutions.length >= solutionsMax) return;
    if (--budget < 0) {
      exhausted = true;
      return;
    }
    if (uncovered === 0) {
      solutions.push([...chosen]);
      return;
    }
    if (chosen.length === size || uncovered > (size - chosen.length) * maxCover) return;
    let pick = -1;
    for (let i = 0; i < need.length; i++) if (need[i] > 0 && (pick < 0 || order[i].length < order[pick].length)) pick = i;
    const bannedHere: number[] = [];
    for (const node of order[pick]) {
      if (inSet.has(node) || banned.has(node)) continue;
      const touched = nodeLines.get(node)!;
      const taken = touched.map(({ line, available }) => {
        const take = Math.min(need[line], available);
        if (take > 0 && take === need[line]) uncovered--;
        need[line] -= take;
        return take;
      });
      inSet.add(node);
      chosen.push(node);
      dfs(size);
      chosen.pop();
      inSet.delete(node);
      touched.forEach(({ line }, i) => {
        if (taken[i] > 0 && need[line] === 0) uncovered++;
        need[line] += taken[i];
      });
      banned.add(node);
      bannedHere.push(node);
      if (exhausted || solutions.length >= solutionsMax) break;
    }
    for (const node of bannedHere) banned.delete(node);
  };

  for (let size = lowerBound; size <= sizeMax; size++) {
    dfs(size);
    // Every smaller size was searched to the end, so a cover found now is of the minimal size.
    if (solutions.length > 0) return { solutions, exact: true };
    if (exhausted) return { solutions: [], exact: false };
  }
  return { solutions: [], exact: true };
}
