import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../engine/engine.js';
import { isEngineError } from '../engine/errors.js';
import { silentLogger } from '../engine/logger.js';
import { LmdbLedger } from '../storage/lmdb-ledger.js';

// `npm run bench:memory`: resident memory with many orders in flight, and its growth while many
// more complete (created, shipped, delivered). Live orders are records on disk; in memory there
// are at most `orderActorsMax` order actors, and final orders are passivated once durable.
// MEMORY_INFLIGHT (default 100,000) and MEMORY_COMPLETED (default 1,000,000) set the sizes.

const inflight = Number(process.env.MEMORY_INFLIGHT ?? 100_000);
const completed = Number(process.env.MEMORY_COMPLETED ?? 1_000_000);
const window = 1_000;
const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

/**
 * RSS counts the pages of LMDB's memory-mapped file that the process touched (file-backed, the
 * kernel's to reclaim); RssAnon is the process's own memory. Both are reported.
 */
function settle(): { rssMiB: number; anonMiB: number; heapMiB: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const anonKiB = Number(/RssAnon:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMiB: mib(usage.rss), anonMiB: Math.round(anonKiB / 1024), heapMiB: mib(usage.heapUsed) };
}

let shed = 0;

/** `step`, again after a moment while the engine sheds load (OVERLOADED), as a client would. */
async function retried(step: () => Promise<unknown>): Promise<unknown> {
  for (;;) {
    try {
      return await step();
    } catch (error) {
      if (!isEngineError(error) || error.code !== 'OVERLOADED') throw error;
      shed++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

async function inBatches(count: number, step: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += window) {
    const end = Math.min(count, start + window);
    const batch: Array<Promise<unknown>> = [];
    for (let i = start; i < end; i++) batch.push(step(i));
    await Promise.all(batch);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oo-memory-'));
  const ledger = new LmdbLedger({ path: dir });
  const engine = new Engine({ ledger, logger: silentLogger, acceptWithinMs: 7 * 86_400_000 });
  await engine.start();
  const nodes = ['wh-east', 'wh-central', 'wh-west'];
  for (const [i, nodeId] of nodes.entries()) await engine.putNode(nodeId, { type: 'warehouse', name: nodeId, location: { lat: 40, lon: -75 - 20 * i }, priority: 1 });
  const skus = Array.from({ length: 200 }, (_, i) => `SKU-${i}`);
  for (const nodeId of nodes) for (const sku of skus) await engine.setStock(nodeId, sku, { onHand: 1_000_000_000 });
  const base = settle();
  console.log(`start: rss ${base.rssMiB} MiB (anon ${base.anonMiB}), heap ${base.heapMiB} MiB`);

  const cart = (i: number) => ({ customerId: `c${i}`, destination: { lat: 35 + (i % 10), lon: -80 - (i % 30) }, lines: [{ sku: skus[i % skus.length], qty: 1 }, { sku: skus[(i * 7) % skus.length], qty: 2 }] });
  let started = performance.now();
  await inBatches(inflight, (i) => retried(() => engine.createOrder(cart(i))));
  const live = settle();
  console.log(`${inflight} orders in flight (released, not shipped): rss ${live.rssMiB} MiB (anon ${live.anonMiB}), heap ${live.heapMiB} MiB, ${Math.round(inflight / ((performance.now() - started) / 1000))} orders/s; live records ${engine.stats().liveOrders}, order actors in memory ${engine.stats().orderActors.active}`);

  started = performance.now();
  let mark = settle();
  await inBatches(completed, async (i) => {
    const order = ((await retried(() => engine.createOrder(cart(inflight + i)))) as Awaited<ReturnType<Engine['createOrder']>>).body;
    const nodeIds = [...new Set(order.lines.map((l) => l.nodeId!))];
    for (const nodeId of nodeIds) await retried(() => engine.nodeEvent(nodeId, { orderId: order.orderId, type: 'shipped' }));
    for (const nodeId of nodeIds) await retried(() => engine.nodeEvent(nodeId, { orderId: order.orderId, type: 'delivered' }));
    if ((i + 1) % Math.max(1, Math.floor(completed / 5)) === 0) {
      mark = settle();
      console.log(`  completed ${i + 1}: rss ${mark.rssMiB} MiB (anon ${mark.anonMiB}), heap ${mark.heapMiB} MiB`);
    }
  });
  const end = settle();
  console.log(`${completed} more orders completed: rss ${end.rssMiB} MiB (+${end.rssMiB - live.rssMiB}; anon ${end.anonMiB}, +${end.anonMiB - live.anonMiB}), heap ${end.heapMiB} MiB (+${end.heapMiB - live.heapMiB}), ${Math.round(completed / ((performance.now() - started) / 1000))} orders/s; order actors in memory ${engine.stats().orderActors.active}`);
  const audit = await engine.audit();
  console.log(`audit: ${audit.ok ? 'ok' : audit.problems.join('; ')}; ${shed} requests shed with OVERLOADED (queueing-delay bound) and retried`);
  await engine.stop();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
