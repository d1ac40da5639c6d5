// Shows the two read endpoints the dashboard polls answer as docs/API.md says, over real HTTP
// (Node's fetch) against the real gateway on port 0 over a real LMDB ledger: `GET /v1/stats`
// (ops, viewer) has 60 per-second entries whose hold, order and refusal counts match the
// requests made and whose hold latency p50 <= p99 <= max fills in; it counts live orders and
// stream clients. `GET /v1/skus/sold-out` (ops, viewer, checkout) lists a SKU once all its
// stock is held, drops it once the hold is released, counts an offline node's stock as not
// available, and lists at most 200 with `truncated`. Roles: a partner, an order stream token or
// a checkout token where not allowed get 403; no token 401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';
import { StreamClient } from '../test/support/stream-client.js';

let server: TestServer;
let partnerToken: string;
beforeAll(async () => {
  server = await startServer();
  const node = await call(server.url, server.tokens.ops, 'PUT', '/v1/nodes/da-wh', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 }, capacityPerDay: 100 });
  expect(node.status).toBe(201);
  partnerToken = node.body.partnerToken as string;
});
afterAll(async () => {
  await server.close();
});

const cart = (sku: string, qty: number) => ({ customerId: `c-${sku}-${qty}`, destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty }] });
const sum = (values: number[]): number => values.reduce((a, b) => a + b, 0);

async function ops(method: string, path: string, body?: unknown) {
  const answer = await call(server.url, server.tokens.ops, method, path, body);
  expect(answer.status, `${method} ${path}`).toBeLessThan(300);
  return answer.body;
}

async function stats() {
  const answer = await call(server.url, server.tokens.viewer, 'GET', '/v1/stats');
  expect(answer.status).toBe(200);
  return answer.body;
}

async function soldOut() {
  const answer = await call(server.url, server.tokens.viewer, 'GET', '/v1/skus/sold-out');
  expect(answer.status).toBe(200);
  return answer.body as { at: string; skus: Array<{ sku: string; onHand: number; reserved: number }>; truncated: boolean; scanned: number; scanTruncated: boolean };
}

describe('who may read them', () => {
  it('GET /v1/stats: ops and viewer; not checkout, a partner or an order stream token (403); no token 401', async () => {
    const streamToken = server.auth.streamToken('some-order');
    for (const token of [server.tokens.ops, server.tokens.viewer]) expect((await call(server.url, token, 'GET', '/v1/stats')).status).toBe(200);
    for (const token of [server.tokens.checkout, partnerToken, streamToken]) {
      const answer = await call(server.url, token, 'GET', '/v1/stats');
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    }
    expect((await call(server.url, undefined, 'GET', '/v1/stats')).body.error.code).toBe('UNAUTHENTICATED');
    expect((await call(server.url, 'nonsense', 'GET', '/v1/stats')).status).toBe(401);
  });

  it('GET /v1/skus/sold-out: ops, viewer and checkout; not a partner or an order stream token (403); no token 401', async () => {
    for (const token of [server.tokens.ops, server.tokens.viewer, server.tokens.checkout]) expect((await call(server.url, token, 'GET', '/v1/skus/sold-out')).status).toBe(200);
    for (const token of [partnerToken, server.auth.streamToken('some-order')]) expect((await call(server.url, token, 'GET', '/v1/skus/sold-out')).body.error.code).toBe('FORBIDDEN');
    expect((await call(server.url, undefined, 'GET', '/v1/skus/sold-out')).status).toBe(401);
    // The path is fixed: the SKU-shaped PUT next to it is untouched, and writes are still ops only.
    expect((await call(server.url, server.tokens.viewer, 'PUT', '/v1/skus/sold-out', { name: 'x' })).status).toBe(403);
  });
});

describe('GET /v1/stats', () => {
  // The first test here to make holds, so the counts below are exactly the requests it makes.
  it('counts holds, orders and refusals per second, and fills the hold latency of the seconds they came in', async () => {
    const empty = await stats();
    expect(empty.windowSeconds).toBe(60);
    expect(Date.parse(empty.from)).toBe(Math.floor(Date.parse(empty.at) / 1000) * 1000 - 60_000);
    for (const series of [empty.holdsPerSecond, empty.ordersPerSecond, empty.refusedPerSecond, empty.holdLatencyMs.count]) expect(series).toEqual(new Array(60).fill(0));
    for (const series of [empty.holdLatencyMs.p50, empty.holdLatencyMs.p99, empty.holdLatencyMs.max]) expect(series).toEqual(new Array(60).fill(null));

    await ops('PUT', '/v1/inventory/da-wh/SKU-STATS', { onHand: 100 });
    const holdIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const hold = await call(server.url, server.tokens.checkout, 'POST', '/v1/reservations', cart('SKU-STATS', 1));
      expect(hold.status).toBe(201);
      holdIds.push(hold.body.reservationId as string);
    }
    for (let i = 0; i < 3; i++) expect((await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', cart('SKU-STATS', 1))).status).toBe(201);
    expect((await call(server.url, server.tokens.checkout, 'POST', `/v1/reservations/${holdIds[0]}/confirm`, {})).status).toBe(201);
    // Refused: not enough stock (409), and bad input (400). Neither has a hold latency.
    expect((await call(server.url, server.tokens.checkout, 'POST', '/v1/reservations', cart('SKU-STATS', 1000))).status).toBe(409);
    expect((await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', { customerId: 'c' })).status).toBe(400);
    // Other routes are not counted.
    await call(server.url, server.tokens.checkout, 'POST', '/v1/promise', { destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'SKU-STATS', qty: 1 }] });

    // The seconds show once complete: wait for them.
    const counts = (s: any) => [sum(s.holdsPerSecond), sum(s.ordersPerSecond), sum(s.refusedPerSecond)];
    // 5 holds; 3 one-step orders and 1 confirm; 2 refusals.
    await expect.poll(async () => counts(await stats()), { timeout: 3_000, interval: 100 }).toEqual([5, 4, 2]);
    const filled = await stats();
    const latency = filled.holdLatencyMs;
    expect(sum(latency.count)).toBe(8); // the 5 holds and the 3 one-step orders
    const busy = latency.count.map((c: number, i: number) => (c > 0 ? i : -1)).filter((i: number) => i >= 0);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 60; i++) {
      if (latency.count[i] === 0) {
        expect([latency.p50[i], latency.p99[i], latency.max[i]]).toEqual([null, null, null]);
        continue;
      }
      expect(latency.p50[i]).toBeGreaterThan(0);
      expect(latency.p50[i]).toBeLessThanOrEqual(latency.p99[i]);
      expect(latency.p99[i]).toBeLessThanOrEqual(latency.max[i]);
      expect(latency.max[i]).toBeLessThan(5_000);
    }
    // 4 holds were left held, and the confirmed one is a live order, as are the 3 orders.
    expect(filled.liveOrders).toBe(8);
  });

  it('counts the stream clients connected', async () => {
    const before = (await stats()).streamClients;
    const client = await StreamClient.open(`${server.wsUrl}?token=${server.tokens.viewer}`);
    try {
      expect((await stats()).streamClients).toBe(before + 1);
    } finally {
      client.close();
    }
    await expect.poll(async () => (await stats()).streamClients, { timeout: 3_000, interval: 100 }).toBe(before);
  });
});

describe('GET /v1/skus/sold-out', () => {
  it('lists a SKU once all its stock is held and drops it once the hold is released', async () => {
    await ops('PUT', '/v1/inventory/da-wh/SKU-LAST3', { onHand: 3 });
    await ops('PUT', '/v1/inventory/da-wh/SKU-PLENTY', { onHand: 50 });
    const listed = (list: Awaited<ReturnType<typeof soldOut>>) => list.skus.find((s) => s.sku === 'SKU-LAST3');
    expect(listed(await soldOut())).toBeUndefined();

    const hold = await call(server.url, server.tokens.checkout, 'POST', '/v1/reservations', cart('SKU-LAST3', 3));
    expect(hold.status).toBe(201);
    // An answer may be up to a second old: poll.
    await expect.poll(async () => listed(await soldOut()), { timeout: 3_000, interval: 100 }).toEqual({ sku: 'SKU-LAST3', onHand: 3, reserved: 3 });
    const list = await soldOut();
    expect(list).toMatchObject({ truncated: false, scanTruncated: false });
    expect(Number.isNaN(Date.parse(list.at))).toBe(false);
    expect(list.skus.map((s) => s.sku)).not.toContain('SKU-PLENTY');
    // Listed in SKU order.
    expect(list.skus.map((s) => s.sku)).toEqual(list.skus.map((s) => s.sku).sort());

    expect((await call(server.url, server.tokens.checkout, 'DELETE', `/v1/reservations/${hold.body.reservationId}`)).status).toBe(200);
    await expect.poll(async () => listed(await soldOut()), { timeout: 3_000, interval: 100 }).toBeUndefined();
  });

  it('counts only online nodes, as the top-level available does', async () => {
    await ops('PUT', '/v1/nodes/da-store', { type: 'store', location: { lat: 40.71, lon: -74.0 } });
    await ops('PUT', '/v1/inventory/da-store/SKU-STORE-ONLY', { onHand: 5 });
    await ops('POST', '/v1/nodes/da-store/status', { status: 'offline' });
    await expect.poll(async () => (await soldOut()).skus.find((s) => s.sku === 'SKU-STORE-ONLY'), { timeout: 3_000, interval: 100 }).toEqual({ sku: 'SKU-STORE-ONLY', onHand: 0, reserved: 0 });
    await ops('POST', '/v1/nodes/da-store/status', { status: 'online' });
    await expect.poll(async () => (await soldOut()).skus.some((s) => s.sku === 'SKU-STORE-ONLY'), { timeout: 3_000, interval: 100 }).toBe(false);
  });

  it('lists at most 200 and says it cut the list', async () => {
    const skus = Array.from({ length: 205 }, (_, i) => `SKU-EMPTY-${String(i).padStart(3, '0')}`);
    for (let start = 0; start < skus.length; start += 50) {
      await Promise.all(skus.slice(start, start + 50).map((sku) => ops('PUT', `/v1/inventory/da-wh/${sku}`, { onHand: 0 })));
    }
    await expect.poll(async () => (await soldOut()).truncated, { timeout: 3_000, interval: 100 }).toBe(true);
    const list = await soldOut();
    expect(list.skus).toHaveLength(200);
    expect(list.scanned).toBeGreaterThanOrEqual(205);
    expect(list.scanTruncated).toBe(false);
  });
});
