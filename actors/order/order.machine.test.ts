// Shows every transition of the order machine (a hold that becomes an order) and every refused
// one: what it decides (history entries numbered 1, 2, 3…, stock to release or ship) and that a
// refusal (INVALID_STATE) changes neither state nor record. Also the pure line arithmetic of
// lines.ts (orderStatusOf, applyNodeEvent, applyCancel) on its own.
// How: pure tests, no IO, no clock: each event carries its time (`at`) as a fixed number. A hold is
// created with `createActor(orderMachine, { input })`; other states are restored from a ledger-style
// snapshot with `restoreOrderActor`. Decisions are collected with `actor.on('*')`.
import { createActor, type Actor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { LineStatus, OrderLine, OrderMachineState, OrderRecord } from '../domain.js';
import { deadline, holdRecord, iso, line, T0 } from '../../test/support/order-records.js';
import { orderSnapshotOf, restoreOrderActor } from '../../engine/order-snapshot.js';
import { appendHistory, applyCancel, applyNodeEvent, orderStatusOf } from './lines.js';
import { orderMachine, type OrderDecision, type OrderEvent } from './order.machine.js';

/** An order in `state` with the given lines (history: held, allocated, released). */
function orderRecord(lines: OrderLine[]): OrderRecord {
  return {
    ...holdRecord(lines),
    confirmedAt: T0 + 1_000,
    history: [
      { seq: 1, at: iso(T0), type: 'reservation.held' },
      { seq: 2, at: iso(T0 + 1_000), type: 'order.allocated' },
      { seq: 3, at: iso(T0 + 1_000), type: 'order.released', lines: [] },
    ],
  };
}

interface Driver {
  actor: Actor<typeof orderMachine>;
  emitted: OrderDecision[];
  state(): OrderMachineState;
  record(): OrderRecord;
  /**
   * Sends one event; returns the first decision it produced. (Exactly one is expected: the test
   * 'emits exactly one decision…' below holds the machine to that; the others look at the first.)
   */
  send(event: OrderEvent): OrderDecision;
  /** Sends an event that must be refused with INVALID_STATE and change nothing. */
  refused(event: OrderEvent): OrderDecision;
}

function drive(actor: Actor<typeof orderMachine>): Driver {
  const emitted: OrderDecision[] = [];
  actor.on('*', (event) => emitted.push(event as OrderDecision));
  actor.start();
  const d: Driver = {
    actor,
    emitted,
    state: () => orderSnapshotOf(actor.getSnapshot()).state,
    record: () => actor.getSnapshot().context,
    send(event) {
      const before = emitted.length;
      actor.send(event);
      expect(emitted.length).toBeGreaterThan(before);
      return emitted[before];
    },
    refused(event) {
      const state = d.state();
      const record = structuredClone(d.record());
      const decision = d.send(event);
      expect(decision).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
      expect(d.state()).toBe(state);
      expect(d.record()).toEqual(record);
      return decision;
    },
  };
  return d;
}

const newHold = (lines?: OrderLine[]): Driver => drive(createActor(orderMachine, { input: holdRecord(lines) }));
const restored = (state: OrderMachineState, lines: OrderLine[]): Driver => drive(restoreOrderActor({ state, record: orderRecord(lines) }));

const seqs = (record: OrderRecord): number[] => record.history.map((h) => h.seq);

describe('held', () => {
  it('confirm before the deadline makes an allocated order: lines allocated, order.allocated as entry 2, nothing moved', () => {
    const d = newHold();
    const decision = d.send({ type: 'confirm', at: deadline - 1, payment: { method: 'card' }, externalId: 'ext-1' });
    expect(decision).toEqual({ type: 'decided', history: [{ seq: 2, at: iso(deadline - 1), type: 'order.allocated' }], release: [], ship: [] });
    expect(d.state()).toBe('allocated');
    expect(d.record().lines.map((l) => l.status)).toEqual(['allocated', 'allocated']);
    expect(d.record()).toMatchObject({ confirmedAt: deadline - 1, payment: { method: 'card' }, externalId: 'ext-1' });
    expect(seqs(d.record())).toEqual([1, 2]);
  });

  it('confirm without payment or externalId leaves them out', () => {
    const d = newHold();
    d.send({ type: 'confirm', at: T0 });
    expect(d.record()).not.toHaveProperty('payment');
    expect(d.record()).not.toHaveProperty('externalId');
    expect(d.record()).not.toHaveProperty('cartHome');
  });

  it('a cluster cart part keeps its home\'s order id from its confirm on', () => {
    const d = newHold();
    d.send({ type: 'confirm', at: T0, cartHome: 'ord_p0-home' });
    expect(d.record().cartHome).toBe('ord_p0-home');
  });

  it('refuses confirm at the deadline and after it', () => {
    const d = newHold();
    expect(d.refused({ type: 'confirm', at: deadline })).toMatchObject({ details: { expired: true } });
    d.refused({ type: 'confirm', at: deadline + 60_000 });
    expect(d.state()).toBe('held');
  });

  it('refuses expire before the deadline', () => {
    const d = newHold();
    d.refused({ type: 'expire', at: deadline - 1 });
    d.refused({ type: 'expire', at: T0 });
  });

  it('expires at the deadline: lines cancelled, every held unit released, reservation.expired as entry 2', () => {
    const d = newHold();
    const decision = d.send({ type: 'expire', at: deadline });
    expect(decision).toEqual({
      type: 'decided',
      history: [{ seq: 2, at: iso(deadline), type: 'reservation.expired' }],
      release: [{ sku: 'A', nodeId: 'n1', qty: 2 }, { sku: 'B', nodeId: 'n2', qty: 1 }],
      ship: [],
    });
    expect(d.state()).toBe('expired');
    expect(d.record().lines.every((l) => l.status === 'cancelled')).toBe(true);
    expect(d.actor.getSnapshot().status).toBe('done');
  });

  it('expires after the deadline too', () => {
    const d = newHold();
    d.send({ type: 'expire', at: deadline + 5_000 });
    expect(d.state()).toBe('expired');
  });

  it('hold.release drops the hold and releases every held unit', () => {
    const d = newHold();
    const decision = d.send({ type: 'hold.release', at: T0 + 10 });
    expect(decision).toEqual({
      type: 'decided',
      history: [{ seq: 2, at: iso(T0 + 10), type: 'reservation.released' }],
      release: [{ sku: 'A', nodeId: 'n1', qty: 2 }, { sku: 'B', nodeId: 'n2', qty: 1 }],
      ship: [],
    });
    expect(d.state()).toBe('dropped');
    expect(d.actor.getSnapshot().status).toBe('done');
  });

  it('hold.release is accepted after the deadline as well (the units go back either way)', () => {
    const d = newHold();
    d.send({ type: 'hold.release', at: deadline + 1 });
    expect(d.state()).toBe('dropped');
  });

  it('refuses what only an order can do: dispatch, node events, cancel', () => {
    const d = newHold();
    d.refused({ type: 'dispatch', at: T0 });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped' });
    d.refused({ type: 'cancel', at: T0 });
    expect(seqs(d.record())).toEqual([1]);
  });

  it.each([
    ['expired', { type: 'expire', at: deadline } as const],
    ['dropped', { type: 'hold.release', at: T0 } as const],
  ])('once %s, ignores every further event', (_state, end) => {
    const d = newHold();
    d.send(end);
    const record = structuredClone(d.record());
    const count = d.emitted.length;
    for (const event of [
      { type: 'confirm', at: T0 },
      { type: 'expire', at: deadline + 1 },
      { type: 'hold.release', at: T0 },
      { type: 'cancel', at: T0 },
    ] as OrderEvent[]) d.actor.send(event);
    expect(d.emitted.length).toBe(count);
    expect(d.record()).toEqual(record);
  });
});

describe('order', () => {
  const confirmed = (): Driver => {
    const d = newHold();
    d.send({ type: 'confirm', at: T0 + 1_000 });
    return d;
  };

  it('dispatch releases the allocated lines to their nodes', () => {
    const d = confirmed();
    const decision = d.send({ type: 'dispatch', at: T0 + 1_000 });
    expect(decision).toEqual({
      type: 'decided',
      history: [{ seq: 3, at: iso(T0 + 1_000), type: 'order.released', lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] }],
      release: [],
      ship: [],
    });
    expect(d.state()).toBe('released');
    expect(d.record().lines.map((l) => l.status)).toEqual(['released', 'released']);
  });

  it('refuses hold events once confirmed: confirm, expire (even past the deadline), hold.release, a second dispatch', () => {
    const d = confirmed();
    d.refused({ type: 'confirm', at: T0 + 2_000 });
    d.refused({ type: 'expire', at: deadline + 1 });
    d.refused({ type: 'hold.release', at: T0 + 2_000 });
    d.send({ type: 'dispatch', at: T0 + 2_000 });
    d.refused({ type: 'dispatch', at: T0 + 3_000 });
  });

  it('walks a line forward through accepted, picked, packed, shipped, delivered; the order follows', () => {
    const d = restored('released', [line('A', 2, 'n1', 'released')]);
    const states: OrderMachineState[] = [];
    for (const [i, event] of (['accepted', 'picked', 'packed', 'shipped', 'delivered'] as const).entries()) {
      const decision = d.send({ type: 'node.event', at: T0 + 10_000 * (i + 1), nodeId: 'n1', event, ...(event === 'shipped' ? { trackingId: 'TRK1' } : {}) });
      expect(decision).toMatchObject({ type: 'decided', release: [] });
      expect(decision.type === 'decided' && decision.ship).toEqual(event === 'shipped' ? [{ sku: 'A', nodeId: 'n1', qty: 2 }] : []);
      states.push(d.state());
    }
    expect(states).toEqual(['released', 'released', 'released', 'shipped', 'delivered']);
    expect(d.record().history.slice(3)).toEqual([
      { seq: 4, at: iso(T0 + 10_000), type: 'order.accepted', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }] },
      { seq: 5, at: iso(T0 + 20_000), type: 'order.picked', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }] },
      { seq: 6, at: iso(T0 + 30_000), type: 'order.packed', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }] },
      { seq: 7, at: iso(T0 + 40_000), type: 'order.shipped', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }], trackingId: 'TRK1' },
      { seq: 8, at: iso(T0 + 50_000), type: 'order.delivered', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }] },
    ]);
  });

  it('may skip steps: shipped straight from released, and from allocated', () => {
    const d = restored('released', [line('A', 1, 'n1', 'released')]);
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped' });
    expect(d.state()).toBe('shipped');
    const e = restored('allocated', [line('A', 1, 'n1', 'allocated')]);
    e.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'packed' });
    expect(e.state()).toBe('released');
    expect(e.record().lines[0].status).toBe('packed');
  });

  it('a node event moves only that node\'s lines: one node shipped of two is partially_shipped, then shipped', () => {
    const d = restored('released', [line('A', 2, 'n1', 'released'), line('B', 1, 'n2', 'released')]);
    expect(d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped' })).toMatchObject({ ship: [{ sku: 'A', nodeId: 'n1', qty: 2 }] });
    expect(d.state()).toBe('partially_shipped');
    d.send({ type: 'node.event', at: T0 + 1, nodeId: 'n1', event: 'delivered' });
    expect(d.state()).toBe('partially_shipped');
    d.send({ type: 'node.event', at: T0 + 2, nodeId: 'n2', event: 'shipped' });
    expect(d.state()).toBe('shipped');
    d.send({ type: 'node.event', at: T0 + 3, nodeId: 'n2', event: 'delivered' });
    expect(d.state()).toBe('delivered');
  });

  it('a partial node event (with lines) splits a line: the moved part ships, the rest keeps its status', () => {
    const d = restored('released', [line('A', 5, 'n1', 'released')]);
    const decision = d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 2 }] });
    expect(decision).toMatchObject({ type: 'decided', ship: [{ sku: 'A', nodeId: 'n1', qty: 2 }], history: [{ seq: 4, type: 'order.shipped', lines: [{ sku: 'A', qty: 2 }] }] });
    expect(d.state()).toBe('partially_shipped');
    expect(d.record().lines).toEqual([line('A', 2, 'n1', 'shipped'), line('A', 3, 'n1', 'released')]);
    d.send({ type: 'node.event', at: T0 + 1, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 3 }] });
    expect(d.state()).toBe('shipped');
    // Lines that differ only by quantity are merged back.
    expect(d.record().lines).toEqual([line('A', 5, 'n1', 'shipped')]);
  });

  it('a partial delivery of a shipped order keeps it shipped until every unit is delivered', () => {
    const d = restored('shipped', [line('A', 3, 'n1', 'shipped')]);
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered', lines: [{ sku: 'A', qty: 1 }] });
    expect(d.state()).toBe('shipped');
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered' });
    expect(d.state()).toBe('delivered');
    // Lines that differ only by quantity are one line.
    expect(d.record().lines).toEqual([line('A', 3, 'n1', 'delivered')]);
  });

  it('refuses delivered before shipped', () => {
    const d = restored('released', [line('A', 1, 'n1', 'released')]);
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered' });
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'packed' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered' });
  });

  it('refuses events that walk a line backwards or repeat its step', () => {
    const d = restored('released', [line('A', 1, 'n1', 'released')]);
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'packed' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'packed' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'picked' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'accepted' });
    d.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'packed' });
  });

  it('refuses a node event for a node that has no line of the order, and a partial one for more than is there', () => {
    const d = restored('released', [line('A', 2, 'n1', 'released'), line('B', 1, 'n2', 'released')]);
    d.refused({ type: 'node.event', at: T0, nodeId: 'n9', event: 'shipped' });
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 3 }] });
    // B is at n2, not at n1.
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'B', qty: 1 }] });
    // All or nothing: the first request would fit, the second does not.
    d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 1 }, { sku: 'C', qty: 1 }] });
  });

  it('cancels a whole order: every unshipped unit is released', () => {
    const d = restored('released', [line('A', 2, 'n1', 'released'), line('B', 1, 'n2', 'packed')]);
    const decision = d.send({ type: 'cancel', at: T0 + 5 });
    expect(decision).toEqual({
      type: 'decided',
      history: [{ seq: 4, at: iso(T0 + 5), type: 'order.cancelled', lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] }],
      release: [{ sku: 'A', nodeId: 'n1', qty: 2 }, { sku: 'B', nodeId: 'n2', qty: 1 }],
      ship: [],
    });
    expect(d.state()).toBe('cancelled');
  });

  it('cancels part of an order: the line splits, the order stays released', () => {
    const d = restored('released', [line('A', 5, 'n1', 'released'), line('B', 1, 'n2', 'released')]);
    const decision = d.send({ type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 2 }] });
    expect(decision).toMatchObject({ type: 'decided', release: [{ sku: 'A', nodeId: 'n1', qty: 2 }], history: [{ seq: 4, type: 'order.lines_cancelled', lines: [{ sku: 'A', qty: 2 }] }] });
    expect(d.state()).toBe('released');
    expect(d.record().lines).toEqual([line('A', 2, 'n1', 'cancelled'), line('A', 3, 'n1', 'released'), line('B', 1, 'n2', 'released')]);
    // Cancelling what is left, line by line, ends in cancelled and says so.
    d.send({ type: 'cancel', at: T0, lines: [{ sku: 'B', qty: 1 }] });
    expect(d.send({ type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 3 }] })).toMatchObject({ history: [{ type: 'order.cancelled' }] });
    expect(d.state()).toBe('cancelled');
  });

  it('cancelling a partially shipped order releases only the unshipped part and leaves it shipped', () => {
    const d = restored('partially_shipped', [line('A', 2, 'n1', 'shipped'), line('B', 1, 'n2', 'released')]);
    expect(d.send({ type: 'cancel', at: T0 })).toMatchObject({ release: [{ sku: 'B', nodeId: 'n2', qty: 1 }], history: [{ type: 'order.lines_cancelled' }] });
    expect(d.state()).toBe('shipped');
  });

  it('refuses a cancel once everything is shipped, and a partial cancel of more than is unshipped', () => {
    const d = restored('shipped', [line('A', 2, 'n1', 'shipped')]);
    d.refused({ type: 'cancel', at: T0 });
    d.refused({ type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 1 }] });
    const e = restored('partially_shipped', [line('A', 2, 'n1', 'shipped'), line('A', 1, 'n1', 'released')]);
    e.refused({ type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 2 }] });
    e.refused({ type: 'cancel', at: T0, lines: [{ sku: 'Z', qty: 1 }] });
  });

  it('in cancelled and delivered, refuses every event and changes nothing', () => {
    const cancelled = restored('cancelled', [line('A', 2, 'n1', 'cancelled')]);
    const delivered = restored('delivered', [line('A', 2, 'n1', 'delivered')]);
    for (const d of [cancelled, delivered]) {
      d.refused({ type: 'cancel', at: T0 });
      d.refused({ type: 'dispatch', at: T0 });
      d.refused({ type: 'confirm', at: T0 });
      d.refused({ type: 'expire', at: deadline });
      for (const event of ['accepted', 'shipped', 'delivered'] as const) d.refused({ type: 'node.event', at: T0, nodeId: 'n1', event });
    }
  });

  it('numbers history entries 1, 2, 3… in order over a whole life, refusals adding none', () => {
    const d = newHold([line('A', 4, 'n1', 'held'), line('B', 1, 'n2', 'held')]);
    d.send({ type: 'confirm', at: T0 + 1 });
    d.send({ type: 'dispatch', at: T0 + 2 });
    d.refused({ type: 'dispatch', at: T0 + 3 });
    d.send({ type: 'cancel', at: T0 + 4, lines: [{ sku: 'A', qty: 1 }] });
    d.send({ type: 'node.event', at: T0 + 5, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 1 }] });
    d.refused({ type: 'node.event', at: T0 + 6, nodeId: 'n2', event: 'delivered' });
    d.send({ type: 'node.event', at: T0 + 7, nodeId: 'n2', event: 'shipped' });
    d.send({ type: 'cancel', at: T0 + 8 });
    d.send({ type: 'node.event', at: T0 + 9, nodeId: 'n1', event: 'delivered' });
    expect(d.state()).toBe('shipped');
    d.send({ type: 'node.event', at: T0 + 10, nodeId: 'n2', event: 'delivered' });
    expect(d.state()).toBe('delivered');
    const history = d.record().history;
    expect(seqs(d.record())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(history.map((h) => h.type)).toEqual([
      'reservation.held', 'order.allocated', 'order.released', 'order.lines_cancelled', 'order.shipped',
      'order.shipped', 'order.lines_cancelled', 'order.delivered', 'order.delivered',
    ]);
    // Each decision carried exactly the entries it added.
    const announced = d.emitted.flatMap((e) => (e.type === 'decided' ? e.history.map((h) => h.seq) : []));
    expect(announced).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('emits exactly one decision for a command that ends the order (cancel, last delivery)', () => {
    const cancelled = restored('released', [line('A', 1, 'n1', 'released')]);
    cancelled.actor.send({ type: 'cancel', at: T0 });
    expect(cancelled.emitted.map((e) => e.type)).toEqual(['decided']);
    const delivered = restored('shipped', [line('A', 1, 'n1', 'shipped')]);
    delivered.actor.send({ type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered' });
    expect(delivered.emitted.map((e) => e.type)).toEqual(['decided']);
  });

  it('emits exactly one decision for every command that does not end the order', () => {
    const d = newHold([line('A', 3, 'n1', 'held')]);
    const events: OrderEvent[] = [
      { type: 'confirm', at: T0 },
      { type: 'dispatch', at: T0 },
      { type: 'dispatch', at: T0 },
      { type: 'node.event', at: T0, nodeId: 'n1', event: 'accepted' },
      { type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 1 }] },
      { type: 'node.event', at: T0, nodeId: 'n1', event: 'shipped', lines: [{ sku: 'A', qty: 1 }] },
      { type: 'node.event', at: T0, nodeId: 'n1', event: 'delivered', lines: [{ sku: 'A', qty: 5 }] },
    ];
    for (const event of events) {
      const before = d.emitted.length;
      d.actor.send(event);
      expect(d.emitted.length - before).toBe(1);
    }
  });

  it('restores every order state from its ledger form and goes on from there', () => {
    const cases: Array<[OrderMachineState, LineStatus]> = [
      ['allocated', 'allocated'], ['released', 'released'], ['shipped', 'shipped'],
    ];
    for (const [state, status] of cases) {
      const d = restored(state, [line('A', 1, 'n1', status)]);
      expect(d.state()).toBe(state);
      expect(d.actor.getSnapshot().status).toBe('active');
    }
    const held = drive(restoreOrderActor({ state: 'held', record: holdRecord() }));
    held.send({ type: 'confirm', at: T0 });
    expect(held.state()).toBe('allocated');
  });
});

describe('lines.ts', () => {
  describe('orderStatusOf', () => {
    const s = (...statuses: LineStatus[]) => orderStatusOf(statuses.map((status, i) => line(`S${i}`, 1, 'n1', status)));
    it('derives the order status from its lines', () => {
      expect(s()).toBe('cancelled');
      expect(s('cancelled', 'cancelled')).toBe('cancelled');
      expect(s('delivered', 'cancelled')).toBe('delivered');
      expect(s('delivered', 'shipped')).toBe('shipped');
      expect(s('shipped', 'cancelled')).toBe('shipped');
      expect(s('shipped', 'released')).toBe('partially_shipped');
      expect(s('delivered', 'packed')).toBe('partially_shipped');
      expect(s('allocated', 'released')).toBe('allocated');
      expect(s('allocated')).toBe('allocated');
      expect(s('released', 'accepted', 'picked', 'packed')).toBe('released');
      expect(s('released', 'cancelled')).toBe('released');
    });
  });

  describe('applyNodeEvent', () => {
    const lines = [line('A', 3, 'n1', 'released'), line('B', 1, 'n1', 'accepted'), line('A', 2, 'n2', 'released'), line('C', 1, 'n1', 'cancelled')];

    it('without requests moves every eligible line of that node, leaving others and cancelled lines alone', () => {
      const change = applyNodeEvent(lines, 'n1', 'shipped');
      expect(change).toEqual({
        ok: true,
        lines: [line('A', 3, 'n1', 'shipped'), line('B', 1, 'n1', 'shipped'), line('A', 2, 'n2', 'released'), line('C', 1, 'n1', 'cancelled')],
        moved: [{ sku: 'A', nodeId: 'n1', qty: 3 }, { sku: 'B', nodeId: 'n1', qty: 1 }],
      });
    });

    it('moves only lines that are behind the target', () => {
      const change = applyNodeEvent(lines, 'n1', 'accepted');
      expect(change.ok && change.moved).toEqual([{ sku: 'A', nodeId: 'n1', qty: 3 }]);
    });

    it('with requests moves exactly those quantities, splitting a line', () => {
      const change = applyNodeEvent(lines, 'n1', 'picked', [{ sku: 'A', qty: 1 }]);
      expect(change).toEqual({
        ok: true,
        lines: [line('A', 1, 'n1', 'picked'), line('A', 2, 'n1', 'released'), line('B', 1, 'n1', 'accepted'), line('A', 2, 'n2', 'released'), line('C', 1, 'n1', 'cancelled')],
        moved: [{ sku: 'A', nodeId: 'n1', qty: 1 }],
      });
    });

    it('takes a request from several lines of the sku at that node, in line order', () => {
      const two = [line('A', 1, 'n1', 'released'), line('A', 2, 'n1', 'accepted')];
      const change = applyNodeEvent(two, 'n1', 'shipped', [{ sku: 'A', qty: 2 }]);
      expect(change).toEqual({ ok: true, lines: [line('A', 2, 'n1', 'shipped'), line('A', 1, 'n1', 'accepted')], moved: [{ sku: 'A', nodeId: 'n1', qty: 1 }, { sku: 'A', nodeId: 'n1', qty: 1 }] });
    });

    it('refuses, without touching its input, when nothing or not enough can take the step', () => {
      const copy = structuredClone(lines);
      expect(applyNodeEvent(lines, 'n1', 'delivered')).toMatchObject({ ok: false, details: { to: 'delivered' } });
      expect(applyNodeEvent(lines, 'n3', 'shipped')).toMatchObject({ ok: false });
      expect(applyNodeEvent(lines, 'n1', 'shipped', [{ sku: 'A', qty: 4 }])).toMatchObject({ ok: false, details: { sku: 'A', qty: 4 } });
      expect(applyNodeEvent(lines, 'n1', 'shipped', [{ sku: 'C', qty: 1 }])).toMatchObject({ ok: false });
      expect(applyNodeEvent(lines, 'n1', 'accepted', [{ sku: 'B', qty: 1 }])).toMatchObject({ ok: false });
      expect(lines).toEqual(copy);
    });

    it('delivers only shipped lines', () => {
      const shipped = [line('A', 2, 'n1', 'shipped'), line('A', 1, 'n1', 'packed')];
      expect(applyNodeEvent(shipped, 'n1', 'delivered')).toMatchObject({ ok: true, moved: [{ sku: 'A', nodeId: 'n1', qty: 2 }] });
      expect(applyNodeEvent(shipped, 'n1', 'delivered', [{ sku: 'A', qty: 3 }])).toMatchObject({ ok: false });
    });
  });

  describe('applyCancel', () => {
    it('without requests cancels every line not yet shipped, on every node', () => {
      const lines = [line('A', 1, 'n1', 'released'), line('A', 2, 'n2', 'packed'), line('B', 1, 'n1', 'shipped'), line('C', 1, 'n1', 'delivered')];
      expect(applyCancel(lines)).toEqual({
        ok: true,
        lines: [line('A', 1, 'n1', 'cancelled'), line('A', 2, 'n2', 'cancelled'), line('B', 1, 'n1', 'shipped'), line('C', 1, 'n1', 'delivered')],
        moved: [{ sku: 'A', nodeId: 'n1', qty: 1 }, { sku: 'A', nodeId: 'n2', qty: 2 }],
      });
    });

    it('with requests cancels exactly that quantity, across nodes if it must, and merges equal lines', () => {
      const lines = [line('A', 1, 'n1', 'released'), line('A', 3, 'n2', 'released'), line('A', 1, 'n1', 'cancelled')];
      expect(applyCancel(lines, [{ sku: 'A', qty: 2 }])).toEqual({
        ok: true,
        lines: [line('A', 2, 'n1', 'cancelled'), line('A', 1, 'n2', 'cancelled'), line('A', 2, 'n2', 'released')],
        moved: [{ sku: 'A', nodeId: 'n1', qty: 1 }, { sku: 'A', nodeId: 'n2', qty: 1 }],
      });
    });

    it('refuses, without touching its input, when nothing or not enough is cancellable', () => {
      const lines = [line('A', 2, 'n1', 'shipped'), line('A', 1, 'n1', 'released'), line('B', 1, 'n1', 'cancelled')];
      const copy = structuredClone(lines);
      expect(applyCancel(lines, [{ sku: 'A', qty: 2 }])).toMatchObject({ ok: false, details: { sku: 'A', qty: 2, to: 'cancelled' } });
      expect(applyCancel(lines, [{ sku: 'B', qty: 1 }])).toMatchObject({ ok: false });
      expect(applyCancel([line('A', 1, 'n1', 'shipped')])).toMatchObject({ ok: false });
      expect(applyCancel([])).toMatchObject({ ok: false });
      expect(lines).toEqual(copy);
    });
  });

  describe('appendHistory', () => {
    it('numbers on from the last entry and keeps only the newest max', () => {
      const start = [{ seq: 7, at: iso(T0), type: 'x' }];
      const { history, added } = appendHistory(start, [{ at: iso(T0), type: 'y' }, { at: iso(T0), type: 'z' }], 2);
      expect(added.map((h) => h.seq)).toEqual([8, 9]);
      expect(history.map((h) => h.seq)).toEqual([8, 9]);
      expect(appendHistory([], [{ at: iso(T0), type: 'a' }], 10).added[0].seq).toBe(1);
    });
  });
});

describe('rerouting and backorders', () => {
  it('a node gives back its unshipped lines: they are rerouting and their units released; order.rejected is recorded', () => {
    const d = restored('released', [line('A', 2, 'n1', 'released'), line('B', 1, 'n2', 'released')]);
    const decision = d.send({ type: 'reroute.release', at: T0 + 5_000, nodeId: 'n1', reason: 'rejected' });
    expect(decision).toMatchObject({ type: 'decided', release: [{ sku: 'A', nodeId: 'n1', qty: 2 }], ship: [] });
    expect(d.record().lines).toEqual([line('A', 2, 'n1', 'rerouting'), line('B', 1, 'n2', 'released')]);
    expect(d.record().history.at(-1)).toMatchObject({ type: 'order.rejected', nodeId: 'n1', lines: [{ sku: 'A', qty: 2 }] });
  });

  it('places rerouted lines at the assigned nodes as released, and backorders what was not placed', () => {
    const d = restored('released', [line('A', 3, 'n1', 'released')]);
    d.send({ type: 'reroute.release', at: T0 + 5_000, nodeId: 'n1', reason: 'offline' });
    const decision = d.send({ type: 'reroute.assign', at: T0 + 5_000, from: 'rerouting', assignments: [{ sku: 'A', qty: 2, nodeId: 'n2' }] });
    expect(decision).toMatchObject({ type: 'decided', release: [], ship: [] });
    expect(d.record().lines).toEqual([line('A', 1, '', 'backordered'), line('A', 2, 'n2', 'released')]);
    expect(d.state()).toBe('backordered');
    expect(d.record().history.slice(-2).map((h) => h.type)).toEqual(['order.rerouted', 'order.backordered']);
  });

  it('fills a backorder when stock is assigned, and the order follows its lines', () => {
    const d = restored('backordered', [line('A', 2, '', 'backordered'), line('B', 1, 'n2', 'released')]);
    d.send({ type: 'reroute.assign', at: T0 + 9_000, from: 'backordered', assignments: [{ sku: 'A', qty: 2, nodeId: 'n3' }] });
    expect(d.record().lines).toEqual([line('B', 1, 'n2', 'released'), line('A', 2, 'n3', 'released')]);
    expect(d.state()).toBe('released');
    expect(d.record().history.at(-1)).toMatchObject({ type: 'order.backorder_filled' });
  });

  it('refuses an assignment of more than is waiting, and a give-back with nothing unshipped at the node', () => {
    const d = restored('partially_shipped', [line('A', 2, '', 'backordered'), line('B', 1, 'n2', 'shipped')]);
    d.refused({ type: 'reroute.assign', at: T0, from: 'backordered', assignments: [{ sku: 'A', qty: 3, nodeId: 'n3' }] });
    d.refused({ type: 'reroute.release', at: T0, nodeId: 'n2', reason: 'rejected' });
  });

  it('a hold keeps its rerouted lines held; confirming a hold with a backorder makes a backordered order that still releases the rest', () => {
    const d = newHold([line('A', 2, 'n1', 'held'), line('B', 1, 'n2', 'held')]);
    d.send({ type: 'reroute.release', at: T0 + 1, nodeId: 'n1', reason: 'shrinkage' });
    d.send({ type: 'reroute.assign', at: T0 + 1, from: 'rerouting', assignments: [{ sku: 'A', qty: 1, nodeId: 'n3' }] });
    expect(d.state()).toBe('held');
    expect(d.record().lines).toEqual([line('A', 1, '', 'backordered'), line('B', 1, 'n2', 'held'), line('A', 1, 'n3', 'held')]);
    d.send({ type: 'confirm', at: T0 + 2 });
    expect(d.state()).toBe('backordered');
    d.send({ type: 'dispatch', at: T0 + 2 });
    expect(d.state()).toBe('backordered');
    expect(d.record().lines.filter((l) => l.status === 'released').map((l) => l.sku).sort()).toEqual(['A', 'B']);
  });

  it('an expiring hold gives back only what it holds; its backorders end with it', () => {
    const d = newHold([line('A', 1, '', 'backordered'), line('B', 1, 'n2', 'held')]);
    const decision = d.send({ type: 'expire', at: deadline });
    expect(decision).toMatchObject({ type: 'decided', release: [{ sku: 'B', nodeId: 'n2', qty: 1 }] });
    expect(d.record().lines.every((l) => l.status === 'cancelled')).toBe(true);
  });

  it('a paused node gives back what it has not accepted (held, allocated, released) and keeps what it accepted; it stays usable', () => {
    const d = restored('released', [line('A', 2, 'n1', 'accepted'), line('B', 1, 'n1', 'released'), line('C', 1, 'n2', 'released')]);
    const decision = d.send({ type: 'reroute.release', at: T0, nodeId: 'n1', reason: 'paused' });
    expect(decision).toMatchObject({ type: 'decided', release: [{ sku: 'B', nodeId: 'n1', qty: 1 }] });
    expect(d.record().lines).toEqual([line('A', 2, 'n1', 'accepted'), line('B', 1, 'n1', 'rerouting'), line('C', 1, 'n2', 'released')]);
    expect(d.record().rejectedBy ?? []).toEqual([]);
    const hold = newHold([line('A', 1, 'n1', 'held')]);
    expect(hold.send({ type: 'reroute.release', at: T0, nodeId: 'n1', reason: 'paused' })).toMatchObject({ type: 'decided', release: [{ sku: 'A', nodeId: 'n1', qty: 1 }] });
    // Nothing it has not accepted: refused, nothing changes.
    const working = restored('released', [line('A', 2, 'n1', 'picked')]);
    working.refused({ type: 'reroute.release', at: T0, nodeId: 'n1', reason: 'paused' });
    expect(working.record().lines).toEqual([line('A', 2, 'n1', 'picked')]);
  });

  it('cancelling a backordered line releases nothing for it', () => {
    const d = restored('backordered', [line('A', 2, '', 'backordered'), line('B', 1, 'n2', 'released')]);
    const decision = d.send({ type: 'cancel', at: T0, lines: [{ sku: 'A', qty: 2 }] });
    expect(decision).toMatchObject({ type: 'decided', release: [] });
    expect(d.state()).toBe('released');
  });
});
