import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryBus } from '../engine/bus/memory-bus.js';
import type { EngineApi } from '../engine/engine-api.js';
import { silentLogger } from '../engine/logger.js';
import { reservationView } from '../engine/views.js';
import { Auth } from '../gateway/auth.js';
import { startGateway } from '../gateway/server.js';
import { parseWrkResult, wrkResultLua, type WrkResult } from './wrk.js';
import { median } from './stats.js';

// `npm run bench:gateway`: the gateway's own cost per hold, without the engine's. The real gateway
// (auth, body limit, schema, metrics, stream token, response writing) over a stub engine that
// answers `POST /v1/reservations` with a reservation view after a shared await, the way holds wait
// for a durable flush; beside the bare uWebSockets.js reference, in the same run (the machine is
// shared and noisy: only ratios and side-by-side runs compare). wrk -t1 -c64; besides req/s, the
// server's main-thread CPU per request (from /proc), which other load on the machine disturbs less.
// `node dist/loadtest/gateway-bench.js serve` runs the stub gateway alone (for profiling).

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const checkoutToken = 'bench-checkout-token';

/** The stub engine: holds from memory, answered together once per event-loop turn. */
function stubEngine(): EngineApi {
  let waiting: Array<() => void> = [];
  const flush = (): void => {
    const batch = waiting;
    waiting = [];
    for (const answer of batch) answer();
  };
  let serial = 0;
  const actors = { active: 0, passivated: 0, inflight: 0, inflightMaxActor: 0 };
  const stub = {
    bus: new MemoryBus(),
    events: { lastSeq: () => 0 },
    ledger: { durable: () => Promise.resolve(), onBatch: () => undefined, listSkus: () => [] },
    stats: () => ({ skuActors: actors, orderActors: actors, nodeActors: actors, ledgerPendingWrites: 0, liveOrders: 0 }),
    orderEventsAfter: () => undefined,
    createReservation: (request: { customerId: string; lines: Array<{ sku: string; qty: number }> }) => new Promise((resolve) => {
      if (waiting.length === 0) setImmediate(flush);
      waiting.push(() => {
        const now = Date.now();
        const record = {
          coreId: `b${(++serial).toString(36).padStart(11, '0')}`, customerId: request.customerId, channel: 'web', createdAt: now, expiresAt: now + 900_000,
          lines: request.lines.map(({ sku, qty }) => ({ sku, qty, nodeId: 'wh-1', status: 'allocated' })),
          promise: { deliveryBy: new Date(now + 2 * 86_400_000).toISOString(), carrierId: 'ground', nodeIds: ['wh-1'] },
        };
        resolve({ status: 201, replayed: false, body: reservationView({ state: 'held', record } as unknown as Parameters<typeof reservationView>[0]) });
      });
    }),
  };
  return stub as unknown as EngineApi;
}

async function serve(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oo-gateway-bench-'));
  const auth = Auth.open(dataDir, { OO_OPS_TOKEN: 'bench-ops-token', OO_CHECKOUT_TOKEN: checkoutToken, OO_VIEWER_TOKEN: 'bench-viewer-token' });
  const gateway = await startGateway({ engine: stubEngine(), auth, logger: silentLogger, host: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ msg: 'listening', port: gateway.port }));
  process.on('SIGTERM', () => {
    gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

interface Measured extends WrkResult {
  /** The server's main thread: CPU µs per answered request. */
  mainThreadCpuUsPerRequest: number;
}

/** Starts `script` (with `args`), waits for its listening line, runs wrk against it, stops it. */
async function measure(script: string, args: string[]): Promise<Measured> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'oo-wrk-'));
    const lua = join(dir, 'hold.lua');
    writeFileSync(lua, [
      'wrk.method = "POST"',
      `wrk.body = ${JSON.stringify(JSON.stringify({ customerId: 'bench-buyer', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'HOT', qty: 1 }] }))}`,
      'wrk.headers["content-type"] = "application/json"',
      `wrk.headers["authorization"] = "Bearer ${checkoutToken}"`,
      ...wrkResultLua,
    ].join('\n'));
    const url = `http://127.0.0.1:${port}/v1/reservations`;
    execFileSync('wrk', ['-t1', '-c64', '-d1s', '-s', lua, url], { encoding: 'utf8' }); // warm-up: JIT
    const cpuBefore = mainThreadCpuSeconds(child.pid!);
    const result = parseWrkResult(execFileSync('wrk', ['-t1', '-c64', `-d${seconds}s`, '-s', lua, url], { encoding: 'utf8' }));
    const cpu = mainThreadCpuSeconds(child.pid!) - cpuBefore;
    rmSync(dir, { recursive: true, force: true });
    return { ...result, mainThreadCpuUsPerRequest: (cpu * 1e6) / (result.requestsPerSecond * seconds) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** User + system CPU of a process's main thread, from /proc (clock ticks of 1/100 s). */
function mainThreadCpuSeconds(pid: number): number {
  const stat = execFileSync('cat', [`/proc/${pid}/task/${pid}/stat`], { encoding: 'utf8' });
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}


async function main(): Promise<void> {
  const gateway: Measured[] = [];
  const reference: Measured[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Alternate which goes first, so that a burst of other load does not always land on the same one.
    const order = round % 2 === 1 ? ['gateway', 'reference'] : ['reference', 'gateway'];
    for (const which of order) {
      if (which === 'gateway') gateway.push(await measure(fileURLToPath(import.meta.url), ['serve']));
      else reference.push(await measure(join(here, 'reference-uws.js'), []));
    }
    const g = gateway.at(-1)!;
    const r = reference.at(-1)!;
    console.log(`round ${round}: gateway ${Math.round(g.requestsPerSecond)} holds/s, ${g.mainThreadCpuUsPerRequest.toFixed(1)} µs main-thread CPU each (non-2xx ${g.non2xx}); bare uWS ${Math.round(r.requestsPerSecond)} req/s, ${r.mainThreadCpuUsPerRequest.toFixed(1)} µs each`);
  }
  const g = (pick: (m: Measured) => number) => median(gateway.map(pick));
  const r = (pick: (m: Measured) => number) => median(reference.map(pick));
  console.log(`medians of ${rounds} rounds of ${seconds} s: gateway over a stub engine ${Math.round(g((m) => m.requestsPerSecond))} holds/s, ${g((m) => m.mainThreadCpuUsPerRequest).toFixed(1)} µs main-thread CPU each; bare uWS ${Math.round(r((m) => m.requestsPerSecond))} req/s, ${r((m) => m.mainThreadCpuUsPerRequest).toFixed(1)} µs each`);
}

const run = process.argv[2] === 'serve' ? serve : main;
run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
