// Shows the live stream (`GET /v1/stream`, WebSocket) keeps the contract, with the real `ws`
// client against the real gateway on port 0 over LMDB, driven by real HTTP requests: the upgrade
// takes `?token=` or an Authorization header and refuses a missing or bad token (401); each role
// sees only its topics (error frame FORBIDDEN otherwise); an order's life arrives on
// `order:<id>` with seq rising by one; partners get their node's instructions; `sku:<sku>` gets
// `inventory.changed`; bad frames get error frames; unsubscribe stops delivery; the `orders`
// firehose carries every order. A client that stops reading (its socket paused) while events
// pour in is cut off, the other clients carry on, and the server's memory stays bounded.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';
import { recordingUncaught, refusedUpgrade, StreamClient, type Frame } from '../test/support/stream-client.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isoPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

let server: TestServer;
const clients: StreamClient[] = [];
let counter = 0;
const uid = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

/** Opens a client with `?token=` (or the header) and remembers it for cleanup. */
async function connect(token: string, via: 'query' | 'header' = 'query'): Promise<StreamClient> {
  const client = via === 'query'
    ? await StreamClient.open(`${server.wsUrl}?token=${encodeURIComponent(token)}`)
    : await StreamClient.open(server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
  clients.push(client);
  return client;
}

async function ops(method: string, path: string, body?: unknown) {
  const answer = await call(server.url, server.tokens.ops, method, path, body);
  expect(answer.status, `${method} ${path}`).toBeLessThan(300);
  return answer.body;
}

/** A node with stock of a fresh SKU. */
async function stocked(onHand: number, location = { lat: 41.88, lon: -87.63 }) {
  const nodeId = uid('st-wh');
  const sku = uid('ST-SKU');
  const node = await ops('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location });
  await ops('PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand });
  return { nodeId, sku, partnerToken: node.partnerToken as string };
}

async function hold(sku: string, qty = 1) {
  const answer = await call(server.url, server.tokens.checkout, 'POST', '/v1/reservations', { customerId: uid('c'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty }] });
  expect(answer.status).toBe(201);
  const reservationId = answer.body.reservationId as string;
  return { reservationId, orderId: `ord_${reservationId.slice(4)}`, streamToken: answer.body.streamToken as string };
}

async function confirm(reservationId: string) {
  const answer = await call(server.url, server.tokens.checkout, 'POST', `/v1/reservations/${reservationId}/confirm`, {});
  expect(answer.status).toBe(201);
  return answer.body;
}

function expectError(frame: Frame, code: string): void {
  expect(frame).toEqual({ op: 'error', error: { code, message: expect.any(String), details: expect.any(Object) } });
}

describe('connecting', () => {
  it('accepts a token in ?token= and in the Authorization header', async () => {
    const byQuery = await connect(server.tokens.checkout, 'query');
    const byHeader = await connect(server.tokens.viewer, 'header');
    expect(await byQuery.subscribe(['sku:ANY-1'])).toEqual({ op: 'subscribed', topics: ['sku:ANY-1'] });
    expect(await byHeader.subscribe(['orders', 'sku:ANY-1'])).toEqual({ op: 'subscribed', topics: ['orders', 'sku:ANY-1'] });
  });

  it('refuses the upgrade with 401 UNAUTHENTICATED for a missing, unknown or forged token', async () => {
    const before = server.gateway.hub.stats().clients;
    const forgedPartner = `pt.${Buffer.from('st-wh-x').toString('base64url')}.${Buffer.alloc(32, 1).toString('base64url')}`;
    const cases: Array<[string, string, WebSocket.ClientOptions]> = [
      ['no token', server.wsUrl, {}],
      ['empty token', `${server.wsUrl}?token=`, {}],
      ['unknown token', `${server.wsUrl}?token=nope`, {}],
      ['unknown bearer', server.wsUrl, { headers: { authorization: 'Bearer nope' } }],
      ['forged partner token', `${server.wsUrl}?token=${forgedPartner}`, {}],
    ];
    for (const [what, url, options] of cases) {
      const refused = await refusedUpgrade(url, options);
      expect(refused.status, what).toBe(401);
      expect(refused.body.error.code, what).toBe('UNAUTHENTICATED');
    }
    expect(server.gateway.hub.stats().clients).toBe(before);
  });

  it('a client without an unexpected-response handler gets an error', async () => {
    const error = await new Promise<Error>((resolve, reject) => {
      const ws = new WebSocket(`${server.wsUrl}?token=nope`);
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
      ws.once('error', resolve);
    });
    expect(error.message).toMatch(/401/);
  });
});

describe("an order's events", () => {
  it('a hold, its confirmation and a shipment arrive on order:<orderId> in order, seq rising by one', async () => {
    const { nodeId, sku } = await stocked(10);
    const firehose = await connect(server.tokens.viewer);
    await firehose.subscribe(['orders']);

    const held = await hold(sku, 2);
    const byOrderId = await connect(held.streamToken);
    const byReservationId = await connect(server.tokens.checkout, 'header');
    expect(await byOrderId.subscribe([`order:${held.orderId}`])).toEqual({ op: 'subscribed', topics: [`order:${held.orderId}`] });
    expect(await byReservationId.subscribe([`order:${held.reservationId}`])).toEqual({ op: 'subscribed', topics: [`order:${held.reservationId}`] });

    await confirm(held.reservationId);
    expect((await call(server.url, server.tokens.ops, 'POST', `/v1/nodes/${nodeId}/events`, { orderId: held.orderId, type: 'shipped', trackingId: '1Z9' })).status).toBe(200);

    const shipped = (f: Frame) => f.type === 'order.shipped';
    await byOrderId.waitFor(shipped);
    await byReservationId.waitFor(shipped);
    await firehose.waitFor((f) => shipped(f) && f.data?.orderId === held.orderId);

    const events = byOrderId.events(`order:${held.orderId}`);
    expect(events.map((e) => e.type)).toEqual(['order.allocated', 'order.released', 'order.shipped']);
    // The hold's own event (seq 1) was published before anyone could know the id; the order's
    // history has it, and the stream goes on from there without a gap.
    expect(events.map((e) => e.seq)).toEqual([2, 3, 4]);
    for (const event of events) {
      expect(event).toEqual({ topic: `order:${held.orderId}`, type: expect.any(String), seq: expect.any(Number), at: expect.stringMatching(isoPattern), data: expect.objectContaining({ orderId: held.orderId }) });
    }
    const order = await call(server.url, server.tokens.checkout, 'GET', `/v1/orders/${held.orderId}`);
    expect(order.body.history.map((h: { seq: number; type: string }) => `${h.seq}:${h.type}`)).toEqual(['1:reservation.held', '2:order.allocated', '3:order.released', '4:order.shipped']);

    // Under the reservation's id, the same events, named as subscribed.
    const aliased = byReservationId.events(`order:${held.reservationId}`);
    expect(aliased.map((e) => `${e.seq}:${e.type}`)).toEqual(['2:order.allocated', '3:order.released', '4:order.shipped']);

    // The firehose saw all four, the hold included, and numbers its own frames without a gap.
    const mine = firehose.events('orders').filter((f) => f.data?.orderId === held.orderId);
    expect(mine.map((f) => f.type)).toEqual(['reservation.held', 'order.allocated', 'order.released', 'order.shipped']);
    const seqs = firehose.events('orders').map((f) => f.seq!);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  });
});

describe('who sees which topics', () => {
  it("an order's stream token sees order:<its id> (as order or reservation id) and nothing else", async () => {
    const { nodeId, sku } = await stocked(10);
    const mine = await hold(sku);
    const other = await hold(sku);
    for (const via of ['query', 'header'] as const) {
      const shopper = await connect(mine.streamToken, via);
      expect(await shopper.subscribe([`order:${mine.orderId}`])).toEqual({ op: 'subscribed', topics: [`order:${mine.orderId}`] });
      expect(await shopper.subscribe([`order:${mine.reservationId}`])).toEqual({ op: 'subscribed', topics: [`order:${mine.reservationId}`] });
      for (const topic of [`order:${other.orderId}`, `order:${other.reservationId}`, `sku:${sku}`, `node:${nodeId}`, 'orders']) {
        expectError(await shopper.subscribe([topic]), 'FORBIDDEN');
      }
      // One forbidden topic refuses the whole request.
      expectError(await shopper.subscribe([`order:${mine.orderId}`, `order:${other.orderId}`]), 'FORBIDDEN');
    }
    const shopper = await connect(mine.streamToken);
    await shopper.subscribe([`order:${mine.orderId}`]);
    await confirm(other.reservationId);
    await confirm(mine.reservationId);
    await shopper.waitFor((f) => f.type === 'order.released');
    const seen = shopper.frames.filter((f) => f.op === undefined);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((f) => f.topic === `order:${mine.orderId}` && f.data.orderId === mine.orderId)).toBe(true);
  });

  it('checkout sees sku:* and order:* but not node:* or the orders firehose', async () => {
    const { nodeId, sku } = await stocked(1);
    const checkout = await connect(server.tokens.checkout);
    expect(await checkout.subscribe([`sku:${sku}`, 'order:ord_anything', 'order:rsv_anything'])).toMatchObject({ op: 'subscribed' });
    expectError(await checkout.subscribe([`node:${nodeId}`]), 'FORBIDDEN');
    expectError(await checkout.subscribe(['orders']), 'FORBIDDEN');
  });

  it('viewer and ops see every topic', async () => {
    const { nodeId, sku } = await stocked(1);
    for (const token of [server.tokens.viewer, server.tokens.ops]) {
      const client = await connect(token);
      expect(await client.subscribe([`sku:${sku}`, `node:${nodeId}`, 'order:ord_x', 'orders'])).toMatchObject({ op: 'subscribed' });
    }
  });

  it("a partner sees only node:<its node>, and gets that node's order.released instructions and status there", async () => {
    const a = await stocked(10);
    const b = await stocked(10, { lat: 33.75, lon: -84.39 });
    const partnerA = await connect(a.partnerToken);
    const partnerB = await connect(b.partnerToken, 'header');
    expect(await partnerA.subscribe([`node:${a.nodeId}`])).toEqual({ op: 'subscribed', topics: [`node:${a.nodeId}`] });
    expect(await partnerB.subscribe([`node:${b.nodeId}`])).toEqual({ op: 'subscribed', topics: [`node:${b.nodeId}`] });
    for (const topic of [`node:${b.nodeId}`, `sku:${a.sku}`, 'order:ord_x', 'orders']) {
      expectError(await partnerA.subscribe([topic]), 'FORBIDDEN');
    }

    const atA = await hold(a.sku, 2);
    const atB = await hold(b.sku, 1);
    await confirm(atA.reservationId);
    await confirm(atB.reservationId);
    const released = await partnerA.waitFor((f) => f.type === 'order.released');
    expect(released).toMatchObject({ topic: `node:${a.nodeId}`, seq: expect.any(Number), data: { orderId: atA.orderId, lines: [{ sku: a.sku, qty: 2 }] } });
    await partnerB.waitFor((f) => f.type === 'order.released' && f.data.orderId === atB.orderId);

    await ops('POST', `/v1/nodes/${a.nodeId}/status`, { status: 'paused' });
    const status = await partnerA.waitFor((f) => f.type === 'node.status');
    expect(status.data).toMatchObject({ nodeId: a.nodeId, status: 'paused' });
    await ops('POST', `/v1/nodes/${a.nodeId}/status`, { status: 'online' });
    await partnerA.waitFor((f) => f.type === 'node.status' && f.data.status === 'online');

    const events = partnerA.frames.filter((f) => f.op === undefined);
    expect(events.every((f) => f.topic === `node:${a.nodeId}`)).toBe(true);
    expect(events.some((f) => f.data?.orderId === atB.orderId)).toBe(false);
    const seqs = events.map((f) => f.seq!);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  });
});

describe('sku topics', () => {
  it('sku:<sku> gets inventory.changed after a hold, an adjustment and a release, seq rising by one', async () => {
    const { nodeId, sku } = await stocked(10);
    const watcher = await connect(server.tokens.checkout);
    await watcher.subscribe([`sku:${sku}`]);

    const held = await hold(sku, 3);
    const afterHold = await watcher.waitFor((f) => f.type === 'inventory.changed' && f.data.nodes?.some((n: { reserved: number }) => n.reserved === 3));
    expect(afterHold).toMatchObject({ topic: `sku:${sku}`, at: expect.stringMatching(isoPattern), data: { sku } });
    expect(afterHold.data.nodes.find((n: { nodeId: string }) => n.nodeId === nodeId)).toMatchObject({ onHand: 10, reserved: 3, available: 7 });

    await ops('POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: 5, reason: 'received' });
    await watcher.waitFor((f) => f.type === 'inventory.changed' && f.data.nodes?.some((n: { onHand: number }) => n.onHand === 15));
    expect((await call(server.url, server.tokens.checkout, 'DELETE', `/v1/reservations/${held.reservationId}`)).status).toBe(200);
    await watcher.waitFor((f) => f.type === 'inventory.changed' && f.data.available === 15);

    const seqs = watcher.events(`sku:${sku}`).map((f) => f.seq!);
    expect(seqs.length).toBeGreaterThanOrEqual(3);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
  });

  it('unsubscribe stops delivery', async () => {
    const { nodeId, sku } = await stocked(10);
    const leaving = await connect(server.tokens.checkout);
    const staying = await connect(server.tokens.checkout);
    await leaving.subscribe([`sku:${sku}`]);
    await staying.subscribe([`sku:${sku}`]);

    await ops('POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: 1, reason: 'received' });
    await leaving.waitFor((f) => f.data?.nodes?.[0]?.onHand === 11);
    await staying.waitFor((f) => f.data?.nodes?.[0]?.onHand === 11);

    expect(await leaving.command({ op: 'unsubscribe', topics: [`sku:${sku}`] })).toEqual({ op: 'unsubscribed', topics: [`sku:${sku}`] });
    const seenBefore = leaving.events(`sku:${sku}`).length;
    await ops('POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: 1, reason: 'received' });
    await hold(sku, 1);
    await staying.waitFor((f) => f.data?.nodes?.[0]?.reserved === 1);
    await sleep(100);
    expect(leaving.events(`sku:${sku}`).length).toBe(seenBefore);
    expect(leaving.closed).toBeUndefined();
  });
});

describe('bad frames', () => {
  it('a malformed frame gets an error frame and the connection stays usable', async () => {
    const client = await connect(server.tokens.viewer);
    expectError(await client.command('not json'), 'BAD_REQUEST');
    expectError(await client.command('{"op":'), 'BAD_REQUEST');
    const invalid: unknown[] = [
      {},
      [],
      42,
      'subscribe',
      { op: 'publish', topics: ['orders'] },
      { op: 'subscribe' },
      { op: 'subscribe', topics: 'orders' },
      { op: 'subscribe', topics: [42] },
      { op: 'subscribe', topics: ['weather:today'] },
      { op: 'subscribe', topics: ['sku:a b'] },
      { op: 'subscribe', topics: ['sku:'] },
      { op: 'subscribe', topics: [`sku:${'x'.repeat(65)}`] },
      { op: 'subscribe', topics: ['order'] },
      { op: 'subscribe', topics: Array.from({ length: 101 }, (_, i) => `sku:S-${i}`) },
    ];
    for (const frame of invalid) expectError(await client.command(JSON.stringify(frame)), 'VALIDATION_FAILED');
    expect(client.closed).toBeUndefined();
    expect(await client.subscribe(['orders'])).toEqual({ op: 'subscribed', topics: ['orders'] });
  });

  it('the frame `null` gets an error frame and the server lives on', async () => {
    const client = await connect(server.tokens.checkout);
    const { result, uncaught } = await recordingUncaught(async () => {
      const from = client.frames.length;
      client.ws.send('null');
      return client.waitFor((f) => f.op !== undefined, { from, timeoutMs: 500 }).catch(() => undefined);
    });
    expect(uncaught).toEqual([]);
    expect(result).toBeDefined();
    expectError(result!, 'VALIDATION_FAILED');
  });

  it('a frame over the frame size bound (16 KiB) closes that connection; other clients are unaffected', async () => {
    const big = await connect(server.tokens.viewer);
    const other = await connect(server.tokens.viewer);
    big.ws.send(JSON.stringify({ op: 'subscribe', topics: ['orders'], padding: 'x'.repeat(64 * 1024) }));
    const closed = await big.waitForClose();
    // uWS ends it at once: 1009 (message too big) or, without a close frame, 1006.
    expect([1006, 1009]).toContain(closed.code);
    expect(await other.subscribe(['orders'])).toEqual({ op: 'subscribed', topics: ['orders'] });
  });
});

describe('the orders firehose', () => {
  it('viewer on `orders` receives the events of every order', async () => {
    const { sku } = await stocked(10);
    const viewer = await connect(server.tokens.viewer);
    await viewer.subscribe(['orders']);
    const first = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', { customerId: 'c-f1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }] });
    const second = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', { customerId: 'c-f2', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 2 }] });
    expect([first.status, second.status]).toEqual([201, 201]);
    const cancelled = await call(server.url, server.tokens.checkout, 'POST', `/v1/orders/${second.body.orderId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    await viewer.waitFor((f) => f.type === 'order.cancelled' && f.data.orderId === second.body.orderId);
    await viewer.waitFor((f) => f.type === 'order.released' && f.data.orderId === first.body.orderId);
    const typesOf = (orderId: string) => viewer.events('orders').filter((f) => f.data.orderId === orderId).map((f) => f.type);
    expect(typesOf(first.body.orderId)).toEqual(['reservation.held', 'order.allocated', 'order.released']);
    expect(typesOf(second.body.orderId)).toEqual(['reservation.held', 'order.allocated', 'order.released', 'order.cancelled']);
    for (const frame of viewer.events('orders')) expect(frame).toMatchObject({ topic: 'orders', seq: expect.any(Number), at: expect.stringMatching(isoPattern) });
  });
});

describe('a slow consumer', () => {
  // Its own server: many nodes make each inventory.changed frame large (~30 KB), so a paused
  // client's kernel buffers and the 1 MiB backpressure bound fill after a few hundred events.
  let slowServer: TestServer;
  const sku = 'SLOW-1';
  const nodeCount = 300;
  const slowClients: StreamClient[] = [];

  beforeAll(async () => {
    slowServer = await startServer();
    const { url, tokens } = slowServer;
    for (let batch = 0; batch < nodeCount; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, async (_, j) => {
        const nodeId = `slow-${batch + j}`;
        expect((await call(url, tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: { lat: 40 + (batch + j) / 100, lon: -90 } })).status).toBe(201);
        expect((await call(url, tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: 1_000_000 })).status).toBe(200);
      }));
    }
  });
  afterAll(async () => {
    for (const client of slowClients) client.close();
    await slowServer.close();
  });

  /** Keeps of each inventory.changed only what the test reads, so the test itself stays small in memory. */
  const summary = (frame: Frame): Frame => frame.op !== undefined
    ? frame
    : { topic: frame.topic, type: frame.type, seq: frame.seq, data: { available: frame.data.available, onHand: frame.data.nodes[0].onHand } };

  async function open(): Promise<StreamClient> {
    const client = await StreamClient.open(`${slowServer.wsUrl}?token=${slowServer.tokens.viewer}`, {}, summary);
    slowClients.push(client);
    expect(await client.subscribe([`sku:${sku}`])).toMatchObject({ op: 'subscribed' });
    return client;
  }

  /** Adjusts stock in batches (each adjustment publishes inventory.changed frames) until `done` or the time is up. */
  async function pour(done: () => boolean, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let adjustments = 0;
    while (!done() && Date.now() < deadline) {
      const answers = await Promise.all(Array.from({ length: 10 }, (_, j) =>
        call(slowServer.url, slowServer.tokens.ops, 'POST', `/v1/inventory/slow-${j}/${sku}/adjust`, { delta: 1, reason: 'received' })));
      for (const answer of answers) expect(answer.status).toBe(200);
      adjustments += answers.length;
    }
    return adjustments;
  }

  // A full collection before each reading, so the bound below measures what is kept, not garbage.
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  const memory = () => {
    collectGarbage();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  it('is cut off while the other clients get every event, and the server holds no more than the bound for it', async () => {
    const hub = slowServer.gateway.hub;
    const cutOffBefore = hub.stats().cutOff;
    const fast = await open();
    const slow = await open();
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const clientsBefore = hub.stats().clients;
    const memoryBefore = memory();

    const adjustments = await pour(() => hub.stats().cutOff > cutOffBefore);
    expect(hub.stats().cutOff).toBe(cutOffBefore + 1);
    expect(hub.stats().clients).toBe(clientsBefore - 1);
    // Keep pouring after the cut: nothing more is kept for the slow client.
    await pour(() => false, 1_000);
    const grownBytes = memory() - memoryBefore;
    expect(grownBytes).toBeLessThan(32 * 1024 * 1024);

    // The fast client got every frame, seq rising by one without a gap.
    const last = (await call(slowServer.url, slowServer.tokens.ops, 'GET', `/v1/inventory/${sku}`)).body;
    await fast.waitFor((f) => f.type === 'inventory.changed' && f.data.onHand === last.nodes[0].onHand && f.data.available === last.available, { timeoutMs: 10_000 });
    const seqs = fast.events(`sku:${sku}`).map((f) => f.seq!);
    expect(seqs.length).toBeGreaterThanOrEqual(adjustments);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    expect(fast.closed).toBeUndefined();

    // Once the slow client reads again, its connection ends.
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.waitForClose(15_000);
  });

  it('the slow client, when it reads again, sees close code 1008 or 1013', async () => {
    const hub = slowServer.gateway.hub;
    const cutOffBefore = hub.stats().cutOff;
    const slow = await open();
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await pour(() => hub.stats().cutOff > cutOffBefore);
    expect(hub.stats().cutOff).toBe(cutOffBefore + 1);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await slow.waitForClose(15_000);
    expect([1008, 1013]).toContain(closed.code);
  });
});
