// Shows carts spanning partitions on a real cluster: nats-server (JetStream), two engines
// (partitions 0-1 and 2-3 of 4) and two gateways, the built `dist/engine/main.js` in each role,
// over real HTTP. A cart with SKUs in three partitions is held through gateway A and read,
// confirmed, partly cancelled and shipped through gateway B under its home id, as one cart; one
// partition short of stock refuses the whole cart (409, every SKU's stock as before); a repeated
// Idempotency-Key replays through either gateway and holds nothing more; a flash sale of such carts
// over both gateways holds exactly the stock; with one part's engine killed (-9) the cart answers
// 503 PARTITION_UNAVAILABLE, what the live partitions held for it is given back at once, and
// what the dead one held expires by its TTL once it is back. A delivery quote for such a cart
// combines each partition's options per strategy. A shopper's stream of the cart's order topic,
// on another gateway (or one started after the cart was placed), tells what every partition does.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { partitionOfSku } from '../engine/cluster/partitions.js';
import { call, tempDir } from './support/fixtures.js';
import { clusterTokens, shareSigningKey, startRole, type RoleProcess, type RoleSettings } from './support/cluster.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { StreamClient, type Frame } from './support/stream-client.js';

const partitionCount = 4;
let nats: NatsServer;
let dir: ReturnType<typeof tempDir>;
let engineA: RoleProcess;
let engineB: RoleProcess;
let gatewayA: RoleProcess;
let gatewayB: RoleProcess;
const settings = (name: string, env: Record<string, string> = {}): RoleSettings => ({ natsUrl: nats.url, dataDir: join(dir.path, name), partitionCount, env });
const engineBSettings = () => settings('engine-b', { OO_PARTITIONS: '2-3', OO_ENGINE_ID: 'engine-b' });

/** A SKU name of each partition: `<prefix>-<n>` for the first n that hashes there. */
function skuOf(partition: number, prefix: string): string {
  for (let n = 0; ; n++) if (partitionOfSku(`${prefix}-${n}`, partitionCount) === partition) return `${prefix}-${n}`;
}

const node = { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } };
const destination = { lat: 41.9, lon: -87.7 };
const ops = (url: string, method: string, path: string, body?: unknown) => call(url, clusterTokens.ops, method, path, body);
const checkout = (url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => call(url, clusterTokens.checkout, method, path, body, headers);

async function stock(skus: readonly string[], onHand: number): Promise<void> {
  for (const sku of skus) expect((await ops(gatewayA.url, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand })).status).toBe(200);
}

/** reserved and onHand of each SKU at wh-1, read through gateway B. */
async function positions(skus: readonly string[]): Promise<Record<string, { onHand: number; reserved: number }>> {
  const read: Record<string, { onHand: number; reserved: number }> = {};
  for (const sku of skus) {
    const answer = await checkout(gatewayB.url, 'GET', `/v1/inventory/${sku}`);
    expect(answer.status).toBe(200);
    const { onHand, reserved } = answer.body.nodes[0];
    read[sku] = { onHand, reserved };
  }
  return read;
}

const byBku = (a: { sku: string }, b: { sku: string }) => (a.sku < b.sku ? -1 : 1);

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  dir = tempDir('oo-cluster-carts-');
  [engineA, engineB] = await Promise.all([startRole('engine', settings('engine-a', { OO_PARTITIONS: '0-1', OO_ENGINE_ID: 'engine-a' })), startRole('engine', engineBSettings())]);
  gatewayA = await startRole('gateway', settings('gateway-a'));
  mkdirSync(join(dir.path, 'gateway-b'), { recursive: true });
  shareSigningKey(join(dir.path, 'gateway-a'), join(dir.path, 'gateway-b'));
  gatewayB = await startRole('gateway', settings('gateway-b'));
  expect((await ops(gatewayA.url, 'PUT', '/v1/nodes/wh-1', node)).status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const process of [gatewayA, gatewayB, engineA, engineB]) await process?.stop();
  await nats?.stop();
  dir?.remove();
});

it('holds a cart of three partitions through gateway A; B reads, confirms, cancels a line and ships it by the home id', async () => {
  const [s0, s1, s2] = [skuOf(0, 'life'), skuOf(1, 'life'), skuOf(2, 'life')];
  await stock([s0, s1, s2], 5);
  const lines = [{ sku: s2, qty: 2 }, { sku: s0, qty: 1 }, { sku: s1, qty: 3 }];
  const held = await checkout(gatewayA.url, 'POST', '/v1/reservations', { customerId: 'life', destination, lines });
  expect(held.status).toBe(201);
  expect(held.body.reservationId).toMatch(/^rsv_p0-/);
  expect(held.body.status).toBe('held');
  expect(typeof held.body.streamToken).toBe('string');
  expect(held.body).not.toHaveProperty('parts');
  expect([...held.body.allocations].sort(byBku)).toEqual(lines.map((l) => ({ ...l, nodeId: 'wh-1' })).sort(byBku));
  expect(await positions([s0, s1, s2])).toEqual({ [s0]: { onHand: 5, reserved: 1 }, [s1]: { onHand: 5, reserved: 3 }, [s2]: { onHand: 5, reserved: 2 } });

  const read = await checkout(gatewayB.url, 'GET', `/v1/reservations/${held.body.reservationId}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ reservationId: held.body.reservationId, status: 'held', expiresAt: held.body.expiresAt });
  expect([...read.body.allocations].sort(byBku)).toEqual([...held.body.allocations].sort(byBku));

  const confirmed = await checkout(gatewayB.url, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {});
  expect(confirmed.status).toBe(201);
  expect(confirmed.body.orderId).toBe(held.body.reservationId.replace('rsv_', 'ord_'));
  expect(confirmed.body.status).toBe('released');
  expect(confirmed.body.lines).toHaveLength(3);
  expect(confirmed.body.lines.every((l: { status: string }) => l.status === 'released')).toBe(true);
  expect((await checkout(gatewayA.url, 'GET', `/v1/reservations/${held.body.reservationId}`)).body).toMatchObject({ status: 'confirmed', orderId: confirmed.body.orderId });
  // Confirmed again without a key: the state error of any confirmed hold.
  const twice = await checkout(gatewayA.url, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {});
  expect(twice.status).toBe(409);
  expect(twice.body.error.code).toBe('INVALID_STATE');
  // DELETE of a confirmed cart is refused as for any order, and changes nothing.
  expect((await checkout(gatewayB.url, 'DELETE', `/v1/reservations/${held.body.reservationId}`)).status).toBe(409);

  // A line of a part's partition cancelled by the home id: its units return.
  const cancelled = await checkout(gatewayB.url, 'POST', `/v1/orders/${confirmed.body.orderId}/cancel`, { lines: [{ sku: s2, qty: 2 }] });
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.lines.find((l: { sku: string }) => l.sku === s2).status).toBe('cancelled');
  expect((await positions([s2]))[s2]).toEqual({ onHand: 5, reserved: 0 });

  // The node ships the order by its home id: the lines of every partition at that node ship.
  const shipped = await ops(gatewayA.url, 'POST', '/v1/nodes/wh-1/events', { orderId: confirmed.body.orderId, type: 'shipped', trackingId: '1Z' });
  expect(shipped.body.error ?? null).toBeNull();
  expect(shipped.status).toBe(200);
  expect(shipped.body.status).toBe('shipped');
  expect(await positions([s0, s1, s2])).toEqual({ [s0]: { onHand: 4, reserved: 0 }, [s1]: { onHand: 2, reserved: 0 }, [s2]: { onHand: 5, reserved: 0 } });
  const order = await checkout(gatewayB.url, 'GET', `/v1/orders/${confirmed.body.orderId}`);
  expect(order.status).toBe(200);
  expect(order.body.status).toBe('shipped');
  expect(order.body.lines.map((l: { sku: string; status: string }) => [l.sku, l.status]).sort()).toEqual([[s0, 'shipped'], [s1, 'shipped'], [s2, 'cancelled']].sort());
  expect(order.body.history.length).toBeGreaterThan(0);
  // A node with no lines of the cart: refused as for any order.
  expect((await ops(gatewayA.url, 'PUT', '/v1/nodes/wh-9', node)).status).toBe(201);
  const elsewhere = await ops(gatewayB.url, 'POST', '/v1/nodes/wh-9/events', { orderId: confirmed.body.orderId, type: 'accepted' });
  expect(elsewhere.status).toBe(409);
  expect(elsewhere.body.error.code).toBe('INVALID_STATE');
});

it('releases every partition on DELETE, and cancels every partition on a whole cancel', async () => {
  const [s1, s3] = [skuOf(1, 'end'), skuOf(3, 'end')];
  await stock([s1, s3], 4);
  const lines = [{ sku: s1, qty: 1 }, { sku: s3, qty: 2 }];
  const held = await checkout(gatewayA.url, 'POST', '/v1/reservations', { customerId: 'end', destination, lines });
  expect(held.status).toBe(201);
  expect(held.body.reservationId).toMatch(/^rsv_p1-/);
  const released = await checkout(gatewayB.url, 'DELETE', `/v1/reservations/${held.body.reservationId}`);
  expect(released.status).toBe(200);
  expect(released.body.status).toBe('released');
  expect(await positions([s1, s3])).toEqual({ [s1]: { onHand: 4, reserved: 0 }, [s3]: { onHand: 4, reserved: 0 } });
  expect((await checkout(gatewayA.url, 'GET', `/v1/reservations/${held.body.reservationId}`)).body.status).toBe('released');
  const confirmLate = await checkout(gatewayA.url, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {});
  expect(confirmLate.status).toBe(409);
  expect(confirmLate.body.error.code).toBe('INVALID_STATE');

  const order = await checkout(gatewayB.url, 'POST', '/v1/orders', { customerId: 'end', destination, lines });
  expect(order.status).toBe(201);
  expect(order.body.orderId).toMatch(/^ord_p1-/);
  expect(order.body.lines).toHaveLength(2);
  expect(await positions([s1, s3])).toEqual({ [s1]: { onHand: 4, reserved: 1 }, [s3]: { onHand: 4, reserved: 2 } });
  const cancelled = await checkout(gatewayA.url, 'POST', `/v1/orders/${order.body.orderId}/cancel`, {});
  expect(cancelled.status).toBe(200);
  expect(cancelled.body.status).toBe('cancelled');
  expect(await positions([s1, s3])).toEqual({ [s1]: { onHand: 4, reserved: 0 }, [s3]: { onHand: 4, reserved: 0 } });
});

it('is all or nothing: a partition short of stock refuses the whole cart, 409 as for one partition, nothing held anywhere', async () => {
  const [s0, s2, s3] = [skuOf(0, 'aon'), skuOf(2, 'aon'), skuOf(3, 'aon')];
  await stock([s0, s2], 5);
  await stock([s3], 1);
  const before = await positions([s0, s2, s3]);
  // Short in a part's partition (3), and in the home's (0) after the parts were held.
  for (const [short, lines] of [[s3, [{ sku: s0, qty: 1 }, { sku: s2, qty: 1 }, { sku: s3, qty: 2 }]], [s0, [{ sku: s0, qty: 6 }, { sku: s2, qty: 1 }, { sku: s3, qty: 1 }]]] as const) {
    for (const url of [gatewayA.url, gatewayB.url]) {
      for (const path of ['/v1/reservations', '/v1/orders']) {
        const refused = await checkout(url, 'POST', path, { customerId: 'aon', destination, lines });
        expect(refused.status).toBe(409);
        expect(refused.body.error.code).toBe('INSUFFICIENT_STOCK');
        expect(refused.body.error.details).toMatchObject({ sku: short });
        expect(await positions([s0, s2, s3])).toEqual(before);
      }
    }
  }
  // A quote of a cart short in one partition: that partition's refusal, as for one partition.
  const shortQuote = await checkout(gatewayA.url, 'POST', '/v1/promise', { destination, lines: [{ sku: s0, qty: 1 }, { sku: s3, qty: 2 }] });
  expect(shortQuote.status).toBe(409);
  expect(shortQuote.body.error.code).toBe('INSUFFICIENT_STOCK');
  expect(await positions([s0, s2, s3])).toEqual(before);
});

it('quotes a cart of three partitions as one: per strategy the latest deliveryBy, the summed cost, every shipment and allocation', async () => {
  const [s0, s1, s3] = [skuOf(0, 'quote'), skuOf(1, 'quote'), skuOf(3, 'quote')];
  await stock([s0, s1, s3], 5);
  const lines = [{ sku: s3, qty: 2 }, { sku: s0, qty: 1 }, { sku: s1, qty: 1 }];
  const quote = await checkout(gatewayB.url, 'POST', '/v1/promise', { destination, lines });
  expect(quote.status).toBe(200);
  // Each partition's own quote, through the other gateway: what the cart's options are made of.
  const single = await Promise.all(lines.map((line) => checkout(gatewayA.url, 'POST', '/v1/promise', { destination, lines: [line] })));
  for (const s of single) expect(s.status).toBe(200);
  const strategies = quote.body.options.flatMap((o: { strategies: string[] }) => o.strategies);
  expect(new Set(strategies).size).toBe(strategies.length);
  expect(strategies).toContain('fastest');
  for (const option of quote.body.options) {
    const parts = single.map((s) => s.body.options.find((o: { strategies: string[] }) => o.strategies.includes(option.type)));
    expect(option.type).toBe(option.strategies[0]);
    expect(option.deliveryBy).toBe(parts.map((p) => p.deliveryBy).sort().at(-1));
    expect(option.totalCost).toBeCloseTo(parts.reduce((sum, p) => sum + p.totalCost, 0), 2);
    expect(option.shipments).toHaveLength(parts.reduce((sum, p) => sum + p.shipments.length, 0));
    expect([...option.allocations].sort(byBku)).toEqual(lines.map((l) => ({ ...l, nodeId: 'wh-1' })).sort(byBku));
  }
  // A quote holds nothing.
  expect(await positions([s0, s1, s3])).toEqual({ [s0]: { onHand: 5, reserved: 0 }, [s1]: { onHand: 5, reserved: 0 }, [s3]: { onHand: 5, reserved: 0 } });
});

it('replays a repeated Idempotency-Key through either gateway: the same cart, held once; another body is 422', async () => {
  const [s1, s2] = [skuOf(1, 'idem'), skuOf(2, 'idem')];
  await stock([s1, s2], 10);
  const body = { customerId: 'idem', destination, lines: [{ sku: s1, qty: 2 }, { sku: s2, qty: 3 }] };
  const first = await checkout(gatewayA.url, 'POST', '/v1/reservations', body, { 'idempotency-key': 'cart-x1' });
  const again = await checkout(gatewayB.url, 'POST', '/v1/reservations', body, { 'idempotency-key': 'cart-x1' });
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.body.reservationId).toBe(first.body.reservationId);
  expect([...again.body.allocations].sort(byBku)).toEqual([...first.body.allocations].sort(byBku));
  expect(await positions([s1, s2])).toEqual({ [s1]: { onHand: 10, reserved: 2 }, [s2]: { onHand: 10, reserved: 3 } });
  const other = await checkout(gatewayB.url, 'POST', '/v1/reservations', { ...body, lines: [{ sku: s1, qty: 1 }, { sku: s2, qty: 1 }] }, { 'idempotency-key': 'cart-x1' });
  expect(other.status).toBe(422);
  expect(other.body.error.code).toBe('IDEMPOTENCY_MISMATCH');

  const confirm = await checkout(gatewayA.url, 'POST', `/v1/reservations/${first.body.reservationId}/confirm`, {}, { 'idempotency-key': 'pay-x1' });
  const confirmAgain = await checkout(gatewayB.url, 'POST', `/v1/reservations/${first.body.reservationId}/confirm`, {}, { 'idempotency-key': 'pay-x1' });
  expect(confirm.status).toBe(201);
  expect(confirmAgain.status).toBe(201);
  expect(confirmAgain.body.orderId).toBe(confirm.body.orderId);
  expect(confirmAgain.body.lines).toHaveLength(2);

  // Hold and confirm in one, repeated at once on both gateways and once more after.
  const orderBody = { ...body, customerId: 'idem-2' };
  const [o1, o2] = await Promise.all([
    checkout(gatewayA.url, 'POST', '/v1/orders', orderBody, { 'idempotency-key': 'order-x1' }),
    checkout(gatewayB.url, 'POST', '/v1/orders', orderBody, { 'idempotency-key': 'order-x1' }),
  ]);
  const o3 = await checkout(gatewayB.url, 'POST', '/v1/orders', orderBody, { 'idempotency-key': 'order-x1' });
  for (const o of [o1, o2, o3]) expect(o.body.error ?? null).toBeNull();
  expect(new Set([o1.body.orderId, o2.body.orderId, o3.body.orderId]).size).toBe(1);
  expect(await positions([s1, s2])).toEqual({ [s1]: { onHand: 10, reserved: 4 }, [s2]: { onHand: 10, reserved: 6 } });
  // A refused cart keeps no answer: after restocking, the same key holds.
  const short = { ...body, customerId: 'idem-3', lines: [{ sku: s1, qty: 7 }, { sku: s2, qty: 1 }] };
  const refused = await checkout(gatewayA.url, 'POST', '/v1/reservations', short, { 'idempotency-key': 'cart-x2' });
  expect(refused.status).toBe(409);
  expect(await positions([s1, s2])).toEqual({ [s1]: { onHand: 10, reserved: 4 }, [s2]: { onHand: 10, reserved: 6 } });
  await stock([s1], 20);
  const retried = await checkout(gatewayB.url, 'POST', '/v1/reservations', short, { 'idempotency-key': 'cart-x2' });
  expect(retried.status).toBe(201);
  expect(await positions([s1, s2])).toEqual({ [s1]: { onHand: 20, reserved: 11 }, [s2]: { onHand: 10, reserved: 7 } });
}, 30_000);

it('holds exactly the stock in a flash sale of cross-partition carts over both gateways', async () => {
  const [s0, s2] = [skuOf(0, 'flash'), skuOf(2, 'flash')];
  const units = 20;
  await stock([s0, s2], units);
  const requests = 80;
  const answers: Array<{ status: number; code?: string }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const i = next++;
      const answer = await checkout(i % 2 === 0 ? gatewayA.url : gatewayB.url, 'POST', '/v1/reservations', { customerId: `fs-${i}`, destination, lines: [{ sku: s0, qty: 1 }, { sku: s2, qty: 1 }] });
      answers.push({ status: answer.status, code: answer.body?.error?.code });
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  expect(answers.filter((a) => a.status === 201)).toHaveLength(units);
  expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.code === 'INSUFFICIENT_STOCK')).toBe(true);
  expect(await positions([s0, s2])).toEqual({ [s0]: { onHand: units, reserved: units }, [s2]: { onHand: units, reserved: units } });
}, 60_000);

it('tells a shopper on gateway B, by the home order\'s topic, what every partition of a cart placed through A does: seq rising by one, nothing twice', async () => {
  const [s0, s2, s3] = [skuOf(0, 'live'), skuOf(2, 'live'), skuOf(3, 'live')];
  await stock([s0, s2, s3], 5);
  const held = await checkout(gatewayA.url, 'POST', '/v1/reservations', { customerId: 'live', destination, lines: [{ sku: s0, qty: 1 }, { sku: s2, qty: 2 }, { sku: s3, qty: 1 }] });
  expect(held.status).toBe(201);
  const orderId = held.body.reservationId.replace('rsv_', 'ord_');
  const topic = `order:${orderId}`;
  // The shopper's browser, with the hold's own stream token, on the other gateway.
  const shopper = await StreamClient.open(`${gatewayB.url.replace('http', 'ws')}/v1/stream?token=${encodeURIComponent(held.body.streamToken)}`);
  const watcher = await StreamClient.open(`${gatewayA.url.replace('http', 'ws')}/v1/stream?token=${clusterTokens.viewer}`);
  expect((await shopper.subscribe([`order:${held.body.reservationId}`])).op).toBe('subscribed');
  expect((await watcher.subscribe([topic])).op).toBe('subscribed');
  // Its token sees the cart's topic only, not a part's own.
  expect((await shopper.subscribe(['order:ord_p2-x'])).op).toBe('error');
  let gatewayC: RoleProcess | undefined;
  try {
    expect((await checkout(gatewayA.url, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {})).status).toBe(201);
    // A gateway started after the cart was held and confirmed learns the cart from its events alone.
    mkdirSync(join(dir.path, 'gateway-c'), { recursive: true });
    shareSigningKey(join(dir.path, 'gateway-a'), join(dir.path, 'gateway-c'));
    gatewayC = await startRole('gateway', settings('gateway-c'));
    const late = await StreamClient.open(`${gatewayC.url.replace('http', 'ws')}/v1/stream?token=${encodeURIComponent(held.body.streamToken)}`);
    expect((await late.subscribe([`order:${orderId}`])).op).toBe('subscribed');

    // One part's lines ship (by the home id; they live in partition 2 only), then the whole cart is delivered.
    const shipped = await ops(gatewayA.url, 'POST', '/v1/nodes/wh-1/events', { orderId, type: 'shipped', lines: [{ sku: s2, qty: 2 }], trackingId: '1Z-live' });
    expect(shipped.status).toBe(200);
    const partShipped = (f: Frame) => f.type === 'order.shipped' && f.data?.partOrderId?.startsWith('ord_p2-');
    for (const client of [shopper, watcher, late]) {
      const frame = await client.waitFor(partShipped);
      // Under the name the client subscribed by (the shopper used the hold's `rsv_` alias).
      expect(frame.topic).toBe(client === shopper ? `order:${held.body.reservationId}` : topic);
      expect(frame.data).toMatchObject({ orderId, status: 'shipped' });
    }
    expect((await ops(gatewayB.url, 'POST', '/v1/nodes/wh-1/events', { orderId, type: 'shipped' })).status).toBe(200);
    expect((await ops(gatewayB.url, 'POST', '/v1/nodes/wh-1/events', { orderId, type: 'delivered' })).status).toBe(200);
    const delivered = (partition: number) => (f: Frame) => f.type === 'order.delivered' && (partition === 0 ? f.data?.partOrderId === undefined : f.data?.partOrderId?.startsWith(`ord_p${partition}-`));
    for (const client of [shopper, watcher, late]) for (const partition of [0, 2, 3]) await client.waitFor(delivered(partition));

    // Each gateway numbers the topic itself: on each, seq rises by one, and no event comes twice.
    for (const client of [shopper, watcher, late]) {
      const events = client.events(topic).concat(client.events(`order:${held.body.reservationId}`));
      const seqs = events.map((f) => f.seq!);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
      const told = events.map((f) => `${f.data?.partOrderId ?? orderId} ${f.type} ${f.at}`);
      expect(new Set(told).size).toBe(told.length);
      expect(events.filter(partShipped)).toHaveLength(1);
      expect(events.filter((f) => f.type === 'order.delivered')).toHaveLength(3);
    }
    // The shopper (subscribed before the confirm) saw the parts released to the node as well as the home.
    expect(shopper.events(`order:${held.body.reservationId}`).filter((f) => f.type === 'order.released').map((f) => f.data?.partOrderId?.slice(0, 7) ?? 'home').sort()).toEqual(['home', 'ord_p2-', 'ord_p3-']);
    // Resumed on another gateway than the one that numbered it: resync, as for a node topic.
    const resumed = await StreamClient.open(`${gatewayA.url.replace('http', 'ws')}/v1/stream?token=${encodeURIComponent(held.body.streamToken)}`);
    const lastSeen = shopper.events(`order:${held.body.reservationId}`).at(-1)!.seq!;
    await resumed.subscribe([`order:${held.body.reservationId}`], { [`order:${held.body.reservationId}`]: lastSeen });
    const resync = await resumed.waitFor((f) => f.op === 'resync');
    expect(resync.seq).toBe(watcher.events(topic).at(-1)!.seq);
    for (const client of [shopper, watcher, late, resumed]) client.close();
  } finally {
    await gatewayC?.stop();
  }
}, 60_000);

it('answers 503 while a part\'s engine is down (kill -9): live partitions give back at once, the dead one\'s hold expires by TTL', async () => {
  const [s0, s1, s2] = [skuOf(0, 'down'), skuOf(1, 'down'), skuOf(2, 'down')];
  await stock([s0, s1, s2], 5);
  const ttlSeconds = 10;
  const held = await checkout(gatewayA.url, 'POST', '/v1/reservations', { customerId: 'down', destination, ttlSeconds, lines: [{ sku: s0, qty: 1 }, { sku: s2, qty: 1 }] });
  expect(held.status).toBe(201);
  const homeExpiresAt = Date.parse(held.body.expiresAt);

  await engineB.kill9();
  // Mid-flow: the confirm reaches a dead part.
  const confirm = await checkout(gatewayB.url, 'POST', `/v1/reservations/${held.body.reservationId}/confirm`, {});
  expect(confirm.status).toBe(503);
  expect(confirm.body.error.code).toBe('PARTITION_UNAVAILABLE');
  expect(confirm.headers.get('retry-after')).toBe('1');
  // A new cart reaching the dead partition: refused, and the live partitions hold nothing for it.
  const before = await positions([s0, s1]);
  const refused = await checkout(gatewayA.url, 'POST', '/v1/orders', { customerId: 'down-2', destination, lines: [{ sku: s0, qty: 1 }, { sku: s1, qty: 1 }, { sku: s2, qty: 1 }] });
  expect(refused.status).toBe(503);
  expect(refused.body.error.code).toBe('PARTITION_UNAVAILABLE');
  expect(await positions([s0, s1])).toEqual(before);

  engineB = await startRole('engine', engineBSettings());
  // Its part outlives the home by the margin, then expires by itself: nobody reads the cart meanwhile.
  const partGoneBy = homeExpiresAt + 10_000 + 1_500;
  await new Promise((r) => setTimeout(r, Math.max(0, homeExpiresAt + 500 - Date.now())));
  expect((await positions([s0]))[s0].reserved).toBe(0);
  await new Promise((r) => setTimeout(r, Math.max(0, partGoneBy - Date.now())));
  expect(await positions([s0, s1, s2])).toEqual({ [s0]: { onHand: 5, reserved: 0 }, [s1]: { onHand: 5, reserved: 0 }, [s2]: { onHand: 5, reserved: 0 } });
  expect((await checkout(gatewayA.url, 'GET', `/v1/reservations/${held.body.reservationId}`)).body.status).toBe('expired');
}, 60_000);
