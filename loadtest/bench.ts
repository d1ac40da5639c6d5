import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/engine.js';
import { benchHolds } from './in-process.js';
import { median } from './stats.js';
import { measureLedgerCeiling, type LedgerCeiling } from './ledger-ceiling.js';
import { parseWrkResult, wrkResultLua, type WrkResult } from './wrk.js';
import { silentLogger } from '../engine/logger.js';
import { LmdbLedger } from '../storage/lmdb-ledger.js';

// `npm run bench`: durable holds per second on one hot SKU with ample stock,
//  1. in-process (the engine without HTTP, a window of holds in flight), and
//  2. over HTTP (wrk -t1 -c64 against the engine in its own process): the hot SKU, then a sold-out
//     SKU (every answer 409, nothing written) and 3-line carts on 3 SKUs, beside a bare uWebSockets.js
//     server that parses the JSON and answers from memory, measured in the same run, since the
//     shared machine is noisy and only ratios compare;
//  3. what lmdb-js alone writes durably here (loadtest/ledger-ceiling.ts): hold-shaped writes per
//     second, and one durable transaction's latency, which bounds 64 connections at 64 / it.
// Results are appended to loadtest/RESULTS.md with the command and the machine.

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

type HttpResult = WrkResult;

/** In-process durable holds/s (loadtest/in-process.ts); `spread`: every buyer elsewhere, no shared plans. */
async function inProcessHolds(spread = false, inFlight = 500): Promise<number> {
  const result = await benchHolds({ Engine, LmdbLedger, silentLogger }, spread, seconds, inFlight);
  if (result.shed > 0) console.log(`in-process: ${result.shed} holds shed with OVERLOADED (queueing-delay bound) and retried`);
  return result.perSecond;
}

function startProcess(script: string, env: Record<string, string>): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (!line) return;
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      done({ port: (JSON.parse(line) as { port: number }).port, stop: async () => { child.kill('SIGTERM'); await exited; } });
    });
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
}

function wrk(url: string, token: string, body: string): HttpResult {
  const script = join(mkdtempSync(join(tmpdir(), 'oo-wrk-')), 'hold.lua');
  writeFileSync(script, [
    'wrk.method = "POST"',
    `wrk.body = ${JSON.stringify(body)}`,
    'wrk.headers["content-type"] = "application/json"',
    `wrk.headers["authorization"] = "Bearer ${token}"`,
    ...wrkResultLua,
  ].join('\n'));
  return parseWrkResult(execFileSync('wrk', ['-t1', '-c64', `-d${seconds}s`, '-s', script, url], { encoding: 'utf8' }));
}

interface HttpRound {
  engine: HttpResult;
  /** Every answer 409 INSUFFICIENT_STOCK: a SKU whose units are all held. */
  soldOut: HttpResult;
  /** Carts of 3 lines, on 3 SKUs. */
  cart3: HttpResult;
  reference: HttpResult;
}

async function httpHolds(): Promise<HttpRound> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oo-bench-http-'));
  const server = await startProcess(join(repoRoot, 'dist', 'engine', 'main.js'), { OO_DATA_DIR: dataDir, OO_PORT: '0', OO_SEED: 'none', OO_LOG_LEVEL: 'info' });
  const tokens = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { ops: string; checkout: string };
  const base = `http://127.0.0.1:${server.port}`;
  const put = (path: string, body: unknown) => fetch(base + path, { method: 'PUT', headers: { authorization: `Bearer ${tokens.ops}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await put('/v1/nodes/wh-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  await put('/v1/inventory/wh-1/HOT', { onHand: 100_000_000 });
  const body = JSON.stringify({ customerId: 'bench-buyer', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'HOT', qty: 1 }] });
  const engine = wrk(`${base}/v1/reservations`, tokens.checkout, body);
  // Sold out: one unit, held by the first buyer; everyone after gets 409 without a write.
  await put('/v1/inventory/wh-1/GONE', { onHand: 1 });
  const hold = (lines: Array<{ sku: string; qty: number }>) => JSON.stringify({ customerId: 'bench-buyer', destination: { lat: 41.9, lon: -87.7 }, lines });
  await fetch(`${base}/v1/reservations`, { method: 'POST', headers: { authorization: `Bearer ${tokens.checkout}`, 'content-type': 'application/json' }, body: hold([{ sku: 'GONE', qty: 1 }]) });
  const soldOut = wrk(`${base}/v1/reservations`, tokens.checkout, hold([{ sku: 'GONE', qty: 1 }]));
  for (const sku of ['CART-A', 'CART-B', 'CART-C']) await put(`/v1/inventory/wh-1/${sku}`, { onHand: 100_000_000 });
  const cart3 = wrk(`${base}/v1/reservations`, tokens.checkout, hold([{ sku: 'CART-A', qty: 1 }, { sku: 'CART-B', qty: 2 }, { sku: 'CART-C', qty: 1 }]));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  const referenceServer = await startProcess(join(repoRoot, 'dist', 'loadtest', 'reference-uws.js'), {});
  const reference = wrk(`http://127.0.0.1:${referenceServer.port}/v1/reservations`, 'x', body);
  await referenceServer.stop();
  return { engine, soldOut, cart3, reference };
}


async function main(): Promise<void> {
  const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
  const inProcess: number[] = [];
  const inProcess1000: number[] = [];
  const inProcessSpread: number[] = [];
  const http: HttpRound[] = [];
  const ceilings: LedgerCeiling[] = [];
  for (let round = 1; round <= rounds; round++) {
    ceilings.push(await measureLedgerCeiling(Math.min(seconds, 5)));
    console.log(`round ${round}: lmdb-js alone ${Math.round(ceilings.at(-1)!.holdsPerSecond)} hold-shaped writes/s; one durable transaction ${ceilings.at(-1)!.durableMsP50.toFixed(2)} ms`);
    inProcess.push(await inProcessHolds());
    inProcess1000.push(await inProcessHolds(false, 1000));
    inProcessSpread.push(await inProcessHolds(true));
    console.log(`round ${round}: in-process ${Math.round(inProcess.at(-1)!)} holds/s (500 in flight), ${Math.round(inProcess1000.at(-1)!)} (1,000 in flight); every buyer elsewhere ${Math.round(inProcessSpread.at(-1)!)} holds/s`);
    if (hasWrk) {
      http.push(await httpHolds());
      const last = http.at(-1)!;
      console.log(`round ${round}: HTTP ${Math.round(last.engine.requestsPerSecond)} holds/s (p50 ${last.engine.p50Ms.toFixed(2)} ms, p99 ${last.engine.p99Ms.toFixed(2)} ms, non-2xx ${last.engine.non2xx}); sold out ${Math.round(last.soldOut.requestsPerSecond)} answers/s; 3-line carts ${Math.round(last.cart3.requestsPerSecond)}/s; bare uWS ${Math.round(last.reference.requestsPerSecond)} req/s`);
    } else {
      console.log('wrk is not installed (apt-get install -y wrk): HTTP bench skipped');
    }
  }
  const commit = (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const lines = [
    '',
    `## ${new Date().toISOString().slice(0, 16)}Z — commit ${commit}`,
    '',
    `Command: \`npm run bench\` (BENCH_SECONDS=${seconds}, BENCH_ROUNDS=${rounds}); machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, shared. Medians of ${rounds} rounds; durable acks (a 2xx only after the batch is flushed).`,
    '',
    '| measure | median | rounds |',
    '| --- | --- | --- |',
    `| in-process holds/s (one hot SKU, 500 in flight) | ${Math.round(median(inProcess))} | ${inProcess.map(Math.round).join(', ')} |`,
    `| in-process holds/s (one hot SKU, 1,000 in flight: two turns, one deciding while the other commits) | ${Math.round(median(inProcess1000))} | ${inProcess1000.map(Math.round).join(', ')} |`,
    `| in-process holds/s, every buyer elsewhere (5 nodes, no shared plans) | ${Math.round(median(inProcessSpread))} | ${inProcessSpread.map(Math.round).join(', ')} |`,
    `| lmdb-js alone: durable hold-shaped writes/s (record + expiry entry, 1,000 per transaction, no engine) | ${Math.round(median(ceilings.map((c) => c.holdsPerSecond)))} | ${ceilings.map((c) => Math.round(c.holdsPerSecond)).join(', ')} |`,
    `| lmdb-js alone: one durable transaction, p50 ms | ${median(ceilings.map((c) => c.durableMsP50)).toFixed(2)} | ${ceilings.map((c) => c.durableMsP50.toFixed(2)).join(', ')} |`,
    `| so at most, with 64 connections of one request each: 64 / that, per second | ${Math.round(64_000 / median(ceilings.map((c) => c.durableMsP50)))} | |`,
  ];
  if (http.length > 0) {
    const e = http.map((h) => h.engine);
    const r = http.map((h) => h.reference);
    lines.push(
      `| HTTP holds/s (wrk -t1 -c64, one hot SKU) | ${Math.round(median(e.map((x) => x.requestsPerSecond)))} | ${e.map((x) => Math.round(x.requestsPerSecond)).join(', ')} |`,
      `| HTTP hold p50 / p99 ms | ${median(e.map((x) => x.p50Ms)).toFixed(2)} / ${median(e.map((x) => x.p99Ms)).toFixed(2)} | |`,
      `| HTTP non-2xx answers | ${e.map((x) => x.non2xx).join(', ')} | |`,
      `| HTTP sold-out answers/s (every one 409, no write) | ${Math.round(median(http.map((h) => h.soldOut.requestsPerSecond)))} | ${http.map((h) => Math.round(h.soldOut.requestsPerSecond)).join(', ')} |`,
      `| HTTP sold-out p50 / p99 ms | ${median(http.map((h) => h.soldOut.p50Ms)).toFixed(2)} / ${median(http.map((h) => h.soldOut.p99Ms)).toFixed(2)} | |`,
      `| HTTP 3-line carts/s (3 SKUs, durable) | ${Math.round(median(http.map((h) => h.cart3.requestsPerSecond)))} | ${http.map((h) => Math.round(h.cart3.requestsPerSecond)).join(', ')} |`,
      `| HTTP 3-line cart p50 / p99 ms | ${median(http.map((h) => h.cart3.p50Ms)).toFixed(2)} / ${median(http.map((h) => h.cart3.p99Ms)).toFixed(2)} | |`,
      `| bare uWS, parse JSON + answer from memory, req/s | ${Math.round(median(r.map((x) => x.requestsPerSecond)))} | ${r.map((x) => Math.round(x.requestsPerSecond)).join(', ')} |`,
      `| engine / bare uWS | ${(median(e.map((x) => x.requestsPerSecond)) / median(r.map((x) => x.requestsPerSecond))).toFixed(2)} | |`,
    );
  }
  const results = join(repoRoot, 'loadtest', 'RESULTS.md');
  if (!existsSync(results)) writeFileSync(results, '# Benchmark results\n\nNewest last. Each section: the command, the machine, medians of the rounds run side by side.\n');
  appendFileSync(results, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
