// Shows promise 1 of the contract (no unit is promised twice) in a flash sale, over real HTTP
// against the built engine in a child process: 100 units of one SKU over three nodes (40/35/25),
// 1,500 buyers each sending two holds of one unit, 3,000 requests with 200 in flight on keep-alive
// connections. Exactly 100 holds succeed, the rest are refused (409 INSUFFICIENT_STOCK, or 503
// OVERLOADED with Retry-After), and the inventory shows 100 reserved and nothing available; after a
// kill -9 and a restart the same 100 holds read back held and the inventory is identical. Also: the
// per-customer purchase limit, within one request and across one customer's holds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startEngineProcess, tempDir, type EngineProcess } from './support/fixtures.js';

const nodes = [
  { nodeId: 'chi-1', type: 'warehouse', location: { lat: 41.88, lon: -87.63 }, units: 40 },
  { nodeId: 'dal-1', type: 'warehouse', location: { lat: 32.78, lon: -96.8 }, units: 35 },
  { nodeId: 'ewr-1', type: 'store', location: { lat: 40.73, lon: -74.17 }, units: 25 },
] as const;
const totalUnits = 100;

const buyers = 1_500;
const holdsPerBuyer = 2;
const inFlightMax = 200;

/** Buyers all over the country, so each node is the nearest for some of them. */
function destinationOf(buyer: number): { lat: number; lon: number } {
  return { lat: 30 + (buyer % 17), lon: -120 + ((buyer * 7) % 45) };
}

/** Runs `tasks` with at most `concurrency` in flight. */
async function withConcurrency<T>(tasks: ReadonlyArray<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

async function putNetwork(engine: EngineProcess, sku: string, maxPerCustomer: number, units: (nodeId: string) => number): Promise<void> {
  const { url, tokens } = engine;
  for (const { nodeId, type, location } of nodes) {
    const answer = await call(url, tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type, location });
    expect([200, 201]).toContain(answer.status);
    expect((await call(url, tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: units(nodeId) })).status).toBe(200);
  }
  expect((await call(url, tokens.ops, 'PUT', `/v1/skus/${sku}`, { name: `flash ${sku}`, maxPerCustomer })).status).toBe(201);
}

interface Attempt {
  buyer: number;
  key?: string;
  body: { customerId: string; destination: { lat: number; lon: number }; lines: Array<{ sku: string; qty: number }> };
  status: number;
  code?: string;
  retryAfter: string | null;
  reservationId?: string;
  allocations?: Array<{ sku: string; qty: number; nodeId: string }>;
}

describe('flash sale: 100 units, 3,000 concurrent holds', () => {
  const dir = tempDir('oo-flash-');
  let engine: EngineProcess;
  let attempts: Attempt[];
  let saleMs: number;
  let inventoryBefore: any;

  beforeAll(async () => {
    engine = await startEngineProcess(dir.path);
    await putNetwork(engine, 'FLASH', 2, (nodeId) => nodes.find((n) => n.nodeId === nodeId)!.units);
  });

  afterAll(async () => {
    if (engine.child.exitCode === null && engine.child.signalCode === null) await engine.stop();
    dir.remove();
  });

  it('holds exactly the 100 units there are, and refuses the rest', async () => {
    const { url, tokens } = engine;
    // Boundary first: over the per-customer limit in one request, and a zero quantity. Neither holds anything.
    const overLimit = await call(url, tokens.checkout, 'POST', '/v1/reservations', { customerId: 'greedy', destination: destinationOf(0), lines: [{ sku: 'FLASH', qty: 3 }] });
    expect(overLimit.status).toBe(409);
    expect(overLimit.body.error.code).toBe('PURCHASE_LIMIT');
    const zero = await call(url, tokens.checkout, 'POST', '/v1/reservations', { customerId: 'zero', destination: destinationOf(0), lines: [{ sku: 'FLASH', qty: 0 }] });
    expect(zero.status).toBe(400);
    expect(zero.body.error.code).toBe('VALIDATION_FAILED');

    // Each buyer's two holds; even buyers send an Idempotency-Key (a different one per hold).
    const tasks: Array<() => Promise<Attempt>> = [];
    for (let round = 0; round < holdsPerBuyer; round++) {
      for (let buyer = 0; buyer < buyers; buyer++) {
        const key = buyer % 2 === 0 ? `flash-${buyer}-${round}` : undefined;
        const body = { customerId: `buyer-${buyer}`, destination: destinationOf(buyer), lines: [{ sku: 'FLASH', qty: 1 }] };
        tasks.push(async () => {
          const answer = await call(url, tokens.checkout, 'POST', '/v1/reservations', body, key ? { 'idempotency-key': key } : {});
          return {
            buyer,
            ...(key ? { key } : {}),
            body,
            status: answer.status,
            code: answer.body?.error?.code,
            retryAfter: answer.headers.get('retry-after'),
            reservationId: answer.body?.reservationId,
            allocations: answer.body?.allocations,
          };
        });
      }
    }
    const started = performance.now();
    attempts = await withConcurrency(tasks, inFlightMax);
    saleMs = Math.round(performance.now() - started);

    const held = attempts.filter((a) => a.status === 201);
    const soldOut = attempts.filter((a) => a.status === 409 && a.code === 'INSUFFICIENT_STOCK');
    const overloaded = attempts.filter((a) => a.status === 503 && a.code === 'OVERLOADED');
    const other = attempts.filter((a) => !held.includes(a) && !soldOut.includes(a) && !overloaded.includes(a));
    console.log(`flash sale: ${attempts.length} holds, ${inFlightMax} in flight, ${saleMs} ms (${Math.round(attempts.length / (saleMs / 1000))}/s): ` +
      `${held.length} × 201, ${soldOut.length} × 409 INSUFFICIENT_STOCK, ${overloaded.length} × 503 OVERLOADED, ${other.length} other`);

    expect(other.map((a) => `${a.status} ${a.code}`)).toEqual([]);
    for (const refused of overloaded) expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(held.length).toBe(totalUnits);
    expect(soldOut.length + overloaded.length).toBe(attempts.length - totalUnits);
    expect(new Set(held.map((a) => a.reservationId)).size).toBe(totalUnits);
    // No buyer got more than the limit.
    const perBuyer = new Map<number, number>();
    for (const a of held) perBuyer.set(a.buyer, (perBuyer.get(a.buyer) ?? 0) + 1);
    expect(Math.max(...perBuyer.values())).toBeLessThanOrEqual(2);

    // The held quantities add up to the stock, node by node.
    const heldByNode: Record<string, number> = {};
    for (const a of held) {
      for (const allocation of a.allocations!) {
        expect(allocation.sku).toBe('FLASH');
        heldByNode[allocation.nodeId] = (heldByNode[allocation.nodeId] ?? 0) + allocation.qty;
      }
    }
    expect(heldByNode).toEqual(Object.fromEntries(nodes.map((n) => [n.nodeId, n.units])));

    const inventory = await call(url, tokens.viewer, 'GET', '/v1/inventory/FLASH');
    expect(inventory.status).toBe(200);
    expect(inventory.body.available).toBe(0);
    expect(inventory.body.nodes.map(({ nodeId, onHand, reserved, available }: any) => ({ nodeId, onHand, reserved, available }))).toEqual(
      nodes.map((n) => ({ nodeId: n.nodeId, onHand: n.units, reserved: n.units, available: 0 })),
    );
    inventoryBefore = inventory.body;

    // Sold out: one more hold is refused.
    const late = await call(url, tokens.checkout, 'POST', '/v1/reservations', { customerId: 'late', destination: destinationOf(1), lines: [{ sku: 'FLASH', qty: 1 }] });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('INSUFFICIENT_STOCK');
  }, 60_000);

  it('keeps the same 100 holds and the same inventory after kill -9 and a restart', async () => {
    expect(attempts, 'runs after the sale').toBeDefined();
    await engine.kill9();
    engine = await startEngineProcess(dir.path);
    const { url, tokens } = engine;
    // Nothing was repaired, and exactly the 100 holds are live: no refused request left a trace.
    expect(engine.recovery()).toMatchObject({ positionsRepaired: 0, expiredAtStart: 0, liveOrders: totalUnits });

    const held = attempts.filter((a) => a.status === 201);
    await withConcurrency(held.map((a) => async () => {
      const read = await call(url, tokens.viewer, 'GET', `/v1/reservations/${a.reservationId}`);
      expect(read.status).toBe(200);
      expect(read.body.status).toBe('held');
      expect(read.body.customerId).toBe(a.body.customerId);
      expect(read.body.allocations).toEqual(a.allocations);
    }), 20);

    const inventory = await call(url, tokens.viewer, 'GET', '/v1/inventory/FLASH');
    expect(inventory.status).toBe(200);
    expect(inventory.body).toEqual(inventoryBefore);

    // A buyer who held, retrying with the same key, gets the same hold back and nothing more; a
    // buyer who was refused and retries with the same key is refused again (the refusal was not kept as a hold).
    const heldWithKey = held.find((a) => a.key)!;
    const replay = await call(url, tokens.checkout, 'POST', '/v1/reservations', heldWithKey.body, { 'idempotency-key': heldWithKey.key! });
    expect(replay.status).toBe(201);
    expect(replay.body.reservationId).toBe(heldWithKey.reservationId);
    const refusedWithKey = attempts.find((a) => a.status === 409 && a.key)!;
    const retry = await call(url, tokens.checkout, 'POST', '/v1/reservations', refusedWithKey.body, { 'idempotency-key': refusedWithKey.key! });
    expect(retry.status).toBe(409);
    expect(retry.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await call(url, tokens.viewer, 'GET', '/v1/inventory/FLASH')).body).toEqual(inventoryBefore);

    // Releasing one hold frees exactly one unit, at the node it was held at.
    const released = held[0];
    expect((await call(url, tokens.checkout, 'DELETE', `/v1/reservations/${released.reservationId}`)).status).toBe(200);
    const after = await call(url, tokens.viewer, 'GET', '/v1/inventory/FLASH');
    expect(after.body.available).toBe(1);
    const freedAt = after.body.nodes.find((n: { available: number }) => n.available === 1);
    expect(freedAt.nodeId).toBe(released.allocations![0].nodeId);
  }, 60_000);
});

describe('maxPerCustomer', () => {
  const dir = tempDir('oo-limit-');
  let engine: EngineProcess;

  beforeAll(async () => {
    engine = await startEngineProcess(dir.path);
    await putNetwork(engine, 'LIMITED', 2, () => 50);
  });

  afterAll(async () => {
    if (engine.child.exitCode === null && engine.child.signalCode === null) await engine.stop();
    dir.remove();
  });

  const holdOne = (customerId: string) =>
    call(engine.url, engine.tokens.checkout, 'POST', '/v1/reservations', { customerId, destination: destinationOf(3), lines: [{ sku: 'LIMITED', qty: 1 }] });

  it('refuses one request over the limit with 409 PURCHASE_LIMIT, holding nothing', async () => {
    const answer = await call(engine.url, engine.tokens.checkout, 'POST', '/v1/orders', { customerId: 'one-request', destination: destinationOf(3), lines: [{ sku: 'LIMITED', qty: 1 }, { sku: 'LIMITED', qty: 2 }] });
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('PURCHASE_LIMIT');
    const inventory = await call(engine.url, engine.tokens.viewer, 'GET', '/v1/inventory/LIMITED');
    expect(inventory.body.available).toBe(150);
  });

  it('refuses a customer\'s third unit across separate holds with 409 PURCHASE_LIMIT', async () => {
    expect((await holdOne('splitter')).status).toBe(201);
    expect((await holdOne('splitter')).status).toBe(201);
    const third = await holdOne('splitter');
    expect(third.status).toBe(409);
    expect(third.body.error.code).toBe('PURCHASE_LIMIT');
  });
});
