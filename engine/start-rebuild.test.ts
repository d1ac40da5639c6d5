// Shows that what the engine keeps in memory about live records is rebuilt at start, in its one
// pass over them: each customer's units of a limited SKU, the capacity a node used today, which
// records wait for which SKU (backorders), and the reserved units positions are checked against.
// How: an engine on LMDB in a temp dir with a simulated clock, restarted on the same dir.
import { expect, it } from 'vitest';
import { SimulatedClock } from './clock.js';
import { tempEngines } from '../test/support/fixtures.js';

const engines = tempEngines();
const destination = { lat: 41.9, lon: -87.7 };

it('rebuilds purchase limits, capacity used today and backorders from the live records', async () => {
  const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 14));
  const te = await engines.open(clock);
  await te.engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 41.88, lon: -87.63 }, priority: 1, capacityPerDay: 10 });
  await te.engine.putSku('L', { maxPerCustomer: 2 });
  await te.engine.setStock('n1', 'L', { onHand: 50 });
  await te.engine.setStock('n1', 'B', { onHand: 1 });
  await te.engine.createReservation({ customerId: 'c1', destination, lines: [{ sku: 'L', qty: 2 }] });
  // An order for B whose unit a count then finds missing: it waits as a backorder.
  const order = await te.engine.createOrder({ customerId: 'c2', destination, lines: [{ sku: 'B', qty: 1 }] });
  await te.engine.setStock('n1', 'B', { onHand: 0 });
  expect((await te.engine.getOrder(order.body.orderId)).status).toBe('backordered');
  const usedToday = te.engine.nodeStats('n1');
  await te.stop();

  const again = await engines.reopen(te, clock);
  // c1 holds 2 of L: a third is over the limit; another customer is not.
  await expect(again.engine.createReservation({ customerId: 'c1', destination, lines: [{ sku: 'L', qty: 1 }] })).rejects.toMatchObject({ code: 'PURCHASE_LIMIT' });
  expect(again.engine.nodeStats('n1')).toEqual(usedToday);
  await again.engine.createReservation({ customerId: 'c3', destination, lines: [{ sku: 'L', qty: 2 }] });
  // A unit of B arrives: the waiting order takes it.
  await again.engine.adjustStock('n1', 'B', { delta: 1, reason: 'received' });
  expect((await again.engine.getOrder(order.body.orderId)).status).not.toBe('backordered');
  expect((await again.engine.audit()).ok).toBe(true);
});
