// Shows that the SKU inventory machine and its `allocate()` never promise a unit twice (reserved
// fits in onHand - safetyStock; a safety stock above onHand is allowed only while nothing is
// reserved): holds are taken whole from the first candidate that can serve them, split only when
// allowed, and every refused command (INSUFFICIENT_STOCK, INVALID_STATE) leaves the positions
// exactly as they were.
// How: pure tests, no IO. Each test starts the machine from given positions, feeds it commands and
// asserts the snapshot's positions and the decisions it emits (collected with `actor.on('*')`).
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { Position } from '../domain.js';
import { allocate, totalAvailable } from './allocate.js';
import { skuInventoryMachine, type SkuInventoryDecision, type SkuInventoryEvent } from './sku-inventory.machine.js';

const pos = (onHand: number, safetyStock = 0, reserved = 0): Position => ({ onHand, safetyStock, reserved });

/**
 * The invariant, written here independently of domain.ts: what is reserved fits in what may be
 * promised. With nothing reserved, a safety stock above onHand is allowed (nothing is available).
 */
const fits = (p: Position): boolean => p.onHand >= 0 && p.reserved >= 0 && (p.reserved === 0 || p.reserved <= p.onHand - p.safetyStock);

function start(positions: Record<string, Position>) {
  const actor = createActor(skuInventoryMachine, { input: { sku: 'SKU-1', positions } });
  const emitted: SkuInventoryDecision[] = [];
  actor.on('*', (event) => emitted.push(event as SkuInventoryDecision));
  actor.start();
  return {
    actor,
    emitted,
    positions: () => actor.getSnapshot().context.positions,
    /** Sends one command and returns the one decision it produced. */
    send(event: SkuInventoryEvent): SkuInventoryDecision {
      const before = emitted.length;
      actor.send(event);
      expect(emitted.length - before).toBe(1);
      return emitted[emitted.length - 1];
    },
  };
}

const hold = (qty: number, candidates: string[], allowSplit = true): SkuInventoryEvent =>
  ({ type: 'hold', ownerId: 'o1', qty, candidates, allowSplit });

describe('hold', () => {
  it('takes the whole qty from the first candidate that can serve it, skipping one that cannot', () => {
    const m = start({ a: pos(2), b: pos(10), c: pos(10) });
    const decision = m.send(hold(5, ['a', 'b', 'c']));
    expect(decision).toMatchObject({ type: 'decided', outcome: 'held', ownerId: 'o1', allocations: [{ nodeId: 'b', qty: 5 }], changedNodeIds: ['b'] });
    expect(m.positions()).toEqual({ a: pos(2), b: pos(10, 0, 5), c: pos(10) });
  });

  it('follows the candidates order, not the order of the positions', () => {
    const m = start({ a: pos(10), b: pos(10) });
    expect(m.send(hold(3, ['b', 'a']))).toMatchObject({ allocations: [{ nodeId: 'b', qty: 3 }] });
  });

  it('splits across candidates in order when no single node has it and splitting is allowed', () => {
    const m = start({ a: pos(2), b: pos(3, 1), c: pos(10) });
    // c alone could serve 5 but is not a candidate; a (2) then b (3 - 1 safety = 2) then nothing: refused.
    expect(m.send(hold(5, ['a', 'b']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { requested: 5, available: 4 } });
    const decision = m.send(hold(4, ['a', 'b']));
    expect(decision).toMatchObject({ type: 'decided', outcome: 'held', allocations: [{ nodeId: 'a', qty: 2 }, { nodeId: 'b', qty: 2 }] });
    expect(decision.type === 'decided' && [...decision.changedNodeIds].sort()).toEqual(['a', 'b']);
    expect(m.positions()).toEqual({ a: pos(2, 0, 2), b: pos(3, 1, 2), c: pos(10) });
  });

  it('refuses with INSUFFICIENT_STOCK and changes nothing when the candidates together lack the qty', () => {
    const before = { a: pos(2, 0, 1), b: pos(3) };
    const m = start(before);
    expect(m.send(hold(5, ['a', 'b']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { sku: 'SKU-1', requested: 5, available: 4 } });
    expect(m.positions()).toEqual(before);
  });

  it('refuses when splitting is not allowed and no single node has the whole qty, though the sum would do', () => {
    const before = { a: pos(3), b: pos(3) };
    const m = start(before);
    expect(m.send(hold(4, ['a', 'b'], false))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK' });
    expect(m.positions()).toEqual(before);
    expect(m.send(hold(3, ['a', 'b'], false))).toMatchObject({ type: 'decided', allocations: [{ nodeId: 'a', qty: 3 }] });
  });

  it('keeps safety stock out of reach', () => {
    const m = start({ a: pos(5, 2) });
    expect(m.send(hold(4, ['a']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { available: 3 } });
    expect(m.send(hold(3, ['a']))).toMatchObject({ type: 'decided', allocations: [{ nodeId: 'a', qty: 3 }] });
    expect(m.positions().a).toEqual(pos(5, 2, 3));
    expect(m.send(hold(1, ['a']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { available: 0 } });
  });

  it('serves a qty exactly equal to what is available, and then nothing more', () => {
    const m = start({ a: pos(7, 2, 1) });
    expect(m.send(hold(4, ['a'], false))).toMatchObject({ type: 'decided', allocations: [{ nodeId: 'a', qty: 4 }] });
    expect(m.positions().a).toEqual(pos(7, 2, 5));
    expect(m.send(hold(1, ['a']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK' });
  });

  it('splits to exactly the sum of what is available', () => {
    const m = start({ a: pos(1), b: pos(2), c: pos(3) });
    expect(m.send(hold(6, ['a', 'b', 'c']))).toMatchObject({ allocations: [{ nodeId: 'a', qty: 1 }, { nodeId: 'b', qty: 2 }, { nodeId: 'c', qty: 3 }] });
    expect(m.positions()).toEqual({ a: pos(1, 0, 1), b: pos(2, 0, 2), c: pos(3, 0, 3) });
  });

  it('refuses a candidate that has no position, and an empty candidate list', () => {
    const m = start({ a: pos(5) });
    expect(m.send(hold(1, ['ghost']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { available: 0 } });
    expect(m.send(hold(1, []))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK' });
    expect(m.positions()).toEqual({ a: pos(5) });
  });

  it('does not share the input positions object: the caller\'s record is never written', () => {
    const input = { a: pos(5) };
    const m = start(input);
    m.send(hold(2, ['a']));
    expect(input).toEqual({ a: pos(5) });
  });
});

describe('take (a routing plan\'s exact units)', () => {
  const take = (allocations: Array<{ nodeId: string; qty: number }>): SkuInventoryEvent => ({ type: 'take', ownerId: 'o1', allocations });

  it('holds exactly the planned units at each node, even where a node could give more', () => {
    const m = start({ a: pos(6), b: pos(7), c: pos(10) });
    const decision = m.send(take([{ nodeId: 'b', qty: 6 }, { nodeId: 'a', qty: 4 }]));
    expect(decision).toMatchObject({ type: 'decided', outcome: 'held', allocations: [{ nodeId: 'b', qty: 6 }, { nodeId: 'a', qty: 4 }] });
    expect(m.positions()).toEqual({ a: pos(6, 0, 4), b: pos(7, 0, 6), c: pos(10) });
  });

  it('takes exactly what is available (boundary), then refuses one more unit and changes nothing', () => {
    const m = start({ a: pos(5, 1, 1) });
    expect(m.send(take([{ nodeId: 'a', qty: 3 }]))).toMatchObject({ type: 'decided', outcome: 'held' });
    expect(m.send(take([{ nodeId: 'a', qty: 1 }]))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { nodeId: 'a', requested: 1, available: 0 } });
    expect(m.positions()).toEqual({ a: pos(5, 1, 4) });
  });

  it('is all or nothing: one allocation that does not fit (or names an unknown node) refuses the whole command', () => {
    const before = { a: pos(10), b: pos(2) };
    const m = start(before);
    expect(m.send(take([{ nodeId: 'a', qty: 5 }, { nodeId: 'b', qty: 3 }]))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { nodeId: 'b' } });
    expect(m.send(take([{ nodeId: 'a', qty: 5 }, { nodeId: 'zz', qty: 1 }]))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { nodeId: 'zz', available: 0 } });
    expect(m.positions()).toEqual(before);
  });

  it('counts a node named twice once: two allocations there must fit together', () => {
    const m = start({ a: pos(5) });
    expect(m.send(take([{ nodeId: 'a', qty: 3 }, { nodeId: 'a', qty: 3 }]))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK' });
    expect(m.send(take([{ nodeId: 'a', qty: 3 }, { nodeId: 'a', qty: 2 }]))).toMatchObject({ type: 'decided', changedNodeIds: ['a'] });
    expect(m.positions()).toEqual({ a: pos(5, 0, 5) });
  });

  it('refuses zero, negative and fractional quantities and an empty plan', () => {
    const m = start({ a: pos(5) });
    for (const qty of [0, -1, 1.5]) expect(m.send(take([{ nodeId: 'a', qty }]))).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.send(take([]))).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions()).toEqual({ a: pos(5) });
  });
});

describe('release', () => {
  it('gives reserved units back, across several nodes in one step', () => {
    const m = start({ a: pos(5, 0, 3), b: pos(5, 1, 4) });
    const decision = m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 3 }, { nodeId: 'b', qty: 1 }] });
    expect(decision).toMatchObject({ type: 'decided', outcome: 'released' });
    expect(m.positions()).toEqual({ a: pos(5, 0, 0), b: pos(5, 1, 3) });
  });

  it('adds up two allocations at the same node', () => {
    const m = start({ a: pos(5, 0, 3) });
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 2 }, { nodeId: 'a', qty: 1 }] })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(5));
  });

  it('refuses with INVALID_STATE, changing nothing, a release of more than is reserved (also when summed, or at an unknown node)', () => {
    const before = { a: pos(5, 0, 3), b: pos(5, 0, 1) };
    const m = start(before);
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 4 }] })).toMatchObject({ type: 'refused', code: 'INVALID_STATE', details: { nodeId: 'a', qty: 4, reserved: 3 } });
    // The first allocation alone would be fine: nothing of it may stick.
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 1 }, { nodeId: 'b', qty: 2 }] })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 2 }, { nodeId: 'a', qty: 2 }] })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'ghost', qty: 1 }] })).toMatchObject({ type: 'refused', code: 'INVALID_STATE', details: { reserved: 0 } });
    expect(m.positions()).toEqual(before);
  });

  it('releases exactly what is reserved (boundary)', () => {
    const m = start({ a: pos(5, 2, 3) });
    expect(m.send({ type: 'release', ownerId: 'o1', allocations: [{ nodeId: 'a', qty: 3 }] })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(5, 2, 0));
  });
});

describe('ship', () => {
  it('takes the units off both onHand and reserved', () => {
    const m = start({ a: pos(10, 2, 5), b: pos(4) });
    expect(m.send({ type: 'ship', ownerId: 'o1', nodeId: 'a', qty: 3 })).toEqual({ type: 'decided', outcome: 'shipped', changedNodeIds: ['a'] });
    expect(m.positions()).toEqual({ a: pos(7, 2, 2), b: pos(4) });
  });

  it('ships exactly what is reserved (boundary)', () => {
    const m = start({ a: pos(5, 0, 5) });
    m.send({ type: 'ship', ownerId: 'o1', nodeId: 'a', qty: 5 });
    expect(m.positions().a).toEqual(pos(0, 0, 0));
  });

  it('refuses with INVALID_STATE, changing nothing, a ship of more than is reserved or at an unknown node', () => {
    const before = { a: pos(10, 0, 2) };
    const m = start(before);
    expect(m.send({ type: 'ship', ownerId: 'o1', nodeId: 'a', qty: 3 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE', details: { nodeId: 'a', qty: 3 } });
    expect(m.send({ type: 'ship', ownerId: 'o1', nodeId: 'ghost', qty: 1 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions()).toEqual(before);
  });
});

describe('stock.set', () => {
  it('sets an absolute count, keeping the safety stock unless given', () => {
    const m = start({ a: pos(5, 2, 1) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: 9 })).toEqual({ type: 'decided', outcome: 'stock.changed', changedNodeIds: ['a'] });
    expect(m.positions().a).toEqual(pos(9, 2, 1));
    m.send({ type: 'stock.set', nodeId: 'a', onHand: 9, safetyStock: 0 });
    expect(m.positions().a).toEqual(pos(9, 0, 1));
  });

  it('creates the position of a node seen for the first time', () => {
    const m = start({});
    m.send({ type: 'stock.set', nodeId: 'new', onHand: 4, safetyStock: 1 });
    expect(m.positions()).toEqual({ new: pos(4, 1, 0) });
  });

  it('accepts a count that leaves exactly reserved + safetyStock (boundary), refuses one unit less and changes nothing', () => {
    const m = start({ a: pos(10, 2, 3) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: 4 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE', details: { reserved: 3, onHand: 4, safetyStock: 2 } });
    expect(m.positions().a).toEqual(pos(10, 2, 3));
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: 5 })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(5, 2, 3));
  });

  it('refuses raising the safety stock above what is not reserved', () => {
    const m = start({ a: pos(10, 0, 8) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: 10, safetyStock: 3 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions().a).toEqual(pos(10, 0, 8));
  });

  it('accepts a safety stock above the count while nothing is reserved: nothing is available then', () => {
    const m = start({ a: pos(5) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: 1, safetyStock: 3 })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(1, 3, 0));
    expect(m.send(hold(1, ['a']))).toMatchObject({ type: 'refused', code: 'INSUFFICIENT_STOCK', details: { available: 0 } });
  });

  it('refuses a negative count while units are reserved', () => {
    const m = start({ a: pos(2, 0, 1) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: -1 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions().a).toEqual(pos(2, 0, 1));
  });

  it('refuses a negative count when nothing is reserved', () => {
    const m = start({ a: pos(1) });
    expect(m.send({ type: 'stock.set', nodeId: 'a', onHand: -1 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions().a).toEqual(pos(1));
  });
});

describe('stock.adjust', () => {
  it('adds and removes units relative to the count', () => {
    const m = start({ a: pos(5, 1, 2) });
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: 4 })).toEqual({ type: 'decided', outcome: 'stock.changed', changedNodeIds: ['a'] });
    expect(m.positions().a).toEqual(pos(9, 1, 2));
    m.send({ type: 'stock.adjust', nodeId: 'a', delta: -6 });
    expect(m.positions().a).toEqual(pos(3, 1, 2));
  });

  it('refuses a negative adjustment beyond what is free, changing nothing; exactly what is free is fine', () => {
    const m = start({ a: pos(10, 2, 3) });
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: -6 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE', details: { delta: -6, reserved: 3, onHand: 10, safetyStock: 2 } });
    expect(m.positions().a).toEqual(pos(10, 2, 3));
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: -5 })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(5, 2, 3));
  });

  it('may take the count below the safety stock while nothing is reserved, never below zero', () => {
    const m = start({ a: pos(3, 2) });
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: -2 })).toMatchObject({ type: 'decided' });
    expect(m.positions().a).toEqual(pos(1, 2));
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: -2 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions().a).toEqual(pos(1, 2));
  });

  it('refuses taking a node with no position below zero', () => {
    const m = start({});
    expect(m.send({ type: 'stock.adjust', nodeId: 'a', delta: -1 })).toMatchObject({ type: 'refused', code: 'INVALID_STATE' });
    expect(m.positions()).toEqual({});
    m.send({ type: 'stock.adjust', nodeId: 'a', delta: 2 });
    expect(m.positions()).toEqual({ a: pos(2) });
  });
});

describe('a sequence of commands', () => {
  it('keeps every position within the invariant after every step', () => {
    const m = start({ a: pos(6, 1), b: pos(4) });
    const steps: SkuInventoryEvent[] = [
      hold(5, ['a', 'b']),
      hold(4, ['a', 'b']),
      hold(1, ['a', 'b']),
      { type: 'ship', ownerId: 'o1', nodeId: 'a', qty: 5 },
      { type: 'stock.adjust', nodeId: 'b', delta: -1 },
      { type: 'stock.set', nodeId: 'b', onHand: 3 },
      { type: 'stock.set', nodeId: 'a', onHand: 0 },
      { type: 'release', ownerId: 'o2', allocations: [{ nodeId: 'b', qty: 4 }] },
      { type: 'stock.set', nodeId: 'b', onHand: 0 },
    ];
    const outcomes: string[] = [];
    for (const step of steps) {
      const d = m.send(step);
      outcomes.push(d.type === 'decided' ? d.outcome : d.code);
      for (const p of Object.values(m.positions())) expect(fits(p)).toBe(true);
    }
    expect(outcomes).toEqual(['held', 'held', 'INSUFFICIENT_STOCK', 'shipped', 'INVALID_STATE', 'INVALID_STATE', 'stock.changed', 'released', 'stock.changed']);
    expect(m.positions()).toEqual({ a: pos(0, 1, 0), b: pos(0, 0, 0) });
  });
});

describe('allocate()', () => {
  // Free: a 3, b 6 - 1 - 1 = 4, c 0.
  const positions = { a: pos(3), b: pos(6, 1, 1), c: pos(10, 0, 10) };

  it('returns the first candidate that can serve the whole qty', () => {
    expect(allocate(positions, 3, ['a', 'b'], true)).toEqual([{ nodeId: 'a', qty: 3 }]);
    expect(allocate(positions, 3, ['b', 'a'], false)).toEqual([{ nodeId: 'b', qty: 3 }]);
    expect(allocate(positions, 4, ['a', 'b'], true)).toEqual([{ nodeId: 'b', qty: 4 }]);
  });

  it('splits in candidate order, skipping nodes with nothing free or no position', () => {
    expect(allocate(positions, 6, ['c', 'ghost', 'a', 'b'], true)).toEqual([{ nodeId: 'a', qty: 3 }, { nodeId: 'b', qty: 3 }]);
    expect(allocate(positions, 7, ['b', 'a'], true)).toEqual([{ nodeId: 'b', qty: 4 }, { nodeId: 'a', qty: 3 }]);
    expect(allocate(positions, 7, ['a', 'b'], true)).toEqual([{ nodeId: 'a', qty: 3 }, { nodeId: 'b', qty: 4 }]);
  });

  it('returns undefined when the qty cannot be served, or not from one node without splitting', () => {
    expect(allocate(positions, 8, ['a', 'b', 'c'], true)).toBeUndefined();
    expect(allocate(positions, 5, ['a', 'b'], false)).toBeUndefined();
    expect(allocate(positions, 1, ['c'], true)).toBeUndefined();
    expect(allocate(positions, 1, [], true)).toBeUndefined();
    expect(allocate({}, 1, ['a'], true)).toBeUndefined();
  });

  it('never counts the safety stock, and treats onHand below safetyStock as nothing free', () => {
    expect(allocate({ a: pos(2, 5) }, 1, ['a'], true)).toBeUndefined();
    expect(allocate({ a: pos(6, 5) }, 1, ['a'], true)).toEqual([{ nodeId: 'a', qty: 1 }]);
  });

  it('does not write the positions it is given', () => {
    const copy = structuredClone(positions);
    allocate(positions, 6, ['a', 'b'], true);
    expect(positions).toEqual(copy);
  });

  it('totalAvailable() sums what the listed nodes have free', () => {
    expect(totalAvailable(positions, ['a', 'b', 'c', 'ghost'])).toBe(3 + 4 + 0);
    expect(totalAvailable(positions, [])).toBe(0);
  });

  it('never allocates more than a node has free, even when the candidates repeat a node', () => {
    const allocations = allocate({ a: pos(3) }, 5, ['a', 'a'], true);
    expect(allocations).toBeUndefined();
  });
});
