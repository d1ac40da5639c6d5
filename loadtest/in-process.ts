import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Engine, ReservationRequest } from '../engine/engine.js';
import type { silentLogger } from '../engine/logger.js';
import type { LmdbLedger } from '../storage/lmdb-ledger.js';

// The engine in-process, as `npm run bench` and `npm run bench:cpu` measure it: a bench network
// with ample stock of one hot SKU, loops that keep a number of operations in flight (retrying what
// the queueing-delay bound sheds, as a client would), and an audit at the end.

/** The engine's classes, from this build or another one's dist (bench:cpu compares builds). */
export interface EngineModules {
  Engine: typeof Engine;
  LmdbLedger: typeof LmdbLedger;
  silentLogger: typeof silentLogger;
}

export interface Measure {
  perSecond: number;
  /** CPU per operation, every thread (process.cpuUsage()). */
  cpuUs: number;
  /** The main thread's busy time per operation (event-loop utilization). */
  mainUs: number;
  /** Operations shed with OVERLOADED and retried. */
  shed: number;
}

const benchNodes = [[41.88, -87.63], [40.71, -74.0], [34.05, -118.24], [29.76, -95.37], [47.61, -122.33]];

/**
 * A hold of one unit of the hot SKU. `spread`: every buyer ships somewhere else (destinations over
 * the continental US), so no two carts share a plan; otherwise all ship to one place, the flash
 * sale whose identical carts share one plan per turn.
 */
export const benchHold = (i: number, spread: boolean): ReservationRequest => ({
  customerId: `c${i % 100_000}`,
  destination: spread ? { lat: 30 + ((i * 7919) % 1700) / 100, lon: -120 + ((i * 104729) % 4500) / 100 } : { lat: 41.9, lon: -87.7 },
  lines: [{ sku: 'HOT', qty: 1 }],
});

/** An engine on a fresh ledger with `nodeCount` warehouses (at most 5) stocked with the hot SKU; audited, stopped and removed after `run`. */
export async function withBenchEngine<T>(modules: EngineModules, nodeCount: number, run: (engine: Engine) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'oo-bench-'));
  const ledger = new modules.LmdbLedger({ path: dir });
  const engine = new modules.Engine({ ledger, logger: modules.silentLogger });
  await engine.start();
  try {
    for (const [n, [lat, lon]] of benchNodes.slice(0, nodeCount).entries()) {
      await engine.putNode(`wh-${n + 1}`, { type: 'warehouse', name: 'Bench', location: { lat, lon }, priority: 1 });
      await engine.setStock(`wh-${n + 1}`, 'HOT', { onHand: 100_000_000 });
    }
    const result = await run(engine);
    const audit = await engine.audit();
    if (!audit.ok) throw new Error(`audit failed after the in-process bench: ${audit.problems.join('; ')}`);
    return result;
  } finally {
    await engine.stop();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `op` from `inFlight` loops until `until(done)`; a shed operation (OVERLOADED) is counted and retried after 1 ms. */
export async function measure(inFlight: number, until: (done: number) => boolean, op: (i: number) => Promise<unknown>): Promise<Measure> {
  let done = 0;
  let next = 0;
  let shed = 0;
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (!until(done)) {
      const i = next++;
      for (;;) {
        try {
          await op(i);
          break;
        } catch (error) {
          if ((error as { code?: string }).code !== 'OVERLOADED') throw error;
          shed++;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      done++;
    }
  }));
  const busy = performance.eventLoopUtilization(elu);
  const used = process.cpuUsage(cpu);
  return { perSecond: done / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / done, mainUs: (busy.active * 1000) / done, shed };
}

/**
 * Durable holds for `seconds`, `inFlight` at a time. At 500 all of them make one turn and wait out
 * its commit together; at 1,000 they make two turns (limits.holdTurnMax), the second decided while
 * the first commits. Past ~2,000 the queueing-delay bound starts shedding.
 */
export function benchHolds(modules: EngineModules, spread: boolean, seconds: number, inFlight = 500): Promise<Measure> {
  return withBenchEngine(modules, spread ? benchNodes.length : 1, (engine) => {
    const deadline = performance.now() + seconds * 1000;
    return measure(inFlight, () => performance.now() >= deadline, (i) => engine.createReservation(benchHold(i, spread)));
  });
}
