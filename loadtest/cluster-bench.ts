import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startNatsServer, type NatsServer } from '../test/support/nats-server.js';
import { parseWrkResult, wrkResultLua, type WrkResult } from './wrk.js';
import { median } from './stats.js';

// `npm run bench:cluster`: durable holds per second on a many-SKU workload (CLUSTER_BENCH_SKUS
// SKUs, default 2,000, each hold one unit of a random one, stock ample), three ways, each round
// side by side on the same machine:
//   all        one process (OO_ROLE=all): engine and gateway, one wrk at its port
//   1 engine   nats-server + 1 engine process (all CLUSTER_BENCH_PARTITIONS, default 16) + 2 gateways
//   2 engines  nats-server + 2 engine processes (half the partitions each) + 2 gateway processes
// In the cluster setups a wrk at each gateway (-t1 -c32 each; `all` gets -t1 -c64). Every process
// runs on the same 2 cores here, so this shows the cluster's overhead (two NATS hops and a second
// msgpack per hold) much more than its scaling. Appends the medians to loadtest/RESULTS.md with
// `--record`.

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const main = join(repoRoot, 'dist', 'engine', 'main.js');
const seconds = Number(process.env.CLUSTER_BENCH_SECONDS ?? 10);
const rounds = Number(process.env.CLUSTER_BENCH_ROUNDS ?? 3);
const skuCount = Number(process.env.CLUSTER_BENCH_SKUS ?? 2_000);
const record = process.argv.includes('--record');
const partitionCount = Number(process.env.CLUSTER_BENCH_PARTITIONS ?? 16);
const tokens = { OO_OPS_TOKEN: 'bench-ops-token-000000', OO_CHECKOUT_TOKEN: 'bench-checkout-token-000000', OO_VIEWER_TOKEN: 'bench-viewer-token-000000' };
const run = promisify(execFile);

interface Proc {
  port: number | undefined;
  stop(): Promise<void>;
}

function startProc(env: Record<string, string>, ready: string): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, [main], { env: { ...process.env, OO_PORT: '0', OO_SEED: 'none', OO_LOG_LEVEL: 'info', ...tokens, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return new Promise((done, fail) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes(`"msg":"${ready}"`));
      if (!line) return;
      buffered = '';
      done({ port: (JSON.parse(line) as { port?: number }).port, stop: async () => { child.kill('SIGTERM'); await exited; } });
    });
    child.once('exit', (code) => fail(new Error(`a ${env.OO_ROLE ?? 'all'} process exited with ${code}`)));
  });
}

function wrkScript(dir: string): string {
  const script = join(dir, 'many-skus.lua');
  writeFileSync(script, [
    `local skus = ${skuCount}`,
    'local n = 0',
    'request = function()',
    '  n = n + 1',
    '  local body = string.format(\'{"customerId":"c%d","destination":{"lat":41.9,"lon":-87.7},"lines":[{"sku":"BENCH-%d","qty":1}]}\', n % 100000, math.random(0, skus - 1))',
    `  return wrk.format("POST", "/v1/reservations", { ["content-type"] = "application/json", ["authorization"] = "Bearer ${tokens.OO_CHECKOUT_TOKEN}" }, body)`,
    'end',
    ...wrkResultLua,
  ].join('\n'));
  return script;
}

async function wrk(port: number, connections: number, script: string): Promise<WrkResult> {
  const { stdout } = await run('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '-s', script, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  return parseWrkResult(stdout);
}

async function setUp(port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const put = async (path: string, body: unknown): Promise<void> => {
    const response = await fetch(base + path, { method: 'PUT', headers: { authorization: `Bearer ${tokens.OO_OPS_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status >= 300) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
  };
  await put('/v1/nodes/wh-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < skuCount) await put(`/v1/inventory/wh-1/BENCH-${next++}`, { onHand: 10_000_000 });
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

interface Measured {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

const combine = (results: WrkResult[]): Measured => ({
  requestsPerSecond: results.reduce((sum, r) => sum + r.requestsPerSecond, 0),
  p50Ms: Math.max(...results.map((r) => r.p50Ms)),
  p99Ms: Math.max(...results.map((r) => r.p99Ms)),
  non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
});

async function single(dir: string, script: string): Promise<Measured> {
  const proc = await startProc({ OO_DATA_DIR: join(dir, 'all') }, 'listening');
  try {
    await setUp(proc.port!);
    return combine([await wrk(proc.port!, 64, script)]);
  } finally {
    await proc.stop();
  }
}

async function cluster(dir: string, script: string, engines: string[]): Promise<Measured> {
  const nats: NatsServer = await startNatsServer({ jetstream: true });
  const procs: Proc[] = [];
  try {
    const common = { OO_NATS_URL: nats.url, OO_PARTITION_COUNT: String(partitionCount) };
    for (const [i, partitions] of engines.entries()) procs.push(await startProc({ ...common, OO_ROLE: 'engine', OO_PARTITIONS: partitions, OO_ENGINE_ID: `bench-${i}`, OO_DATA_DIR: join(dir, `engine-${i}`) }, 'serving'));
    const gateways: Proc[] = [];
    for (const i of [0, 1]) {
      mkdirSync(join(dir, `gateway-${i}`), { recursive: true });
      gateways.push(await startProc({ ...common, OO_ROLE: 'gateway', OO_DATA_DIR: join(dir, `gateway-${i}`) }, 'listening'));
    }
    procs.push(...gateways);
    await setUp(gateways[0].port!);
    return combine(await Promise.all(gateways.map((g) => wrk(g.port!, 32, script))));
  } finally {
    for (const proc of procs.reverse()) await proc.stop();
    await nats.stop();
  }
}


async function mainBench(): Promise<void> {
  const setups: Array<[string, (dir: string, script: string) => Promise<Measured>]> = [
    ['all (one process)', single],
    ['1 engine + 2 gateways', (dir, script) => cluster(dir, script, [`0-${partitionCount - 1}`])],
    ['2 engines + 2 gateways', (dir, script) => cluster(dir, script, [`0-${partitionCount / 2 - 1}`, `${partitionCount / 2}-${partitionCount - 1}`])],
  ];
  const results = new Map<string, Measured[]>(setups.map(([name]) => [name, []]));
  const load = loadavg()[0].toFixed(2);
  for (let round = 1; round <= rounds; round++) {
    for (const [name, setup] of setups) {
      const dir = mkdtempSync(join(tmpdir(), 'oo-cluster-bench-'));
      try {
        const measured = await setup(dir, wrkScript(dir));
        results.get(name)!.push(measured);
        console.log(`round ${round}: ${name}: ${Math.round(measured.requestsPerSecond)} holds/s, p50 ${measured.p50Ms.toFixed(2)} ms, p99 ${measured.p99Ms.toFixed(2)} ms, non-2xx ${measured.non2xx}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const lines = [
    '',
    `## ${new Date().toISOString().slice(0, 16)}Z — cluster: 1 vs 2 engine processes`,
    '',
    `Command: \`npm run bench:cluster -- --record\` (CLUSTER_BENCH_SECONDS=${seconds}, CLUSTER_BENCH_ROUNDS=${rounds}, CLUSTER_BENCH_SKUS=${skuCount}, CLUSTER_BENCH_PARTITIONS=${partitionCount}); machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, nats-server on loopback, load average ${load} at the start, shared. One-unit holds of a random SKU of ${skuCount}, durable acks; wrk -t1 -c64 at the one process, -t1 -c32 at each of the two gateways. Medians of ${rounds} rounds (p50/p99: the worse gateway's).`,
    '',
    '| setup | holds/s | p50 ms | p99 ms | non-2xx | rounds (holds/s) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...setups.map(([name]) => {
      const r = results.get(name)!;
      return `| ${name} | ${Math.round(median(r.map((x) => x.requestsPerSecond)))} | ${median(r.map((x) => x.p50Ms)).toFixed(2)} | ${median(r.map((x) => x.p99Ms)).toFixed(2)} | ${r.map((x) => x.non2xx).join(', ')} | ${r.map((x) => Math.round(x.requestsPerSecond)).join(', ')} |`;
    }),
  ];
  console.log(lines.join('\n'));
  if (record) appendFileSync(join(repoRoot, 'loadtest', 'RESULTS.md'), lines.join('\n') + '\n');
}

mainBench().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
