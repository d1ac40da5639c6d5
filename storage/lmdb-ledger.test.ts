// Shows that the LMDB ledger keeps what it is given: positions, orders with their live index and
// count, the expiry index, idempotency records, the event log, nodes, SKUs and meta; that records
// staged and not yet committed are read back (read-your-writes) where the engine relies on it;
// that writes staged in one event-loop turn share one commit and one `durable()`; and that after a
// close and reopen everything written before `durable()` resolved is there, invariants intact.
// How: a real LmdbLedger in a fresh temp dir per test (removed afterwards), no mocks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import type { DeliveryPromise, NodeRecord, OrderMachineState, OrderSnapshot, Position, RoutingExplanation, StoredRouting } from '../actors/domain.js';
import { LmdbLedger } from './lmdb-ledger.js';
import { tempDir } from '../test/support/fixtures.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let dir: { path: string; remove(): void };
let ledger: LmdbLedger;
const open = (): LmdbLedger => new LmdbLedger({ path: join(dir.path, 'ledger') });

beforeEach(() => {
  dir = tempDir('oo-ledger-');
  ledger = open();
});

afterEach(async () => {
  await ledger.close().catch(() => {});
  dir.remove();
});

async function reopen(): Promise<void> {
  await ledger.close();
  ledger = open();
}

const pos = (onHand: number, safetyStock = 0, reserved = 0): Position => ({ onHand, safetyStock, reserved });

function order(coreId: string, state: OrderMachineState = 'held', qty = 1): OrderSnapshot {
  return {
    state,
    record: {
      coreId,
      customerId: 'c1',
      channel: 'web',
      destination: { lat: 41.9, lon: -87.7 },
      createdAt: T0,
      expiresAt: T0 + 900_000,
      lines: [{ sku: 'A', qty, nodeId: 'n1', status: state === 'held' ? 'held' : 'released' }],
      promise: { deliveryBy: new Date(T0 + 86_400_000).toISOString(), shipments: [] },
      history: [{ seq: 1, at: new Date(T0).toISOString(), type: 'reservation.held' }],
    },
  };
}

const node = (nodeId: string, name = nodeId): NodeRecord => ({
  nodeId, type: 'warehouse', name, location: { lat: 41.8, lon: -87.6 }, priority: 10, status: 'online', createdAt: T0, updatedAt: T0,
});

const routing = (nodeId = 'n1'): StoredRouting => ({
  compact: 1,
  strategy: 'blend',
  fulfillment: 'delivery',
  totalCost: 4.61,
  currency: 'USD',
  lines: [{ sku: 'A', qty: 1, chosen: [[nodeId, 1]], candidates: [[nodeId, 6, 100, 'economy', T0 + 86_400_000, 8.11, 4.61, 3.5, 0, 0, 0]], rejected: [] }],
  excluded: [],
});

const routed = (coreId: string, shared: StoredRouting, state: OrderMachineState = 'held', promise?: DeliveryPromise): OrderSnapshot => {
  const snapshot = order(coreId, state);
  return { ...snapshot, record: { ...snapshot.record, routing: shared, ...(promise ? { promise } : {}) } };
};

/** The orders database as stored, read with the options the ledger opens it with (the ledger closed). */
function storedOrders(): Map<string, OrderSnapshot> {
  const env = openLmdb({ path: join(dir.path, 'ledger'), maxDbs: 16 });
  const orders = env.openDB<OrderSnapshot, string>({ name: 'orders', sharedStructuresKey: Symbol.for('structures') });
  const found = new Map<string, OrderSnapshot>();
  for (const { key, value } of orders.getRange()) found.set(key, value);
  env.close();
  return found;
}

/** The keys of one of the ledger's databases as stored (the ledger closed). */
function storedKeys(name: string): unknown[] {
  const env = openLmdb({ path: join(dir.path, 'ledger'), maxDbs: 16 });
  const keys = [...env.openDB({ name }).getKeys()];
  env.close();
  return keys;
}

const liveIds = (l: LmdbLedger): string[] => [...l.liveOrders()].map((o) => o.record.coreId).sort();
const nextTurn = (): Promise<void> => new Promise((done) => setImmediate(done));

describe('positions', () => {
  it('reads back what was put, per SKU, the last write of a batch winning', async () => {
    ledger.putPosition('A', 'n1', pos(5));
    ledger.putPosition('A', 'n1', pos(7, 1, 2));
    ledger.putPosition('A', 'n2', pos(3));
    ledger.putPosition('B', 'n1', pos(9));
    await ledger.durable();
    expect(ledger.positionsOf('A')).toEqual({ n1: pos(7, 1, 2), n2: pos(3) });
    expect(ledger.positionsOf('B')).toEqual({ n1: pos(9) });
    expect(ledger.positionsOf('missing')).toEqual({});
    expect([...ledger.allPositions()]).toEqual([
      { sku: 'A', nodeId: 'n1', position: pos(7, 1, 2) },
      { sku: 'A', nodeId: 'n2', position: pos(3) },
      { sku: 'B', nodeId: 'n1', position: pos(9) },
    ]);
  });

  it('keeps SKUs whose ids share a prefix apart', async () => {
    ledger.putPosition('A', 'n1', pos(1));
    ledger.putPosition('AB', 'n1', pos(2));
    ledger.putPosition('A-1', 'n1', pos(3));
    await ledger.durable();
    expect(ledger.positionsOf('A')).toEqual({ n1: pos(1) });
    expect(ledger.positionsOf('AB')).toEqual({ n1: pos(2) });
    expect([...ledger.listSkus()].sort()).toEqual(['A', 'A-1', 'AB']);
  });
});

describe('orders', () => {
  it('serves an order put and not yet committed (read-your-writes), and counts it live at once', async () => {
    const held = order('o1');
    ledger.putOrder(held, true, true);
    // Before durable(): the record is readable and counted; the committed live index has not seen it yet.
    expect(ledger.getOrder('o1')).toEqual(held);
    expect(ledger.liveOrderCount()).toBe(1);
    const durable = ledger.durable();
    expect(ledger.getOrder('o1')).toEqual(held);
    await durable;
    expect(ledger.getOrder('o1')).toEqual(held);
    expect(liveIds(ledger)).toEqual(['o1']);
    expect(ledger.getOrder('o2')).toBeUndefined();
  });

  it('lists live records as staged, before they are committed: new ones in, ended ones out, newest versions', async () => {
    ledger.putOrder(order('o1'), true, true);
    ledger.putOrder(order('o2'), true, true);
    await ledger.durable();
    const allocated = order('o1', 'allocated', 3);
    ledger.putOrder(allocated, true);
    ledger.putOrder(order('o2', 'released'), false);
    ledger.putOrder(order('o3'), true, true);
    // Not committed yet: the list already says what a reader of getOrder would see.
    expect(liveIds(ledger)).toEqual(['o1', 'o3']);
    expect([...ledger.liveOrders()].find((o) => o.record.coreId === 'o1')).toEqual(allocated);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual(['o1', 'o3']);
    expect([...ledger.liveOrders()].find((o) => o.record.coreId === 'o1')).toEqual(allocated);
  });

  it('serves the newest version of an order while an update is being committed', async () => {
    ledger.putOrder(order('o1'), true, true);
    await ledger.durable();
    const allocated = order('o1', 'allocated', 3);
    ledger.putOrder(allocated, true);
    expect(ledger.getOrder('o1')).toEqual(allocated);
    await nextTurn(); // the batch is now committing
    expect(ledger.getOrder('o1')).toEqual(allocated);
    await ledger.durable();
    expect(ledger.getOrder('o1')).toEqual(allocated);
  });

  it('keeps the live index and count in step as orders go live and final, within and across batches', async () => {
    ledger.putOrder(order('o1'), true, true);
    ledger.putOrder(order('o2'), true, true);
    ledger.putOrder(order('o3'), true, true);
    // Written again in the same batch, still live: counted once.
    ledger.putOrder(order('o1', 'allocated'), true);
    // Live then final in the same batch: not live.
    ledger.putOrder(order('o3', 'dropped'), false);
    expect(ledger.liveOrderCount()).toBe(2);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual(['o1', 'o2']);
    expect(ledger.liveOrderCount()).toBe(2);

    // Across batches, the first not yet committed when the second is staged.
    ledger.putOrder(order('o1', 'released'), true);
    await nextTurn();
    ledger.putOrder(order('o1', 'cancelled'), false);
    ledger.putOrder(order('o2', 'expired'), false);
    ledger.putOrder(order('o2', 'expired'), false);
    expect(ledger.liveOrderCount()).toBe(0);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual([]);
    expect(ledger.liveOrderCount()).toBe(0);
    expect(ledger.getOrder('o1')?.state).toBe('cancelled');

    // An order written final from the start never counts.
    ledger.putOrder(order('o4', 'expired'), false, true);
    await ledger.durable();
    expect(ledger.liveOrderCount()).toBe(0);
  });

  it('asks again, after a commit, whether a committed order is a hold (it keeps the answer of its last read until then)', async () => {
    ledger.putOrder(order('o1'), true, true);
    await ledger.durable();
    // Read as a hold (a confirm restores its machine from this), then written out of `held` while
    // its expiry entry stays: the write counts it no longer live.
    expect(ledger.getOrder('o1')?.state).toBe('held');
    ledger.putOrder(order('o1', 'dropped'), false);
    expect(ledger.liveOrderCount()).toBe(0);
    await ledger.durable();
    // Committed as dropped: written again, it was not live, whatever the read before the commit said.
    ledger.putOrder(order('o1', 'dropped'), false);
    expect(ledger.liveOrderCount()).toBe(0);
    await ledger.durable();
    expect(ledger.liveOrderCount()).toBe(0);
  });
});

describe('shared parts of order records', () => {
  it('writes a routing that several records carry once, and reads every record back whole, before and after a reopen', async () => {
    const shared = routing();
    const held = ['o1', 'o2', 'o3'].map((id) => routed(id, shared));
    for (const snapshot of held) ledger.putOrder(snapshot, true, true);
    // Not shared: stays inline, as records always were.
    const alone = routed('o4', routing('n2'));
    ledger.putOrder(alone, true, true);
    // Read-your-writes while the batch commits: the records as given.
    await nextTurn();
    expect(ledger.getOrder('o2')).toBe(held[1]);
    await ledger.durable();
    for (const snapshot of [...held, alone]) expect(ledger.getOrder(snapshot.record.coreId)).toEqual(snapshot);
    expect([...ledger.liveOrders()].sort((a, b) => (a.record.coreId < b.record.coreId ? -1 : 1))).toEqual([...held, alone]);

    // A later batch's record carrying the same routing refers to the part already written.
    ledger.putOrder(routed('o5', shared), true, true);
    await ledger.close();
    const stored = storedOrders();
    expect(['o1', 'o2', 'o3', 'o5'].map((id) => stored.get(id)?.record.routing)).toEqual([1, 1, 1, 1]);
    expect(stored.get('o4')?.record.routing).toEqual(routing('n2'));

    ledger = open();
    for (const snapshot of [...held, alone]) expect(ledger.getOrder(snapshot.record.coreId)).toEqual(snapshot);
    expect(ledger.getOrder('o5')).toEqual(routed('o5', shared));
    expect(liveIds(ledger)).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
    expect(ledger.liveOrderCount()).toBe(5);

    // After the restart: a record read back and written again keeps referring to its part, and
    // records sharing a new routing get a new number, not one already taken.
    const confirmed = ledger.getOrder('o1')!;
    ledger.putOrder({ ...confirmed, state: 'allocated' }, true);
    const other = routing('n3');
    ledger.putOrder(routed('o6', other), true, true);
    ledger.putOrder(routed('o7', other), true, true);
    await reopen();
    expect(ledger.getOrder('o1')).toEqual({ ...held[0], state: 'allocated' });
    expect(ledger.getOrder('o6')).toEqual(routed('o6', other));
    expect(ledger.getOrder('o7')?.record.routing).toEqual(other);
    expect(ledger.getOrder('o2')).toEqual(held[1]);
    await ledger.close();
    const again = storedOrders();
    expect(again.get('o1')?.record.routing).toBe(1);
    expect(again.get('o6')?.record.routing).toBe(2);
    ledger = open();
  });

  it('writes a promise that several records carry once too, apart from or with their routing', async () => {
    const promise: DeliveryPromise = { deliveryBy: new Date(T0 + 86_400_000).toISOString(), shipments: [{ nodeId: 'n1', distanceKm: 6.2, deliveryBy: new Date(T0 + 86_400_000).toISOString(), kind: 'delivery' }] } as DeliveryPromise;
    const shared = routing();
    const written = [routed('p1', shared, 'held', promise), routed('p2', shared, 'held', promise), routed('p3', routing('n2'), 'held', promise)];
    for (const snapshot of written) ledger.putOrder(snapshot, true, true);
    await ledger.close();
    const stored = storedOrders();
    expect(['p1', 'p2', 'p3'].map((id) => [typeof stored.get(id)?.record.routing, typeof stored.get(id)?.record.promise])).toEqual([
      ['number', 'number'], ['number', 'number'], ['object', 'number'],
    ]);
    ledger = open();
    for (const snapshot of written) expect(ledger.getOrder(snapshot.record.coreId)).toEqual(snapshot);
    // Read back, the records share the decoded part again.
    expect(ledger.getOrder('p1')!.record.promise).toBe(ledger.getOrder('p3')!.record.promise);
  });

  it('reads records written before shared parts existed: routing inline, compact or expanded', async () => {
    await ledger.close();
    const expanded: RoutingExplanation = {
      strategy: 'nearest',
      totalCost: 3,
      currency: 'USD',
      lines: [{ sku: 'A', qty: 1, chosen: [{ nodeId: 'n1', qty: 1 }], candidates: [], rejected: [] }],
      excluded: [{ nodeId: 'n9', reason: 'offline' }],
    } as unknown as RoutingExplanation;
    const old = [routed('old-1', routing()), routed('old-2', routing()), { ...routed('old-3', routing()), record: { ...routed('old-3', routing()).record, routing: expanded } }, order('old-4', 'released')];
    // Written as the ledger wrote them before: the plain snapshot, into the same databases.
    const env = openLmdb({ path: join(dir.path, 'ledger'), maxDbs: 16 });
    const orders = env.openDB<OrderSnapshot, string>({ name: 'orders', sharedStructuresKey: Symbol.for('structures') });
    const live = env.openDB<number, string>({ name: 'live' });
    for (const snapshot of old) {
      await orders.put(snapshot.record.coreId, snapshot);
      await live.put(snapshot.record.coreId, 1);
    }
    await env.close();

    ledger = open();
    for (const snapshot of old) expect(ledger.getOrder(snapshot.record.coreId)).toEqual(snapshot);
    expect(liveIds(ledger)).toEqual(['old-1', 'old-2', 'old-3', 'old-4']);
    expect(ledger.liveOrderCount()).toBe(4);
    // And written again by this ledger: still whole.
    ledger.putOrder({ ...ledger.getOrder('old-1')!, state: 'allocated' }, true);
    ledger.putOrder({ ...ledger.getOrder('old-2')!, state: 'expired' }, false);
    await reopen();
    expect(ledger.getOrder('old-1')).toEqual({ ...old[0], state: 'allocated' });
    expect(ledger.getOrder('old-2')).toEqual({ ...old[1], state: 'expired' });
    expect(liveIds(ledger)).toEqual(['old-1', 'old-3', 'old-4']);
  });
});

describe('holds live by their expiry entry', () => {
  // A new hold is written with its expiry entry and no live index entry (one write fewer a hold);
  // it is live, listed and counted, for as long as it is held, however it leaves `held`.
  it('writes a new hold with its expiry entry only, and keeps it live until it leaves held, across batches and a reopen', async () => {
    for (const id of ['h1', 'h2', 'h3', 'h4']) {
      ledger.putOrder(order(id), true, true);
      // The engine's own setExpiry for it finds the entry written.
      ledger.setExpiry(id, T0 + 900_000);
    }
    expect(ledger.pendingWrites()).toBe(8);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(4);
    await ledger.close();
    expect(storedKeys('live')).toEqual([]);
    expect(storedKeys('expiry')).toEqual(['h1', 'h2', 'h3', 'h4'].map((id) => [T0 + 900_000, id]));
    ledger = open();
    expect(liveIds(ledger)).toEqual(['h1', 'h2', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(4);

    // Committed holds leave held as the engine writes them: the record, then the entry cleared.
    ledger.putOrder(order('h1', 'allocated'), true);
    ledger.clearExpiry('h1', T0 + 900_000);
    ledger.putOrder(order('h2', 'expired'), false);
    ledger.clearExpiry('h2', T0 + 900_000);
    // Written again still held: stays live by its entry.
    ledger.putOrder({ ...order('h3'), record: { ...order('h3').record, customerId: 'c2' } }, true);
    // The sweep drops an entry it found nothing due for: a hold still held stays live regardless.
    ledger.clearExpiry('h4', T0 + 900_000);
    // While the batch commits, and once it has, the same answers.
    expect(liveIds(ledger)).toEqual(['h1', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(3);
    await nextTurn();
    expect(liveIds(ledger)).toEqual(['h1', 'h3', 'h4']);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual(['h1', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(3);
    expect([...ledger.liveOrders()].find((o) => o.record.coreId === 'h3')?.record.customerId).toBe('c2');
    await reopen();
    expect(liveIds(ledger)).toEqual(['h1', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(3);
    expect(ledger.dueExpiries(T0 + 10 ** 9, 10).map((e) => e.coreId)).toEqual(['h3']);

    // Held in one batch, gone in the next before the first committed.
    ledger.putOrder(order('h5'), true, true);
    await nextTurn();
    ledger.putOrder(order('h5', 'dropped'), false);
    ledger.clearExpiry('h5', T0 + 900_000);
    expect(ledger.liveOrderCount()).toBe(3);
    await ledger.durable();
    await reopen();
    expect(liveIds(ledger)).toEqual(['h1', 'h3', 'h4']);
    expect(ledger.liveOrderCount()).toBe(3);
  });

  it('keeps a committed hold live when its entry is dropped with no write of it, and ends it right after', async () => {
    for (const id of ['s1', 's2', 's3']) ledger.putOrder(order(id), true, true);
    await ledger.durable();
    // The sweep drops each entry (its clock stepped back, say); then, in the same batch or a later
    // one, the holds end or go on.
    for (const id of ['s1', 's2', 's3']) ledger.clearExpiry(id, T0 + 900_000);
    ledger.putOrder(order('s1', 'expired'), false);
    expect(ledger.liveOrderCount()).toBe(2);
    expect(liveIds(ledger)).toEqual(['s2', 's3']);
    await nextTurn();
    ledger.putOrder(order('s2', 'dropped'), false);
    ledger.putOrder(order('s3', 'allocated'), true);
    expect(liveIds(ledger)).toEqual(['s3']);
    await ledger.durable();
    expect(liveIds(ledger)).toEqual(['s3']);
    expect(ledger.liveOrderCount()).toBe(1);
    await ledger.close();
    expect(storedKeys('live')).toEqual(['s3']);
    expect(storedKeys('expiry')).toEqual([]);
    ledger = open();
    expect(liveIds(ledger)).toEqual(['s3']);
    expect(ledger.liveOrderCount()).toBe(1);
  });

  it('reads holds written with both entries before, once each, and never counts a record that left held with its entry left behind', async () => {
    await ledger.close();
    const env = openLmdb({ path: join(dir.path, 'ledger'), maxDbs: 16 });
    const orders = env.openDB<OrderSnapshot, string>({ name: 'orders', sharedStructuresKey: Symbol.for('structures') });
    const live = env.openDB<number, string>({ name: 'live' });
    const expiry = env.openDB<number, [number, string]>({ name: 'expiry' });
    // Holds as written before: live entry and expiry entry.
    for (const id of ['old-1', 'old-2']) {
      await orders.put(id, order(id));
      await live.put(id, 1);
      await expiry.put([T0 + 900_000, id], 1);
    }
    // A record that left held with its expiry entry still there (the sweep drops such entries).
    await orders.put('stale', order('stale', 'expired'));
    await expiry.put([T0 + 900_000, 'stale'], 1);
    await env.close();

    ledger = open();
    expect(liveIds(ledger)).toEqual(['old-1', 'old-2']);
    expect(ledger.liveOrderCount()).toBe(2);
    ledger.putOrder(order('old-1', 'allocated'), true);
    ledger.clearExpiry('old-1', T0 + 900_000);
    ledger.putOrder(order('old-2', 'expired'), false);
    ledger.clearExpiry('old-2', T0 + 900_000);
    ledger.putOrder(order('stale', 'expired'), false);
    ledger.clearExpiry('stale', T0 + 900_000);
    expect(ledger.liveOrderCount()).toBe(1);
    await reopen();
    expect(liveIds(ledger)).toEqual(['old-1']);
    expect(ledger.liveOrderCount()).toBe(1);
    expect(ledger.dueExpiries(T0 + 10 ** 9, 10)).toEqual([]);
  });
});

describe('expiry index', () => {
  it('lists holds due at or before now, earliest first, up to the limit, and forgets cleared ones', async () => {
    ledger.setExpiry('late', T0 + 3_000);
    ledger.setExpiry('early', T0 + 1_000);
    ledger.setExpiry('mid-b', T0 + 2_000);
    ledger.setExpiry('mid-a', T0 + 2_000);
    await ledger.durable();
    expect(ledger.dueExpiries(T0 + 999, 10)).toEqual([]);
    expect(ledger.dueExpiries(T0 + 1_000, 10)).toEqual([{ coreId: 'early', expiresAt: T0 + 1_000 }]);
    expect(ledger.dueExpiries(T0 + 5_000, 10).map((e) => e.coreId)).toEqual(['early', 'mid-a', 'mid-b', 'late']);
    expect(ledger.dueExpiries(T0 + 5_000, 2).map((e) => e.coreId)).toEqual(['early', 'mid-a']);
    ledger.clearExpiry('mid-a', T0 + 2_000);
    // The wrong deadline clears nothing.
    ledger.clearExpiry('late', T0 + 1);
    await ledger.durable();
    expect(ledger.dueExpiries(T0 + 5_000, 10)).toEqual([
      { coreId: 'early', expiresAt: T0 + 1_000 },
      { coreId: 'mid-b', expiresAt: T0 + 2_000 },
      { coreId: 'late', expiresAt: T0 + 3_000 },
    ]);
  });
});

describe('idempotency', () => {
  it('stores records by scope and key, lists those older than a time oldest first, and removes them', async () => {
    ledger.putIdempotency('checkout', 'k1', { fingerprint: 'f1', status: 201, body: { id: 1 }, at: T0 + 20 });
    ledger.putIdempotency('checkout', 'k2', { fingerprint: 'f2', status: 201, body: { id: 2 }, at: T0 + 10 });
    ledger.putIdempotency('ops', 'k1', { fingerprint: 'f3', status: 200, body: null, at: T0 + 30 });
    await ledger.durable();
    expect(ledger.getIdempotency('checkout', 'k1')).toEqual({ fingerprint: 'f1', status: 201, body: { id: 1 }, at: T0 + 20 });
    expect(ledger.getIdempotency('ops', 'k1')?.fingerprint).toBe('f3');
    expect(ledger.getIdempotency('ops', 'k2')).toBeUndefined();
    // Strictly before: a record written at the boundary is not old yet.
    expect(ledger.oldIdempotency(T0 + 20, 10)).toEqual([{ scope: 'checkout', key: 'k2' }]);
    expect(ledger.oldIdempotency(T0 + 31, 10)).toEqual([{ scope: 'checkout', key: 'k2' }, { scope: 'checkout', key: 'k1' }, { scope: 'ops', key: 'k1' }]);
    expect(ledger.oldIdempotency(T0 + 31, 1)).toEqual([{ scope: 'checkout', key: 'k2' }]);
    ledger.removeIdempotency('checkout', 'k2');
    ledger.removeIdempotency('checkout', 'never');
    await ledger.durable();
    expect(ledger.getIdempotency('checkout', 'k2')).toBeUndefined();
    expect(ledger.oldIdempotency(T0 + 31, 10)).toEqual([{ scope: 'checkout', key: 'k1' }, { scope: 'ops', key: 'k1' }]);
  });
});

describe('events', () => {
  it('appends per topic, knows the last seq, reads after a seq up to a limit, and prunes the oldest', async () => {
    for (let seq = 1; seq <= 5; seq++) ledger.appendEvent({ topic: 'sku:A', seq, type: 'inventory.changed', at: T0 + seq, data: { n: seq } });
    ledger.appendEvent({ topic: 'sku:AB', seq: 1, type: 'inventory.changed', at: T0, data: {} });
    ledger.appendEvent({ topic: 'sku:AB', seq: 2, type: 'inventory.changed', at: T0, data: {} });
    ledger.appendEvent({ topic: 'sku:', seq: 9, type: 'x', at: T0, data: {} });
    await ledger.durable();
    expect(ledger.lastSeq('sku:A')).toBe(5);
    expect(ledger.lastSeq('sku:AB')).toBe(2);
    expect(ledger.lastSeq('sku:')).toBe(9);
    expect(ledger.lastSeq('sku:none')).toBe(0);
    expect(ledger.readEvents('sku:A', 0, 100).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(ledger.readEvents('sku:A', 3, 100)).toEqual([
      { topic: 'sku:A', seq: 4, type: 'inventory.changed', at: T0 + 4, data: { n: 4 } },
      { topic: 'sku:A', seq: 5, type: 'inventory.changed', at: T0 + 5, data: { n: 5 } },
    ]);
    expect(ledger.readEvents('sku:A', 1, 2).map((e) => e.seq)).toEqual([2, 3]);
    expect(ledger.readEvents('sku:A', 5, 100)).toEqual([]);
    expect(ledger.readEvents('sku:none', 0, 100)).toEqual([]);

    ledger.pruneEvents('sku:A', 4);
    await ledger.durable();
    expect(ledger.readEvents('sku:A', 0, 100).map((e) => e.seq)).toEqual([4, 5]);
    expect(ledger.lastSeq('sku:A')).toBe(5);
    expect(ledger.readEvents('sku:AB', 0, 100).map((e) => e.seq)).toEqual([1, 2]);
  });

  it('handles seqs past what fits in 32 bits', async () => {
    const big = 2 ** 40;
    ledger.appendEvent({ topic: 't', seq: big, type: 'x', at: T0, data: 1 });
    ledger.appendEvent({ topic: 't', seq: big + 1, type: 'x', at: T0, data: 2 });
    await ledger.durable();
    expect(ledger.lastSeq('t')).toBe(big + 1);
    expect(ledger.readEvents('t', big, 10).map((e) => e.data)).toEqual([2]);
  });
});

describe('nodes, SKUs, meta', () => {
  it('serves nodes and SKUs as soon as they are put, lists nodes by id, and keeps meta values', async () => {
    ledger.putNode(node('n2'));
    ledger.putNode(node('n1'));
    ledger.putSku({ sku: 'A', name: 'Widget', maxPerCustomer: 3, updatedAt: T0 });
    ledger.putMeta('schema', { version: 1 });
    expect(ledger.getNode('n1')).toEqual(node('n1'));
    expect(ledger.listNodes().map((n) => n.nodeId)).toEqual(['n1', 'n2']);
    expect(ledger.getSku('A')).toMatchObject({ name: 'Widget', maxPerCustomer: 3 });
    await ledger.durable();
    expect(ledger.getMeta<{ version: number }>('schema')).toEqual({ version: 1 });
    expect(ledger.getMeta('missing')).toBeUndefined();
    expect(ledger.getNode('n3')).toBeUndefined();
    expect(ledger.getSku('B')).toBeUndefined();
    expect([...ledger.skuRecords()]).toEqual([{ sku: 'A', name: 'Widget', maxPerCustomer: 3, updatedAt: T0 }]);
    // An update not yet committed is what skuRecords() shows.
    ledger.putSku({ sku: 'A', maxPerCustomer: 5, updatedAt: T0 + 1 });
    expect([...ledger.skuRecords()]).toEqual([{ sku: 'A', maxPerCustomer: 5, updatedAt: T0 + 1 }]);

    // An update not yet committed wins over the committed one, in get and in list.
    ledger.putNode(node('n1', 'renamed'));
    expect(ledger.getNode('n1')?.name).toBe('renamed');
    expect(ledger.listNodes().map((n) => n.name)).toEqual(['renamed', 'n2']);
    await ledger.durable();
    expect(ledger.listNodes().map((n) => n.name)).toEqual(['renamed', 'n2']);
  });
});

describe('group commit', () => {
  it('commits every write staged in one turn with one durable(), and pendingWrites() returns to 0', async () => {
    expect(ledger.pendingWrites()).toBe(0);
    await ledger.durable(); // nothing staged: resolves
    const first = ledger.durable();
    for (let i = 0; i < 500; i++) {
      ledger.putPosition('A', `n${i}`, pos(i, 0, 0));
      ledger.putOrder(order(`o${i}`), true, true);
      ledger.setExpiry(`o${i}`, T0 + i);
    }
    const durable = ledger.durable();
    // One batch, one promise: every call in this turn waits for the same commit.
    expect(ledger.durable()).toBe(durable);
    expect(first).not.toBe(durable);
    expect(ledger.pendingWrites()).toBe(500 * 4);
    await durable;
    expect(ledger.pendingWrites()).toBe(0);
    expect(Object.keys(ledger.positionsOf('A'))).toHaveLength(500);
    expect(liveIds(ledger)).toHaveLength(500);
    expect(ledger.dueExpiries(T0 + 1_000, 1_000)).toHaveLength(500);
  });

  it('a batch staged while another commits resolves after it, with both on disk', async () => {
    ledger.putPosition('A', 'n1', pos(1));
    const one = ledger.durable();
    await nextTurn();
    ledger.putPosition('A', 'n1', pos(2));
    const two = ledger.durable();
    expect(two).not.toBe(one);
    let oneDone = false;
    void one.then(() => { oneDone = true; });
    await two;
    expect(oneDone).toBe(true);
    expect(ledger.positionsOf('A')).toEqual({ n1: pos(2) });
    expect(ledger.pendingWrites()).toBe(0);
    // Nothing staged since: durable() is the last batch's, already resolved.
    await ledger.durable();
  });
});

describe('close and reopen', () => {
  it('reads back everything written before durable() resolved, with every position within its invariant', async () => {
    const positions: Array<[string, string, Position]> = [];
    for (const sku of ['A', 'B', 'C']) {
      for (const nodeId of ['n1', 'n2', 'n3']) {
        const onHand = sku.charCodeAt(0) + nodeId.length;
        positions.push([sku, nodeId, pos(onHand, 2, onHand - 3)]);
        // And one whose safety stock is above what is on hand, with nothing reserved.
        positions.push([sku, `${nodeId}-low`, pos(1, 3, 0)]);
      }
    }
    for (const [sku, nodeId, p] of positions) ledger.putPosition(sku, nodeId, p);
    ledger.putOrder(order('held-1'), true, true);
    ledger.putOrder(order('ord-1', 'released', 4), true, true);
    ledger.putOrder(order('gone-1', 'dropped'), false, true);
    ledger.setExpiry('held-1', T0 + 900_000);
    ledger.putNode(node('n1'));
    ledger.putSku({ sku: 'A', updatedAt: T0 });
    ledger.putIdempotency('checkout', 'k', { fingerprint: 'f', status: 201, body: { ok: true }, at: T0 });
    ledger.appendEvent({ topic: 'order:ord_ord-1', seq: 1, type: 'reservation.held', at: T0, data: {} });
    ledger.putMeta('m', 42);
    await ledger.durable();
    // Staged in a later turn, and durable too before the close.
    ledger.putOrder(order('held-1', 'allocated'), true);
    ledger.clearExpiry('held-1', T0 + 900_000);
    await ledger.durable();

    await reopen();
    for (const [sku, nodeId, p] of positions) expect(ledger.positionsOf(sku)[nodeId]).toEqual(p);
    // The invariant, read back: what is reserved fits in onHand - safetyStock.
    for (const { position } of ledger.allPositions()) {
      expect(position.reserved).toBeGreaterThanOrEqual(0);
      expect(position.onHand).toBeGreaterThanOrEqual(0);
      expect(position.reserved === 0 || position.reserved <= position.onHand - position.safetyStock).toBe(true);
    }
    expect(ledger.liveOrderCount()).toBe(2);
    expect(liveIds(ledger)).toEqual(['held-1', 'ord-1']);
    expect(ledger.getOrder('held-1')?.state).toBe('allocated');
    expect(ledger.getOrder('ord-1')).toEqual(order('ord-1', 'released', 4));
    expect(ledger.getOrder('gone-1')?.state).toBe('dropped');
    expect(ledger.dueExpiries(T0 + 10 ** 9, 10)).toEqual([]);
    expect(ledger.getNode('n1')).toEqual(node('n1'));
    expect(ledger.getSku('A')).toEqual({ sku: 'A', updatedAt: T0 });
    expect([...ledger.skuRecords()]).toEqual([{ sku: 'A', updatedAt: T0 }]);
    expect(ledger.getIdempotency('checkout', 'k')?.body).toEqual({ ok: true });
    expect(ledger.lastSeq('order:ord_ord-1')).toBe(1);
    expect(ledger.getMeta('m')).toBe(42);
    expect(ledger.pendingWrites()).toBe(0);
  });

  it('close() waits for what is staged: writes made just before it are there after reopening', async () => {
    ledger.putPosition('A', 'n1', pos(3, 0, 1));
    ledger.putOrder(order('o1'), true, true);
    await reopen();
    expect(ledger.positionsOf('A')).toEqual({ n1: pos(3, 0, 1) });
    expect(ledger.getOrder('o1')).toEqual(order('o1'));
    expect(ledger.liveOrderCount()).toBe(1);
  });
});
