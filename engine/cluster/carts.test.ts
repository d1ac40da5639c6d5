// Shows the pure half of a cart spanning partitions: lines split into a home (the lowest partition)
// and parts in the cart's order; part keys derive from the client's key and chain past given-back
// holds; the home's and parts' views read as one reservation or order (home's id, status, deadline
// and history; everyone's allocations, lines and shipments; the order status from all the lines).
import { expect, it } from 'vitest';
import type { DeliveryPromise } from '../../actors/domain.js';
import type { OrderView, ReservationView } from '../views.js';
import { linesByPartition, mergeOrder, mergePromises, mergeReservation, partKey, splitCart } from './carts.js';

const partitionOf = (sku: string): number => Number(sku.split('-')[1]);

it('splits a cart by partition, the lowest as home, lines in the cart order', () => {
  const split = splitCart([{ sku: 's-3', qty: 1 }, { sku: 's-1', qty: 2 }, { sku: 's-3', qty: 4 }, { sku: 's-2', qty: 1 }], partitionOf);
  expect(split.home).toBe(1);
  expect(split.partitions).toEqual([
    { partition: 1, lines: [{ sku: 's-1', qty: 2 }] },
    { partition: 2, lines: [{ sku: 's-2', qty: 1 }] },
    { partition: 3, lines: [{ sku: 's-3', qty: 1 }, { sku: 's-3', qty: 4 }] },
  ]);
  expect(splitCart([{ sku: 's-5', qty: 1 }], partitionOf)).toEqual({ home: 5, partitions: [{ partition: 5, lines: [{ sku: 's-5', qty: 1 }] }] });
  expect([...linesByPartition([{ sku: 's-2', qty: 1 }, { sku: 's-0', qty: 1 }], partitionOf).keys()]).toEqual([0, 2]);
});

it('derives part keys from the client key, per partition, chained past replaced holds', () => {
  expect(partKey('cart-1', 2, [])).toBe('cart-1#p2');
  expect(partKey('cart-1', 3, [])).not.toBe(partKey('cart-1', 2, []));
  expect(partKey('cart-1', 2, ['p2-a'])).toBe('cart-1#p2~p2-a');
  expect(partKey('cart-1', 2, ['p2-a', 'p2-b'])).toBe('cart-1#p2~p2-a~p2-b');
});

const promise = (deliveryBy: string, nodeId: string, totalCost?: number): DeliveryPromise => ({
  deliveryBy,
  shipments: [{ nodeId, distanceKm: 1, deliveryBy }],
  ...(totalCost !== undefined ? { totalCost, currency: 'USD' } : {}),
});

it('merges promises: every shipment, the latest date, the summed cost only when every part has one', () => {
  expect(mergePromises([promise('2026-01-02', 'a', 5), promise('2026-01-04', 'b', 7)])).toEqual({
    deliveryBy: '2026-01-04',
    shipments: [{ nodeId: 'a', distanceKm: 1, deliveryBy: '2026-01-02' }, { nodeId: 'b', distanceKm: 1, deliveryBy: '2026-01-04' }],
    totalCost: 12,
    currency: 'USD',
  });
  expect(mergePromises([promise('2026-01-03', 'a', 5), promise('2026-01-01', 'b')])).not.toHaveProperty('totalCost');
  expect(() => mergePromises([])).toThrow();
});

const reservation = (id: string, status: ReservationView['status'], sku: string, extra: Partial<ReservationView> = {}): ReservationView => ({
  reservationId: id, status, customerId: 'c', channel: 'web', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:15:00.000Z',
  allocations: [{ sku, qty: 1, nodeId: 'wh-1' }], promise: promise('2026-01-03', 'wh-1'), ...extra,
});

it('shows a cart as one reservation: the home id, status and deadline, all allocations, no parts list', () => {
  const home = reservation('rsv_p0-x', 'held', 's-0', { parts: [{ partition: 2, reservationId: 'rsv_p2-y' }] });
  const part = reservation('rsv_p2-y', 'held', 's-2', { expiresAt: '2026-01-01T00:15:10.000Z' });
  const merged = mergeReservation(home, [part]);
  expect(merged).toMatchObject({ reservationId: 'rsv_p0-x', status: 'held', expiresAt: '2026-01-01T00:15:00.000Z' });
  expect(merged.allocations).toEqual([{ sku: 's-0', qty: 1, nodeId: 'wh-1' }, { sku: 's-2', qty: 1, nodeId: 'wh-1' }]);
  expect(merged.promise.shipments).toHaveLength(2);
  expect(merged).not.toHaveProperty('parts');
  // A single-partition hold passes through as it was.
  expect(mergeReservation(reservation('rsv_p1-z', 'expired', 's-1'), [])).toEqual(reservation('rsv_p1-z', 'expired', 's-1'));
});

const order = (id: string, status: OrderView['status'], lines: OrderView['lines'], extra: Partial<OrderView> = {}): OrderView => ({
  orderId: id, reservationId: id.replace('ord_', 'rsv_'), status, customerId: 'c', channel: 'web', destination: { lat: 1, lon: 1 }, lines,
  promise: promise('2026-01-03', 'wh-1'), history: [{ seq: 1, at: '2026-01-01T00:00:00.000Z', type: 'reservation.held' }], createdAt: '2026-01-01T00:00:00.000Z', ...extra,
});

it('shows a cart as one order: all lines, the status all of them give, the home history', () => {
  const home = order('ord_p0-x', 'shipped', [{ sku: 's-0', qty: 1, nodeId: 'wh-1', status: 'shipped' }], { parts: [{ partition: 2, reservationId: 'rsv_p2-y' }] });
  const part = order('ord_p2-y', 'released', [{ sku: 's-2', qty: 1, nodeId: 'wh-1', status: 'released' }], { history: [] });
  const merged = mergeOrder(home, [part]);
  expect(merged.orderId).toBe('ord_p0-x');
  expect(merged.status).toBe('partially_shipped');
  expect(merged.lines.map((l) => l.sku)).toEqual(['s-0', 's-2']);
  expect(merged.history).toEqual(home.history);
  expect(merged).not.toHaveProperty('parts');
  // The same status everywhere stays; a part in review makes the cart an exception; all cancelled is cancelled.
  expect(mergeOrder({ ...home, status: 'released', lines: [{ ...home.lines[0], status: 'accepted' }] }, [part]).status).toBe('released');
  expect(mergeOrder({ ...home, status: 'released' }, [{ ...part, status: 'exception' }]).status).toBe('exception');
  const cancelled = (v: OrderView): OrderView => ({ ...v, status: 'cancelled', lines: v.lines.map((l) => ({ ...l, status: 'cancelled' })) });
  expect(mergeOrder(cancelled(home), [cancelled(part)]).status).toBe('cancelled');
});
