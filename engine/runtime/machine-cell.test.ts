// The engine runs order machines as MachineCells (no XState actor each); these hold a cell to an
// actor: from the same restored snapshot, the same events give the same state, record, status and
// emitted decisions, event by event, over random sequences of every order event (refused ones
// too), from holds and from orders in each state.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OrderLine, OrderMachineState, OrderRecord } from '../../actors/domain.js';
import type { OrderDecision, OrderEvent } from '../../actors/order/order.machine.js';
import { restoreOrderActor, restoreOrderCell } from '../order-snapshot.js';
import { deadline, holdRecord, iso, line, T0 } from '../../test/support/order-records.js';

/** A record with these lines, promising shipments from both nodes, and `extra` fields over it. */
const record = (lines: OrderLine[], extra: Partial<OrderRecord> = {}): OrderRecord => holdRecord(lines, {
  promise: { deliveryBy: iso(T0 + 3 * 86_400_000), shipments: [{ nodeId: 'n1', distanceKm: 10, deliveryBy: iso(T0 + 2 * 86_400_000) }, { nodeId: 'n2', distanceKm: 900, deliveryBy: iso(T0 + 3 * 86_400_000) }] },
  ...extra,
});

const starts: Array<{ state: OrderMachineState; record: OrderRecord }> = [
  { state: 'held', record: record([line('A', 2, 'n1', 'held'), line('B', 1, 'n2', 'held')]) },
  { state: 'held', record: record([line('A', 2, 'n1', 'held'), line('B', 1, '', 'backordered')]) },
  { state: 'allocated', record: record([line('A', 2, 'n1', 'allocated'), line('B', 1, 'n2', 'allocated')], { confirmedAt: T0 }) },
  { state: 'released', record: record([line('A', 2, 'n1', 'released'), line('B', 1, 'n2', 'released')], { confirmedAt: T0, acceptBy: { n1: T0 + 1000, n2: T0 + 1000 } }) },
  { state: 'exception', record: record([line('A', 2, 'n1', 'allocated')], { confirmedAt: T0, review: { status: 'pending', reasons: ['value'], at: iso(T0) } }) },
  { state: 'backordered', record: record([line('A', 2, '', 'backordered'), line('B', 1, 'n2', 'accepted')], { confirmedAt: T0 }) },
  { state: 'partially_shipped', record: record([line('A', 2, 'n1', 'shipped'), line('B', 1, 'n2', 'accepted')], { confirmedAt: T0 }) },
  { state: 'delivered', record: record([line('A', 2, 'n1', 'delivered')], { confirmedAt: T0 }) },
  { state: 'expired', record: record([line('A', 2, 'n1', 'cancelled')]) },
];

const sku = fc.constantFrom('A', 'B');
const nodeId = fc.constantFrom('n1', 'n2', 'n3');
const at = fc.constantFrom(T0 + 1, deadline - 1, deadline, deadline + 5_000);
const lines = fc.option(fc.array(fc.record({ sku, qty: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 2 }), { nil: undefined });
const withLines = <T extends object>(event: T, chosen: Array<{ sku: string; qty: number }> | undefined) => (chosen ? { ...event, lines: chosen } : event);

const event: fc.Arbitrary<OrderEvent> = fc.oneof(
  fc.record({ at, review: fc.boolean(), payment: fc.boolean(), dispatch: fc.boolean() }).map(({ at, review, payment, dispatch }): OrderEvent => ({
    type: 'confirm', at, ...(review ? { review: { reasons: ['value'] } } : {}), ...(payment ? { payment: { status: 'authorized' } } : {}), ...(dispatch ? { dispatch: { acceptWithinMs: 60_000 } } : {}),
  })),
  fc.record({ at, acceptWithinMs: fc.option(fc.constant(60_000), { nil: undefined }) }).map(({ at, acceptWithinMs }): OrderEvent => ({ type: 'dispatch', at, ...(acceptWithinMs ? { acceptWithinMs } : {}) })),
  fc.record({ at, nodeId, event: fc.constantFrom('accepted', 'picked', 'packed', 'shipped', 'delivered' as const), lines, tracking: fc.boolean() })
    .map(({ at, nodeId, event, lines: chosen, tracking }): OrderEvent => withLines({ type: 'node.event' as const, at, nodeId, event, ...(tracking ? { trackingId: 't1' } : {}) }, chosen)),
  fc.record({ at, lines }).map(({ at, lines: chosen }): OrderEvent => withLines({ type: 'cancel' as const, at }, chosen)),
  fc.record({ at, nodeId, reason: fc.constantFrom('rejected', 'unaccepted', 'offline', 'paused', 'shrinkage' as const), lines })
    .map(({ at, nodeId, reason, lines: chosen }): OrderEvent => withLines({ type: 'reroute.release' as const, at, nodeId, reason }, chosen)),
  fc.record({ at, from: fc.constantFrom('rerouting', 'backordered' as const), assignments: fc.array(fc.record({ sku, qty: fc.integer({ min: 1, max: 2 }), nodeId }), { maxLength: 2 }), acceptWithinMs: fc.option(fc.constant(60_000), { nil: undefined }) })
    .map(({ at, from, assignments, acceptWithinMs }): OrderEvent => ({ type: 'reroute.assign', at, from, assignments, ...(acceptWithinMs ? { acceptWithinMs } : {}) })),
  fc.record({ at, days: fc.constantFrom(3, 4) }).map(({ at, days }): OrderEvent => ({ type: 'promise.set', at, promise: { deliveryBy: iso(T0 + days * 86_400_000), shipments: [] }, reason: 'reroute' })),
  fc.record({ at, nodeId, days: fc.constantFrom(4, 5) }).map(({ at, nodeId, days }): OrderEvent => ({ type: 'promise.delay', at, nodeId, deliveryBy: iso(T0 + days * 86_400_000) })),
  fc.record({ at, type: fc.constantFrom('review.approve', 'review.reject', 'hold.release', 'expire' as const) }).map(({ at, type }): OrderEvent => ({ type, at })),
);

/** Drives a cell and an actor restored from the same snapshot with `events`, comparing them after each. */
function compare(start: { state: OrderMachineState; record: OrderRecord }, events: readonly OrderEvent[]): void {
  const actor = restoreOrderActor(structuredClone(start));
  const cell = restoreOrderCell(structuredClone(start));
  const fromActor: OrderDecision[] = [];
  const fromCell: OrderDecision[] = [];
  actor.on('*', (e) => fromActor.push(e as OrderDecision));
  cell.on('*', (e) => fromCell.push(e as OrderDecision));
  actor.start();
  cell.start();
  const seen = (snapshot: { value: unknown; status: string; context: OrderRecord }) => ({ value: snapshot.value, status: snapshot.status, context: snapshot.context });
  expect(seen(cell.getSnapshot())).toEqual(seen(actor.getSnapshot()));
  for (const e of events) {
    actor.send(structuredClone(e));
    cell.send(structuredClone(e));
    expect(seen(cell.getSnapshot()), `after ${JSON.stringify(e)}`).toEqual(seen(actor.getSnapshot()));
    expect(fromCell, `after ${JSON.stringify(e)}`).toEqual(fromActor);
  }
  actor.stop();
  cell.stop();
}

describe('MachineCell runs the order machine as its actor does', () => {
  // xstate's development build warns of each event an actor in a final state ignores.
  beforeAll(() => vi.spyOn(console, 'warn').mockImplementation(() => {}));
  afterAll(() => vi.restoreAllMocks());

  it('the same states, records and decisions over random event sequences from every kind of start', () => {
    fc.assert(fc.property(fc.constantFrom(...starts), fc.array(event, { maxLength: 12 }), (start, events) => compare(start, events)), { numRuns: 1500 });
  });

  it('a confirm and its dispatch, an approval after review, and a finished order that ignores what follows', () => {
    compare(starts[0], [{ type: 'confirm', at: T0 + 1 }, { type: 'dispatch', at: T0 + 1, acceptWithinMs: 60_000 }, { type: 'node.event', at: T0 + 2, nodeId: 'n1', event: 'accepted' }]);
    compare(starts[0], [{ type: 'confirm', at: T0 + 1, dispatch: { acceptWithinMs: 60_000 } }, { type: 'node.event', at: T0 + 2, nodeId: 'n1', event: 'accepted' }]);
    compare(starts[0], [{ type: 'confirm', at: T0 + 1, review: { reasons: ['value'] } }, { type: 'dispatch', at: T0 + 1 }, { type: 'review.approve', at: T0 + 2 }, { type: 'dispatch', at: T0 + 3 }]);
    compare(starts[0], [{ type: 'hold.release', at: T0 + 1 }, { type: 'confirm', at: T0 + 2 }, { type: 'expire', at: deadline }]);
    compare(starts[8], [{ type: 'confirm', at: T0 + 1 }, { type: 'cancel', at: T0 + 1 }]);
  });
});
