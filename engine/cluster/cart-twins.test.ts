// Shows a cart spanning partitions placed as an order twice at once with the same Idempotency-Key
// (a client retrying through another gateway): one order, held once, even when the twin's hold
// of the home arrives after the first request has already confirmed the cart.
// How: two real engines on LMDB in temp dirs (partitions 0 and 1), two coordinators as two
// gateways would run them, the second one's hold of the home held back until the first is done.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../engine.js';
import { tempEngines } from '../../test/support/fixtures.js';
import { CartCoordinator, type Send } from './cart-coordinator.js';
import { splitCart } from './carts.js';

const temp = tempEngines();

describe('cart coordinator', () => {
  it('places a twin order once: a home already confirmed by the twin is not held anew', async () => {
    const engines: Engine[] = [];
    for (const partition of [0, 1]) engines.push((await temp.open(undefined, undefined, { idPrefix: `p${partition}-` })).engine);
    const partitionOf = (sku: string) => (sku === 'A' ? 0 : 1);
    for (const [partition, sku] of [[0, 'A'], [1, 'B']] as const) {
      await engines[partition].putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 });
      await engines[partition].setStock('n1', sku, { onHand: 10 });
    }
    const send: Send = (partition, op, args) => (engines[partition] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op](...args);
    let first: Promise<unknown> = Promise.resolve();
    // The twin's hold of the home (the request that lists parts) waits until the first order is placed.
    const twinSend: Send = async (partition, op, args) => {
      if (op === 'createReservation' && ((args[0] as { parts?: unknown[] }).parts?.length ?? 0) > 0) await first.catch(() => {});
      return send(partition, op, args);
    };
    const request = { customerId: 'c', destination: { lat: 40, lon: -75 }, lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 3 }] };
    const split = splitCart(request.lines, partitionOf);
    const key = { scope: 'checkout', key: 'order-1', fingerprint: 'f' };
    const a = new CartCoordinator(send, partitionOf).createOrder(request, split, key);
    first = a;
    const b = new CartCoordinator(twinSend, partitionOf).createOrder(request, split, key);
    const [placed, twin] = await Promise.all([a, b]);
    expect(twin.body.orderId).toBe(placed.body.orderId);
    expect((await engines[0].getInventory('A')).nodes[0].reserved).toBe(2);
    expect((await engines[1].getInventory('B')).nodes[0].reserved).toBe(3);
    for (const engine of engines) expect((await engine.audit()).ok).toBe(true);
  });
});
