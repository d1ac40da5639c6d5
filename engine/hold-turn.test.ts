// Holds of one event-loop turn are decided together (engine/hold-turn.ts): identical carts share a
// plan and one take per SKU. These tests show that this decides exactly what deciding them one at a
// time would: the same nodes, the same refusals, no unit promised twice, daily capacity respected,
// idempotent repeats answered once, and everything read back the same after a restart.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.js';
import { EngineError } from './errors.js';
import { limits } from './limits.js';
import type { Engine, ReservationRequest } from './engine.js';
import { tempEngines } from '../test/support/fixtures.js';

const engines = tempEngines();
const open = (clock = new SimulatedClock()) => engines.open(clock);

const chicago = { lat: 41.9, lon: -87.7 };
const cart = (customerId: string, lines: ReservationRequest['lines'], extra: Partial<ReservationRequest> = {}): ReservationRequest => ({ customerId, destination: chicago, lines, ...extra });

async function network(engine: Engine, nodes: Array<{ id: string; lat: number; lon: number; capacityPerDay?: number }>): Promise<void> {
  for (const { id, lat, lon, capacityPerDay } of nodes) {
    await engine.putNode(id, { type: 'warehouse', name: id, location: { lat, lon }, priority: 1, ...(capacityPerDay !== undefined ? { capacityPerDay } : {}) });
  }
}

type Outcome = { status: 'held'; nodes: string } | { status: 'refused'; code: string };
const outcomeOf = (result: PromiseSettledResult<Awaited<ReturnType<Engine['createReservation']>>>): Outcome =>
  result.status === 'fulfilled'
    ? { status: 'held', nodes: result.value.body.allocations.map((a) => `${a.sku}:${a.qty}@${a.nodeId}`).join(',') }
    : { status: 'refused', code: (result.reason as EngineError).code };

describe('holds decided together in one turn', () => {
  it('takes the nearest node until it runs out, then the next one, and never a unit more than there is', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'near', lat: 41.88, lon: -87.63 }, { id: 'far', lat: 39.1, lon: -84.5 }]);
    await te.engine.setStock('near', 'HOT', { onHand: 100 });
    await te.engine.setStock('far', 'HOT', { onHand: 50 });
    const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) => te.engine.createReservation(cart(`c${i}`, [{ sku: 'HOT', qty: 1 }], { strategy: 'closest' }))));
    const outcomes = results.map(outcomeOf);
    // Arrival order is decision order: the first 100 at the nearest node, the next 50 at the far one.
    expect(outcomes.slice(0, 100).every((o) => o.status === 'held' && o.nodes === 'HOT:1@near')).toBe(true);
    expect(outcomes.slice(100, 150).every((o) => o.status === 'held' && o.nodes === 'HOT:1@far')).toBe(true);
    expect(outcomes.slice(150).every((o) => o.status === 'refused' && o.code === 'INSUFFICIENT_STOCK')).toBe(true);
    const inventory = await te.engine.getInventory('HOT');
    expect(inventory.nodes.map((n) => [n.nodeId, n.reserved, n.available]).sort()).toEqual([['far', 50, 0], ['near', 100, 0]]);
    expect((await te.engine.audit()).ok).toBe(true);
    // What was acknowledged is on disk: the same after a restart.
    await te.stop();
    const again = await engines.reopen(te, new SimulatedClock());
    expect((await again.engine.getInventory('HOT')).nodes.map((n) => [n.nodeId, n.reserved]).sort()).toEqual([['far', 50], ['near', 100]]);
    for (const result of results.slice(0, 150)) {
      if (result.status !== 'fulfilled') throw new Error('expected a hold');
      expect((await again.engine.getReservation(result.value.body.reservationId)).status).toBe('held');
    }
    expect((await again.engine.audit()).ok).toBe(true);
  });

  it('writes a turn of holds as one ledger batch, its inventory.changed event included', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'near', lat: 41.88, lon: -87.63 }]);
    await te.engine.setStock('near', 'HOT', { onHand: 100 });
    await te.engine.setStock('near', 'COLD', { onHand: 100 });
    await te.ledger.durable();
    const batches: number[] = [];
    te.ledger.onBatch((writes) => batches.push(writes));
    const held = await Promise.all(Array.from({ length: 20 }, (_, i) => te.engine.createReservation(cart(`c${i}`, [{ sku: i % 2 ? 'HOT' : 'COLD', qty: 1 }]))));
    expect(held).toHaveLength(20);
    await te.ledger.durable();
    // 20 records, their expiry entries, 2 positions and one inventory.changed per SKU: one batch.
    expect(batches).toHaveLength(1);
    expect(te.ledger.readEvents('sku:HOT', 0, 100).at(-1)?.type).toBe('inventory.changed');
    expect(te.ledger.readEvents('sku:COLD', 0, 100).at(-1)?.type).toBe('inventory.changed');
  });

  it('decides at most holdTurnMax holds in a turn and the rest in the next, in arrival order', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'near', lat: 41.88, lon: -87.63 }]);
    const count = limits.holdTurnMax + 10;
    // Five units fewer than holds: the last five in arrival order are refused, whichever turn they fall in.
    await te.engine.setStock('near', 'HOT', { onHand: count - 5 });
    await te.ledger.durable();
    const batches: number[] = [];
    te.ledger.onBatch((writes) => batches.push(writes));
    const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => te.engine.createReservation(cart(`c${i}`, [{ sku: 'HOT', qty: 1 }]))));
    const outcomes = results.map(outcomeOf);
    expect(outcomes.slice(0, count - 5).every((o) => o.status === 'held')).toBe(true);
    expect(outcomes.slice(count - 5).every((o) => o.status === 'refused' && o.code === 'INSUFFICIENT_STOCK')).toBe(true);
    // Two turns, each its own batch: the first turn's is written while the second is decided.
    expect(batches).toHaveLength(2);
    expect(batches[0]).toBeGreaterThan(batches[1]);
    const inventory = await te.engine.getInventory('HOT');
    expect(inventory.nodes.map((n) => [n.reserved, n.available])).toEqual([[count - 5, 0]]);
    expect((await te.engine.audit()).ok).toBe(true);
  });

  it('respects a node\'s daily capacity within one turn: a capped node\'s plan is not shared', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'capped', lat: 41.88, lon: -87.63, capacityPerDay: 10 }, { id: 'far', lat: 39.1, lon: -84.5 }]);
    await te.engine.setStock('capped', 'HOT', { onHand: 100 });
    await te.engine.setStock('far', 'HOT', { onHand: 100 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => te.engine.createReservation(cart(`c${i}`, [{ sku: 'HOT', qty: 1 }], { strategy: 'closest' }))));
    const nodes = results.map(outcomeOf).map((o) => (o.status === 'held' ? o.nodes : o.code));
    expect(nodes.filter((n) => n === 'HOT:1@capped')).toHaveLength(10);
    expect(nodes.filter((n) => n === 'HOT:1@far')).toHaveLength(20);
    expect(te.engine.nodeStats('capped').ordersToday).toBe(10);
  });

  it('holds a shared multi-line cart all or nothing when one of its SKUs runs out mid-turn', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'n1', lat: 41.88, lon: -87.63 }]);
    await te.engine.setStock('n1', 'A', { onHand: 1_000 });
    await te.engine.setStock('n1', 'B', { onHand: 25 });
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => te.engine.createReservation(cart(`c${i}`, [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }]))));
    const outcomes = results.map(outcomeOf);
    expect(outcomes.filter((o) => o.status === 'held')).toHaveLength(25);
    expect(outcomes.slice(25).every((o) => o.status === 'refused' && o.code === 'INSUFFICIENT_STOCK')).toBe(true);
    // The refused carts took nothing of A.
    const a = await te.engine.getInventory('A');
    expect(a.nodes[0].reserved).toBe(50);
    expect((await te.engine.getInventory('B')).nodes[0].reserved).toBe(25);
    expect((await te.engine.audit()).ok).toBe(true);
  });

  it('places orders (hold and confirm in one call) of one turn together: exactly the stock, each released to its node', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'near', lat: 41.88, lon: -87.63 }, { id: 'far', lat: 39.1, lon: -84.5 }]);
    await te.engine.setStock('near', 'HOT', { onHand: 60 });
    await te.engine.setStock('far', 'HOT', { onHand: 40 });
    const results = await Promise.allSettled(Array.from({ length: 250 }, (_, i) => te.engine.createOrder({ ...cart(`c${i}`, [{ sku: 'HOT', qty: 1 }], { strategy: 'closest' }) })));
    const placed = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Engine['createOrder']>>>).value.body);
    expect(placed).toHaveLength(100);
    expect(results.slice(100).every((r) => r.status === 'rejected' && (r.reason as EngineError).code === 'INSUFFICIENT_STOCK')).toBe(true);
    expect(placed.every((o) => o.status === 'released')).toBe(true);
    expect(placed.slice(0, 60).every((o) => o.lines.every((l: { nodeId: string | null }) => l.nodeId === 'near'))).toBe(true);
    const inventory = await te.engine.getInventory('HOT');
    expect(inventory.nodes.map((n) => [n.nodeId, n.reserved, n.available]).sort()).toEqual([['far', 40, 0], ['near', 60, 0]]);
    expect((await te.engine.audit()).ok).toBe(true);
  });

  it('answers an idempotent repeat in the same turn with the first hold, holding once', async () => {
    const te = await open();
    await network(te.engine, [{ id: 'n1', lat: 41.88, lon: -87.63 }]);
    await te.engine.setStock('n1', 'HOT', { onHand: 10 });
    const key = { scope: 'checkout', key: 'k-1', fingerprint: 'f' };
    const [first, repeat, other] = await Promise.all([
      te.engine.createReservation(cart('c1', [{ sku: 'HOT', qty: 1 }]), key),
      te.engine.createReservation(cart('c1', [{ sku: 'HOT', qty: 1 }]), key),
      te.engine.createReservation(cart('c2', [{ sku: 'HOT', qty: 1 }])),
    ]);
    expect(repeat.body.reservationId).toBe(first.body.reservationId);
    expect(repeat.replayed).toBe(true);
    expect(other.body.reservationId).not.toBe(first.body.reservationId);
    expect((await te.engine.getInventory('HOT')).nodes[0].reserved).toBe(2);
  });

  it('decides every turn as one-at-a-time would, over random carts, stock and capacity (seeded)', async () => {
    const skus = ['A', 'B', 'C'];
    const places = [chicago, { lat: 40.7, lon: -74 }];
    const lineArb = fc.record({ sku: fc.constantFrom(...skus), qty: fc.integer({ min: 1, max: 3 }) });
    const requestArb = fc.record({
      lines: fc.array(lineArb, { minLength: 1, maxLength: 2 }),
      place: fc.integer({ min: 0, max: places.length - 1 }),
      strategy: fc.constantFrom(undefined, 'closest', 'cheapest', 'fewest_shipments'),
      allowSplit: fc.constantFrom(undefined, false),
    });
    const scenarioArb = fc.record({
      stock: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 9, maxLength: 9 }),
      capacity: fc.constantFrom(undefined, 2, 6),
      // A few cart shapes, repeated: a turn mixes identical carts (which share plans) with others.
      shapes: fc.array(requestArb, { minLength: 1, maxLength: 4 }),
      turns: fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ stock, capacity, shapes, turns }) => {
        const together = await open();
        const oneByOne = await open();
        for (const te of [together, oneByOne]) {
          await network(te.engine, [
            { id: 'chi', lat: 41.88, lon: -87.63, ...(capacity !== undefined ? { capacityPerDay: capacity } : {}) },
            { id: 'nyc', lat: 40.71, lon: -74.0 },
            { id: 'cin', lat: 39.1, lon: -84.5 },
          ]);
          let i = 0;
          for (const nodeId of ['chi', 'nyc', 'cin']) for (const sku of skus) await te.engine.setStock(nodeId, sku, { onHand: stock[i++] });
        }
        let n = 0;
        for (const turn of turns) {
          const requests = turn.map((pick) => shapes[pick % shapes.length]).map(({ lines, place, strategy, allowSplit }) => cart(`c${n++}`, lines, { destination: places[place], ...(strategy ? { strategy } : {}), ...(allowSplit !== undefined ? { allowSplit } : {}) }));
          const batched = (await Promise.allSettled(requests.map((r) => together.engine.createReservation(r)))).map(outcomeOf);
          const sequential: Outcome[] = [];
          for (const r of requests) sequential.push(outcomeOf((await Promise.allSettled([oneByOne.engine.createReservation(r)]))[0]));
          expect(batched).toEqual(sequential);
        }
        for (const te of [together, oneByOne]) expect((await te.engine.audit()).ok).toBe(true);
        await engines.closeAll();
      }),
      { seed: 20261129, numRuns: 25 },
    );
  });
});
