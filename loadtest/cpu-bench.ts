import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchHold, benchHolds, measure, withBenchEngine, type EngineModules, type Measure } from './in-process.js';
import { median } from './stats.js';

// `npm run bench:cpu -- [build ...]`: the engine in-process, measured in CPU per operation as well
// as operations per second, which the noise of a shared machine moves far less:
//   holds     one hot SKU, one destination, 500 in flight (identical carts share a plan per turn)
//   spread    every buyer at another destination, 5 nodes (no two carts share a plan)
//   confirms  40,000 holds made first, then confirmed, 100 in flight
// Each build is a checkout's root (its dist/ built); given several, they run alternately, round by
// round (BENCH_ROUNDS, default 3; BENCH_SECONDS per measure, default 6), so that they are compared
// side by side. Each build's round runs in a process of its own (after a second of warm-up): two
// builds in one process share lmdb-js and msgpackr, whose inline caches then see both builds'
// objects, which measurably slowed whichever build it happened to be. CPU is process.cpuUsage()
// (every thread) and the main thread's busy time (performance.eventLoopUtilization()), per operation.

const seconds = Number(process.env.BENCH_SECONDS ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const given = process.argv[2] === '--round' ? [] : process.argv.slice(2);
const builds = given.length > 0 ? given.map((root) => resolve(root)) : [resolve(import.meta.dirname ?? '.', '..', '..')];

async function load(root: string): Promise<EngineModules> {
  const from = (path: string) => import(pathToFileURL(join(root, 'dist', path)).href);
  return {
    Engine: (await from('engine/engine.js')).Engine,
    LmdbLedger: (await from('storage/lmdb-ledger.js')).LmdbLedger,
    silentLogger: (await from('engine/logger.js')).silentLogger,
  };
}

async function confirms(modules: EngineModules): Promise<Measure> {
  return withBenchEngine(modules, 1, async (engine) => {
    const ids: string[] = [];
    const count = 40_000;
    for (let start = 0; start < count; start += 500) {
      const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => engine.createReservation(benchHold(start + i, false))));
      for (const answer of answers) ids.push(answer.body.reservationId);
    }
    return measure(100, (done) => done >= ids.length - 100, (i) => engine.confirmReservation(ids[i], {}));
  });
}

const row = (name: string, measures: Measure[]) =>
  `| ${name} | ${Math.round(median(measures.map((m) => m.perSecond)))} | ${median(measures.map((m) => m.cpuUs)).toFixed(1)} | ${median(measures.map((m) => m.mainUs)).toFixed(1)} | ${measures.map((m) => Math.round(m.perSecond)).join(', ')} |`;

interface RoundResult {
  holds: Measure;
  spread: Measure;
  confirms: Measure;
}

/** One round of one build, in this process (the child that main() starts for it). */
async function runRound(root: string): Promise<RoundResult> {
  const modules = await load(root);
  await benchHolds(modules, false, 1);
  return { holds: await benchHolds(modules, false, seconds), spread: await benchHolds(modules, true, seconds), confirms: await confirms(modules) };
}

async function main(): Promise<void> {
  const results = builds.map(() => ({ holds: [] as Measure[], spread: [] as Measure[], confirms: [] as Measure[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const [b, root] of builds.entries()) {
      const output = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--round', root], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
      const measured = JSON.parse(output.trim().split('\n').at(-1)!) as RoundResult;
      results[b].holds.push(measured.holds);
      results[b].spread.push(measured.spread);
      results[b].confirms.push(measured.confirms);
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

const roundOf = process.argv[2] === '--round' ? process.argv[3] : undefined;
(roundOf ? runRound(roundOf).then((result) => console.log(JSON.stringify(result))) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
