// Shows the bounds of the sold-out scan behind `GET /v1/skus/sold-out`, on a small in-memory
// stand-in for the two engine methods it reads (the HTTP test in dashboard-api.test.ts runs it on
// the real engine): it looks at the first 5,000 SKUs only and says so, lists 200 at most, sums
// online nodes only, skips a SKU that vanished, fails on any other error, and serves one scan to
// every caller for a second (callers during a scan share it), or for ten times as long as a slow
// scan took.
import { describe, expect, it } from 'vitest';
import { EngineError } from '../engine/errors.js';
import type { InventoryView } from '../engine/views.js';
import { soldOutListedMax, SoldOutScanner, soldOutScanShareMax, soldOutScanSkusMax } from './sold-out.js';

function reader(count: number, availableOf: (i: number) => number) {
  const reads = { scans: 0, inventory: 0 };
  const names = Array.from({ length: count }, (_, i) => `SKU-${String(i).padStart(6, '0')}`);
  return {
    reads,
    engine: {
      ledger: {
        *listSkus() {
          reads.scans++;
          yield* names;
        },
      },
      async getInventory(sku: string): Promise<InventoryView> {
        reads.inventory++;
        const i = Number(sku.slice(4));
        if (i === 1) throw new EngineError('NOT_FOUND', 'gone');
        return {
          sku, available: availableOf(i),
          nodes: [
            { nodeId: 'a', onHand: 4, safetyStock: 0, reserved: 4, available: 0, status: 'online' },
            { nodeId: 'b', onHand: 9, safetyStock: 0, reserved: 0, available: 9, status: 'offline' },
          ],
        } as InventoryView;
      },
    },
  };
}

describe('SoldOutScanner', () => {
  it('looks at the first 5,000 SKUs only, lists 200 at most, and says where it stopped', async () => {
    const { engine, reads } = reader(soldOutScanSkusMax + 10, (i) => (i % 2 === 0 ? 0 : 1));
    const list = await new SoldOutScanner(engine).read();
    expect(reads.inventory).toBe(soldOutScanSkusMax);
    expect(list).toMatchObject({ scanned: soldOutScanSkusMax, scanTruncated: true, truncated: true });
    expect(list.skus).toHaveLength(soldOutListedMax);
    expect(list.skus[0]).toEqual({ sku: 'SKU-000000', onHand: 4, reserved: 4 }); // the offline node is left out
    expect(list.skus[1].sku).toBe('SKU-000002');
  });

  it('at exactly 5,000 SKUs looks at them all and says it missed none', async () => {
    const { engine } = reader(soldOutScanSkusMax, () => 1);
    expect(await new SoldOutScanner(engine).read()).toMatchObject({ scanned: soldOutScanSkusMax, scanTruncated: false, truncated: false, skus: [] });
  });

  it('skips a SKU that vanished, and lists all when under the bounds', async () => {
    const { engine } = reader(10, () => 0);
    const list = await new SoldOutScanner(engine).read();
    expect(list.skus.map((s) => s.sku)).not.toContain('SKU-000001');
    expect(list).toMatchObject({ scanned: 10, scanTruncated: false, truncated: false });
    expect(list.skus).toHaveLength(9);
  });

  it('fails on any other error, and tries again on the next read', async () => {
    const { engine } = reader(3, () => 0);
    let broken = true;
    const failing = { ...engine, getInventory: (sku: string) => (broken ? Promise.reject(new EngineError('UNAVAILABLE', 'down')) : engine.getInventory(sku)) };
    const scanner = new SoldOutScanner(failing);
    await expect(scanner.read()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    broken = false;
    expect((await scanner.read()).skus).toHaveLength(2);
  });

  it('serves one scan for a second, to callers during it and after it', async () => {
    let nowMs = 1_000_000;
    const { engine, reads } = reader(3, () => 0);
    const scanner = new SoldOutScanner(engine, () => nowMs);
    const [a, b] = await Promise.all([scanner.read(), scanner.read()]);
    expect(a).toBe(b);
    nowMs += 999;
    expect(await scanner.read()).toBe(a);
    expect(reads.scans).toBe(1);
    nowMs += 1;
    expect(await scanner.read()).not.toBe(a);
    expect(reads.scans).toBe(2);
  });

  it('serves a slow scan for ten times as long as it took, so scans take a tenth of the time at most', async () => {
    let nowMs = 1_000_000;
    const { engine, reads } = reader(3, () => 0);
    // Each SKU read takes 1 s of this clock: the scan takes 3 s.
    const slow = { ...engine, getInventory: (sku: string) => { nowMs += 1_000; return engine.getInventory(sku); } };
    const scanner = new SoldOutScanner(slow, () => nowMs);
    const first = await scanner.read();
    expect(soldOutScanShareMax).toBe(0.1);
    nowMs += 26_999; // 30 s after it started, less 1 ms
    expect(await scanner.read()).toBe(first);
    nowMs += 1;
    expect(await scanner.read()).not.toBe(first);
    expect(reads.scans).toBe(2);
  });
});
