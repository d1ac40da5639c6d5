// Shows the hard constraints and the shape of a plan: splitting only when no node can serve a
// line or an order alone, allowSplit false (one node or INSUFFICIENT_STOCK), maxShipments,
// capacity at the cap and on the node's next local day, paused and offline nodes, a required or
// preferred deliveryBy, excluded nodes, the explanation of every rejection, bad input as a
// VALIDATION_FAILED result, and a 100-line × 200-node request staying fast.
// How: small networks of Chicago-timezone warehouses with round-number carriers, planned at a
// fixed instant; results are checked field by field, refusals by code and reason.
import { describe, expect, it } from 'vitest';
import { dayOfDate, dateOfDay } from './calendar.js';
import type { PlanResult, RoutingNode, RoutingRequest, Strategy } from './model.js';
import { prepareNetwork } from './network.js';
import { plan, promiseOptions } from './sourcing.js';
import { StockTable } from './stock.js';
import { at, carrier, chicago, node, northOf, stockOf } from './test-fixtures.js';

const nowMs = at('2026-03-10T15:00:00Z'); // Tue 10:00 CDT
const cheap = (id: string, km: number, overrides: Partial<RoutingNode> = {}): RoutingNode =>
  node(id, northOf(chicago, km), { carriers: [carrier(`c-${id}`, { base: 5, perKm: 0.01 })], ...overrides });

function ok(result: PlanResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${result.failure.code}/${result.failure.reason}`);
  return result.plan;
}
function failed(result: PlanResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result.failure;
}
const allocations = (result: PlanResult): string[] => ok(result).allocations.map((a) => `${a.sku}@${a.nodeId}×${a.qty}`);

describe('splitting', () => {
  const network = prepareNetwork([cheap('a', 10), cheap('b', 20), cheap('c', 30)]);

  it('serves a line whole from one node when one can, even if nearer nodes hold part of it', () => {
    const stock = stockOf([['TEE', 'a', 3], ['TEE', 'b', 3], ['TEE', 'c', 8]]);
    expect(allocations(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 8 }] }, network, stock, { nowMs }))).toEqual(['TEE@c×8']);
  });

  it('splits a line across nodes when no node can serve it alone, nearest first, taking all a node has', () => {
    const stock = stockOf([['TEE', 'a', 3], ['TEE', 'b', 4], ['TEE', 'c', 5]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 8 }], strategy: 'closest' }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@a×3', 'TEE@b×4', 'TEE@c×1']);
    expect(ok(result).shipments).toHaveLength(3);
  });

  it('splits an order by line when no node holds every line', () => {
    const stock = stockOf([['TEE', 'a', 5], ['CAP', 'b', 5]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }, { sku: 'CAP', qty: 1 }] }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@a×1', 'CAP@b×1']);
    expect(ok(result).terms.split).toBe(3);
  });

  it('keeps an order together when one node can ship it all and the split saves too little', () => {
    const stock = stockOf([['TEE', 'a', 5], ['CAP', 'b', 5], ['TEE', 'c', 5], ['CAP', 'c', 5]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }, { sku: 'CAP', qty: 1 }] }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@c×1', 'CAP@c×1']);
  });

  it('with allowSplit false: one node for everything, or INSUFFICIENT_STOCK / no_single_node', () => {
    const split = stockOf([['TEE', 'a', 3], ['TEE', 'b', 5]]);
    const refused = failed(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 8 }], allowSplit: false }, network, split, { nowMs }));
    expect([refused.code, refused.reason]).toEqual(['INSUFFICIENT_STOCK', 'no_single_node']);
    const whole = stockOf([['TEE', 'a', 3], ['TEE', 'c', 9], ['CAP', 'a', 1], ['CAP', 'c', 1]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 8 }, { sku: 'CAP', qty: 1 }], allowSplit: false }, network, whole, { nowMs });
    expect(allocations(result)).toEqual(['TEE@c×8', 'CAP@c×1']);
  });

  it('refuses with INSUFFICIENT_STOCK / not_enough_stock when the network lacks the units, and says how many there are', () => {
    const stock = stockOf([['TEE', 'a', 3], ['TEE', 'b', 4]]);
    const refused = failed(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 8 }] }, network, stock, { nowMs }));
    expect([refused.code, refused.reason]).toEqual(['INSUFFICIENT_STOCK', 'not_enough_stock']);
    expect(refused.details).toMatchObject({ sku: 'TEE', requested: 8, available: 7 });
    const unknown = failed(plan({ destination: chicago, lines: [{ sku: 'NOPE', qty: 1 }] }, network, stock, { nowMs }));
    expect(unknown.reason).toBe('not_enough_stock');
    expect(unknown.lines[0].nodesWithoutStock).toBe(3);
  });

  it('merges lines of the same SKU (their units come from one pool)', () => {
    const stock = stockOf([['TEE', 'a', 3], ['TEE', 'b', 9]]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 2 }, { sku: 'TEE', qty: 2 }] }, network, stock, { nowMs });
    // 2 + 2 = 4 TEE: only b holds 4, so b serves the merged line whole.
    expect(allocations(result)).toEqual(['TEE@b×4']);
    expect(ok(result).explanation.lines).toHaveLength(1);
  });
});

describe('maxShipments', () => {
  // Three lines; x holds A and B, y holds B and C, z holds only C, w holds only A.
  const network = prepareNetwork([cheap('w', 5), cheap('x', 40), cheap('y', 60), cheap('z', 10)]);
  const stock = stockOf([['A', 'x', 5], ['B', 'x', 5], ['B', 'y', 5], ['C', 'y', 5], ['C', 'z', 5], ['A', 'w', 5]]);
  const lines = [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 1 }, { sku: 'C', qty: 1 }];

  it.each([1, 2, 3, 5])('never plans more than %i shipments', (maxShipments) => {
    for (const strategy of ['blend', 'cheapest', 'fastest', 'closest', 'priority', 'fewest_shipments'] as Strategy[]) {
      const result = plan({ destination: chicago, lines, maxShipments, strategy }, network, stock, { nowMs });
      if (maxShipments === 1) {
        expect(failed(result).reason).toBe('over_max_shipments');
        continue;
      }
      expect(ok(result).shipments.length).toBeLessThanOrEqual(maxShipments);
    }
  });

  it('closest takes each line from its nearest node until the cap forces it to consolidate', () => {
    const free = plan({ destination: chicago, lines, maxShipments: 5, strategy: 'closest' }, network, stock, { nowMs });
    expect(ok(free).shipments.map((s) => s.nodeId).sort()).toEqual(['w', 'x', 'z']);
    const capped = plan({ destination: chicago, lines, maxShipments: 2, strategy: 'closest' }, network, stock, { nowMs });
    expect(ok(capped).shipments).toHaveLength(2);
    const line = ok(capped).explanation.lines.find((l) => l.sku === 'A')!;
    expect(line.candidates.find((c) => c.nodeId === 'w')?.outcome).toBe('over_max_shipments');
  });

  it('fewest_shipments finds the 2-node cover exactly and says so', () => {
    const result = ok(plan({ destination: chicago, lines, strategy: 'fewest_shipments' }, network, stock, { nowMs }));
    expect(result.shipments).toHaveLength(2);
    expect(result.explanation.search.fewestShipmentsExact).toBe(true);
  });

  it('fewest_shipments splits a line if that saves a shipment', () => {
    // T: 2 units. p has 1 T + U, q has 1 T + V, r has 2 T only.
    const net = prepareNetwork([cheap('p', 10), cheap('q', 20), cheap('r', 5)]);
    const s = stockOf([['T', 'p', 1], ['U', 'p', 1], ['T', 'q', 1], ['V', 'q', 1], ['T', 'r', 2]]);
    const request: RoutingRequest = { destination: chicago, lines: [{ sku: 'T', qty: 2 }, { sku: 'U', qty: 1 }, { sku: 'V', qty: 1 }], strategy: 'fewest_shipments' };
    const result = ok(plan(request, net, s, { nowMs }));
    expect(result.shipments.map((x) => x.nodeId).sort()).toEqual(['p', 'q']);
    expect(result.allocations.filter((a) => a.sku === 'T').map((a) => a.qty)).toEqual([1, 1]);
  });
});

describe('node status and capacity', () => {
  const stock = stockOf([['TEE', 'near', 5], ['TEE', 'far', 5]]);

  it.each([
    ['paused', 'paused'],
    ['offline', 'offline'],
  ] as const)('skips a %s node and says why', (status, reason) => {
    const network = prepareNetwork([cheap('near', 10, { status }), cheap('far', 500)]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@far×1']);
    expect(ok(result).explanation.lines[0].rejected).toEqual([{ nodeId: 'near', reason }]);
  });

  it('skips a node at its daily capacity, and uses it again on its next local day', () => {
    const full = { capacityPerDay: 100, capacityUsedToday: 100, capacityDay: '2026-03-10' };
    const network = prepareNetwork([cheap('near', 10, full), cheap('far', 500)]);
    const today = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, network, stock, { nowMs });
    expect(allocations(today)).toEqual(['TEE@far×1']);
    expect(ok(today).explanation.lines[0].rejected).toEqual([{ nodeId: 'near', reason: 'at_capacity' }]);
    // 23:59 CDT is still the 10th; 00:00 CDT on the 11th is the node's next day (05:00Z).
    expect(allocations(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, network, stock, { nowMs: at('2026-03-11T04:59:00Z') }))).toEqual(['TEE@far×1']);
    expect(allocations(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, network, stock, { nowMs: at('2026-03-11T05:00:00Z') }))).toEqual(['TEE@near×1']);
  });

  it('takes capacity counts from the context too, keyed by the local date', () => {
    const network = prepareNetwork([cheap('near', 10, { capacityPerDay: 3 }), cheap('far', 500)]);
    const request = { destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] };
    expect(allocations(plan(request, network, stock, { nowMs, capacityUsed: new Map([['near', 3]]) }))).toEqual(['TEE@far×1']);
    expect(allocations(plan(request, network, stock, { nowMs, capacityUsed: new Map([['near', 2]]) }))).toEqual(['TEE@near×1']);
    expect(allocations(plan(request, network, stock, { nowMs, capacityUsed: new Map([['near', { localDate: '2026-03-10', used: 3 }]]) }))).toEqual(['TEE@far×1']);
    expect(allocations(plan(request, network, stock, { nowMs, capacityUsed: new Map([['near', { localDate: '2026-03-09', used: 3 }]]) }))).toEqual(['TEE@near×1']);
  });

  it('skips excluded nodes (for example those that rejected this order)', () => {
    const network = prepareNetwork([cheap('near', 10), cheap('far', 500)]);
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }], excludeNodeIds: ['near'] }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@far×1']);
    expect(ok(result).explanation.lines[0].rejected).toEqual([{ nodeId: 'near', reason: 'excluded' }]);
  });

  it('lists a node that holds none as no_stock and counts the nodes that do not hold the SKU', () => {
    const network = prepareNetwork([cheap('near', 10), cheap('far', 500), cheap('other', 50)]);
    const result = ok(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, network, stockOf([['TEE', 'near', 0], ['TEE', 'far', 2]]), { nowMs }));
    expect(result.explanation.lines[0].rejected).toEqual([{ nodeId: 'near', reason: 'no_stock' }]);
    expect(result.explanation.lines[0].nodesWithoutStock).toBe(2);
  });
});

describe('deliveryBy', () => {
  const network = prepareNetwork([
    node('slowcheap', northOf(chicago, 10), { carriers: [carrier('eco', { level: 'economy', base: 4, days: 6 })] }),
    node('quick', northOf(chicago, 20), { carriers: [carrier('air', { level: 'next_day', base: 25, days: 1 })] }),
  ]);
  const stock = stockOf([['TEE', 'slowcheap', 5], ['TEE', 'quick', 5]]);
  const friday = at('2026-03-14T04:59:59.999Z'); // end of Fri 13 in Chicago

  it('excludes the nodes that cannot make a required date', () => {
    const result = plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }], deliveryByMs: friday, strategy: 'cheapest' }, network, stock, { nowMs });
    expect(allocations(result)).toEqual(['TEE@quick×1']);
    expect(ok(result).explanation.lines[0].rejected).toEqual([{ nodeId: 'slowcheap', reason: 'misses_delivery_by' }]);
    expect(ok(result).promisedAtMs).toBeLessThanOrEqual(friday);
  });

  it('refuses when nobody can make a required date', () => {
    const tooSoon = at('2026-03-10T23:00:00Z');
    const refused = failed(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }], deliveryByMs: tooSoon }, network, stock, { nowMs }));
    expect(refused.code).toBe('INSUFFICIENT_STOCK');
    expect(refused.lines[0].rejected.map((r) => r.reason)).toEqual(['misses_delivery_by', 'misses_delivery_by']);
  });

  it('only weighs lateness against a preferred date', () => {
    const request: RoutingRequest = { destination: chicago, lines: [{ sku: 'TEE', qty: 1 }], deliveryByMs: friday, deliveryByPolicy: 'preferred' };
    const result = ok(plan(request, network, stock, { nowMs }));
    expect(result.shipments[0].nodeId).toBe('quick'); // 6 days late × $25/day outweighs $21
    const lenient = ok(plan(request, network, stock, { nowMs, weights: { lateness: 1 } }));
    expect(lenient.shipments[0].nodeId).toBe('slowcheap');
    expect(lenient.terms.lateness).toBeGreaterThan(0);
  });
});

describe('plan shape', () => {
  const network = prepareNetwork([cheap('a', 10), cheap('b', 900)]);
  const stock = stockOf([['TEE', 'a', 5], ['CAP', 'b', 5]]);

  it('dates each shipment and the order by its latest shipment', () => {
    const result = ok(plan({ destination: chicago, lines: [{ sku: 'TEE', qty: 2, unitWeightKg: 0.5 }, { sku: 'CAP', qty: 1 }] }, network, stock, { nowMs }));
    expect(result.shipments.map((s) => [s.nodeId, s.shipDate, s.deliveryDate, s.weightKg])).toEqual([
      ['a', '2026-03-11', '2026-03-13', 1],
      ['b', '2026-03-11', '2026-03-13', 1],
    ]);
    expect(result.promisedAtMs).toBe(Math.max(...result.shipments.map((s) => s.promisedAtMs)));
    expect(result.totalCost).toBeCloseTo(5 + 0.1 + 5 + 9, 1);
    expect(result.currency).toBe('USD');
    expect(dateOfDay(dayOfDate(result.shipments[0].deliveryDate)!)).toBe('2026-03-13');
  });

  it('compares costs in one currency, with the given exchange rates', () => {
    const cad = node('cad', northOf(chicago, 10), { carriers: [{ ...carrier('cad-post', { base: 10 }), cost: { currency: 'CAD', base: 10 } }] });
    const usd = node('usd', northOf(chicago, 20), { carriers: [carrier('usps', { base: 8 })] });
    const s = stockOf([['TEE', 'cad', 1], ['TEE', 'usd', 1]]);
    const request: RoutingRequest = { destination: chicago, lines: [{ sku: 'TEE', qty: 1 }], strategy: 'cheapest' };
    expect(allocations(plan(request, prepareNetwork([cad, usd], { exchangeRates: { CAD: 0.7 } }), s, { nowMs }))).toEqual(['TEE@cad×1']);
    // Without a rate the CAD service is left out, and the node has no carrier left.
    const noRate = plan(request, prepareNetwork([cad, usd]), s, { nowMs });
    expect(allocations(noRate)).toEqual(['TEE@usd×1']);
    expect(ok(noRate).explanation.lines[0].rejected).toEqual([{ nodeId: 'cad', reason: 'no_carrier' }]);
  });

  it('gives POST /v1/promise its options: fastest, cheapest, fewest shipments, identical plans listed once', () => {
    const two = prepareNetwork([
      node('air', northOf(chicago, 10), { carriers: [carrier('air', { level: 'next_day', base: 25, days: 1 })] }),
      node('eco', northOf(chicago, 20), { carriers: [carrier('eco', { level: 'economy', base: 4, days: 5 })] }),
    ]);
    const s = stockOf([['TEE', 'air', 1], ['TEE', 'eco', 1]]);
    const answer = promiseOptions({ destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] }, two, s, { nowMs });
    if (!answer.ok) throw new Error('no options');
    expect(answer.options.map((o) => [o.strategies, o.plan.shipments[0].nodeId])).toEqual([
      [['fastest'], 'air'],
      [['cheapest', 'fewest_shipments'], 'eco'],
    ]);
    const none = promiseOptions({ destination: chicago, lines: [{ sku: 'NOPE', qty: 1 }] }, two, s, { nowMs });
    expect(none.ok ? 'ok' : none.failure.code).toBe('INSUFFICIENT_STOCK');
  });
});

describe('bad input is a VALIDATION_FAILED result naming the field', () => {
  const network = prepareNetwork([cheap('a', 10)]);
  const stock = stockOf([['TEE', 'a', 5]]);
  const line = { sku: 'TEE', qty: 1 };
  it.each([
    ['lines', { destination: chicago, lines: [] }],
    ['lines', { destination: chicago, lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, qty: 1 })) }],
    ['lines[0].qty', { destination: chicago, lines: [{ sku: 'TEE', qty: 0 }] }],
    ['lines[0].qty', { destination: chicago, lines: [{ sku: 'TEE', qty: 10_001 }] }],
    ['lines[0].qty', { destination: chicago, lines: [{ sku: 'TEE', qty: 1.5 }] }],
    ['lines[0].sku', { destination: chicago, lines: [{ sku: '', qty: 1 }] }],
    ['lines[0].unitWeightKg', { destination: chicago, lines: [{ sku: 'TEE', qty: 1, unitWeightKg: -1 }] }],
    ['destination', { destination: { lat: 91, lon: 0 }, lines: [line] }],
    ['destination.timezone', { destination: { ...chicago, timezone: 'Nowhere/Land' }, lines: [line] }],
    ['strategy', { destination: chicago, lines: [line], strategy: 'random' }],
    ['maxShipments', { destination: chicago, lines: [line], maxShipments: 0 }],
    ['maxShipments', { destination: chicago, lines: [line], maxShipments: 21 }],
    ['deliveryByMs', { destination: chicago, lines: [line], deliveryByMs: Number.NaN }],
    ['fulfillment', { destination: chicago, lines: [line], fulfillment: { type: 'pickup' } }],
  ])('%s', (field, request) => {
    const refused = failed(plan(request as RoutingRequest, network, stock, { nowMs }));
    expect([refused.code, refused.details.field]).toEqual(['VALIDATION_FAILED', field]);
  });

  it('nowMs', () => {
    expect(failed(plan({ destination: chicago, lines: [line] }, network, stock, { nowMs: Number.NaN })).details.field).toBe('nowMs');
  });

  it('accepts exactly 100 lines', () => {
    const many = StockTable.from(Array.from({ length: 100 }, (_, i) => ({ sku: `S${i}`, nodeId: 'a', available: 1 })));
    const result = plan({ destination: chicago, lines: Array.from({ length: 100 }, (_, i) => ({ sku: `S${i}`, qty: 1 })) }, network, many, { nowMs });
    expect(ok(result).shipments).toHaveLength(1);
  });
});

describe('bounded search: 100 lines × 200 nodes', () => {
  // A seeded network of 200 nodes across the US and 100 SKUs each held by ~30% of the nodes.
  let seed = 42;
  const random = (): number => ((seed = (seed * 48_271) % 2_147_483_647) / 2_147_483_647);
  const nodes = Array.from({ length: 200 }, (_, i) =>
    node(`n${String(i).padStart(3, '0')}`, { lat: 26 + random() * 21, lon: -123 + random() * 52 }, { type: i % 4 === 0 ? 'store' : 'warehouse', priority: 1 + (i % 9), capacityPerDay: 1_000 }),
  );
  const network = prepareNetwork(nodes);
  const stock = new StockTable();
  for (let s = 0; s < 100; s++) for (const n of nodes) if (random() < 0.3) stock.set(`S${s}`, n.nodeId, 1 + Math.floor(random() * 4));
  const lines = Array.from({ length: 100 }, (_, s) => ({ sku: `S${s}`, qty: 1 + (s % 3) }));

  it.each(['blend', 'cheapest', 'fastest', 'closest', 'priority', 'fewest_shipments'] as Strategy[])('%s plans within its bounds', (strategy) => {
    const began = performance.now();
    const result = plan({ destination: chicago, lines, strategy, maxShipments: 20 }, network, stock, { nowMs });
    const tookMs = performance.now() - began;
    const planned = ok(result);
    expect(planned.shipments.length).toBeLessThanOrEqual(20);
    expect(planned.allocations.reduce((sum, a) => sum + a.qty, 0)).toBe(lines.reduce((sum, l) => sum + l.qty, 0));
    // Generous on a shared machine: the point is that it is milliseconds, not seconds.
    expect(tookMs).toBeLessThan(2_000);
    if (process.env.OO_ROUTING_TIMINGS) console.log(strategy, tookMs.toFixed(1), 'ms', planned.shipments.length, 'shipments', planned.explanation.search);
    for (const line of planned.explanation.lines) {
      expect(line.candidates.length).toBeLessThanOrEqual(6 + line.chosen.length);
      expect(line.rejected.length).toBeLessThanOrEqual(16);
    }
  });
});
