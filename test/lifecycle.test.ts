// Shows the order's exceptions handled without a person, over real HTTP and a real WebSocket: a
// rejection with no stock elsewhere backorders the line; stock arriving at another node fills the
// backorder, oldest order first, and that node's partner hears of it on its stream; a node going
// offline sends its unshipped work elsewhere; a damaged count moves the newest allocation away.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './support/fixtures.js';

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

let n = 0;
const uid = (prefix: string) => `${prefix}-${++n}-${Date.now().toString(36)}`;
const ops = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.ops, method, path, body);
const checkout = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.checkout, method, path, body);

async function node(location: { lat: number; lon: number }) {
  const nodeId = uid('node');
  const created = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location });
  expect(created.status).toBe(201);
  return { nodeId, partnerToken: created.body.partnerToken as string };
}

const order = (sku: string, qty: number, customerId = uid('cust')) =>
  checkout('POST', '/v1/orders', { customerId, destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty }] });

function listen(token: string, topic: string): Promise<{ frames: any[]; close(): void }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.wsUrl}?token=${encodeURIComponent(token)}`);
    const frames: any[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.op === 'subscribed') resolve({ frames, close: () => ws.close() });
      else frames.push(frame);
    });
    ws.on('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: [topic] })));
    ws.on('error', reject);
  });
}

const until = async (check: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

describe('backorders', () => {
  it('a rejection with no stock elsewhere backorders; stock arriving fills it, oldest first, and tells the node', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const b = await node({ lat: 39.1, lon: -84.5 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 3 });
    const first = await order(sku, 2);
    const second = await order(sku, 1);
    expect([first.status, second.status]).toEqual([201, 201]);
    // A rejects both: no other node has the SKU, so both wait.
    for (const o of [first, second]) {
      const rejected = await call(server.url, a.partnerToken, 'POST', `/v1/nodes/${a.nodeId}/events`, { orderId: o.body.orderId, type: 'rejected' });
      expect(rejected.status).toBe(200);
      expect(rejected.body.status).toBe('backordered');
      expect(rejected.body.lines).toEqual([{ sku, qty: o === first ? 2 : 1, nodeId: null, status: 'backordered' }]);
    }
    const inventoryA = await ops('GET', `/v1/inventory/${sku}`);
    expect(inventoryA.body.nodes.find((x: any) => x.nodeId === a.nodeId)).toMatchObject({ onHand: 3, reserved: 0 });

    const stream = await listen(b.partnerToken, `node:${b.nodeId}`);
    // Two units arrive at B: the oldest order (2 units) gets them; the newer one keeps waiting.
    expect((await ops('PUT', `/v1/inventory/${b.nodeId}/${sku}`, { onHand: 2 })).status).toBe(200);
    const filled = await checkout('GET', `/v1/orders/${first.body.orderId}`);
    expect(filled.body.status).toBe('released');
    expect(filled.body.lines).toEqual([{ sku, qty: 2, nodeId: b.nodeId, status: 'released' }]);
    expect(filled.body.history.map((h: any) => h.type)).toContain('order.backorder_filled');
    expect((await checkout('GET', `/v1/orders/${second.body.orderId}`)).body.status).toBe('backordered');
    expect(await until(() => stream.frames.some((f) => f.type === 'order.released' && f.data.orderId === first.body.orderId))).toBe(true);
    const instruction = stream.frames.find((f) => f.type === 'order.released' && f.data.orderId === first.body.orderId);
    // What the WMS needs: the lines, the carrier service the plan chose and the local date to ship by.
    const shipment = filled.body.promise.shipments.find((s: any) => s.nodeId === b.nodeId);
    expect(shipment.carrierId).toEqual(expect.any(String));
    expect(instruction.data).toMatchObject({ nodeId: b.nodeId, lines: [{ sku, qty: 2 }], carrierService: shipment.carrierId, shipBy: shipment.shipDate, destination: { lat: 41.9, lon: -87.7 } });
    expect(instruction.data.shipBy).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    stream.close();
    // One more arrives: now the second is filled too.
    expect((await ops('POST', `/v1/inventory/${b.nodeId}/${sku}/adjust`, { delta: 1, reason: 'received' })).status).toBe(200);
    expect((await checkout('GET', `/v1/orders/${second.body.orderId}`)).body.status).toBe('released');
    const inventoryB = await ops('GET', `/v1/inventory/${sku}`);
    expect(inventoryB.body.nodes.find((x: any) => x.nodeId === b.nodeId)).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
  });

  it('a cancelled backorder gives back nothing it did not hold', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 1 });
    const o = await order(sku, 1);
    await ops('POST', `/v1/nodes/${a.nodeId}/events`, { orderId: o.body.orderId, type: 'rejected' });
    const cancelled = await checkout('POST', `/v1/orders/${o.body.orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await ops('GET', `/v1/inventory/${sku}`)).body.nodes[0]).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
  });
});

describe('node outages and shrinkage', () => {
  it('paused: what the node has not accepted moves, what it accepted stays; offline: everything unshipped moves; shipped lines stay', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const b = await node({ lat: 39.1, lon: -84.5 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 5 });
    await ops('PUT', `/v1/inventory/${b.nodeId}/${sku}`, { onHand: 5 });
    const closest = (qty: number) => checkout('POST', '/v1/orders', { customerId: uid('cust'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty }], strategy: 'closest' });
    const started = await closest(3);
    const waiting = await closest(1);
    expect([started.body.lines[0].nodeId, waiting.body.lines[0].nodeId]).toEqual([a.nodeId, a.nodeId]);
    await ops('POST', `/v1/nodes/${a.nodeId}/events`, { orderId: started.body.orderId, type: 'accepted' });
    await ops('POST', `/v1/nodes/${a.nodeId}/events`, { orderId: started.body.orderId, type: 'shipped', lines: [{ sku, qty: 1 }] });

    // Paused: no new work. The order it never accepted goes to B; the one it is working on stays.
    expect((await ops('POST', `/v1/nodes/${a.nodeId}/status`, { status: 'paused' })).status).toBe(200);
    expect((await checkout('GET', `/v1/orders/${waiting.body.orderId}`)).body.lines).toEqual([{ sku, qty: 1, nodeId: b.nodeId, status: 'released' }]);
    expect((await checkout('GET', `/v1/orders/${started.body.orderId}`)).body.lines).toEqual(expect.arrayContaining([
      { sku, qty: 1, nodeId: a.nodeId, status: 'shipped' },
      { sku, qty: 2, nodeId: a.nodeId, status: 'accepted' },
    ]));
    // And a new order does not go to A while it is paused, though A is nearest.
    expect((await closest(1)).body.lines[0].nodeId).toBe(b.nodeId);

    // Offline: what A has not shipped goes elsewhere too.
    expect((await ops('POST', `/v1/nodes/${a.nodeId}/status`, { status: 'offline' })).status).toBe(200);
    const moved = await checkout('GET', `/v1/orders/${started.body.orderId}`);
    expect(moved.body.lines).toEqual(expect.arrayContaining([
      { sku, qty: 1, nodeId: a.nodeId, status: 'shipped' },
      { sku, qty: 2, nodeId: b.nodeId, status: 'released' },
    ]));
    // The promise follows the lines: the shipped part keeps its date, the moved part gets B's.
    expect(moved.body.promise.shipments.map((s: any) => s.nodeId).sort()).toEqual([a.nodeId, b.nodeId].sort());
    const inventory = await ops('GET', `/v1/inventory/${sku}`);
    expect(inventory.body.nodes.find((x: any) => x.nodeId === a.nodeId)).toMatchObject({ onHand: 4, reserved: 0 });
    expect(inventory.body.nodes.find((x: any) => x.nodeId === b.nodeId)).toMatchObject({ onHand: 5, reserved: 4 });
    expect(inventory.body.available).toBe(1);
  });

  it('a damaged count below what is reserved moves the newest allocation, keeping the oldest', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const b = await node({ lat: 39.1, lon: -84.5 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 4 });
    await ops('PUT', `/v1/inventory/${b.nodeId}/${sku}`, { onHand: 4 });
    const older = await order(sku, 2);
    const newer = await checkout('POST', '/v1/reservations', { customerId: uid('cust'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 2 }] });
    expect(newer.body.allocations).toEqual([{ sku, qty: 2, nodeId: a.nodeId }]);
    const damaged = await ops('POST', `/v1/inventory/${a.nodeId}/${sku}/adjust`, { delta: -2, reason: 'damaged' });
    expect(damaged.status).toBe(200);
    expect(damaged.body.nodes.find((x: any) => x.nodeId === a.nodeId)).toMatchObject({ onHand: 2, reserved: 2 });
    expect((await checkout('GET', `/v1/orders/${older.body.orderId}`)).body.lines).toEqual([{ sku, qty: 2, nodeId: a.nodeId, status: 'released' }]);
    expect((await checkout('GET', `/v1/reservations/${newer.body.reservationId}`)).body.allocations).toEqual([{ sku, qty: 2, nodeId: b.nodeId }]);
  });
});

describe('carrier delays', () => {
  it('a delay moves the shipment promise and the order stream hears order.promise_changed', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 3 });
    const o = await order(sku, 1);
    const promised = o.body.promise.deliveryBy as string;
    const stream = await listen(o.body.streamToken, `order:${o.body.orderId}`);
    const delayed = await call(server.url, a.partnerToken, 'POST', `/v1/nodes/${a.nodeId}/events`, { orderId: o.body.orderId, type: 'delayed', delayDays: 2, reason: 'weather' });
    expect(delayed.status).toBe(200);
    expect(Date.parse(delayed.body.promise.deliveryBy) - Date.parse(promised)).toBe(2 * 86_400_000);
    expect(delayed.body.history.at(-1)).toMatchObject({ type: 'order.promise_changed', nodeId: a.nodeId, reason: 'weather' });
    expect(await until(() => stream.frames.some((f) => f.type === 'order.promise_changed'))).toBe(true);
    stream.close();
    const bad = await ops('POST', `/v1/nodes/${a.nodeId}/events`, { orderId: o.body.orderId, type: 'delayed', deliveryBy: '2026-02-30T99:00:00Z' });
    expect(bad.status).toBe(400);
  });
});

describe('routing explanations', () => {
  it('an order shows why each line went where: the strategy, candidates scored by term, what each had and took, nodes left out', async () => {
    const near = await node({ lat: 41.88, lon: -87.63 });
    const far = await node({ lat: 39.1, lon: -84.5 });
    const off = await node({ lat: 41.5, lon: -87.5 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${near.nodeId}/${sku}`, { onHand: 1 });
    await ops('PUT', `/v1/inventory/${far.nodeId}/${sku}`, { onHand: 5 });
    await ops('POST', `/v1/nodes/${off.nodeId}/status`, { status: 'offline' });
    const o = await order(sku, 3);
    expect(o.status).toBe(201);
    const routing = (await checkout('GET', `/v1/orders/${o.body.orderId}`)).body.routing;
    expect(routing).toMatchObject({ strategy: 'blend', fulfillment: 'delivery', currency: 'USD' });
    const line = routing.lines.find((l: any) => l.sku === sku);
    // One shipment from the far node beats splitting 1 + 2 (the split penalty and a second parcel).
    expect(line.chosen).toEqual([{ nodeId: far.nodeId, qty: 3 }]);
    const byNode = Object.fromEntries(line.candidates.map((c: any) => [c.nodeId, c]));
    expect(byNode[near.nodeId]).toMatchObject({ available: 1, took: 0, why: 'not enough for the whole line' });
    expect(byNode[far.nodeId]).toMatchObject({ available: 5, took: 3, why: 'served the whole line', carrierId: expect.any(String) });
    for (const term of ['cost', 'speed', 'lateness', 'capacity', 'rejection']) expect(typeof byNode[far.nodeId].terms[term]).toBe('number');
    expect(byNode[near.nodeId].distanceKm).toBeLessThan(byNode[far.nodeId].distanceKm);
    expect(routing.excluded).toContainEqual({ nodeId: off.nodeId, reason: 'offline' });
    expect(routing.totalCost).toBeGreaterThan(0);
  });
});

describe('promise', () => {
  it('POST /v1/promise offers the fastest, cheapest and fewest-shipments plans, each with dates, costs and carriers', async () => {
    const a = await node({ lat: 41.88, lon: -87.63 });
    const b = await node({ lat: 39.1, lon: -84.5 });
    const sku = uid('SKU');
    await ops('PUT', `/v1/inventory/${a.nodeId}/${sku}`, { onHand: 2 });
    await ops('PUT', `/v1/inventory/${b.nodeId}/${sku}`, { onHand: 5 });
    const quote = await checkout('POST', '/v1/promise', { destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 4 }] });
    expect(quote.status).toBe(200);
    const strategies = quote.body.options.flatMap((o: any) => o.strategies);
    expect(strategies.sort()).toEqual(['cheapest', 'fastest', 'fewest_shipments']);
    for (const option of quote.body.options) {
      expect(Date.parse(option.deliveryBy)).toBeGreaterThan(Date.now());
      expect(option.totalCost).toBeGreaterThan(0);
      expect(option.allocations.reduce((sum: number, x: any) => sum + x.qty, 0)).toBe(4);
      for (const s of option.shipments) expect(s.carrierId).toEqual(expect.any(String));
    }
    // Fewest shipments: one node has all 4.
    const fewest = quote.body.options.find((o: any) => o.strategies.includes('fewest_shipments'));
    expect(fewest.shipments).toHaveLength(1);
  });
});
