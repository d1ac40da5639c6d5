// Shows every endpoint of the public contract (v1) answering as CONTRACT.md says, over real HTTP
// (Node's fetch) against the real gateway on port 0 over a real LMDB ledger: nodes, SKUs,
// inventory, holds (shape, all-or-nothing, splits, release, expiry on a SimulatedClock), orders
// (confirm, one-step, cancel whole and partial), fulfillment events by ops and by a node's partner
// token, the promise quote, health, metrics, the dashboard and Idempotency-Key replays. Each test
// uses its own SKUs and nodes, so the tests share one server without seeing each other's stock.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../engine/clock.js';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});

let counter = 0;
/** An id no other test uses. */
const uid = (prefix: string): string => `${prefix}-${++counter}`;

const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const chicago = { lat: 41.88, lon: -87.63 };

async function putNode(nodeId: string, location = chicago, extra: Record<string, unknown> = {}) {
  const answer = await call(server.url, server.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location, ...extra });
  expect(answer.status).toBe(201);
  return answer.body as { nodeId: string; partnerToken: string };
}

async function putStock(nodeId: string, sku: string, onHand: number, safetyStock?: number) {
  const answer = await call(server.url, server.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand, ...(safetyStock !== undefined ? { safetyStock } : {}) });
  expect(answer.status).toBe(200);
  return answer.body;
}

async function inventory(sku: string) {
  const answer = await call(server.url, server.tokens.ops, 'GET', `/v1/inventory/${sku}`);
  expect(answer.status).toBe(200);
  return answer.body as { sku: string; available: number; nodes: Array<{ nodeId: string; onHand: number; safetyStock: number; reserved: number; available: number }> };
}

async function position(sku: string, nodeId: string) {
  const found = (await inventory(sku)).nodes.find((n) => n.nodeId === nodeId);
  expect(found, `${sku} has a position at ${nodeId}`).toBeDefined();
  return found!;
}

const cart = (lines: Array<{ sku: string; qty: number }>, extra: Record<string, unknown> = {}) => ({
  customerId: uid('cust'),
  destination: { lat: 41.9, lon: -87.7, country: 'US', postalCode: '60614' },
  lines,
  ...extra,
});

function hold(body: unknown, headers: Record<string, string> = {}) {
  return call(server.url, server.tokens.checkout, 'POST', '/v1/reservations', body, headers);
}

/** One node with `onHand` of a fresh SKU: the usual start of a test. */
async function stocked(onHand: number) {
  const nodeId = uid('wh');
  const sku = uid('SKU');
  const node = await putNode(nodeId);
  await putStock(nodeId, sku, onHand);
  return { nodeId, sku, partnerToken: node.partnerToken };
}

async function order(sku: string, qty: number) {
  const answer = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', cart([{ sku, qty }]));
  expect(answer.status).toBe(201);
  return answer.body as { orderId: string; status: string; lines: Array<{ sku: string; qty: number; nodeId: string; status: string }> };
}

describe('nodes', () => {
  it('PUT creates (201, with partnerToken), PUT again updates (200, without it), GET lists and reads one', async () => {
    const nodeId = uid('wh');
    const created = await call(server.url, server.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, {
      type: 'store', name: 'Loop store', location: { lat: 41.88, lon: -87.63 }, capacityPerDay: 500,
      cutoff: { time: '15:00', timezone: 'America/Chicago' }, carriers: ['ups'], priority: 5,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ nodeId, type: 'store', name: 'Loop store', location: { lat: 41.88, lon: -87.63 }, status: 'online', priority: 5 });
    expect(typeof created.body.partnerToken).toBe('string');
    expect(created.body.partnerToken.length).toBeGreaterThan(10);

    const updated = await call(server.url, server.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'store', name: 'Loop store 2', location: { lat: 41.88, lon: -87.63 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ nodeId, name: 'Loop store 2' });
    expect(updated.body).not.toHaveProperty('partnerToken');

    const list = await call(server.url, server.tokens.viewer, 'GET', '/v1/nodes');
    expect(list.status).toBe(200);
    const nodes = (Array.isArray(list.body) ? list.body : list.body.nodes) as Array<{ nodeId: string; partnerToken?: string }>;
    expect(nodes.find((n) => n.nodeId === nodeId)).toMatchObject({ nodeId, name: 'Loop store 2' });
    expect(nodes.every((n) => n.partnerToken === undefined)).toBe(true);

    const one = await call(server.url, server.tokens.ops, 'GET', `/v1/nodes/${nodeId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ nodeId, type: 'store', name: 'Loop store 2', status: 'online' });
    expect(one.body).not.toHaveProperty('partnerToken');

    const missing = await call(server.url, server.tokens.ops, 'GET', `/v1/nodes/${uid('nope')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });

  it('POST status pauses and resumes a node; a paused node takes no new holds and leaves the top-level available', async () => {
    const { nodeId, sku } = await stocked(4);
    const paused = await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${nodeId}/status`, { status: 'paused' });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ nodeId, status: 'paused' });
    expect((await call(server.url, server.tokens.ops, 'GET', `/v1/nodes/${nodeId}`)).body.status).toBe('paused');

    const view = await inventory(sku);
    expect(view.available).toBe(0);
    expect(view.nodes[0]).toMatchObject({ nodeId, onHand: 4, available: 4 });
    const refused = await hold(cart([{ sku, qty: 1 }]));
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INSUFFICIENT_STOCK');

    const online = await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${nodeId}/status`, { status: 'online' });
    expect(online.status).toBe(200);
    expect(online.body.status).toBe('online');
    expect((await inventory(sku)).available).toBe(4);
    expect((await hold(cart([{ sku, qty: 1 }]))).status).toBe(201);
  });

  it('POST status of an unknown node is 404', async () => {
    const answer = await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${uid('nope')}/status`, { status: 'paused' });
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('NOT_FOUND');
  });

  it('taking a node offline reroutes what it has not shipped to another node with stock', async () => {
    const sku = uid('SKU');
    const near = uid('wh');
    const far = uid('wh');
    await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(far, { lat: 33.75, lon: -84.39 });
    await putStock(near, sku, 1);
    await putStock(far, sku, 1);
    const placed = await order(sku, 1);
    expect(placed.lines[0].nodeId).toBe(near);

    expect((await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${near}/status`, { status: 'offline' })).status).toBe(200);
    const after = await call(server.url, server.tokens.ops, 'GET', `/v1/orders/${placed.orderId}`);
    const live = (after.body.lines as Array<{ nodeId: string; status: string; qty: number }>).filter((l) => l.status !== 'cancelled');
    expect(live).toEqual([expect.objectContaining({ sku, qty: 1, nodeId: far })]);
    expect((await position(sku, near)).reserved).toBe(0);
    expect((await position(sku, far)).reserved).toBe(1);
  });
  it('a body that arrives in two pieces, cut inside a UTF-8 character, is read whole', async () => {
    // The gateway decodes a one-piece body straight from uWS's memory and joins the pieces of any
    // other before decoding: a raw socket sends the first half, waits, then the rest.
    const nodeId = uid('wh');
    const name = 'Łódź — żółć ' + 'é'.repeat(80);
    const body = Buffer.from(JSON.stringify({ type: 'store', name, location: chicago }));
    const cut = body.indexOf(Buffer.from('é')) + 1;
    const head = `PUT /v1/nodes/${nodeId} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${server.tokens.ops}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
      socket.on('connect', () => {
        socket.write(Buffer.concat([Buffer.from(head), body.subarray(0, cut)]));
        setTimeout(() => socket.write(body.subarray(cut)), 50);
      });
    });
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toMatchObject({ nodeId, name });
    const stored = await call(server.url, server.tokens.ops, 'GET', `/v1/nodes/${nodeId}`);
    expect(stored.body.name).toBe(name);
  });
});

describe('SKUs', () => {
  it('PUT sets maxPerCustomer; a hold over it is 409 PURCHASE_LIMIT and holds nothing', async () => {
    const { nodeId, sku } = await stocked(10);
    const put = await call(server.url, server.tokens.ops, 'PUT', `/v1/skus/${sku}`, { name: 'Red mug', maxPerCustomer: 2 });
    expect([200, 201]).toContain(put.status);
    expect(put.body).toMatchObject({ sku, name: 'Red mug', maxPerCustomer: 2 });

    const over = await hold(cart([{ sku, qty: 3 }]));
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe('PURCHASE_LIMIT');
    // Two lines of the same SKU count together.
    const split = await hold(cart([{ sku, qty: 1 }, { sku, qty: 2 }]));
    expect(split.status).toBe(409);
    expect(split.body.error.code).toBe('PURCHASE_LIMIT');
    expect((await position(sku, nodeId)).reserved).toBe(0);

    const within = await hold(cart([{ sku, qty: 2 }]));
    expect(within.status).toBe(201);
    expect((await position(sku, nodeId)).reserved).toBe(2);

    const again = await call(server.url, server.tokens.ops, 'PUT', `/v1/skus/${sku}`, { name: 'Red mug', maxPerCustomer: 5 });
    expect(again.status).toBe(200);
    expect((await hold(cart([{ sku, qty: 5 }]))).status).toBe(201);
  });

  it('maxPerCustomer counts what the customer already holds: a second cart over it is 409 PURCHASE_LIMIT', async () => {
    const { nodeId, sku } = await stocked(10);
    expect([200, 201]).toContain((await call(server.url, server.tokens.ops, 'PUT', `/v1/skus/${sku}`, { maxPerCustomer: 2 })).status);
    const customer = { customerId: uid('cust') };
    expect((await hold(cart([{ sku, qty: 2 }], customer))).status).toBe(201);
    const second = await hold(cart([{ sku, qty: 1 }], customer));
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('PURCHASE_LIMIT');
    expect((await hold(cart([{ sku, qty: 2 }]))).status).toBe(201);
    expect((await position(sku, nodeId)).reserved).toBe(4);
  });
});

describe('inventory', () => {
  it('PUT sets an absolute count, adjust changes it, GET has the contract shape', async () => {
    const { nodeId, sku } = await stocked(10);
    const set = await call(server.url, server.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: 12, safetyStock: 2 });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ sku, available: 10 });

    const received = await call(server.url, server.tokens.ops, 'POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: 5, reason: 'received' });
    expect(received.status).toBe(200);
    const damaged = await call(server.url, server.tokens.ops, 'POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: -3, reason: 'damaged' });
    expect(damaged.status).toBe(200);

    expect((await hold(cart([{ sku, qty: 4 }]))).status).toBe(201);
    const view = await call(server.url, server.tokens.checkout, 'GET', `/v1/inventory/${sku}`);
    expect(view.status).toBe(200);
    expect(view.body).toEqual({
      sku,
      available: 14 - 2 - 4,
      nodes: [expect.objectContaining({ nodeId, onHand: 14, safetyStock: 2, reserved: 4, available: 8 })],
    });
    for (const node of view.body.nodes) {
      expect(Object.keys(node)).toEqual(expect.arrayContaining(['nodeId', 'onHand', 'safetyStock', 'reserved', 'available']));
    }
  });

  it('available is max(0, onHand - safetyStock - reserved) per node, and the top level sums the online nodes only', async () => {
    const sku = uid('SKU');
    const a = uid('wh');
    const b = uid('wh');
    const c = uid('wh');
    for (const id of [a, b, c]) await putNode(id);
    await putStock(a, sku, 5, 2);
    await putStock(b, sku, 3, 3);
    await putStock(c, sku, 7);
    expect((await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${c}/status`, { status: 'offline' })).status).toBe(200);
    // b keeps all it has as safety stock and c is offline: the unit can only come from a.
    expect((await hold(cart([{ sku, qty: 1 }]))).status).toBe(201);
    const view = await inventory(sku);
    const byNode = new Map(view.nodes.map((n) => [n.nodeId, n]));
    expect(byNode.get(a)).toMatchObject({ onHand: 5, safetyStock: 2, reserved: 1, available: 2 });
    expect(byNode.get(b)).toMatchObject({ onHand: 3, safetyStock: 3, reserved: 0, available: 0 });
    expect(byNode.get(c)).toMatchObject({ onHand: 7, safetyStock: 0, reserved: 0, available: 7 });
    // c is offline: its 7 are not in the total.
    expect(view.available).toBe(2);
  });

  it('an adjustment that would leave a negative count is 409 INVALID_STATE and changes nothing', async () => {
    const { nodeId, sku } = await stocked(3);
    const before = await inventory(sku);
    const answer = await call(server.url, server.tokens.ops, 'POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: -4, reason: 'count' });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('INVALID_STATE');
    expect(await inventory(sku)).toEqual(before);
  });

  it('a count below what is reserved moves the newest allocation to another node with stock', async () => {
    const sku = uid('SKU');
    const near = uid('wh');
    const far = uid('wh');
    await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(far, { lat: 33.75, lon: -84.39 });
    await putStock(near, sku, 3);
    await putStock(far, sku, 5);
    const first = await hold(cart([{ sku, qty: 2 }]));
    const newest = await hold(cart([{ sku, qty: 1 }]));
    expect(first.body.allocations[0].nodeId).toBe(near);
    expect(newest.body.allocations[0].nodeId).toBe(near);

    const count = await call(server.url, server.tokens.ops, 'PUT', `/v1/inventory/${near}/${sku}`, { onHand: 2 });
    expect(count.status).toBe(200);
    expect(await position(sku, near)).toMatchObject({ onHand: 2, reserved: 2 });
    expect(await position(sku, far)).toMatchObject({ onHand: 5, reserved: 1 });
    const moved = await call(server.url, server.tokens.checkout, 'GET', `/v1/reservations/${newest.body.reservationId}`);
    expect(moved.body.allocations).toEqual([{ sku, qty: 1, nodeId: far }]);
  });
});

describe('reservations', () => {
  it('a hold is 201 with reservationId, status, expiresAt, allocations, promise.deliveryBy and streamToken', async () => {
    const { nodeId, sku } = await stocked(5);
    const before = Date.now();
    const answer = await hold(cart([{ sku, qty: 2 }], { channel: 'app' }));
    expect(answer.status).toBe(201);
    const body = answer.body;
    expect(body.reservationId).toMatch(/^rsv_[A-Za-z0-9._:-]+$/);
    expect(body.status).toBe('held');
    expect(body.expiresAt).toMatch(isoPattern);
    const ttlMs = Date.parse(body.expiresAt) - before;
    expect(ttlMs).toBeGreaterThan(895_000);
    expect(ttlMs).toBeLessThan(905_000);
    expect(body.allocations).toEqual([{ sku, qty: 2, nodeId }]);
    expect(body.promise.deliveryBy).toMatch(isoPattern);
    expect(Date.parse(body.promise.deliveryBy)).toBeGreaterThan(before);
    expect(typeof body.streamToken).toBe('string');
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
  });

  it('ttlSeconds sets expiresAt', async () => {
    const { sku } = await stocked(1);
    const before = Date.now();
    const answer = await hold(cart([{ sku, qty: 1 }], { ttlSeconds: 60 }));
    expect(answer.status).toBe(201);
    const ttlMs = Date.parse(answer.body.expiresAt) - before;
    expect(ttlMs).toBeGreaterThan(55_000);
    expect(ttlMs).toBeLessThan(65_000);
  });

  it('all lines or none: a cart whose second line is short is 409 INSUFFICIENT_STOCK and the first line holds nothing', async () => {
    const nodeId = uid('wh');
    const plenty = uid('SKU');
    const scarce = uid('SKU');
    await putNode(nodeId);
    await putStock(nodeId, plenty, 5);
    await putStock(nodeId, scarce, 1);
    const answer = await hold(cart([{ sku: plenty, qty: 2 }, { sku: scarce, qty: 2 }]));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect(await position(plenty, nodeId)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect(await position(scarce, nodeId)).toMatchObject({ onHand: 1, reserved: 0, available: 1 });
  });

  it('splits a line across nodes, nearest first; allowSplit:false refuses what no single node can serve', async () => {
    const sku = uid('SKU');
    const near = uid('wh');
    const far = uid('wh');
    await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(far, { lat: 33.75, lon: -84.39 });
    await putStock(near, sku, 3);
    await putStock(far, sku, 3);

    const noSplit = await hold(cart([{ sku, qty: 5 }], { allowSplit: false }));
    expect(noSplit.status).toBe(409);
    expect(noSplit.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await inventory(sku)).nodes.every((n) => n.reserved === 0)).toBe(true);

    const split = await hold(cart([{ sku, qty: 5 }]));
    expect(split.status).toBe(201);
    expect([...split.body.allocations].sort((x: { qty: number }, y: { qty: number }) => y.qty - x.qty)).toEqual([
      { sku, qty: 3, nodeId: near },
      { sku, qty: 2, nodeId: far },
    ]);
    expect(split.body.promise.deliveryBy).toMatch(isoPattern);
    expect((await position(sku, near)).reserved).toBe(3);
    expect((await position(sku, far)).reserved).toBe(2);
  });

  it('allowSplit:false takes the whole cart from one node even when a nearer node has part of it', async () => {
    const mugs = uid('SKU');
    const cups = uid('SKU');
    const near = uid('wh');
    const far = uid('wh');
    await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(far, { lat: 33.75, lon: -84.39 });
    await putStock(near, mugs, 5);
    await putStock(far, mugs, 5);
    await putStock(far, cups, 5);
    const answer = await hold(cart([{ sku: mugs, qty: 1 }, { sku: cups, qty: 1 }], { allowSplit: false }));
    expect(answer.status).toBe(201);
    expect(answer.body.allocations).toEqual(expect.arrayContaining([{ sku: mugs, qty: 1, nodeId: far }, { sku: cups, qty: 1, nodeId: far }]));
    expect(answer.body.allocations).toHaveLength(2);
  });

  it('pickup at a named store holds there, even when another node is nearer; what it lacks comes by transfer, or is refused', async () => {
    const sku = uid('SKU');
    const near = uid('wh');
    const store = uid('store');
    await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(store, { lat: 42.05, lon: -87.68 }, { type: 'store' });
    await putStock(near, sku, 5);
    await putStock(store, sku, 5);
    const pickup = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'pickup', nodeId: store } }));
    expect(pickup.status).toBe(201);
    expect(pickup.body.allocations).toEqual([{ sku, qty: 1, nodeId: store }]);
    expect(pickup.body.promise.readyBy).toBe(pickup.body.promise.deliveryBy);
    expect(pickup.body.promise.shipments).toMatchObject([{ nodeId: store, kind: 'pickup' }]);
    const closest = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'delivery' }, strategy: 'closest' }));
    expect(closest.body.allocations).toEqual([{ sku, qty: 1, nodeId: near }]);
    // The store has 4 left: the other 2 come from the warehouse as a transfer, ready later.
    const transfer = await hold(cart([{ sku, qty: 6 }], { fulfillment: { type: 'pickup', nodeId: store } }));
    expect(transfer.status).toBe(201);
    expect([...transfer.body.allocations].sort((a: any, b: any) => (a.nodeId < b.nodeId ? -1 : 1))).toEqual([{ sku, qty: 4, nodeId: store }, { sku, qty: 2, nodeId: near }].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)));
    expect(transfer.body.promise.shipments.map((s: any) => s.kind).sort()).toEqual(['pickup', 'transfer']);
    // With transfers refused, a store that lacks the lines answers PICKUP_UNAVAILABLE and holds nothing.
    const before = (await call(server.url, server.tokens.ops, 'GET', `/v1/inventory/${sku}`)).body;
    const refused = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'pickup', nodeId: store, transfers: 'refuse' } }));
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'PICKUP_UNAVAILABLE', details: { reason: 'transfer_refused', nodeId: store } });
    expect((await call(server.url, server.tokens.ops, 'GET', `/v1/inventory/${sku}`)).body).toEqual(before);
    // Any node takes pickups unless marked otherwise: the warehouse here does; one marked not to refuses.
    const atWarehouse = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'pickup', nodeId: near } }));
    expect(atWarehouse.status).toBe(201);
    expect(atWarehouse.body.allocations).toEqual([{ sku, qty: 1, nodeId: near }]);
    const dock = uid('dock');
    await putNode(dock, { lat: 41.95, lon: -87.7 }, { pickupCapable: false });
    const notAPickupPoint = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'pickup', nodeId: dock } }));
    expect(notAPickupPoint.status).toBe(409);
    expect(notAPickupPoint.body.error).toMatchObject({ code: 'PICKUP_UNAVAILABLE', details: { reason: 'not_pickup_capable' } });
    // A pickup naming no node goes to the nearest node that holds the cart.
    const anywhere = await hold(cart([{ sku, qty: 1 }], { fulfillment: { type: 'pickup' } }));
    expect(anywhere.status).toBe(201);
    expect(anywhere.body.promise.shipments[0].kind).toBe('pickup');
    const tooMany = await hold(cart([{ sku, qty: 9 }], { fulfillment: { type: 'pickup', nodeId: store } }));
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('INSUFFICIENT_STOCK');
  });

  it('GET reads a hold; DELETE releases its units (200) and a released hold cannot be confirmed', async () => {
    const { nodeId, sku } = await stocked(4);
    const held = await hold(cart([{ sku, qty: 3 }]));
    const id = held.body.reservationId as string;

    const read = await call(server.url, server.tokens.checkout, 'GET', `/v1/reservations/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ reservationId: id, status: 'held', expiresAt: held.body.expiresAt, allocations: [{ sku, qty: 3, nodeId }] });
    expect(read.body.orderId).toBeUndefined();
    expect((await call(server.url, server.tokens.viewer, 'GET', `/v1/reservations/${id}`)).status).toBe(200);

    const released = await call(server.url, server.tokens.checkout, 'DELETE', `/v1/reservations/${id}`);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ reservationId: id, status: 'released' });
    expect(await position(sku, nodeId)).toMatchObject({ reserved: 0, available: 4 });
    expect((await call(server.url, server.tokens.checkout, 'GET', `/v1/reservations/${id}`)).body.status).toBe('released');

    const again = await call(server.url, server.tokens.checkout, 'DELETE', `/v1/reservations/${id}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe('released');
    expect((await position(sku, nodeId)).reserved).toBe(0);

    const confirm = await call(server.url, server.tokens.checkout, 'POST', `/v1/reservations/${id}/confirm`, {});
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.code).toBe('INVALID_STATE');
  });

  it('confirm is 201 with the order; a second confirm and a DELETE of the confirmed hold are 409 INVALID_STATE', async () => {
    const { nodeId, sku } = await stocked(4);
    const held = await hold(cart([{ sku, qty: 2 }]));
    const id = held.body.reservationId as string;
    const confirmed = await call(server.url, server.tokens.checkout, 'POST', `/v1/reservations/${id}/confirm`, { payment: { method: 'card', ref: 'p-1' }, externalId: 'shop-1001' });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body.orderId).toMatch(/^ord_/);
    expect(['allocated', 'released']).toContain(confirmed.body.status);
    expect(confirmed.body.lines).toEqual([expect.objectContaining({ sku, qty: 2, nodeId })]);
    expect(typeof confirmed.body.streamToken).toBe('string');

    const twice = await call(server.url, server.tokens.checkout, 'POST', `/v1/reservations/${id}/confirm`, {});
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('INVALID_STATE');

    const read = await call(server.url, server.tokens.checkout, 'GET', `/v1/reservations/${id}`);
    expect(read.body).toMatchObject({ reservationId: id, status: 'confirmed', orderId: confirmed.body.orderId });

    const del = await call(server.url, server.tokens.checkout, 'DELETE', `/v1/reservations/${id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('INVALID_STATE');
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 4, reserved: 2 });
  });
});

describe('orders', () => {
  it('POST /v1/orders holds and confirms in one step; GET has status, lines with status, promise and history', async () => {
    const { nodeId, sku } = await stocked(6);
    const created = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', cart([{ sku, qty: 2 }], { payment: { ref: 'p-2' }, externalId: 'shop-1002' }));
    expect(created.status).toBe(201);
    const orderId = created.body.orderId as string;
    expect(orderId).toMatch(/^ord_/);
    expect(typeof created.body.streamToken).toBe('string');
    expect((await position(sku, nodeId)).reserved).toBe(2);

    const read = await call(server.url, server.tokens.viewer, 'GET', `/v1/orders/${orderId}`);
    expect(read.status).toBe(200);
    expect(read.body.orderId).toBe(orderId);
    expect(['allocated', 'released']).toContain(read.body.status);
    expect(read.body.lines).toEqual([{ sku, qty: 2, nodeId, status: expect.any(String) }]);
    expect(read.body.promise.deliveryBy).toMatch(isoPattern);
    const history = read.body.history as Array<{ at: string; type: string }>;
    expect(history.length).toBeGreaterThanOrEqual(2);
    for (const entry of history) {
      expect(entry.at).toMatch(isoPattern);
      expect(typeof entry.type).toBe('string');
    }
    expect(history.map((h) => h.type)).toEqual(expect.arrayContaining(['reservation.held', 'order.allocated']));
  });

  it('POST /v1/orders without the stock is 409 INSUFFICIENT_STOCK and holds nothing', async () => {
    const { nodeId, sku } = await stocked(1);
    const answer = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', cart([{ sku, qty: 2 }]));
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await position(sku, nodeId)).reserved).toBe(0);
  });

  it('cancel of the whole order returns its units; a second cancel is 409 INVALID_STATE', async () => {
    const { nodeId, sku } = await stocked(5);
    const placed = await order(sku, 3);
    expect((await position(sku, nodeId)).reserved).toBe(3);
    const cancelled = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.lines.every((l: { status: string }) => l.status === 'cancelled')).toBe(true);
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    const read = await call(server.url, server.tokens.checkout, 'GET', `/v1/orders/${placed.orderId}`);
    expect(read.body.status).toBe('cancelled');
    expect(read.body.history.map((h: { type: string }) => h.type)).toContain('order.cancelled');

    const again = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
  });

  it('a partial cancel returns those units only and the order lives on', async () => {
    const { nodeId, sku } = await stocked(5);
    const placed = await order(sku, 3);
    const partial = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, { lines: [{ sku, qty: 1 }] });
    expect(partial.status).toBe(200);
    expect(partial.body.status).not.toBe('cancelled');
    const lines = partial.body.lines as Array<{ sku: string; qty: number; status: string }>;
    expect(lines.filter((l) => l.status === 'cancelled').reduce((s, l) => s + l.qty, 0)).toBe(1);
    expect(lines.filter((l) => l.status !== 'cancelled').reduce((s, l) => s + l.qty, 0)).toBe(2);
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 5, reserved: 2, available: 3 });

    const tooMany = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, { lines: [{ sku, qty: 3 }] });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe('INVALID_STATE');
    expect((await position(sku, nodeId)).reserved).toBe(2);
  });
});

describe('fulfillment events', () => {
  it('accepted, picked, packed, shipped in part, shipped, delivered: by the node partner and by ops', async () => {
    const { nodeId, sku, partnerToken } = await stocked(10);
    const placed = await order(sku, 3);
    const event = (token: string, body: Record<string, unknown>) => call(server.url, token, 'POST', `/v1/nodes/${nodeId}/events`, { orderId: placed.orderId, ...body });
    /** Units by line status, e.g. ['1:shipped', '2:packed']: a partial step may split a line in two. */
    const lineStatuses = (body: { lines: Array<{ status: string; qty: number }> }) => {
      const units = new Map<string, number>();
      for (const line of body.lines) units.set(line.status, (units.get(line.status) ?? 0) + line.qty);
      return [...units].map(([status, qty]) => `${qty}:${status}`).sort();
    };

    const accepted = await event(partnerToken, { type: 'accepted' });
    expect(accepted.status).toBe(200);
    expect(lineStatuses(accepted.body)).toEqual(['3:accepted']);
    const picked = await event(server.tokens.ops, { type: 'picked' });
    expect(picked.status).toBe(200);
    expect(lineStatuses(picked.body)).toEqual(['3:picked']);
    const packed = await event(partnerToken, { type: 'packed' });
    expect(packed.status).toBe(200);
    expect(lineStatuses(packed.body)).toEqual(['3:packed']);
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 10, reserved: 3 });

    const part = await event(partnerToken, { type: 'shipped', lines: [{ sku, qty: 1 }], trackingId: '1Z001' });
    expect(part.status).toBe(200);
    expect(part.body.status).toBe('partially_shipped');
    expect(lineStatuses(part.body)).toEqual(['1:shipped', '2:packed']);
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 9, reserved: 2, available: 7 });

    const rest = await event(server.tokens.ops, { type: 'shipped', trackingId: '1Z002' });
    expect(rest.status).toBe(200);
    expect(rest.body.status).toBe('shipped');
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 7, reserved: 0, available: 7 });

    const delivered = await event(partnerToken, { type: 'delivered' });
    expect(delivered.status).toBe(200);
    expect(delivered.body.status).toBe('delivered');
    expect(lineStatuses(delivered.body)).toEqual(['3:delivered']);

    const read = await call(server.url, server.tokens.checkout, 'GET', `/v1/orders/${placed.orderId}`);
    expect(read.body.status).toBe('delivered');
    expect(read.body.history.map((h: { type: string }) => h.type)).toEqual(expect.arrayContaining(['order.accepted', 'order.picked', 'order.packed', 'order.shipped', 'order.delivered']));
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 7, reserved: 0 });

    // Nothing walks back, and a delivered order cannot be cancelled.
    const back = await event(partnerToken, { type: 'picked' });
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('INVALID_STATE');
    const cancel = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, {});
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('INVALID_STATE');
  });

  it('a cancel after a partial shipment returns only what was not shipped', async () => {
    const { nodeId, sku } = await stocked(10);
    const placed = await order(sku, 4);
    const shipped = await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${nodeId}/events`, { orderId: placed.orderId, type: 'shipped', lines: [{ sku, qty: 1 }] });
    expect(shipped.status).toBe(200);
    const cancelled = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${placed.orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(await position(sku, nodeId)).toMatchObject({ onHand: 9, reserved: 0, available: 9 });
  });

  it('an event for an order with no lines at that node is 409 INVALID_STATE', async () => {
    const { sku } = await stocked(2);
    const other = uid('wh');
    await putNode(other);
    const placed = await order(sku, 1);
    const answer = await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${other}/events`, { orderId: placed.orderId, type: 'accepted' });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('INVALID_STATE');
  });

  it('rejected reroutes the lines to another node with stock', async () => {
    const sku = uid('SKU');
    const near = uid('wh');
    const far = uid('wh');
    const nearNode = await putNode(near, { lat: 41.9, lon: -87.7 });
    await putNode(far, { lat: 33.75, lon: -84.39 });
    await putStock(near, sku, 1);
    await putStock(far, sku, 1);
    const placed = await order(sku, 1);
    expect(placed.lines[0].nodeId).toBe(near);
    const rejected = await call(server.url, nearNode.partnerToken, 'POST', `/v1/nodes/${near}/events`, { orderId: placed.orderId, type: 'rejected' });
    expect(rejected.status).toBe(200);
    const live = (rejected.body.lines as Array<{ nodeId: string; status: string }>).filter((l) => l.status !== 'cancelled');
    expect(live).toEqual([expect.objectContaining({ sku, qty: 1, nodeId: far })]);
    expect((await position(sku, near)).reserved).toBe(0);
    expect((await position(sku, far)).reserved).toBe(1);
  });
});

describe('promise, health, metrics, dashboard', () => {
  it('POST /v1/promise quotes delivery options and holds nothing', async () => {
    const { nodeId, sku } = await stocked(3);
    const before = await inventory(sku);
    const quote = await call(server.url, server.tokens.checkout, 'POST', '/v1/promise', { destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 3 }] });
    expect(quote.status).toBe(200);
    expect(Array.isArray(quote.body.options)).toBe(true);
    expect(quote.body.options.length).toBeGreaterThan(0);
    expect(quote.body.options[0].deliveryBy).toMatch(isoPattern);
    expect(await inventory(sku)).toEqual(before);
    expect((await position(sku, nodeId)).reserved).toBe(0);
    // Quoting again, and holding it all afterwards, both still work: the quote took nothing.
    expect((await call(server.url, server.tokens.ops, 'POST', '/v1/promise', { destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 3 }] })).status).toBe(200);
    expect((await hold(cart([{ sku, qty: 3 }]))).status).toBe(201);

    const short = await call(server.url, server.tokens.checkout, 'POST', '/v1/promise', { destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }] });
    expect(short.status).toBe(409);
    expect(short.body.error.code).toBe('INSUFFICIENT_STOCK');
  });

  it('GET /healthz needs no token', async () => {
    const answer = await call(server.url, undefined, 'GET', '/healthz');
    expect(answer.status).toBe(200);
  });

  it('GET /metrics (ops) is Prometheus text with oo_http_requests_total', async () => {
    await call(server.url, server.tokens.ops, 'GET', '/v1/nodes');
    const answer = await call(server.url, server.tokens.ops, 'GET', '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = answer.body as string;
    expect(typeof text).toBe('string');
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([0-9eE+.-]+|NaN|[+-]Inf)$/;
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line, line).toMatch(sample);
    expect(lines.some((line) => line.startsWith('oo_http_requests_total{'))).toBe(true);
    expect(text).toMatch(/^# TYPE oo_http_requests_total counter$/m);
  });

  it('GET / is the HTML dashboard', async () => {
    const response = await fetch(server.url + '/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/<html/i);
  });

  it('an unknown path is 404 NOT_FOUND as JSON', async () => {
    for (const [method, path] of [['GET', '/v1/nope'], ['POST', '/v2/reservations'], ['GET', '/v1/orders']] as const) {
      const answer = await call(server.url, server.tokens.ops, method, path);
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.body.error.code).toBe('NOT_FOUND');
    }
  });
});

describe('Idempotency-Key', () => {
  it('a repeat with the same key and body returns the same reservation and holds nothing more', async () => {
    const { nodeId, sku } = await stocked(10);
    const body = cart([{ sku, qty: 2 }]);
    const key = { 'idempotency-key': uid('key') };
    const first = await hold(body, key);
    const second = await hold(body, key);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.reservationId).toBe(first.body.reservationId);
    expect(second.body.expiresAt).toBe(first.body.expiresAt);
    expect(second.body.allocations).toEqual(first.body.allocations);
    expect((await position(sku, nodeId)).reserved).toBe(2);
  });

  it('the same key with another body is 422 IDEMPOTENCY_MISMATCH and holds nothing', async () => {
    const { nodeId, sku } = await stocked(10);
    const key = { 'idempotency-key': uid('key') };
    const body = cart([{ sku, qty: 2 }]);
    expect((await hold(body, key)).status).toBe(201);
    const other = await hold({ ...body, lines: [{ sku, qty: 3 }] }, key);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_MISMATCH');
    expect((await position(sku, nodeId)).reserved).toBe(2);
  });

  it('five concurrent requests with one key make one hold', async () => {
    const { nodeId, sku } = await stocked(100);
    const body = cart([{ sku, qty: 3 }]);
    const key = { 'idempotency-key': uid('key') };
    const answers = await Promise.all(Array.from({ length: 5 }, () => hold(body, key)));
    for (const answer of answers) expect(answer.status).toBe(201);
    expect(new Set(answers.map((a) => a.body.reservationId)).size).toBe(1);
    expect((await position(sku, nodeId)).reserved).toBe(3);
  });

  it('a refused request may be retried with the same key once stock is there', async () => {
    const { nodeId, sku } = await stocked(1);
    const body = cart([{ sku, qty: 2 }]);
    const key = { 'idempotency-key': uid('key') };
    expect((await hold(body, key)).status).toBe(409);
    await putStock(nodeId, sku, 2);
    expect((await hold(body, key)).status).toBe(201);
    expect((await position(sku, nodeId)).reserved).toBe(2);
  });

  it('confirm and POST /v1/orders replay too: the same order, nothing more held', async () => {
    const { nodeId, sku } = await stocked(10);
    const held = await hold(cart([{ sku, qty: 1 }]));
    const confirmKey = { 'idempotency-key': uid('key') };
    const confirmPath = `/v1/reservations/${held.body.reservationId}/confirm`;
    const first = await call(server.url, server.tokens.checkout, 'POST', confirmPath, {}, confirmKey);
    const second = await call(server.url, server.tokens.checkout, 'POST', confirmPath, {}, confirmKey);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.orderId).toBe(first.body.orderId);

    const orderKey = { 'idempotency-key': uid('key') };
    const body = cart([{ sku, qty: 2 }]);
    const a = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', body, orderKey);
    const b = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', body, orderKey);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.orderId).toBe(a.body.orderId);
    expect((await position(sku, nodeId)).reserved).toBe(3);
  });
});

describe('hold expiry (SimulatedClock)', () => {
  let timed: TestServer;
  const clock = new SimulatedClock();
  beforeAll(async () => {
    timed = await startServer({ clock });
  });
  afterAll(async () => {
    await timed.close();
  });

  async function timedPosition(sku: string, nodeId: string) {
    const answer = await call(timed.url, timed.tokens.ops, 'GET', `/v1/inventory/${sku}`);
    return (answer.body.nodes as Array<{ nodeId: string; reserved: number; available: number }>).find((n) => n.nodeId === nodeId)!;
  }

  async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      // Let the engine's sweep (on the simulated clock) run its next round.
      clock.increment(300);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('a hold not confirmed by expiresAt expires and its units are released', async () => {
    const nodeId = uid('wh');
    const sku = uid('SKU');
    expect((await call(timed.url, timed.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: chicago })).status).toBe(201);
    expect((await call(timed.url, timed.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: 5 })).status).toBe(200);
    const swept = await call(timed.url, timed.tokens.checkout, 'POST', '/v1/reservations', cart([{ sku, qty: 2 }], { ttlSeconds: 10 }));
    const read = await call(timed.url, timed.tokens.checkout, 'POST', '/v1/reservations', cart([{ sku, qty: 1 }], { ttlSeconds: 10 }));
    const kept = await call(timed.url, timed.tokens.checkout, 'POST', '/v1/reservations', cart([{ sku, qty: 1 }], { ttlSeconds: 60 }));
    for (const answer of [swept, read, kept]) expect(answer.status).toBe(201);
    expect(Date.parse(swept.body.expiresAt)).toBe(clock.now() + 10_000);

    clock.increment(9_000);
    expect((await call(timed.url, timed.tokens.checkout, 'GET', `/v1/reservations/${read.body.reservationId}`)).body.status).toBe('held');
    expect((await timedPosition(sku, nodeId)).reserved).toBe(4);

    clock.increment(2_000);
    // Reading the hold finds it expired.
    const expired = await call(timed.url, timed.tokens.checkout, 'GET', `/v1/reservations/${read.body.reservationId}`);
    expect(expired.status).toBe(200);
    expect(expired.body.status).toBe('expired');
    // The other one is released by the sweep, without anyone reading it.
    await until(async () => (await timedPosition(sku, nodeId)).reserved === 1);
    expect(await timedPosition(sku, nodeId)).toMatchObject({ reserved: 1, available: 4 });
    expect((await call(timed.url, timed.tokens.checkout, 'GET', `/v1/reservations/${swept.body.reservationId}`)).body.status).toBe('expired');
    expect((await call(timed.url, timed.tokens.checkout, 'GET', `/v1/reservations/${kept.body.reservationId}`)).body.status).toBe('held');

    const confirm = await call(timed.url, timed.tokens.checkout, 'POST', `/v1/reservations/${swept.body.reservationId}/confirm`, {});
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.code).toBe('INVALID_STATE');
    expect((await timedPosition(sku, nodeId)).reserved).toBe(1);
  });

  it('a confirm after the deadline, before any sweep, is 409 INVALID_STATE and the units are released', async () => {
    const nodeId = uid('wh');
    const sku = uid('SKU');
    expect((await call(timed.url, timed.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: chicago })).status).toBe(201);
    expect((await call(timed.url, timed.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: 5 })).status).toBe(200);
    const held = await call(timed.url, timed.tokens.checkout, 'POST', '/v1/reservations', cart([{ sku, qty: 2 }], { ttlSeconds: 10 }));
    expect(held.status).toBe(201);
    // Jump past the deadline in one go: the sweep timer fires, but before the deadline (at +250 ms).
    clock.increment(10_000);
    const confirm = await call(timed.url, timed.tokens.checkout, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {});
    expect(confirm.status).toBe(409);
    expect(confirm.body.error.code).toBe('INVALID_STATE');
    expect((await call(timed.url, timed.tokens.checkout, 'GET', `/v1/reservations/${held.body.reservationId}`)).body.status).toBe('expired');
    expect((await timedPosition(sku, nodeId)).reserved).toBe(0);
  });
});
