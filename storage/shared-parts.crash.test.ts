// Shows that records sharing a routing and a promise survive kill -9 as every record does: each one
// acknowledged (its batch durable) reads back whole, its parts resolved, and the live index and
// count agree. How: the built ledger (dist/) in a child process writes batches of holds that
// share their parts, a few batches per turn, and prints each batch's ids once durable; the test
// kills it with SIGKILL mid-stream and reopens the data dir with a real LmdbLedger. No mocks.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LmdbLedger } from './lmdb-ledger.js';
import { repoRoot, tempDir } from '../test/support/fixtures.js';

const child = (path: string): string => `
const { LmdbLedger } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, 'dist', 'storage', 'lmdb-ledger.js')).href)});
const ledger = new LmdbLedger({ path: ${JSON.stringify(path)} });
const T0 = 1_800_000_000_000;
let n = 0;
for (let batch = 0; ; batch++) {
  // One plan per batch: its records share the very same routing and promise objects.
  const routing = { compact: 1, strategy: 'blend', fulfillment: 'delivery', totalCost: batch, currency: 'USD', lines: [{ sku: 'A', qty: 1, chosen: [['n1', 1]], candidates: [['n1', 6, 100, 'economy', T0, 8, batch, 3, 0, 0, 0]], rejected: [] }], excluded: [] };
  const promise = { deliveryBy: new Date(T0 + batch).toISOString(), shipments: [{ nodeId: 'n1', distanceKm: batch, deliveryBy: new Date(T0 + batch).toISOString(), kind: 'delivery' }] };
  const ids = [];
  for (let k = 0; k < 50; k++, n++) {
    const coreId = 'h' + String(n).padStart(8, '0');
    ids.push(coreId);
    const record = { coreId, customerId: 'c', channel: 'web', destination: { lat: 1, lon: 2 }, createdAt: T0, expiresAt: T0 + n, lines: [{ sku: 'A', qty: 1, nodeId: 'n1', status: 'held' }], promise, history: [], routing };
    ledger.putOrder({ state: 'held', record }, true, true);
    ledger.setExpiry(coreId, record.expiresAt);
    ledger.putPosition('A', 'n1', { onHand: 1e9, safetyStock: 0, reserved: n + 1 });
  }
  const durable = ledger.durable();
  durable.then(() => process.stdout.write(batch + ' ' + ids[0] + ' ' + ids.length + '\\n'));
  if (batch % 3 === 2) await durable;
}
`;

let dir: { path: string; remove(): void } | undefined;

afterEach(() => {
  dir?.remove();
  dir = undefined;
});

describe('shared parts and kill -9', () => {
  it('keeps every acknowledged record that shares its routing and promise, whole', async () => {
    dir = tempDir('oo-shared-crash-');
    const path = join(dir.path, 'ledger');
    const process_ = spawn(process.execPath, ['--input-type=module', '-e', child(path)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acknowledged: Array<{ batch: number; first: number; count: number }> = [];
    let stderr = '';
    process_.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let pending = '';
    await new Promise<void>((done, fail) => {
      process_.on('exit', () => fail(new Error(`the writer exited early: ${stderr}`)));
      process_.stdout.on('data', (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const [batch, first, count] = line.split(' ');
          acknowledged.push({ batch: Number(batch), first: Number(first.slice(1)), count: Number(count) });
        }
        // Mid-stream: batches are being staged and committed as it dies.
        if (acknowledged.length >= 150) {
          process_.removeAllListeners('exit');
          process_.on('exit', () => done());
          process_.kill('SIGKILL');
        }
      });
    });

    const ledger = new LmdbLedger({ path });
    try {
      for (const { batch, first, count } of acknowledged) {
        for (let n = first; n < first + count; n++) {
          const record = ledger.getOrder(`h${String(n).padStart(8, '0')}`)?.record;
          expect(record?.routing).toMatchObject({ totalCost: batch });
          expect(record?.promise.shipments[0].distanceKm).toBe(batch);
        }
      }
      // Everything on disk reads whole, acknowledged or not, and the indexes agree with it.
      let live = 0;
      for (const { record } of ledger.liveOrders()) {
        expect(record.routing).toHaveProperty('lines');
        expect(record.promise).toHaveProperty('shipments');
        live++;
      }
      const acknowledgedCount = acknowledged.reduce((sum, a) => sum + a.count, 0);
      expect(live).toBeGreaterThanOrEqual(acknowledgedCount);
      expect(ledger.liveOrderCount()).toBe(live);
      expect(ledger.dueExpiries(Number.MAX_SAFE_INTEGER, 1_000_000)).toHaveLength(live);
      expect(ledger.positionsOf('A').n1.reserved).toBe(live);
    } finally {
      await ledger.close();
    }
  });
});
