import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Engine as EngineType, ReservationRequest } from '../engine/engine.js';

// `npm run bench:cpu -- [build ...]`: the engine in-process, measured in CPU per operation as well
// as operations per second, which the noise of a shared machine moves far less:
//   holds     one hot SKU, one destination, 500 in flight (identical carts share a plan per turn)
//   spread    every buyer at another destination, 5 nodes (no two carts share a plan)
//   confirms  40,000 holds made first, then confirmed, 100 in flight
// Each build is a checkout's root (its dist/ built); given several, they run alternately, round by
// round (BENCH_ROUNDS, default 3; BENCH_SECONDS per measure, default 6), so that they are compared
// side by side. CPU is process.cpuUsage() (every thread) and the main thread's busy time
// (performance.eventLoopUtilization()), per operation.

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const builds = process.argv.slice(2).length > 0 ? process.argv.slice(2).map((root) => resolve(root)) : [resolve(import.meta.dirname ?? '.', '..', '..')];

interface Modules {
  Engine: typeof EngineType;
  LmdbLedger: typeof import('../storage/lmdb-ledger.js').LmdbLedger;
  silentLogger: typeof import('../engine/logger.js').silentLogger;
}

interface Measure {
  perSecond: number;
  cpuUs: number;
  mainUs: number;
}

async function load(root: string): Promise<Modules> {
  const from = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href);
  return {
    Engine: (await from('engine/engine.js')).Engine,
    LmdbLedger: (await from('storage/lmdb-ledger.js')).LmdbLedger,
    silentLogger: (await from('engine/logger.js')).silentLogger,
  };
}

const nodes = [[41.88, -87.63], [40.71, -74.0], [34.05, -118.24], [29.76, -95.37], [47.61, -122.33]];

async function withEngine<T>(modules: Modules, nodeCount: number, run: (engine: EngineType) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'oo-cpu-'));
  const ledger = new modules.LmdbLedger({ path: dir });
  const engine = new modules.Engine({ ledger, logger: modules.silentLogger });
  await engine.start();
  try {
    for (const [n, [lat, lon]] of nodes.slice(0, nodeCount).entries()) {
      await engine.putNode(`wh-${n + 1}`, { type: 'warehouse', name: 'Bench', location: { lat, lon }, priority: 1 });
      await engine.setStock(`wh-${n + 1}`, 'HOT', { onHand: 100_000_000 });
    }
    return await run(engine);
  } finally {
    await engine.stop();
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `op` from `inFlight` loops until `until()` says stop; a shed operation (OVERLOADED) is retried after 1 ms. */
async function measure(inFlight: number, until: (done: number) => boolean, op: (i: number) => Promise<unknown>): Promise<Measure> {
  let done = 0;
  let next = 0;
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
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      done++;
    }
  }));
  const busy = performance.eventLoopUtilization(elu);
  const used = process.cpuUsage(cpu);
  return { perSecond: done / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / done, mainUs: (busy.active * 1000) / done };
}

const hold = (i: number, spread: boolean): ReservationRequest => ({
  customerId: `c${i % 100_000}`,
  destination: spread ? { lat: 30 + ((i * 7919) % 1700) / 100, lon: -120 + ((i * 104729) % 4500) / 100 } : { lat: 41.9, lon: -87.7 },
  lines: [{ sku: 'HOT', qty: 1 }],
});

async function holds(modules: Modules, spread: boolean): Promise<Measure> {
  return withEngine(modules, spread ? 5 : 1, (engine) => {
    const deadline = performance.now() + seconds * 1000;
    return measure(500, () => performance.now() >= deadline, (i) => engine.createReservation(hold(i, spread)));
  });
}

async function confirms(modules: Modules): Promise<Measure> {
  return withEngine(modules, 1, async (engine) => {
    const ids: string[] = [];
    const count = 40_000;
    for (let start = 0; start < count; start += 500) {
      const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => engine.createReservation(hold(start + i, false))));
      for (const answer of answers) ids.push(answer.body.reservationId);
    }
    return measure(100, (done) => done >= ids.length - 100, (i) => engine.confirmReservation(ids[i], {}));
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const row = (name: string, measures: Measure[]) =>
  `| ${name} | ${Math.round(median(measures.map((m) => m.perSecond)))} | ${median(measures.map((m) => m.cpuUs)).toFixed(1)} | ${median(measures.map((m) => m.mainUs)).toFixed(1)} | ${measures.map((m) => Math.round(m.perSecond)).join(', ')} |`;

async function main(): Promise<void> {
  const loaded = await Promise.all(builds.map(load));
  const results = builds.map(() => ({ holds: [] as Measure[], spread: [] as Measure[], confirms: [] as Measure[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const [b, modules] of loaded.entries()) {
      results[b].holds.push(await holds(modules, false));
      results[b].spread.push(await holds(modules, true));
      results[b].confirms.push(await confirms(modules));
      const last = (list: Measure[]) => `${Math.round(list.at(-1)!.perSecond)}/s ${list.at(-1)!.cpuUs.toFixed(1)} µs`;
      console.log(`round ${round} ${builds[b]}: holds ${last(results[b].holds)}; every buyer elsewhere ${last(results[b].spread)}; confirms ${last(results[b].confirms)}`);
    }
  }
  console.log(`\nBENCH_SECONDS=${seconds}, ${rounds} rounds, medians; CPU per operation: process (every thread) and main thread.\n`);
  for (const [b, build] of builds.entries()) {
    console.log(`${build}\n\n| measure | per second | CPU µs | main-thread µs | rounds |\n| --- | --- | --- | --- | --- |`);
    console.log(row('holds, one hot SKU', results[b].holds));
    console.log(row('holds, every buyer elsewhere', results[b].spread));
    console.log(row('confirms', results[b].confirms));
    console.log('');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
