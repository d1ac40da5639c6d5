// Shows the ledger's pipeline: while one batch commits, the next keeps staging, and commits as soon
// as the first has (its sync to disk overlaps the next commit). Whatever the overlap, batches are
// acknowledged in the order they were staged, each one only with everything before it, and what
// was acknowledged is there after a reopen.
// How: a real LmdbLedger in a temp dir; batches of random sizes staged back to back (seeded).
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Position } from '../actors/domain.js';
import { LmdbLedger } from './lmdb-ledger.js';
import { tempDir } from '../test/support/fixtures.js';
import { mulberry32 } from '../engine/prng.js';

let dir: { path: string; remove(): void } | undefined;
let ledger: LmdbLedger | undefined;
afterEach(async () => {
  await ledger?.close().catch(() => {});
  dir?.remove();
  ledger = dir = undefined;
});

const position = (onHand: number): Position => ({ onHand, safetyStock: 0, reserved: 0 });

describe('ledger pipeline', () => {
  it('acknowledges overlapping batches in staging order, and keeps what it acknowledged', async () => {
    dir = tempDir('oo-pipeline-');
    const path = join(dir.path, 'ledger');
    ledger = new LmdbLedger({ path });
    const random = { next: mulberry32(20261129) };
    const acknowledged: number[] = [];
    const batches: Array<Promise<void>> = [];
    const committedBefore: number[] = [];
    let batchesSeen = 0;
    ledger.onBatch(() => batchesSeen++);
    for (let batch = 0; batch < 60; batch++) {
      const writes = 1 + Math.floor(random.next() * 400);
      for (let i = 0; i < writes; i++) ledger.putMeta(`b${batch}-${i}`, batch);
      ledger.putPosition('SKU', 'n1', position(batch));
      const index = batch;
      batches.push(ledger.durable().then(() => {
        acknowledged.push(index);
        // Everything staged before this batch is acknowledged already.
        committedBefore.push(acknowledged.length - 1);
      }));
      // Some batches are staged while the previous one is still being written, some after a pause.
      if (random.next() < 0.3) await new Promise((resolve) => setImmediate(resolve));
      else if (random.next() < 0.2) await batches.at(-1);
    }
    await Promise.all(batches);
    expect(acknowledged).toEqual([...acknowledged].sort((a, b) => a - b));
    expect(committedBefore.every((count, i) => count === i)).toBe(true);
    expect(ledger.pendingWrites()).toBe(0);
    // Several turns' writes were committed as one batch while another was being written.
    expect(batchesSeen).toBeLessThan(60);
    expect(batchesSeen).toBeGreaterThan(1);
    await ledger.close();
    ledger = new LmdbLedger({ path });
    expect(ledger.positionsOf('SKU').n1).toEqual(position(59));
    expect(ledger.getMeta('b59-0')).toBe(59);
  });
});
