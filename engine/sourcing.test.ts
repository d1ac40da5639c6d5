// Shows what the engine's side of routing keeps: the capacity count per node and local day
// (taken at allocation, given back on cancel, expiry or a move, kept for shipped work, started over
// on the next day), and that capacity, learned transit and rejection rates survive a restart.
// How: the counter on hand-made records (pure), then a real engine on LMDB in a temp dir with a
// simulated clock, stopped and opened again on the same data dir.
import { afterEach, describe, expect, it } from 'vitest';
import type { OrderLine, OrderMachineState, OrderSnapshot } from '../actors/domain.js';
import { SimulatedClock } from './clock.js';
import { CapacityCounter } from './sourcing.js';
import { openEngine, tempDir } from '../test/support/fixtures.js';

const dayMs = 86_400_000;
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const T0 = Date.UTC(2026, 0, 5, 12);

function snapshot(coreId: string, state: OrderMachineState, lines: Array<Partial<OrderLine> & { nodeId: string }>, createdAt = T0): OrderSnapshot {
  return {
    state,
    record: {
      coreId, customerId: 'c', channel: 'web', destination: { lat: 0, lon: 0 }, createdAt, expiresAt: createdAt + 900_000,
      lines: lines.map((l) => ({ sku: 'A', qty: 1, status: 'allocated', ...l })),
      promise: { deliveryBy: '', shipments: [] }, history: [],
    },
  };
}

describe('CapacityCounter', () => {
  const counter = () => {
    const c = new CapacityCounter((_nodeId, atMs) => dateOf(atMs));
    // The engine tells the counter each record's change: the snapshot before it and after it.
    const last = new Map<string, OrderSnapshot>();
    const track = (after: OrderSnapshot, nowMs: number) => {
      c.track(last.get(after.record.coreId), after, nowMs);
      last.set(after.record.coreId, after);
    };
    return { c, track };
  };

  it('counts a record once per node it has lines at, and gives the slot back when its lines leave', () => {
    const { c, track } = counter();
    track(snapshot('r1', 'allocated', [{ nodeId: 'n1' }, { nodeId: 'n1', sku: 'B' }, { nodeId: 'n2' }]), T0);
    track(snapshot('r2', 'held', [{ nodeId: 'n1', status: 'held' }]), T0);
    expect([c.usedOn('n1', '2026-01-05'), c.usedOn('n2', '2026-01-05')]).toEqual([2, 1]);
    // r1's line at n2 is rerouted (moving), then cancelled at n1: both slots come back.
    track(snapshot('r1', 'allocated', [{ nodeId: 'n1' }, { nodeId: 'n1', sku: 'B' }, { nodeId: 'n2', status: 'rerouting' }]), T0);
    expect(c.usedOn('n2', '2026-01-05')).toBe(0);
    track(snapshot('r1', 'cancelled', [{ nodeId: 'n1', status: 'cancelled' }, { nodeId: 'n1', sku: 'B', status: 'cancelled' }, { nodeId: 'n2', status: 'cancelled' }]), T0);
    expect(c.usedOn('n1', '2026-01-05')).toBe(1);
    // An expired hold gives its slot back; a delivered order keeps it (the node did the work today).
    track(snapshot('r2', 'expired', [{ nodeId: 'n1', status: 'held' }]), T0);
    track(snapshot('r3', 'allocated', [{ nodeId: 'n3' }]), T0);
    track(snapshot('r3', 'delivered', [{ nodeId: 'n3', status: 'delivered' }]), T0);
    expect([c.usedOn('n1', '2026-01-05'), c.usedOn('n3', '2026-01-05')]).toEqual([0, 1]);
  });

  it('a new local day starts from zero, and a give-back of yesterday does not touch today', () => {
    const { c, track } = counter();
    track(snapshot('r1', 'allocated', [{ nodeId: 'n1' }]), T0);
    track(snapshot('r2', 'allocated', [{ nodeId: 'n1' }], T0 + dayMs), T0 + dayMs);
    expect([c.usedOn('n1', '2026-01-05'), c.usedOn('n1', '2026-01-06')]).toEqual([0, 1]);
    track(snapshot('r1', 'cancelled', [{ nodeId: 'n1', status: 'cancelled' }]), T0 + dayMs);
    expect(c.usedOn('n1', '2026-01-06')).toBe(1);
  });

  it('a line moved to a node on a later day counts there that day, and gives that day\'s slot back', () => {
    const { c, track } = counter();
    track(snapshot('r1', 'allocated', [{ nodeId: 'n1' }]), T0);
    // The next day n1 rejects; the line goes to n2 and counts on n2's day, not the record's first.
    track(snapshot('r1', 'allocated', [{ nodeId: 'n1', status: 'cancelled' }, { nodeId: 'n2' }]), T0 + dayMs);
    expect([c.usedOn('n2', '2026-01-05'), c.usedOn('n2', '2026-01-06')]).toEqual([0, 1]);
    track(snapshot('r2', 'allocated', [{ nodeId: 'n2' }], T0 + dayMs), T0 + dayMs);
    expect(c.usedOn('n2', '2026-01-06')).toBe(2);
    track(snapshot('r1', 'cancelled', [{ nodeId: 'n1', status: 'cancelled' }, { nodeId: 'n2', status: 'cancelled' }]), T0 + dayMs);
    expect(c.usedOn('n2', '2026-01-06')).toBe(1);
  });

  it('rebuilds today from the live records at start, each on the day it was created', () => {
    const { c } = counter();
    for (const live of [snapshot('r1', 'released', [{ nodeId: 'n1' }]), snapshot('r2', 'released', [{ nodeId: 'n1' }], T0 - dayMs), snapshot('r3', 'backordered', [{ nodeId: '', status: 'backordered' }])]) c.count(live, T0);
    expect(c.usedOn('n1', '2026-01-05')).toBe(1);
  });
});

describe('across a restart', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => { for (const dir of dirs.splice(0)) dir.remove(); });

  it('keeps capacity used today, transit learned from deliveries and rejection rates', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const clock = new SimulatedClock(T0);
    let opened = await openEngine(dir.path, clock, undefined, { acceptWithinMs: 365 * dayMs });
    const { engine } = opened;
    await engine.putNode('hub', { type: 'warehouse', name: 'hub', location: { lat: 39.1, lon: -84.5 }, priority: 1, capacityPerDay: 100, cutoff: { time: '15:00', timezone: 'America/Chicago' } });
    await engine.setStock('hub', 'A', { onHand: 1_000 });
    const order = async () => (await engine.createOrder({ customerId: 'c', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'A', qty: 1 }] })).body.orderId;
    for (let i = 0; i < 25; i++) {
      const orderId = await order();
      await engine.nodeEvent('hub', { orderId, type: 'accepted' });
      await engine.nodeEvent('hub', { orderId, type: 'shipped' });
      clock.increment(4 * dayMs);
      await engine.nodeEvent('hub', { orderId, type: 'delivered' });
      clock.increment(3 * dayMs);
    }
    await engine.nodeEvent('hub', { orderId: await order(), type: 'rejected' });
    await order();
    await order();
    const before = { stats: engine.nodeStats('hub'), carriers: engine.carriers() };
    // Today: the rejected order was backordered (its slot given back), two more were taken.
    expect(before.stats.ordersToday).toBe(2);
    expect(before.stats.recentRejectionRate).toBeGreaterThan(0);
    const learnedBefore = before.carriers.carriers.flatMap((c) => c.bands.filter((b) => b.learned));
    expect(learnedBefore.length).toBeGreaterThan(0);
    await opened.stop();

    opened = await openEngine(dir.path, clock, undefined, { acceptWithinMs: 365 * dayMs });
    expect(opened.engine.nodeStats('hub')).toEqual(before.stats);
    expect(opened.engine.carriers()).toEqual(before.carriers);
    await opened.stop();
  });
});
