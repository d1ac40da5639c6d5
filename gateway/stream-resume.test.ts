// Shows stream resume keeps its promise — what a client missed, then the live flow, with no gap and
// no duplicate — with the real `ws` client against the real gateway on port 0 over LMDB, driven
// by real HTTP requests: a client drops its connection, events happen while it is away, it
// reconnects with `from` and gets the missed events in seq order followed by the live ones, while
// more events are produced during the resubscribe itself. Orders are read back from the order's
// history (also across a restart), `sku:` topics and the `orders` firehose from the hub's bounded
// replay buffer. A client too far behind, ahead of the server, or back after a restart for a
// buffered topic gets `resync` and then the live flow. Bad `from` values are refused. Past 50
// order events a second, the firehose sends a summary with counts and a sample instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../engine/limits.js';
import { call, startServer, tempDir, type TestServer } from '../test/support/fixtures.js';
import { StreamClient, type Frame } from '../test/support/stream-client.js';

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

async function connect(token: string, target: TestServer = server): Promise<StreamClient> {
  const client = await StreamClient.open(`${target.wsUrl}?token=${encodeURIComponent(token)}`);
  clients.push(client);
  return client;
}

async function ok(method: string, path: string, body?: unknown, token = server.tokens.ops, target: TestServer = server) {
  const answer = await call(target.url, token, method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body;
}

async function stocked(onHand: number, target: TestServer = server) {
  const nodeId = uid('rs-wh');
  const sku = uid('RS-SKU');
  await ok('PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } }, target.tokens.ops, target);
  await ok('PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand }, target.tokens.ops, target);
  return { nodeId, sku };
}

async function hold(sku: string, target: TestServer = server) {
  const body = await ok('POST', '/v1/reservations', { customerId: uid('c'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }] }, target.tokens.checkout, target);
  const reservationId = body.reservationId as string;
  return { reservationId, orderId: `ord_${reservationId.slice(4)}` };
}

const adjust = (nodeId: string, sku: string, target: TestServer = server) =>
  ok('POST', `/v1/inventory/${nodeId}/${sku}/adjust`, { delta: 1, reason: 'received' }, target.tokens.ops, target);

/**
 * The topic's newest seq once `client` has received everything given out on it (one request may
 * publish more than one event on a topic, the last ones after the answer).
 */
async function settled(client: StreamClient, topic: string): Promise<number> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const lastSeq = server.engine.events.lastSeq(topic);
    if (client.events(topic).at(-1)?.seq === lastSeq) return lastSeq;
    if (Date.now() > deadline) throw new Error(`${topic}: the client never caught up with seq ${lastSeq}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const seqsOf = (frames: Frame[]) => frames.map((f) => f.seq!);
const consecutive = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('resume an order topic', () => {
  it('after a dropped connection: the missed events, then the live ones, each once, in seq order', async () => {
    const { nodeId, sku } = await stocked(10);
    const { reservationId, orderId } = await hold(sku);
    const first = await connect(server.tokens.viewer);
    await first.subscribe([`order:${orderId}`]);
    await ok('POST', `/v1/reservations/${reservationId}/confirm`, {}, server.tokens.checkout);
    await first.waitFor((f) => f.type === 'order.released');
    const seen = first.events(`order:${orderId}`);
    expect(seqsOf(seen)).toEqual([2, 3]);
    first.close();

    // Missed while away.
    for (const type of ['accepted', 'picked']) await ok('POST', `/v1/nodes/${nodeId}/events`, { orderId, type });

    // Back, under the reservation's alias, while the rest of the order's life happens at once.
    const second = await connect(server.tokens.viewer);
    const topic = `order:${reservationId}`;
    const live = (async () => {
      for (const type of ['packed', 'shipped', 'delivered']) await ok('POST', `/v1/nodes/${nodeId}/events`, { orderId, type, ...(type === 'shipped' ? { trackingId: '1Z1' } : {}) });
    })();
    expect(await second.subscribe([topic], { [topic]: 3 })).toEqual({ op: 'subscribed', topics: [topic] });
    await live;
    await second.waitFor((f) => f.type === 'order.delivered');

    const events = second.events(topic);
    expect(seqsOf(events)).toEqual([4, 5, 6, 7, 8]);
    expect(events.map((e) => e.type)).toEqual(['order.accepted', 'order.picked', 'order.packed', 'order.shipped', 'order.delivered']);
    for (const event of events) expect(event.data.orderId).toBe(orderId);
    expect(second.frames.some((f) => f.op === 'resync')).toBe(false);
  });

  it('from 0 replays the whole history; without from nothing old is sent', async () => {
    const { sku } = await stocked(10);
    const { reservationId, orderId } = await hold(sku);
    await ok('POST', `/v1/reservations/${reservationId}/confirm`, {}, server.tokens.checkout);

    const fromStart = await connect(server.tokens.checkout);
    await fromStart.subscribe([`order:${orderId}`], { [`order:${orderId}`]: 0 });
    await fromStart.waitFor((f) => f.type === 'order.released');
    expect(fromStart.events(`order:${orderId}`).map((e) => `${e.seq}:${e.type}`)).toEqual(['1:reservation.held', '2:order.allocated', '3:order.released']);

    const plain = await connect(server.tokens.checkout);
    await plain.subscribe([`order:${orderId}`]);
    await ok('POST', `/v1/orders/${orderId}/cancel`, {}, server.tokens.checkout);
    await plain.waitFor((f) => f.type === 'order.cancelled');
    expect(seqsOf(plain.events(`order:${orderId}`))).toEqual([4]);
  });

  it('an order stream token resumes its own order', async () => {
    const { sku } = await stocked(10);
    const answer = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', { customerId: uid('c'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }] });
    expect(answer.status).toBe(201);
    const shopper = await connect(answer.body.streamToken);
    const topic = `order:${answer.body.orderId}`;
    await shopper.subscribe([topic], { [topic]: 1 });
    await shopper.waitFor((f) => f.type === 'order.released');
    const events = shopper.events(topic);
    expect(events.length).toBeGreaterThan(0);
    expect(seqsOf(events)).toEqual(consecutive(2, events[events.length - 1].seq!));
  });

  it('resync for an order the client is ahead of, and for an unknown order; the live flow goes on', async () => {
    const { sku } = await stocked(10);
    const { reservationId, orderId } = await hold(sku);
    const client = await connect(server.tokens.ops);
    await client.subscribe([`order:${orderId}`, 'order:ord_nothing-here'], { [`order:${orderId}`]: 40, 'order:ord_nothing-here': 3 });
    expect(await client.waitFor((f) => f.op === 'resync' && f.topic === `order:${orderId}`)).toEqual({ op: 'resync', topic: `order:${orderId}`, seq: 1 });
    expect(await client.waitFor((f) => f.op === 'resync' && f.topic === 'order:ord_nothing-here')).toEqual({ op: 'resync', topic: 'order:ord_nothing-here', seq: 0 });
    await ok('POST', `/v1/reservations/${reservationId}/confirm`, {}, server.tokens.checkout);
    await client.waitFor((f) => f.type === 'order.released');
    expect(seqsOf(client.events(`order:${orderId}`))).toEqual([2, 3]);
  });
});

describe('resume a sku topic', () => {
  it('after a dropped connection: the missed events from the replay buffer, then the live ones, each once', async () => {
    const { nodeId, sku } = await stocked(100);
    const topic = `sku:${sku}`;
    const first = await connect(server.tokens.checkout);
    await first.subscribe([topic]);
    for (let i = 0; i < 3; i++) await adjust(nodeId, sku);
    await first.waitFor((f) => f.topic === topic && f.data.nodes[0].onHand === 103);
    const lastSeen = first.events(topic).at(-1)!.seq!;
    first.close();

    for (let i = 0; i < 5; i++) await adjust(nodeId, sku);
    const second = await connect(server.tokens.checkout);
    // Live events are produced while the resubscribe is answered.
    const live = Promise.all(Array.from({ length: 5 }, () => adjust(nodeId, sku)));
    await second.subscribe([topic], { [topic]: lastSeen });
    await live;
    await adjust(nodeId, sku);
    await second.waitFor((f) => f.topic === topic && f.data.nodes[0].onHand === 114);

    const events = second.events(topic);
    expect(seqsOf(events)).toEqual(consecutive(lastSeen + 1, events.at(-1)!.seq!));
    expect(events.length).toBeGreaterThanOrEqual(7);
    const inventory = await ok('GET', `/v1/inventory/${sku}`);
    expect(events.at(-1)!.data).toMatchObject({ sku, available: inventory.available });
  });

  it('resync when the client is further behind than the buffer keeps, then the live flow', async () => {
    const { nodeId, sku } = await stocked(100);
    const topic = `sku:${sku}`;
    const watcher = await connect(server.tokens.viewer);
    await watcher.subscribe([topic]);
    await adjust(nodeId, sku);
    const lastSeen = await settled(watcher, topic);
    for (let i = 0; i < limits.streamReplayEventsPerTopicMax + 10; i++) await adjust(nodeId, sku);
    const current = await settled(watcher, topic);
    expect(current - lastSeen).toBeGreaterThan(limits.streamReplayEventsPerTopicMax);

    const late = await connect(server.tokens.viewer);
    await late.subscribe([topic], { [topic]: lastSeen });
    expect(await late.waitFor((f) => f.op === 'resync')).toEqual({ op: 'resync', topic, seq: current });
    expect(late.events(topic)).toEqual([]);
    await adjust(nodeId, sku);
    expect((await late.waitFor((f) => f.topic === topic && f.op === undefined)).seq).toBe(current + 1);
    const newest = await settled(late, topic);
    expect(seqsOf(late.events(topic))).toEqual(consecutive(current + 1, newest));

    // Just inside the buffer: frames, no resync.
    const near = await connect(server.tokens.viewer);
    const from = newest - limits.streamReplayEventsPerTopicMax;
    await near.subscribe([topic], { [topic]: from });
    await near.waitFor((f) => f.topic === topic && f.seq === newest);
    expect(seqsOf(near.events(topic))).toEqual(consecutive(from + 1, newest));
    expect(near.frames.some((f) => f.op === 'resync')).toBe(false);
  });

  it('a client ahead of the server gets resync at the current seq', async () => {
    const { nodeId, sku } = await stocked(5);
    const topic = `sku:${sku}`;
    const watcher = await connect(server.tokens.viewer);
    await watcher.subscribe([topic]);
    await adjust(nodeId, sku);
    const current = await settled(watcher, topic);
    const ahead = await connect(server.tokens.viewer);
    await ahead.subscribe([topic], { [topic]: current + 50 });
    expect(await ahead.waitFor((f) => f.op === 'resync')).toEqual({ op: 'resync', topic, seq: current });
  });
});

describe('the orders firehose', () => {
  it('resumes from the replay buffer without a gap', async () => {
    const { sku } = await stocked(50);
    const first = await connect(server.tokens.viewer);
    await first.subscribe(['orders']);
    const a = await hold(sku);
    await first.waitFor((f) => f.topic === 'orders' && f.data?.orderId === a.orderId);
    const lastSeen = first.events('orders').at(-1)!.seq!;
    first.close();
    const b = await hold(sku);
    const second = await connect(server.tokens.viewer);
    await second.subscribe(['orders'], { orders: lastSeen });
    const c = await hold(sku);
    await second.waitFor((f) => f.topic === 'orders' && f.data?.orderId === c.orderId);
    const events = second.events('orders');
    expect(seqsOf(events)).toEqual(consecutive(lastSeen + 1, events.at(-1)!.seq!));
    expect(events.map((e) => e.data.orderId)).toEqual(expect.arrayContaining([b.orderId, c.orderId]));
  });

  it(`past ${limits.firehoseEventsPerSecondMax} events a second it sends a summary with counts and a sample instead`, async () => {
    const { sku } = await stocked(1_000);
    const viewer = await connect(server.tokens.viewer);
    await viewer.subscribe(['orders']);
    const burst = 200;
    const holds = await Promise.all(Array.from({ length: burst }, () => hold(sku)));
    const mine = new Set(holds.map((h) => h.orderId));
    const summaries = () => viewer.events('orders').filter((f) => f.type === 'orders.summary');
    const accounted = () => viewer.events('orders').filter((f) => f.type === 'reservation.held' && mine.has(f.data.orderId)).length
      + summaries().reduce((sum, f) => sum + (f.data.counts['reservation.held'] ?? 0), 0);
    const deadline = Date.now() + 5_000;
    while (accounted() < burst && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(accounted()).toBe(burst);
    expect(summaries().length).toBeGreaterThan(0);
    for (const summary of summaries()) {
      expect(summary.data).toMatchObject({ second: expect.any(String), sent: limits.firehoseEventsPerSecondMax, summarized: expect.any(Number) });
      expect(summary.data.sample.length).toBe(Math.min(limits.firehoseSampleMax, summary.data.summarized));
      expect(summary.data.sample[0]).toMatchObject({ type: 'reservation.held', at: expect.any(String), data: expect.objectContaining({ orderId: expect.any(String) }) });
    }
    // No second carried more than the bound of single events.
    const perSecond = new Map<string, number>();
    for (const f of viewer.events('orders')) if (f.type !== 'orders.summary') perSecond.set(f.at!.slice(0, 19), (perSecond.get(f.at!.slice(0, 19)) ?? 0) + 1);
    const seqs = seqsOf(viewer.events('orders'));
    expect(seqs).toEqual(consecutive(seqs[0], seqs.at(-1)!));
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(limits.firehoseEventsPerSecondMax * 2);
  });
});

describe('after a restart', () => {
  it('an order resumes from the ledger; a sku topic with nothing kept gets resync', async () => {
    const dir = tempDir();
    let first: TestServer | undefined = await startServer({ dataDir: dir.path });
    let restarted: TestServer | undefined;
    try {
      const { nodeId, sku } = await stocked(10, first);
      const { reservationId, orderId } = await hold(sku, first);
      const client = await connect(first.tokens.viewer, first);
      await client.subscribe([`order:${orderId}`, `sku:${sku}`]);
      await ok('POST', `/v1/reservations/${reservationId}/confirm`, {}, first.tokens.checkout, first);
      await client.waitFor((f) => f.type === 'order.released');
      await adjust(nodeId, sku, first);
      const skuSeen = (await client.waitFor((f) => f.topic === `sku:${sku}` && f.data.nodes[0].onHand === 11)).seq!;
      client.close();
      await ok('POST', `/v1/nodes/${nodeId}/events`, { orderId, type: 'accepted' }, first.tokens.ops, first);
      await adjust(nodeId, sku, first);
      await first.close();
      first = undefined;

      restarted = await startServer({ dataDir: dir.path });
      const back = await connect(restarted.tokens.viewer, restarted);
      await back.subscribe([`order:${orderId}`, `sku:${sku}`], { [`order:${orderId}`]: 3, [`sku:${sku}`]: skuSeen });
      // The buffer starts empty: the sku event missed before the restart is not there to replay.
      const resync = await back.waitFor((f) => f.op === 'resync');
      expect(resync).toEqual({ op: 'resync', topic: `sku:${sku}`, seq: expect.any(Number) });
      expect(resync.seq).toBeGreaterThan(skuSeen);
      await adjust(nodeId, sku, restarted);
      expect((await back.waitFor((f) => f.topic === `sku:${sku}` && f.op === undefined)).seq).toBe(resync.seq! + 1);
      await back.waitFor((f) => f.type === 'order.accepted');
      await ok('POST', `/v1/nodes/${nodeId}/events`, { orderId, type: 'picked' }, restarted.tokens.ops, restarted);
      await back.waitFor((f) => f.type === 'order.picked');
      expect(back.events(`order:${orderId}`).map((e) => `${e.seq}:${e.type}`)).toEqual(['4:order.accepted', '5:order.picked']);
    } finally {
      await first?.close();
      await restarted?.close();
      dir.remove();
    }
  });
});

describe('bad from', () => {
  it('refuses a from that names another topic, a negative or fractional seq, or is not an object; the connection stays usable', async () => {
    const client = await connect(server.tokens.viewer);
    const refusals: unknown[] = [
      { op: 'subscribe', topics: ['sku:A'], from: { 'sku:B': 1 } },
      { op: 'subscribe', topics: ['sku:A'], from: { 'sku:A': -1 } },
      { op: 'subscribe', topics: ['sku:A'], from: { 'sku:A': 1.5 } },
      { op: 'subscribe', topics: ['sku:A'], from: { 'sku:A': '3' } },
      { op: 'subscribe', topics: ['sku:A'], from: [1] },
      { op: 'subscribe', topics: ['sku:A'], from: 3 },
      { op: 'subscribe', topics: ['sku:A'], from: { 'nonsense': 3 } },
    ];
    for (const frame of refusals) {
      const answer = await client.command(frame);
      expect(answer.op, JSON.stringify(frame)).toBe('error');
      expect(answer.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: expect.any(String) } });
    }
    // An order's alias in from matches the topic as subscribed under the order id.
    expect(await client.subscribe(['order:ord_x1'], { 'order:rsv_x1': 0 })).toEqual({ op: 'subscribed', topics: ['order:ord_x1'] });
    expect(await client.subscribe(['sku:A'], { 'sku:A': 0 })).toEqual({ op: 'subscribed', topics: ['sku:A'] });
  });
});
