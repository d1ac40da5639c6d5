// Shows what one engine does for a cluster cart's home (all the rest is the coordinator's): it keeps
// the list of parts through a restart and shows it; it refuses to confirm a home with parts unless
// the coordinator says they are confirmed; it answers what it kept for an idempotency key (or
// nothing, or IDEMPOTENCY_MISMATCH for another body); a node event for an order with no lines at
// that node names the reason, so a coordinator can tell it from other refusals.
import { expect, it } from 'vitest';
import { SimulatedClock } from './clock.js';
import { isEngineError } from './errors.js';
import { tempEngines, type TestEngine } from '../test/support/fixtures.js';

const engines = tempEngines();
let opened: TestEngine | undefined;

const parts = [{ partition: 2, reservationId: 'rsv_p2-000000000abcdef0123456789' }];
const cart = { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'A', qty: 2 }] };

async function engineWithStock(clock = new SimulatedClock()) {
  opened = await engines.open(clock);
  await opened.engine.putNode('wh', { type: 'warehouse', name: 'WH', location: { lat: 41.88, lon: -87.63 }, priority: 1 });
  await opened.engine.setStock('wh', 'A', { onHand: 5 });
  await opened.engine.putNode('other', { type: 'warehouse', name: 'Other', location: { lat: 39.1, lon: -84.5 }, priority: 1 });
  return opened.engine;
}

const refusal = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (isEngineError(error) ? error : undefined));

it('keeps a home hold\'s parts, shows them, and confirms it only for its coordinator', async () => {
  const clock = new SimulatedClock();
  let engine = await engineWithStock(clock);
  const held = (await engine.createReservation({ ...cart, parts })).body;
  expect(held.parts).toEqual(parts);
  await opened!.stop();
  opened = await engines.reopen(opened!, clock);
  engine = opened.engine;
  expect((await engine.getReservation(held.reservationId)).parts).toEqual(parts);

  const plain = await refusal(engine.confirmReservation(held.reservationId, {}));
  expect(plain?.code).toBe('INVALID_STATE');
  expect(plain?.details).toMatchObject({ reason: 'cart-parts', parts });
  expect((await engine.getReservation(held.reservationId)).status).toBe('held');
  const order = (await engine.confirmReservation(held.reservationId, { partsConfirmed: true })).body;
  expect(order.status).toBe('released');
  expect(order.parts).toEqual(parts);
  // A hold without parts shows none and confirms as ever.
  const single = (await engine.createReservation(cart)).body;
  expect(single).not.toHaveProperty('parts');
  expect((await engine.confirmReservation(single.reservationId, {})).status).toBe(201);
});

it('answers what it kept for an idempotency key, nothing for an unknown one, and refuses another body', async () => {
  const engine = await engineWithStock();
  const key = { scope: 'checkout::reservations', key: 'k-1', fingerprint: 'f-1' };
  expect(await engine.idempotentAnswer(key)).toBeUndefined();
  const first = await engine.createReservation(cart, key);
  const kept = await engine.idempotentAnswer(key);
  expect(kept).toEqual({ status: 201, body: first.body, replayed: true });
  expect((await refusal(engine.idempotentAnswer({ ...key, fingerprint: 'f-2' })))?.code).toBe('IDEMPOTENCY_MISMATCH');
  expect((await engine.getInventory('A')).nodes.find((n) => n.nodeId === 'wh')?.reserved).toBe(2);
});

it('names the reason when an order has no lines at the node of an event', async () => {
  const engine = await engineWithStock();
  const order = (await engine.createOrder(cart)).body;
  const refused = await refusal(engine.nodeEvent('other', { orderId: order.orderId, type: 'accepted' }));
  expect(refused?.code).toBe('INVALID_STATE');
  expect(refused?.details).toMatchObject({ nodeId: 'other', reason: 'no-lines-at-node' });
});
