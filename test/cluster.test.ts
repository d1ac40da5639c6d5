// Shows the cluster on loopback with real processes: nats-server (JetStream on), two engines
// (partitions 0-1 and 2-3 of 4) and two stateless gateways, all the built `dist/engine/main.js`
// in their roles, driven over real HTTP and WebSocket. Node config reaches every partition; a
// flash sale over both gateways and all four partitions holds exactly the stock; a stream client on
// gateway A sees an order placed through gateway B, with node-topic seq rising by one though two
// engines feed it; a delivery quote for a cart spanning partitions is refused (422: such carts
// are held, read and confirmed as one in test/cluster-carts.test.ts); kill -9 of one engine makes its
// partitions answer 503 PARTITION_UNAVAILABLE at once while the other's keep serving, and its
// restart (same data dir, same identity) brings them back with nothing lost; a graceful stop
// releases the leases so another engine id takes the partitions (and their ledgers) at once; a
// third engine claiming owned partitions is refused and exits non-zero, as is one with another
// partition count.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { partitionOfSku } from '../engine/cluster/partitions.js';
import { call, tempDir } from './support/fixtures.js';
import { clusterTokens, runRoleToExit, shareSigningKey, startRole, type RoleProcess, type RoleSettings } from './support/cluster.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { StreamClient } from './support/stream-client.js';

const partitionCount = 4;
let nats: NatsServer;
let dir: ReturnType<typeof tempDir>;
let engineA: RoleProcess;
let engineB: RoleProcess;
let gatewayA: RoleProcess;
let gatewayB: RoleProcess;
const settings = (name: string, env: Record<string, string> = {}): RoleSettings => ({ natsUrl: nats.url, dataDir: join(dir.path, name), partitionCount, env });
const engineSettings = {
  a: () => settings('engine-a', { OO_PARTITIONS: '0-1', OO_ENGINE_ID: 'engine-a' }),
  b: () => settings('engine-b', { OO_PARTITIONS: '2-3', OO_ENGINE_ID: 'engine-b' }),
};

/** A SKU name of each partition: `<prefix>-<n>` for the first n that hashes there. */
function skuOf(partition: number, prefix: string): string {
  for (let n = 0; ; n++) if (partitionOfSku(`${prefix}-${n}`, partitionCount) === partition) return `${prefix}-${n}`;
}

const node = { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } };
const destination = { lat: 41.9, lon: -87.7 };

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  dir = tempDir('oo-cluster-');
  [engineA, engineB] = await Promise.all([startRole('engine', engineSettings.a()), startRole('engine', engineSettings.b())]);
  gatewayA = await startRole('gateway', settings('gateway-a'));
  mkdirSync(join(dir.path, 'gateway-b'), { recursive: true });
  shareSigningKey(join(dir.path, 'gateway-a'), join(dir.path, 'gateway-b'));
  gatewayB = await startRole('gateway', settings('gateway-b'));
  const created = await call(gatewayA.url, clusterTokens.ops, 'PUT', '/v1/nodes/wh-1', node);
  expect(created.status).toBe(201);
}, 60_000);

afterAll(async () => {
  for (const process of [gatewayA, gatewayB, engineA, engineB]) await process?.stop();
  await nats?.stop();
  dir?.remove();
});

it('gives node config to every partition: each engine routes to the node', async () => {
  const listed = await call(gatewayB.url, clusterTokens.viewer, 'GET', '/v1/nodes');
  expect(listed.status).toBe(200);
  expect(listed.body.nodes.map((n: { nodeId: string }) => n.nodeId)).toEqual(['wh-1']);
  for (let p = 0; p < partitionCount; p++) {
    const sku = skuOf(p, 'cfg');
    expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 1 })).status).toBe(200);
    const hold = await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: `cfg-${p}`, destination, lines: [{ sku, qty: 1 }] });
    expect(hold.status).toBe(201);
    expect(hold.body.reservationId).toMatch(new RegExp(`^rsv_p${p}-[A-Za-z0-9._:-]+$`));
    expect(hold.body.allocations).toEqual([{ sku, qty: 1, nodeId: 'wh-1' }]);
    const read = await call(gatewayA.url, clusterTokens.checkout, 'GET', `/v1/reservations/${hold.body.reservationId}`);
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('held');
  }
});

it('holds exactly the stock in a flash sale over both gateways and all partitions', async () => {
  const skus = Array.from({ length: partitionCount }, (_, p) => skuOf(p, 'flash'));
  const unitsPerSku = 25;
  for (const sku of skus) expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: unitsPerSku })).status).toBe(200);
  const requests = 400;
  const statuses: Array<{ sku: string; status: number; code?: string; details?: Record<string, unknown> }> = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const i = next++;
      const sku = skus[i % skus.length];
      const gateway = i % 2 === 0 ? gatewayA : gatewayB;
      const answer = await call(gateway.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: `buyer-${i}`, destination, lines: [{ sku, qty: 1 }] });
      statuses.push({ sku, status: answer.status, code: answer.body?.error?.code, details: answer.body?.error?.details });
    }
  };
  await Promise.all(Array.from({ length: 40 }, worker));
  for (const sku of skus) {
    const mine = statuses.filter((s) => s.sku === sku);
    expect(mine.filter((s) => s.status === 201)).toHaveLength(unitsPerSku);
    expect(mine.filter((s) => s.status !== 201).every((s) => s.status === 409 && s.code === 'INSUFFICIENT_STOCK')).toBe(true);
    // The engine's refusal crossed the bus whole: its details too.
    expect(mine.find((s) => s.status === 409)?.details).toMatchObject({ sku, requested: 1 });
    const inventory = await call(gatewayB.url, clusterTokens.checkout, 'GET', `/v1/inventory/${sku}`);
    expect(inventory.body).toMatchObject({ sku, available: 0, nodes: [{ nodeId: 'wh-1', onHand: unitsPerSku, reserved: unitsPerSku, available: 0 }] });
  }
}, 60_000);

it('shows a stream client on gateway A the orders placed through gateway B, node seq rising by one', async () => {
  const viewer = await StreamClient.open(`${gatewayA.url.replace('http', 'ws')}/v1/stream?token=${clusterTokens.viewer}`);
  try {
    await viewer.subscribe(['orders', 'node:wh-1']);
    // The firehose passes 50 events a second and summarises the rest: start in a second of our own,
    // after the flash sale's.
    await new Promise((r) => setTimeout(r, 1_100));
    // A config change reaches all four partitions; the stream hears of it once.
    expect((await call(gatewayB.url, clusterTokens.ops, 'PUT', '/v1/nodes/wh-1', { ...node, name: 'Chicago' })).status).toBe(200);
    // Two orders in partitions of different engines: both engines feed node:wh-1.
    const orderIds: string[] = [];
    for (const p of [0, 3]) {
      const sku = skuOf(p, 'stream');
      expect((await call(gatewayB.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 5 })).status).toBe(200);
      const order = await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/orders', { customerId: `s-${p}`, destination, lines: [{ sku, qty: 1 }] });
      expect(order.status).toBe(201);
      orderIds.push(order.body.orderId);
    }
    for (const orderId of orderIds) {
      await viewer.waitFor((f) => f.topic === 'orders' && f.type === 'order.released' && f.data?.orderId === orderId);
      await viewer.waitFor((f) => f.topic === 'node:wh-1' && f.type === 'order.released' && f.data?.orderId === orderId);
    }
    const nodeEvents = viewer.events('node:wh-1');
    expect(nodeEvents.filter((f) => f.type!.startsWith('node.'))).toHaveLength(1);
    const nodeSeqs = nodeEvents.map((f) => f.seq!);
    expect(nodeSeqs.length).toBeGreaterThanOrEqual(3);
    nodeSeqs.forEach((seq, i) => expect(seq).toBe(nodeSeqs[0] + i));
    const ordersSeqs = viewer.events('orders').map((f) => f.seq!);
    ordersSeqs.forEach((seq, i) => expect(seq).toBe(ordersSeqs[0] + i));
  } finally {
    viewer.close();
  }
});

it('replays a repeated Idempotency-Key through either gateway: the same hold, held once', async () => {
  const sku = skuOf(2, 'idem');
  expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 4 })).status).toBe(200);
  const body = { customerId: 'idem', destination, lines: [{ sku, qty: 3 }] };
  const first = await call(gatewayA.url, clusterTokens.checkout, 'POST', '/v1/reservations', body, { 'idempotency-key': 'cart-77' });
  const again = await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/reservations', body, { 'idempotency-key': 'cart-77' });
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.body.reservationId).toBe(first.body.reservationId);
  const other = await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/reservations', { ...body, lines: [{ sku, qty: 1 }] }, { 'idempotency-key': 'cart-77' });
  expect(other.status).toBe(422);
  expect(other.body.error.code).toBe('IDEMPOTENCY_MISMATCH');
  expect((await call(gatewayA.url, clusterTokens.checkout, 'GET', `/v1/inventory/${sku}`)).body.nodes[0]).toMatchObject({ reserved: 3, available: 1 });
});

it('quotes a cart whose SKUs live in two partitions as one cart, and holds nothing', async () => {
  const [left, right] = [skuOf(1, 'cart'), skuOf(2, 'cart')];
  for (const sku of [left, right]) expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 3 })).status).toBe(200);
  const quote = await call(gatewayA.url, clusterTokens.checkout, 'POST', '/v1/promise', { destination, lines: [{ sku: left, qty: 1 }, { sku: right, qty: 1 }] });
  expect(quote.status).toBe(200);
  expect(quote.body.options.length).toBeGreaterThan(0);
  for (const option of quote.body.options) expect(option.allocations.map((a: { sku: string }) => a.sku).sort()).toEqual([left, right].sort());
  for (const sku of [left, right]) expect((await call(gatewayB.url, clusterTokens.checkout, 'GET', `/v1/inventory/${sku}`)).body.available).toBe(3);
});

it('answers 503 at once for the partitions of a killed engine, serves the others, and recovers them on restart', async () => {
  const skuA = skuOf(0, 'crash');
  const skuB = skuOf(2, 'crash');
  for (const sku of [skuA, skuB]) expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 10 })).status).toBe(200);
  const before = await call(gatewayA.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: 'crash', destination, lines: [{ sku: skuB, qty: 4 }] });
  expect(before.status).toBe(201);

  await engineB.kill9();
  const started = performance.now();
  const down = await call(gatewayA.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: 'crash-2', destination, lines: [{ sku: skuB, qty: 1 }] });
  const tookMs = performance.now() - started;
  expect(down.status).toBe(503);
  expect(down.body.error.code).toBe('PARTITION_UNAVAILABLE');
  expect(down.body.error.details.partition).toBe(2);
  expect(down.headers.get('retry-after')).toBe('1');
  expect(tookMs).toBeLessThan(1_000);
  expect((await call(gatewayB.url, clusterTokens.checkout, 'GET', `/v1/reservations/${before.body.reservationId}`)).status).toBe(503);
  // Node config needs every partition: 503 naming the missing ones.
  const config = await call(gatewayB.url, clusterTokens.ops, 'PUT', '/v1/nodes/wh-2', node);
  expect(config.status).toBe(503);
  expect(config.body.error.details.partitions).toEqual([2, 3]);
  // The other engine's partitions keep serving.
  expect((await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: 'crash-3', destination, lines: [{ sku: skuA, qty: 1 }] })).status).toBe(201);

  // Same data dir, same identity: its own leases are taken back at once, nothing lost.
  engineB = await startRole('engine', engineSettings.b());
  const read = await call(gatewayA.url, clusterTokens.checkout, 'GET', `/v1/reservations/${before.body.reservationId}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({ status: 'held', allocations: [{ sku: skuB, qty: 4, nodeId: 'wh-1' }] });
  expect((await call(gatewayB.url, clusterTokens.checkout, 'GET', `/v1/inventory/${skuB}`)).body.nodes[0]).toMatchObject({ onHand: 10, reserved: 4 });
  expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', '/v1/nodes/wh-2', node)).status).toBe(201);
}, 60_000);

it('hands partitions over on a graceful stop: leases released at once, another engine id serves the same ledgers', async () => {
  const sku = skuOf(3, 'handover');
  expect((await call(gatewayA.url, clusterTokens.ops, 'PUT', `/v1/inventory/wh-1/${sku}`, { onHand: 6 })).status).toBe(200);
  const hold = await call(gatewayB.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: 'handover', destination, lines: [{ sku, qty: 5 }] });
  expect(hold.status).toBe(201);
  expect(await engineB.stop()).toBe(0);
  expect(engineB.lines.some((l) => l.includes('leases released'))).toBe(true);
  // Within the lease ttl (10 s), but released: another engine takes the partitions at once.
  engineB = await startRole('engine', { ...engineSettings.b(), env: { OO_PARTITIONS: '2-3', OO_ENGINE_ID: 'engine-b2' } });
  const read = await call(gatewayA.url, clusterTokens.checkout, 'GET', `/v1/reservations/${hold.body.reservationId}`);
  expect(read.body).toMatchObject({ status: 'held', allocations: [{ sku, qty: 5 }] });
  const more = await call(gatewayA.url, clusterTokens.checkout, 'POST', '/v1/reservations', { customerId: 'handover-2', destination, lines: [{ sku, qty: 2 }] });
  expect(more.status).toBe(409);
  expect(more.body.error.code).toBe('INSUFFICIENT_STOCK');
}, 60_000);

it('refuses an engine claiming partitions live engines own, and one with another partition count', async () => {
  const intruder = await runRoleToExit('engine', settings('engine-c', { OO_PARTITIONS: '1-2', OO_ENGINE_ID: 'engine-c' }));
  expect(intruder.code).not.toBe(0);
  const refusals = intruder.lines.filter((l) => l.includes('owned by a live engine')).map((l) => JSON.parse(l) as { partition: number; owner: string }).sort((a, b) => a.partition - b.partition);
  expect(refusals).toEqual([expect.objectContaining({ partition: 1, owner: 'engine-a' }), expect.objectContaining({ partition: 2, owner: 'engine-b2' })]);
  // The owners still serve.
  expect((await call(gatewayA.url, clusterTokens.checkout, 'GET', `/v1/inventory/${skuOf(1, 'cfg')}`)).status).toBe(200);

  const miscounted = await runRoleToExit('engine', { ...settings('engine-d', { OO_ENGINE_ID: 'engine-d' }), partitionCount: 8 });
  expect(miscounted.code).not.toBe(0);
  expect(miscounted.lines.some((l) => l.includes('created with 4 partitions'))).toBe(true);
}, 60_000);
