// Shows the acceptance deadline: lines released to a node that does not accept them in time go to
// the next node with stock (never back to it), lines it did accept stay, and the deadline is a
// durable timer that survives a restart. Time is a SimulatedClock: nothing sleeps.
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from './clock.js';
import { tempEngines, type TestEngine } from '../test/support/fixtures.js';

const acceptWithinMs = 60_000;
const engines = tempEngines();
let opened: TestEngine | undefined;

async function network(clock: SimulatedClock) {
  opened = await engines.open(clock, undefined, { acceptWithinMs });
  const { engine } = opened;
  await engine.putNode('near', { type: 'warehouse', name: 'Near', location: { lat: 41.88, lon: -87.63 }, priority: 1 });
  await engine.putNode('far', { type: 'warehouse', name: 'Far', location: { lat: 39.1, lon: -84.5 }, priority: 1 });
  for (const nodeId of ['near', 'far']) {
    await engine.setStock(nodeId, 'A', { onHand: 5 });
    await engine.setStock(nodeId, 'B', { onHand: 5 });
  }
  return engine;
}

const cart = { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] };

describe('acceptance deadline', () => {
  it('moves what the node did not accept in time to the next node, and keeps what it accepted', async () => {
    const clock = new SimulatedClock();
    const engine = await network(clock);
    const order = (await engine.createOrder(cart)).body;
    expect(order.lines.every((l) => l.nodeId === 'near' && l.status === 'released')).toBe(true);
    await engine.nodeEvent('near', { orderId: order.orderId, type: 'accepted', lines: [{ sku: 'B', qty: 1 }] });
    clock.increment(acceptWithinMs - 1_000);
    await engine.sweepExpiries();
    expect((await engine.getOrder(order.orderId)).lines.find((l) => l.sku === 'A')?.nodeId).toBe('near');
    clock.increment(2_000);
    await engine.sweepExpiries();
    const after = await engine.getOrder(order.orderId);
    expect(after.lines).toEqual(expect.arrayContaining([
      { sku: 'A', qty: 2, nodeId: 'far', status: 'released' },
      { sku: 'B', qty: 1, nodeId: 'near', status: 'accepted' },
    ]));
    expect(after.history.map((h) => h.type)).toEqual(expect.arrayContaining(['order.accept_timeout', 'order.rerouted']));
    expect((await engine.audit()).ok).toBe(true);
    const inventory = await engine.getInventory('A');
    expect(inventory.nodes.find((n) => n.nodeId === 'near')?.reserved).toBe(0);
    expect(inventory.nodes.find((n) => n.nodeId === 'far')?.reserved).toBe(2);
  });

  it('nothing moves once the node accepted everything', async () => {
    const clock = new SimulatedClock();
    const engine = await network(clock);
    const order = (await engine.createOrder(cart)).body;
    await engine.nodeEvent('near', { orderId: order.orderId, type: 'accepted' });
    clock.increment(acceptWithinMs * 3);
    await engine.sweepExpiries();
    expect((await engine.getOrder(order.orderId)).lines.every((l) => l.nodeId === 'near' && l.status === 'accepted')).toBe(true);
  });

  it('the deadline survives a restart: due while down, it fires at the first sweep', async () => {
    const clock = new SimulatedClock();
    const engine = await network(clock);
    const order = (await engine.createOrder(cart)).body;
    await opened!.stop();
    clock.increment(acceptWithinMs * 2);
    opened = await engines.reopen(opened!, clock, undefined, { acceptWithinMs });
    await opened.engine.sweepExpiries();
    const after = await opened.engine.getOrder(order.orderId);
    expect(after.lines.every((l) => l.nodeId === 'far' && l.status === 'released')).toBe(true);
    expect((await opened.engine.audit()).ok).toBe(true);
  });

  it('with nowhere else to go, the unaccepted lines wait as backorders', async () => {
    const clock = new SimulatedClock();
    const engine = await network(clock);
    await engine.setNodeStatus('far', 'paused');
    const order = (await engine.createOrder(cart)).body;
    clock.increment(acceptWithinMs + 1);
    await engine.sweepExpiries();
    const after = await engine.getOrder(order.orderId);
    expect(after.status).toBe('backordered');
    expect(after.lines.every((l) => l.status === 'backordered' && l.nodeId === null)).toBe(true);
  });
});
