// Shows a node's capacityPerDay counted across a cluster: partitions in one process see each
// other's counts at once, engine processes tell each other theirs over the bus (and a silent
// engine's counts go stale), and two engines sharing the count stop giving a capped node orders
// once, together, they reached its cap — where each alone would have gone on to twice the cap.
// How: the peers on hand-made counts with an injected clock; two real Engines on LMDB in temp
// dirs sharing one CapacityPeers; shareCapacity between two peers over the in-process bus.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from './bus/memory-bus.js';
import { CapacityPeers, type NodeCounts } from './capacity-peers.js';
import { shareCapacity } from './cluster/capacity-share.js';
import { openEngine, tempDir, type TestEngine } from '../test/support/fixtures.js';

const counts = (entries: Array<[string, string, number]>): NodeCounts => new Map(entries.map(([nodeId, localDate, used]) => [nodeId, { localDate, used }]));

describe('CapacityPeers', () => {
  it('adds up the other local counters and fresh remote ones for the same local date, never the asker\'s own', () => {
    let now = 1_000_000;
    const peers = new CapacityPeers({ staleMs: 5_000, now: () => now });
    peers.register('p0', () => counts([['n1', '2026-01-05', 2]]));
    peers.register('p1', () => counts([['n1', '2026-01-05', 3], ['n2', '2026-01-04', 7]]));
    peers.setRemote('engine-b', [['n1', '2026-01-05', 4]]);
    expect(peers.othersUsed('p0', 'n1', '2026-01-05')).toBe(7);
    expect(peers.othersUsed('p1', 'n1', '2026-01-05')).toBe(6);
    expect(peers.othersUsed('p0', 'n2', '2026-01-05')).toBe(0); // yesterday's count is not today's
    expect(peers.localTotals().sort()).toEqual([['n1', '2026-01-05', 5], ['n2', '2026-01-04', 7]]);
    now += 6_000; // engine-b has not spoken for 6 s: its counts no longer count
    expect(peers.othersUsed('p0', 'n1', '2026-01-05')).toBe(3);
  });

  it('remembers at most remotesMax engines, dropping the one heard from longest ago', () => {
    const peers = new CapacityPeers({ remotesMax: 2 });
    peers.setRemote('a', [['n1', 'd', 1]]);
    peers.setRemote('b', [['n1', 'd', 10]]);
    peers.setRemote('a', [['n1', 'd', 2]]);
    peers.setRemote('c', [['n1', 'd', 100]]);
    expect(peers.othersUsed('x', 'n1', 'd')).toBe(102);
  });
});

describe('engines sharing a node\'s cap', () => {
  const opened: TestEngine[] = [];
  const dirs: Array<{ remove(): void }> = [];
  afterEach(async () => {
    for (const te of opened.splice(0)) await te.stop();
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('two partitions together give a node no more than its capacityPerDay', async () => {
    const peers = new CapacityPeers();
    const engines = [];
    for (const id of ['p0', 'p1']) {
      const dir = tempDir();
      dirs.push(dir);
      const te = await openEngine(dir.path, undefined, undefined, { capacityPeers: { id, peers } });
      opened.push(te);
      await te.engine.putNode('capped', { type: 'warehouse', name: 'capped', location: { lat: 41.88, lon: -87.63 }, priority: 1, capacityPerDay: 2 });
      await te.engine.putNode('far', { type: 'warehouse', name: 'far', location: { lat: 39.1, lon: -84.5 }, priority: 1 });
      engines.push(te.engine);
    }
    const [e0, e1] = engines;
    for (const [engine, sku] of [[e0, 'A'], [e1, 'B']] as const) {
      await engine.setStock('capped', sku, { onHand: 100 });
      await engine.setStock('far', sku, { onHand: 100 });
    }
    const hold = (engine: typeof e0, sku: string) => engine.createReservation({ customerId: 'c', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }], strategy: 'closest' }).then((a) => a.body.allocations[0].nodeId);
    expect(await hold(e0, 'A')).toBe('capped');
    expect(await hold(e1, 'B')).toBe('capped');
    // The cap (2) is reached by the two together: both partitions now skip the node.
    expect(await hold(e0, 'A')).toBe('far');
    expect(await hold(e1, 'B')).toBe('far');
    // Each partition's own stats still count its own orders (a gateway adds them up).
    expect([e0.nodeStats('capped').ordersToday, e1.nodeStats('capped').ordersToday]).toEqual([1, 1]);
  });
});

describe('shareCapacity', () => {
  it('engines tell each other their totals over the bus; their own messages are not counted twice', async () => {
    const bus = new MemoryBus();
    const x = new CapacityPeers();
    const y = new CapacityPeers();
    x.register('p0', () => counts([['n1', 'd', 2]]));
    y.register('p1', () => counts([['n1', 'd', 5]]));
    const shares = [shareCapacity(bus, 'engine-x', x, 20), shareCapacity(bus, 'engine-y', y, 20)];
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(x.othersUsed('p0', 'n1', 'd')).toBe(5);
    expect(y.othersUsed('p1', 'n1', 'd')).toBe(2);
    for (const share of shares) share.stop();
    await bus.close();
  });
});
