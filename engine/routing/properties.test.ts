// Shows, over random networks, stock and requests, the promises a plan keeps whatever the
// strategy: it never takes more than a node has, never uses a node that is not online, excluded
// or at capacity, never plans more than maxShipments shipments (one without splitting), keeps a
// required deliveryBy, serves exactly what was asked; fewest_shipments is never beaten on the
// number of shipments by another strategy's plan; and the same inputs give the same plan, also
// when the nodes and the stock are listed in another order.
// How: seeded fast-check properties (OO_ROUTING_PROPERTY_SEED overrides the seed; fast-check
// prints the seed and the shrunk case on failure) over 2–7 nodes in four US timezones, 4 SKUs,
// dates across 2026 including both DST changes, delivery and pickup.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDate } from './calendar.js';
import { strategies, type Plan, type PlanResult, type RoutingNode, type RoutingRequest, type Strategy } from './model.js';
import { prepareNetwork } from './network.js';
import { plan } from './sourcing.js';
import { StockTable } from './stock.js';
import { carrier } from './test-fixtures.js';

const seed = Number(process.env.OO_ROUTING_PROPERTY_SEED ?? 20_260_308);
const numRuns = Number(process.env.OO_ROUTING_PROPERTY_RUNS ?? 150);
const skus = ['A', 'B', 'C', 'D'] as const;
const timezones = ['America/Chicago', 'America/New_York', 'America/Los_Angeles', 'America/Phoenix'] as const;

const nodeArbitrary = (index: number): fc.Arbitrary<RoutingNode> =>
  fc
    .record({
      lat: fc.double({ min: 26, max: 48, noNaN: true }),
      lon: fc.double({ min: -123, max: -70, noNaN: true }),
      type: fc.constantFrom('warehouse', 'store', '3pl'),
      status: fc.constantFrom('online', 'online', 'online', 'paused', 'offline'),
      priority: fc.integer({ min: 1, max: 9 }),
      capacity: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      used: fc.integer({ min: 0, max: 3 }),
      timezone: fc.constantFrom(...timezones),
      cutoff: fc.constantFrom('12:00', '15:00', '17:30'),
      custom: fc.boolean(),
      base: fc.integer({ min: 2, max: 30 }),
      days: fc.integer({ min: 0, max: 6 }),
    })
    .map((r) => ({
      nodeId: `n${index}`,
      type: r.type,
      location: { lat: r.lat, lon: r.lon },
      status: r.status,
      priority: r.priority,
      cutoff: { time: r.cutoff, timezone: r.timezone },
      ...(r.capacity !== undefined ? { capacityPerDay: r.capacity, capacityUsedToday: r.used } : {}),
      ...(r.custom ? { carriers: [carrier(`own-${index}`, { base: r.base, perKm: 0.002, perKg: 0.3, days: r.days })] } : {}),
    }));

interface World {
  nodes: RoutingNode[];
  stock: Array<{ sku: string; nodeId: string; available: number }>;
  request: RoutingRequest;
  nowMs: number;
}

const worldArbitrary: fc.Arbitrary<World> = fc
  .integer({ min: 2, max: 7 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => nodeArbitrary(i))))
  .chain((nodes) =>
    fc.record({
      nodes: fc.constant(nodes),
      stock: fc.array(fc.record({ sku: fc.constantFrom(...skus), nodeId: fc.constantFrom(...nodes.map((n) => n.nodeId)), available: fc.integer({ min: 0, max: 4 }) }), { maxLength: 20 }),
      lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), qty: fc.integer({ min: 1, max: 4 }), unitWeightKg: fc.constantFrom(0.2, 1, 5) }), { minLength: 1, maxLength: 4, selector: (l) => l.sku }),
      allowSplit: fc.boolean(),
      maxShipments: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      // 2026-01-05 .. 2026-12-20: both DST changes, weekends, every hour.
      nowMs: fc.integer({ min: Date.UTC(2026, 0, 5), max: Date.UTC(2026, 11, 20) }),
      deliveryByDays: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
      policy: fc.constantFrom('required', 'preferred'),
      exclude: fc.subarray(nodes.map((n) => n.nodeId), { maxLength: 1 }),
      destination: fc.record({ lat: fc.double({ min: 26, max: 48, noNaN: true }), lon: fc.double({ min: -123, max: -70, noNaN: true }) }),
      pickup: fc.option(fc.record({ nodeId: fc.constantFrom(...nodes.map((n) => n.nodeId)), transfers: fc.constantFrom('allow', 'refuse') }), { nil: undefined, freq: 4 }),
    }),
  )
  .map((r) => ({
    nodes: r.nodes,
    stock: r.stock,
    nowMs: r.nowMs,
    request: {
      destination: r.destination,
      lines: r.lines,
      allowSplit: r.allowSplit,
      ...(r.maxShipments !== undefined ? { maxShipments: r.maxShipments } : {}),
      ...(r.deliveryByDays !== undefined ? { deliveryByMs: r.nowMs + r.deliveryByDays * 86_400_000, deliveryByPolicy: r.policy as 'required' | 'preferred' } : {}),
      ...(r.exclude.length > 0 ? { excludeNodeIds: r.exclude } : {}),
      ...(r.pickup ? { fulfillment: { type: 'pickup' as const, nodeId: r.pickup.nodeId, transfers: r.pickup.transfers as 'allow' | 'refuse' } } : {}),
    },
  }));

/** Stock rows to a table; a later row for the same (sku, node) replaces the earlier one. */
const tableOf = (rows: World['stock']): StockTable => StockTable.from(rows);

function checkInvariants(world: World, strategy: Strategy, result: PlanResult, table: StockTable): void {
  if (!result.ok) {
    expect(['INSUFFICIENT_STOCK', 'PICKUP_UNAVAILABLE']).toContain(result.failure.code);
    return;
  }
  const { plan: p } = result;
  const byId = new Map(world.nodes.map((n) => [n.nodeId, n]));
  const taken = new Map<string, number>();
  for (const a of p.allocations) {
    expect(Number.isInteger(a.qty) && a.qty > 0).toBe(true);
    const key = `${a.sku}@${a.nodeId}`;
    taken.set(key, (taken.get(key) ?? 0) + a.qty);
  }
  // Never more than available.
  for (const [key, qty] of taken) {
    const [sku, nodeId] = key.split('@');
    expect(qty).toBeLessThanOrEqual(table.available(sku, nodeId));
  }
  // Exactly what was asked.
  for (const line of world.request.lines) expect(p.allocations.filter((a) => a.sku === line.sku).reduce((s, a) => s + a.qty, 0)).toBe(line.qty);
  // Only usable nodes.
  for (const shipment of p.shipments) {
    const n = byId.get(shipment.nodeId)!;
    expect(n.status).toBe('online');
    expect(world.request.excludeNodeIds ?? []).not.toContain(shipment.kind === 'pickup' ? '' : n.nodeId);
    if (n.capacityPerDay !== undefined) expect(n.capacityUsedToday ?? 0).toBeLessThan(n.capacityPerDay);
    if (world.request.deliveryByMs !== undefined && world.request.deliveryByPolicy === 'required') expect(shipment.promisedAtMs).toBeLessThanOrEqual(world.request.deliveryByMs);
  }
  // One shipment per node, and every allocation in one.
  const shipmentNodes = p.shipments.map((s) => s.nodeId);
  expect(new Set(shipmentNodes).size).toBe(shipmentNodes.length);
  for (const a of p.allocations) expect(shipmentNodes).toContain(a.nodeId);
  // Never over maxShipments.
  const max = world.request.allowSplit === false ? 1 : (world.request.maxShipments ?? 5);
  expect(p.shipments.length).toBeLessThanOrEqual(max);
  void strategy;
}

const shipmentCount = (p: Plan): number => p.shipments.length;

describe('routing properties', () => {
  it('every strategy keeps the hard constraints', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const network = prepareNetwork(world.nodes);
        const table = tableOf(world.stock);
        for (const strategy of strategies) {
          const result = plan({ ...world.request, strategy }, network, table, { nowMs: world.nowMs });
          checkInvariants(world, strategy, result, table);
        }
      }),
      { seed, numRuns },
    );
  });

  it('fewest_shipments is never beaten on shipments by another strategy', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const network = prepareNetwork(world.nodes);
        const table = tableOf(world.stock);
        const fewest = plan({ ...world.request, strategy: 'fewest_shipments' }, network, table, { nowMs: world.nowMs });
        for (const strategy of strategies) {
          const other = plan({ ...world.request, strategy }, network, table, { nowMs: world.nowMs });
          if (!other.ok) continue;
          expect(fewest.ok).toBe(true);
          if (!fewest.ok) return;
          if (fewest.plan.fulfillment === 'delivery') expect(fewest.plan.explanation.search.fewestShipmentsExact).toBe(true);
          expect(shipmentCount(fewest.plan)).toBeLessThanOrEqual(shipmentCount(other.plan));
        }
      }),
      { seed, numRuns },
    );
  });

  it('the same inputs give the same plan, whatever order nodes and stock are listed in', () => {
    fc.assert(
      fc.property(worldArbitrary, fc.constantFrom(...strategies), (world, strategy) => {
        const request = { ...world.request, strategy };
        const first = plan(request, prepareNetwork(world.nodes), tableOf(world.stock), { nowMs: world.nowMs });
        const again = plan(request, prepareNetwork(world.nodes), tableOf(world.stock), { nowMs: world.nowMs });
        // Reversed: the table keeps the last row per (sku, node), so reverse only distinct rows.
        const distinct = [...new Map(world.stock.map((row) => [`${row.sku}@${row.nodeId}`, row])).values()];
        const reordered = plan(request, prepareNetwork([...world.nodes].reverse()), tableOf([...distinct].reverse()), { nowMs: world.nowMs });
        expect(again).toEqual(first);
        expect(reordered).toEqual(first);
      }),
      { seed, numRuns },
    );
  });

  it('a node at its capacity today is never used, and counts from another local day do not hold it back', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const table = tableOf(world.stock);
        const full = world.nodes.map((n) => ({ ...n, capacityPerDay: 2, capacityUsedToday: 2 }));
        const fullToday = full.map((n) => ({ ...n, capacityDay: localDate(world.nowMs, n.cutoff!.timezone) }));
        const fullYesterday = full.map((n) => ({ ...n, capacityDay: localDate(world.nowMs - 86_400_000, n.cutoff!.timezone) }));
        const request = { ...world.request, fulfillment: undefined };
        const today = plan(request, prepareNetwork(fullToday), table, { nowMs: world.nowMs });
        expect(today.ok).toBe(false);
        const free = plan(request, prepareNetwork(world.nodes.map((n) => ({ ...n, capacityPerDay: undefined, capacityUsedToday: undefined }))), table, { nowMs: world.nowMs });
        const yesterday = plan(request, prepareNetwork(fullYesterday), table, { nowMs: world.nowMs });
        expect(yesterday.ok).toBe(free.ok);
      }),
      { seed, numRuns: Math.ceil(numRuns / 2) },
    );
  });
});
