import { availableOf, type Allocation, type Position } from '../domain.js';

/**
 * Chooses where `qty` units come from, walking `candidates` in the caller's order of preference.
 * The first node that can serve the whole quantity wins; when none can and splitting is allowed,
 * the units are taken from the candidates in order. Returns undefined when it cannot be served:
 * then nothing is taken. Pure.
 */
export function allocate(
  positions: Readonly<Record<string, Position>>,
  qty: number,
  candidates: readonly string[],
  allowSplit: boolean,
): Allocation[] | undefined {
  for (const nodeId of candidates) {
    const position = positions[nodeId];
    if (position && availableOf(position) >= qty) return [{ nodeId, qty }];
  }
  if (!allowSplit) return undefined;
  const allocations: Allocation[] = [];
  let left = qty;
  const used = new Set<string>();
  for (const nodeId of candidates) {
    const position = positions[nodeId];
    // A node named twice is still one node: never count its units twice.
    if (!position || used.has(nodeId)) continue;
    used.add(nodeId);
    const take = Math.min(left, availableOf(position));
    if (take <= 0) continue;
    allocations.push({ nodeId, qty: take });
    left -= take;
    if (left === 0) return allocations;
  }
  return undefined;
}

export function totalAvailable(positions: Readonly<Record<string, Position>>, nodeIds: readonly string[]): number {
  let sum = 0;
  for (const nodeId of nodeIds) {
    const position = positions[nodeId];
    if (position) sum += availableOf(position);
  }
  return sum;
}
