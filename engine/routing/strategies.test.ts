// Shows that each strategy picks what it promises, on one network where each has its own answer,
// and that the blend's weights are the dial between them.
// How: five Chicago-timezone warehouses north of a Chicago destination, each with one carrier of
// round-number cost and transit and its own priority, one line; a table of strategy → node.
//   near      10 km  $20  2 days  priority 9   the closest
//   balanced 150 km   $8  2 days  priority 6   the blend's pick ($8 and quick)
//   slow     300 km   $5 10 days  priority 5   the cheapest
//   ranked   600 km  $15  3 days  priority 1   the first in the priority list
//   express 1000 km  $30  1 day   priority 3   the fastest
import { describe, expect, it } from 'vitest';
import type { PlanResult, RoutingNode, Strategy } from './model.js';
import { prepareNetwork } from './network.js';
import { plan } from './sourcing.js';
import { at, carrier, chicago, node, northOf, stockOf } from './test-fixtures.js';

const nodes: RoutingNode[] = [
  node('near', northOf(chicago, 10), { priority: 9, carriers: [carrier('c-near', { base: 20, days: 2 })] }),
  node('balanced', northOf(chicago, 150), { priority: 6, carriers: [carrier('c-balanced', { base: 8, days: 2 })] }),
  node('slow', northOf(chicago, 300), { priority: 5, carriers: [carrier('c-slow', { level: 'economy', base: 5, days: 10 })] }),
  node('ranked', northOf(chicago, 600), { priority: 1, carriers: [carrier('c-ranked', { base: 15, days: 3 })] }),
  node('express', northOf(chicago, 1_000), { priority: 3, carriers: [carrier('c-express', { level: 'next_day', base: 30, days: 1 })] }),
];
const network = prepareNetwork(nodes);
const stock = stockOf(nodes.map((n) => ['MUG', n.nodeId, 10] as const));
const nowMs = at('2026-03-10T15:00:00Z'); // Tue 10:00 CDT, before every cutoff

const only = (result: PlanResult): string => {
  if (!result.ok) throw new Error(result.failure.reason);
  return result.plan.shipments.map((s) => s.nodeId).join('+');
};

describe('each strategy on one line', () => {
  it.each([
    ['cheapest', 'slow'],
    ['fastest', 'express'],
    ['closest', 'near'],
    ['priority', 'ranked'],
    ['blend', 'balanced'],
    ['fewest_shipments', 'balanced'], // one shipment either way; the blend breaks the tie
  ] as Array<[Strategy, string]>)('%s → %s', (strategy, expected) => {
    expect(only(plan({ destination: chicago, lines: [{ sku: 'MUG', qty: 1 }], strategy }, network, stock, { nowMs }))).toBe(expected);
  });

  it('defaults to the blend', () => {
    expect(only(plan({ destination: chicago, lines: [{ sku: 'MUG', qty: 1 }] }, network, stock, { nowMs }))).toBe('balanced');
  });

  it('moves the blend with its weights: speed at $30/day picks the fastest, speed at 0 the cheapest', () => {
    const request = { destination: chicago, lines: [{ sku: 'MUG', qty: 1 }] };
    expect(only(plan(request, network, stock, { nowMs, weights: { speed: 30 } }))).toBe('express');
    expect(only(plan(request, network, stock, { nowMs, weights: { speed: 0 } }))).toBe('slow');
  });

  it('lowers a node with a high recent rejection rate in the blend', () => {
    const request = { destination: chicago, lines: [{ sku: 'MUG', qty: 1 }] };
    const rejectionRates = new Map([['balanced', 0.9]]);
    expect(only(plan(request, network, stock, { nowMs, rejectionRates }))).not.toBe('balanced');
    const flaky = prepareNetwork(nodes.map((n) => (n.nodeId === 'balanced' ? { ...n, recentRejectionRate: 0.9 } : n)));
    expect(only(plan(request, flaky, stock, { nowMs }))).not.toBe('balanced');
  });

  it('prefers headroom in the blend: a node near its daily capacity loses to one with room', () => {
    const twins = prepareNetwork([
      node('busy', northOf(chicago, 100), { capacityPerDay: 10, capacityUsedToday: 9, carriers: [carrier('c', { base: 8 })] }),
      node('idle', northOf(chicago, 110), { capacityPerDay: 10, capacityUsedToday: 0, carriers: [carrier('c', { base: 8 })] }),
    ]);
    const twinStock = stockOf([['MUG', 'busy', 5], ['MUG', 'idle', 5]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'MUG', qty: 1 }] }, twins, twinStock, { nowMs });
    expect(only(result)).toBe('idle');
    if (result.ok) expect(result.plan.terms.capacity).toBeCloseTo(4 * (1 / 10) ** 2, 9);
  });

  it('explains the choice: every candidate scored by term, the chosen one marked', () => {
    const result = plan({ destination: chicago, lines: [{ sku: 'MUG', qty: 1 }], strategy: 'blend' }, network, stock, { nowMs });
    if (!result.ok) throw new Error('no plan');
    const [line] = result.plan.explanation.lines;
    expect(line.candidates.map((c) => c.nodeId)).toEqual(expect.arrayContaining(['near', 'balanced', 'slow', 'ranked', 'express']));
    const chosen = line.candidates.filter((c) => c.outcome === 'chosen');
    expect(chosen.map((c) => c.nodeId)).toEqual(['balanced']);
    const byId = new Map(line.candidates.map((c) => [c.nodeId, c]));
    expect(byId.get('balanced')!.terms.cost).toBe(8);
    expect(byId.get('near')!.terms.cost).toBe(20);
    expect(byId.get('slow')!.terms.speed).toBeGreaterThan(byId.get('balanced')!.terms.speed);
    // Candidates are listed best first, by the strategy's score.
    const scores = line.candidates.map((c) => c.score);
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(result.plan.terms.total).toBeCloseTo(result.plan.terms.cost + result.plan.terms.speed + result.plan.terms.split + result.plan.terms.capacity + result.plan.terms.rejection + result.plan.terms.lateness, 9);
  });
});
