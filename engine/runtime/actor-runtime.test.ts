// Shows the runtime's memory bounds: actors are spawned on first use, passivated when idle (on the
// simulated clock) or when there are too many, never while a command is in flight, and a
// passivated actor comes back from the ledger with the same state.
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../clock.js';
import { openEngine, tempDir, type TestEngine } from '../../test/support/fixtures.js';

let opened: TestEngine | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await opened?.stop();
  dir?.remove();
  opened = undefined;
  dir = undefined;
});

async function engineWith(bounds: Parameters<typeof openEngine>[2], clock = new SimulatedClock()) {
  dir = tempDir();
  opened = await openEngine(dir.path, clock, bounds);
  const { engine } = opened;
  await engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 });
  return { engine, clock };
}

const hold = (sku: string, customerId = 'c1') => ({ customerId, destination: { lat: 40, lon: -75 }, lines: [{ sku, qty: 1 }] });

describe('actor runtime', () => {
  it('spawns a SKU actor on first use and passivates it once idle, keeping its state in the ledger', async () => {
    const { engine, clock } = await engineWith({ actorIdleMs: 10_000 });
    await engine.setStock('n1', 'A', { onHand: 5 });
    await engine.createReservation(hold('A'));
    expect(engine.stats().skuActors.active).toBe(1);
    clock.increment(20_000);
    expect(engine.stats().skuActors.active).toBe(0);
    expect(engine.stats().skuActors.passivated).toBeGreaterThanOrEqual(1);
    // Back from the ledger with what it had: one of five reserved.
    const again = await engine.createReservation(hold('A', 'c2'));
    expect(again.status).toBe(201);
    const inventory = await engine.getInventory('A');
    expect(inventory.nodes[0]).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    expect(engine.stats().skuActors.active).toBe(1);
  });

  it('passivates the least recently used actors past the bound, never more than the bound stay', async () => {
    const { engine } = await engineWith({ skuActorsMax: 3 });
    for (const sku of ['A', 'B', 'C', 'D', 'E']) await engine.setStock('n1', sku, { onHand: 2 });
    expect(engine.stats().skuActors.active).toBeLessThanOrEqual(3);
    for (const sku of ['A', 'B', 'C', 'D', 'E']) expect((await engine.createReservation(hold(sku))).status).toBe(201);
    expect(engine.stats().skuActors.active).toBeLessThanOrEqual(3);
    for (const sku of ['A', 'B', 'C', 'D', 'E']) expect((await engine.getInventory(sku)).nodes[0].reserved).toBe(1);
    expect((await engine.audit()).ok).toBe(true);
  });

  it('passivates final orders once durable: they live on disk, not in memory', async () => {
    const { engine } = await engineWith({});
    await engine.setStock('n1', 'A', { onHand: 5 });
    const order = await engine.createOrder(hold('A'));
    expect(engine.stats().orderActors.active).toBe(1);
    await engine.cancelOrder(order.body.orderId);
    expect(engine.stats().orderActors.active).toBe(0);
    expect((await engine.getOrder(order.body.orderId)).status).toBe('cancelled');
  });
});
