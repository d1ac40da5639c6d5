// Shows that holds and orders are sourced by the routing engine, over real HTTP on a simulated
// clock: a node's capacityPerDay is taken at allocation, given back on cancel and renewed on the
// node's next local day; strategies, maxShipments, allowSplit and a required deliveryBy are hard
// constraints that refuse cleanly (nothing held); the B2B channel ships in as few parcels as it
// can; carriers are validated when a node is stored; and routing learns — slower deliveries on a
// carrier move its promises later (GET /v1/carriers shows the estimate converge), and rejections
// show in the node's stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../engine/clock.js';
import { call, startServer, type TestServer } from './support/fixtures.js';

// Monday 5 January 2026, 12:00 UTC: 06:00 in Chicago, before every cutoff.
const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 12, 0, 0));
const dayMs = 86_400_000;
let server: TestServer;
// Nodes here never miss their acceptance deadline: the days this test skips move nothing by themselves.
beforeAll(async () => { server = await startServer({ clock, engine: { acceptWithinMs: 365 * dayMs } }); });
afterAll(async () => { await server.close(); });

let n = 0;
const uid = (prefix: string) => `${prefix}-${++n}`;
const ops = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.ops, method, path, body);
const checkout = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.checkout, method, path, body);
const chicago = { lat: 41.9, lon: -87.7 };

async function node(location: { lat: number; lon: number }, extra: Record<string, unknown> = {}) {
  const nodeId = uid('node');
  const created = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location, cutoff: { time: '15:00', timezone: 'America/Chicago' }, ...extra });
  expect(created.status).toBe(201);
  return { nodeId, partnerToken: created.body.partnerToken as string };
}

const stock = (nodeId: string, sku: string, onHand: number) => ops('PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand });
const order = (lines: Array<{ sku: string; qty: number }>, extra: Record<string, unknown> = {}) =>
  checkout('POST', '/v1/orders', { customerId: uid('cust'), destination: chicago, lines, ...extra });
const nodesOf = (body: any): string[] => [...new Set<string>(body.lines.map((l: any) => l.nodeId))].sort();

describe('capacity per node-day', () => {
  it('a node at its capacityPerDay is skipped until its next local day; a cancel gives the capacity back', async () => {
    const capped = await node({ lat: 41.88, lon: -87.63 }, { capacityPerDay: 2 });
    const other = await node({ lat: 39.1, lon: -84.5 });
    const sku = uid('SKU');
    await stock(capped.nodeId, sku, 100);
    await stock(other.nodeId, sku, 100);
    const closest = { strategy: 'closest' };
    const first = await order([{ sku, qty: 1 }], closest);
    const second = await order([{ sku, qty: 1 }], closest);
    expect([nodesOf(first.body), nodesOf(second.body)]).toEqual([[capped.nodeId], [capped.nodeId]]);
    expect((await ops('GET', `/v1/nodes/${capped.nodeId}/stats`)).body).toMatchObject({ nodeId: capped.nodeId, localDate: '2026-01-05', ordersToday: 2, capacityPerDay: 2, capacityLeft: 0 });
    // At the cap: the next order goes to the other node, though it is farther.
    const third = await order([{ sku, qty: 1 }], closest);
    expect(nodesOf(third.body)).toEqual([other.nodeId]);
    expect(third.body.routing.lines[0].rejected).toContainEqual({ nodeId: capped.nodeId, reason: 'at_capacity' });
    // A cancel gives the slot back on the same day.
    expect((await checkout('POST', `/v1/orders/${first.body.orderId}/cancel`, {})).status).toBe(200);
    expect(nodesOf((await order([{ sku, qty: 1 }], closest)).body)).toEqual([capped.nodeId]);
    expect(nodesOf((await order([{ sku, qty: 1 }], closest)).body)).toEqual([other.nodeId]);
    // The node's next local day (Chicago), capacity is whole again.
    clock.increment(dayMs);
    expect((await ops('GET', `/v1/nodes/${capped.nodeId}/stats`)).body).toMatchObject({ localDate: '2026-01-06', ordersToday: 0, capacityLeft: 2 });
    expect(nodesOf((await order([{ sku, qty: 1 }], closest)).body)).toEqual([capped.nodeId]);
  });
});

describe('constraints refuse cleanly', () => {
  it('maxShipments, allowSplit false and a required deliveryBy refuse with a reason and hold nothing', async () => {
    const nodes = [await node({ lat: 41.88, lon: -87.63 }), await node({ lat: 39.1, lon: -84.5 }), await node({ lat: 44.98, lon: -93.26 })];
    const sku = uid('SKU');
    for (const { nodeId } of nodes) await stock(nodeId, sku, 1);
    const before = (await ops('GET', `/v1/inventory/${sku}`)).body;
    const overMax = await order([{ sku, qty: 3 }], { maxShipments: 2 });
    expect(overMax.status).toBe(409);
    expect(overMax.body.error).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { reason: 'over_max_shipments', maxShipments: 2 } });
    const single = await order([{ sku, qty: 2 }], { allowSplit: false });
    expect(single.status).toBe(409);
    expect(single.body.error.details.reason).toBe('no_single_node');
    // Today is Monday: nobody delivers by the end of today.
    const tooSoon = await order([{ sku, qty: 1 }], { deliveryBy: '2026-01-06' });
    expect(tooSoon.status).toBe(409);
    expect(tooSoon.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await ops('GET', `/v1/inventory/${sku}`)).body).toEqual(before);
    // Within the limits it is served: three parcels, or a late date only penalized when preferred.
    const three = await order([{ sku, qty: 3 }], { maxShipments: 3 });
    expect(three.status).toBe(201);
    expect(three.body.promise.shipments).toHaveLength(3);
    expect((await order([{ sku, qty: 1 }], { deliveryBy: '2026-01-06', deliveryByPolicy: 'preferred' })).status).toBe(409); // sold out now
  });

  it('B2B carts ship in as few parcels as the stock allows (the channel default, fewest_shipments)', async () => {
    const near = await node({ lat: 41.88, lon: -87.63 });
    const far = await node({ lat: 39.1, lon: -84.5 });
    const skus = [uid('SKU'), uid('SKU'), uid('SKU')];
    for (const sku of skus) await stock(far.nodeId, sku, 500);
    for (const sku of skus.slice(0, 2)) await stock(near.nodeId, sku, 500);
    const lines = skus.map((sku) => ({ sku, qty: 120 }));
    const b2b = await order(lines, { channel: 'b2b' });
    expect(b2b.status).toBe(201);
    expect(b2b.body.routing.strategy).toBe('fewest_shipments');
    expect(nodesOf(b2b.body)).toEqual([far.nodeId]);
    expect(b2b.body.promise.shipments).toHaveLength(1);
    const closest = await order(lines, { strategy: 'closest' });
    expect(nodesOf(closest.body)).toEqual([far.nodeId, near.nodeId].sort());
  });
});

describe('B2B at scale', () => {
  it('a 100-line cart with large quantities is held whole within maxShipments, splitting a line only across nodes that each lack it', async () => {
    const nodes = [await node({ lat: 41.88, lon: -87.63 }), await node({ lat: 39.1, lon: -84.5 }), await node({ lat: 44.98, lon: -93.26 }), await node({ lat: 32.78, lon: -96.8 })];
    const skus = Array.from({ length: 100 }, () => uid('SKU'));
    // Each SKU: 2,000 at two of the four nodes (which two rotates), 500 at a third.
    for (const [i, sku] of skus.entries()) {
      await stock(nodes[i % 4].nodeId, sku, 2_000);
      await stock(nodes[(i + 1) % 4].nodeId, sku, 2_000);
      await stock(nodes[(i + 2) % 4].nodeId, sku, 500);
    }
    // A tenth of the lines need more than any one node has: those split across two.
    const lines = skus.map((sku, i) => ({ sku, qty: i % 10 === 0 ? 2_400 : 1_500 }));
    const held = await checkout('POST', '/v1/reservations', { customerId: uid('b2b'), channel: 'b2b', destination: chicago, lines, maxShipments: 3 });
    expect(held.body.error).toBeUndefined();
    expect(held.status).toBe(201);
    expect(held.body.promise.shipments.length).toBeLessThanOrEqual(3);
    const bySku = new Map<string, number>();
    for (const a of held.body.allocations) bySku.set(a.sku, (bySku.get(a.sku) ?? 0) + a.qty);
    expect(skus.map((sku) => bySku.get(sku))).toEqual(lines.map((l) => l.qty));
    expect(new Set(held.body.allocations.map((a: any) => a.nodeId)).size).toBeLessThanOrEqual(3);
    // Only the lines no single node can serve (2,400 > 2,000) are split.
    const split = skus.filter((sku) => held.body.allocations.filter((a: any) => a.sku === sku).length > 1);
    expect(split.length).toBeGreaterThan(0);
    for (const sku of split) expect(lines.find((l) => l.sku === sku)!.qty).toBe(2_400);
    // Read back: every unit held is reserved at the node that holds it, nothing more.
    for (const sku of [skus[0], skus[1], skus[57]]) {
      const inventory = (await ops('GET', `/v1/inventory/${sku}`)).body;
      for (const position of inventory.nodes) {
        const mine = held.body.allocations.filter((a: any) => a.sku === sku && a.nodeId === position.nodeId).reduce((sum: number, a: any) => sum + a.qty, 0);
        expect(position.reserved).toBe(mine);
      }
    }
    // Two shipments are not enough for this cart: refused whole, nothing more held.
    const tooFew = await checkout('POST', '/v1/reservations', { customerId: uid('b2b'), channel: 'b2b', destination: chicago, lines: lines.map((l) => ({ ...l, qty: 400 })), maxShipments: 1 });
    expect(tooFew.status).toBe(409);
    expect(tooFew.body.error.details.reason).toBe('over_max_shipments');
  });
});

describe('pickup orders when the store rejects', () => {
  it('the lines come to the store by transfer instead; with transfers refused they wait as a backorder', async () => {
    const store = await node({ lat: 41.89, lon: -87.62 }, { type: 'store' });
    const warehouse = await node({ lat: 41.6, lon: -87.9 });
    const sku = uid('SKU');
    await stock(store.nodeId, sku, 5);
    await stock(warehouse.nodeId, sku, 5);
    const pickupAt = (transfers?: 'refuse') => order([{ sku, qty: 2 }], { fulfillment: { type: 'pickup', nodeId: store.nodeId, ...(transfers ? { transfers } : {}) } });
    const placed = await pickupAt();
    expect(nodesOf(placed.body)).toEqual([store.nodeId]);
    const rejected = await call(server.url, store.partnerToken, 'POST', `/v1/nodes/${store.nodeId}/events`, { orderId: placed.body.orderId, type: 'rejected' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.lines).toEqual(expect.arrayContaining([{ sku, qty: 2, nodeId: warehouse.nodeId, status: 'released' }]));
    expect(rejected.body.promise.shipments).toEqual([expect.objectContaining({ nodeId: warehouse.nodeId, kind: 'transfer' })]);
    expect(rejected.body.fulfillment).toMatchObject({ type: 'pickup', nodeId: store.nodeId });

    const strict = await pickupAt('refuse');
    expect(nodesOf(strict.body)).toEqual([store.nodeId]);
    const waiting = await call(server.url, store.partnerToken, 'POST', `/v1/nodes/${store.nodeId}/events`, { orderId: strict.body.orderId, type: 'rejected' });
    expect(waiting.body.status).toBe('backordered');
    expect((await ops('GET', `/v1/inventory/${sku}`)).body.nodes.find((p: any) => p.nodeId === warehouse.nodeId).reserved).toBe(2);
  });
});

describe('node carriers', () => {
  it('a node names carriers by id or in full; a malformed one is refused with its field and nothing is stored', async () => {
    const nodeId = uid('node');
    const bad = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: chicago, carriers: [{ id: 'warp', level: 'teleport', cost: { currency: 'USD', base: 1 }, transit: [{ maxKm: 100, days: 0 }] }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'carriers[0].level' } });
    const noRate = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: chicago, carriers: [{ id: 'yen', level: 'standard', cost: { currency: 'JPY', base: 900 }, transit: [{ maxKm: 5000, days: 3 }] }] });
    expect(noRate.status).toBe(400);
    expect(noRate.body.error.details.field).toBe('carriers[0].cost.currency');
    expect((await ops('GET', `/v1/nodes/${nodeId}`)).status).toBe(404);
    const named = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: chicago, carriers: ['ups', { carrier: 'fedex', note: 'contract account' }] });
    expect(named.status).toBe(201);
    const carriers = await call(server.url, server.tokens.viewer, 'GET', '/v1/carriers');
    expect(carriers.status).toBe(200);
    expect(carriers.body.carriers.find((c: any) => c.id === 'ups')).toMatchObject({ level: 'standard', nodes: [nodeId] });
    expect(carriers.body.carriers.find((c: any) => c.id === 'fedex')).toMatchObject({ level: 'standard', nodes: [nodeId] });
    expect((await checkout('GET', '/v1/carriers')).status).toBe(403);
    expect((await call(server.url, undefined, 'GET', '/v1/carriers')).status).toBe(401);
  });
});

describe('learning', () => {
  it('slower deliveries on a carrier move its promises later, and its estimate converges; rejections show in node stats', async () => {
    const slowco = { id: 'slowco', level: 'standard', cost: { currency: 'USD', base: 5 }, transit: [{ maxKm: 3000, days: 2 }] };
    const hub = await node({ lat: 39.1, lon: -84.5 }, { carriers: [slowco] });
    const sku = uid('SKU');
    await stock(hub.nodeId, sku, 1_000);
    const quote = async () => (await checkout('POST', '/v1/promise', { destination: chicago, lines: [{ sku, qty: 1 }] })).body.options[0];
    // From a Monday, 12:00 UTC (other tests move the clock).
    while (new Date(clock.now()).getUTCDay() !== 1) clock.increment(dayMs);
    const startedAt = clock.now();
    const before = await quote();
    expect(before.shipments[0].carrierId).toBe('slowco');
    const partner = (method: string, body: unknown) => call(server.url, hub.partnerToken, method, `/v1/nodes/${hub.nodeId}/events`, body);
    // 30 weeks: each order ships on Monday and arrives on Friday (4 carrier days, promised 2).
    for (let week = 0; week < 30; week++) {
      const o = await order([{ sku, qty: 1 }]);
      expect(o.status).toBe(201);
      expect((await partner('POST', { orderId: o.body.orderId, type: 'accepted' })).status).toBe(200);
      expect((await partner('POST', { orderId: o.body.orderId, type: 'shipped' })).status).toBe(200);
      clock.increment(4 * dayMs);
      expect((await partner('POST', { orderId: o.body.orderId, type: 'delivered' })).status).toBe(200);
      clock.increment(3 * dayMs);
    }
    expect((clock.now() - startedAt) % (7 * dayMs)).toBe(0);
    const after = await quote();
    const transit = (option: any) => option.shipments[0].deliveryBy.slice(0, 10);
    const days = (option: any, from: number) => Math.round((Date.parse(option.deliveryBy) - from) / dayMs);
    expect(days(after, clock.now())).toBeGreaterThan(days(before, startedAt));
    expect(transit(after) > transit(before)).toBe(true);
    const learned = (await ops('GET', '/v1/carriers')).body.carriers.find((c: any) => c.id === 'slowco').bands[0];
    expect(learned).toMatchObject({ maxKm: 3000, nominalDays: 2, promisedDays: 4 });
    expect(learned.learned.deliveries).toBe(30);
    // Converging on the 4 days deliveries take, from the nominal 2.
    expect(learned.learned.meanDays).toBeGreaterThan(3);
    expect(learned.learned.meanDays).toBeLessThan(4);
    expect((await ops('GET', `/v1/nodes/${hub.nodeId}/stats`)).body.recentRejectionRate).toBe(0);
    const rejected = await order([{ sku, qty: 1 }]);
    expect((await partner('POST', { orderId: rejected.body.orderId, type: 'rejected' })).status).toBe(200);
    expect((await ops('GET', `/v1/nodes/${hub.nodeId}/stats`)).body.recentRejectionRate).toBeGreaterThan(0);
  });
});
