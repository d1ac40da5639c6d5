import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { open } from 'lmdb';
import { ledgerEnvironment } from '../storage/lmdb-ledger.js';

// What lmdb-js alone writes durably on this machine, the way the ledger writes a hold: the
// ceilings the engine's own numbers are read against (`npm run bench` prints them beside them).
//  - Hold-shaped writes per second: a hold record (~150 bytes of msgpack under a time-ordered key)
//    and its expiry entry, 1,000 holds per transaction, each transaction issued as soon as the one
//    before it committed (its sync overlapping the next commit), counted once flushed to disk.
//    No engine at all: no routing, no answers, no events.
//  - One durable transaction, p50: a single hold from issue to flushed. Nothing answers a durable
//    write sooner, so with one request per connection, N connections get at most N / this per second.

export interface LedgerCeiling {
  holdsPerSecond: number;
  durableMsP50: number;
}

const holdsPerTransaction = 1_000;

/** A record of the shape and size the ledger writes for a one-line hold. */
const holdRecord = (coreId: string, now: number) => ({
  coreId,
  customerId: 'c4711',
  channel: 'web',
  destination: { lat: 41.9, lon: -87.7 },
  createdAt: now,
  expiresAt: now + 900_000,
  lines: [{ sku: 'HOT', nodeId: 'wh-1', qty: 1, status: 'held' }],
  promise: 1,
  history: [{ seq: 1, at: '2026-11-29T10:27:03.768Z', type: 'reservation.held' }],
  routing: 2,
});

export async function measureLedgerCeiling(seconds: number): Promise<LedgerCeiling> {
  const dir = mkdtempSync(join(tmpdir(), 'oo-ceiling-'));
  const root = open({ path: dir, ...ledgerEnvironment });
  try {
    const orders = root.openDB<object, string>({ name: 'orders', sharedStructuresKey: Symbol.for('structures') });
    const expiry = root.openDB<number, [number, string]>({ name: 'expiry' });
    const flushed = () => new Promise<void>((resolve, reject) => { root.flushed.then(() => resolve(), reject); });
    let sequence = 0;
    const issue = (count: number): Promise<unknown> => {
      const now = Date.now();
      const prefix = now.toString(36).padStart(9, '0');
      let last: Promise<unknown> = Promise.resolve();
      for (let i = 0; i < count; i++) {
        const coreId = prefix + (sequence++).toString(16).padStart(16, '0');
        orders.put(coreId, holdRecord(coreId, now)).catch(() => undefined);
        last = expiry.put([now + 900_000, coreId], 1);
      }
      return last;
    };

    // One hold at a time, issue to flushed.
    const durableMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await issue(1);
      await flushed();
      durableMs.push(performance.now() - started);
    }
    durableMs.sort((a, b) => a - b);

    const started = performance.now();
    const deadline = started + seconds * 1000;
    let durable = 0;
    let lastSync: Promise<void> = Promise.resolve();
    while (performance.now() < deadline) {
      await issue(holdsPerTransaction);
      const sync = flushed();
      lastSync = sync;
      void sync.then(() => { durable += holdsPerTransaction; });
    }
    await lastSync;
    return { holdsPerSecond: durable / ((performance.now() - started) / 1000), durableMsP50: durableMs[durableMs.length >> 1] };
  } finally {
    await root.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
