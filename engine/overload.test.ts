// Shows what happens at the bounds: a SKU actor with too many commands in flight answers
// OVERLOADED with a Retry-After, and so does new work when what is staged would take longer than
// the queueing-delay bound to reach the disk; the refused requests change nothing, and the
// accepted ones are all there. Over HTTP the same is a 503 with a Retry-After header.
import { afterEach, describe, expect, it } from 'vitest';
import { Admission } from './admission.js';
import { EngineError } from './errors.js';
import { call, startServer, tempEngines, type TestServer } from '../test/support/fixtures.js';

const engines = tempEngines();
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const hold = (i: number) => ({ customerId: `c${i}`, destination: { lat: 40, lon: -75 }, lines: [{ sku: 'HOT', qty: 1 }] });

/** An engine with these bounds and one node, n1, holding `onHand` units of HOT. */
async function hotEngine(bounds: Parameters<typeof engines.open>[1], onHand: number) {
  const te = await engines.open(undefined, bounds);
  await te.engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 });
  await te.engine.setStock('n1', 'HOT', { onHand });
  return te;
}

/** Settled requests as those answered and those refused. */
function settled<T>(results: PromiseSettledResult<T>[]) {
  return { accepted: results.filter((r) => r.status === 'fulfilled'), refused: results.filter((r): r is PromiseRejectedResult => r.status === 'rejected') };
}

describe('bounds', () => {
  it('sheds holds past the in-flight bound with OVERLOADED and Retry-After, changing nothing for them', async () => {
    const { engine } = await hotEngine({ actorInflightMax: 8 }, 1_000);
    // All at once, in one turn: nothing is durable yet, so the ninth finds eight in flight.
    const { accepted, refused } = settled(await Promise.allSettled(Array.from({ length: 40 }, (_, i) => engine.createReservation(hold(i)))));
    expect(accepted.length).toBe(8);
    expect(refused.length).toBe(32);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(EngineError);
      expect((r.reason as EngineError).code).toBe('OVERLOADED');
      expect((r.reason as EngineError).retryAfterSeconds).toBeGreaterThan(0);
    }
    expect((await engine.getInventory('HOT')).nodes[0].reserved).toBe(8);
    expect((await engine.audit()).ok).toBe(true);
    // Once durable, the actor takes commands again.
    expect((await engine.createReservation(hold(99))).status).toBe(201);
  });

  it('an order placed in one call and shed under load leaves no hold behind: both or neither', async () => {
    // So few writes may wait that the bound falls between a hold and its confirmation for some
    // of these bounds (an order stages about 8 writes, its hold 2 of them).
    for (const ledgerPendingWritesMax of [3, 10, 11, 18, 19, 26]) {
      const { engine, ledger } = await hotEngine({ ledgerPendingWritesMax }, 1_000);
      const { accepted: placed, refused } = settled(await Promise.allSettled(Array.from({ length: 30 }, (_, i) => engine.createOrder(hold(i)))));
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect((r.reason as EngineError).code).toBe('OVERLOADED');
      await ledger.durable();
      // Every live record is an order someone was told of; nothing else holds stock.
      expect([...ledger.liveOrders()].filter((s) => s.state === 'held').length, `bound ${ledgerPendingWritesMax}`).toBe(0);
      expect(ledger.liveOrderCount()).toBe(placed.length);
      expect((await engine.getInventory('HOT')).nodes[0].reserved).toBe(placed.length);
      expect((await engine.audit()).ok).toBe(true);
      await engines.closeAll();
    }
  });

  it('answers 503 OVERLOADED with a Retry-After header over HTTP', async () => {
    server = await startServer({ bounds: { actorInflightMax: 2 } });
    const { url, tokens } = server;
    await call(url, tokens.ops, 'PUT', '/v1/nodes/n1', { type: 'warehouse', location: { lat: 40, lon: -75 } });
    await call(url, tokens.ops, 'PUT', '/v1/inventory/n1/HOT', { onHand: 1_000 });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(url, tokens.checkout, 'POST', '/v1/reservations', hold(i))));
    const shed = answers.filter((a) => a.status === 503);
    const held = answers.filter((a) => a.status === 201);
    expect(shed.length).toBeGreaterThan(0);
    for (const a of shed) {
      expect(a.body.error.code).toBe('OVERLOADED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(held.length + shed.length).toBe(60);
    const inventory = await call(url, tokens.checkout, 'GET', '/v1/inventory/HOT');
    expect(inventory.body.nodes[0].reserved).toBe(held.length);
  });

  it('sheds new work when the staged writes would take longer than queueDelayMaxMs to drain', async () => {
    const { engine } = await hotEngine({ queueDelayMaxMs: 0, queueDelayMinWrites: 20 }, 10_000);
    // A first batch tells the engine how fast its ledger drains.
    for (let i = 0; i < 3; i++) await engine.createReservation(hold(1_000 + i));
    const results = settled(await Promise.allSettled(Array.from({ length: 400 }, (_, i) => engine.createReservation(hold(i)))));
    const accepted = results.accepted.length;
    const refused = results.refused;
    expect(refused.length).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThanOrEqual(5); // below queueDelayMinWrites it always admits
    for (const r of refused) {
      expect((r.reason as EngineError).code).toBe('OVERLOADED');
      expect((r.reason as EngineError).retryAfterSeconds).toBeGreaterThan(0);
    }
    expect((await engine.getInventory('HOT')).nodes[0].reserved).toBe(accepted + 3);
    expect((await engine.audit()).ok).toBe(true);
  });
});

describe('refusals that write nothing', () => {
  it('a sold-out hold hears 409 INSUFFICIENT_STOCK even while new work is shed with 503', async () => {
    const { engine } = await engines.open(undefined, { queueDelayMaxMs: 0, queueDelayMinWrites: 0 });
    // Set up in one turn, before any batch has been seen: admitted. From then on every write waits > 0 ms: shed.
    await Promise.all([
      engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 }),
      engine.setStock('n1', 'GONE', { onHand: 1 }),
      engine.setStock('n1', 'HOT', { onHand: 10 }),
    ]);
    const answer = async (sku: string) => engine.createReservation({ ...hold(1), lines: [{ sku, qty: 2 }] }).then(() => 'held', (e: EngineError) => e.code);
    expect(await answer('HOT')).toBe('OVERLOADED');
    // Whatever the load, a cart the network cannot fill is 409, never 503.
    for (let i = 0; i < 5; i++) expect(await answer('GONE')).toBe('INSUFFICIENT_STOCK');
  });
});

describe('Admission', () => {
  it('admits below the minimum of staged writes always; above it, only while recent batches waited within the bound', () => {
    const admission = new Admission({ queueDelayMaxMs: 100, queueDelayMinWrites: 50 });
    expect(admission.admits(1_000_000)).toBe(true); // no batch seen yet
    admission.observe(40);
    expect(admission.admits(1_000)).toBe(true);
    admission.observe(250); // one slow batch: shed at once
    expect(admission.admits(1_000)).toBe(false);
    expect(admission.admits(49)).toBe(true); // but never below the minimum
    admission.observe(20); // one fast batch is not recovery...
    expect(admission.recentWaitMs()).toBe(135);
    expect(admission.admits(1_000)).toBe(false);
    admission.observe(20); // ...two are
    expect(admission.admits(1_000)).toBe(true);
    admission.observe(Number.NaN); // nonsense is ignored
    expect(admission.recentWaitMs()).toBeCloseTo(77.5);
  });
});
