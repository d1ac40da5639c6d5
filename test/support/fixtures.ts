// Test fixtures on real parts: LMDB in a temp dir, the real gateway on a free port, the engine in a
// child process for crash tests. Each cleans up after itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import { Engine, type EngineBounds, type EngineOptions, type RecoveryReport } from '../../engine/engine.js';
import type { Clock } from '../../engine/clock.js';
import { silentLogger } from '../../engine/logger.js';
import { mulberry32 } from '../../engine/prng.js';
import { Auth } from '../../gateway/auth.js';
import { startGateway, type Gateway } from '../../gateway/server.js';
import { LmdbLedger } from '../../storage/lmdb-ledger.js';

const logLinesMax = 10_000;

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export function tempDir(prefix = 'oo-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The random part of ids drawn from a seed (Engine option idRandom), so a seeded test replays
 * exactly: ids made in one simulated millisecond sort by it. Keep one across restarts.
 */
export function seededIds(seed: number): () => string {
  const next = mulberry32(seed);
  const hex8 = () => Math.floor(next() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return () => hex8() + hex8();
}

export interface TestEngine {
  dataDir: string;
  ledger: LmdbLedger;
  engine: Engine;
  /** Closes the engine and ledger, keeping the data dir (for a restart). */
  stop(): Promise<void>;
}

export type EngineSettings = Pick<EngineOptions, 'acceptWithinMs' | 'review' | 'currency' | 'requireAuthorizedPayment' | 'capacityPeers' | 'idPrefix' | 'idRandom'>;

export async function openEngine(dataDir: string, clock?: Clock, bounds?: Partial<EngineBounds>, options: EngineSettings = {}): Promise<TestEngine> {
  const ledger = new LmdbLedger({ path: join(dataDir, 'ledger') });
  const engine = new Engine({ ledger, ...(clock ? { clock } : {}), ...(bounds ? { bounds } : {}), ...options, logger: silentLogger });
  await engine.start();
  return {
    dataDir,
    ledger,
    engine,
    stop: async () => {
      await engine.stop();
      await ledger.close();
    },
  };
}

/**
 * Engines a test opens on LMDB in temp dirs: each is stopped and its dir removed after the test
 * (this registers the afterEach), or earlier with closeAll() (a test that opens one per case).
 * reopen() opens a stopped one again on its data dir (a restart), in its place.
 */
export function tempEngines() {
  const opened: Array<{ te: TestEngine; dir: { remove(): void } }> = [];
  const closeAll = async (): Promise<void> => {
    for (const { te, dir } of opened.splice(0)) {
      await te.stop();
      dir.remove();
    }
  };
  afterEach(closeAll);
  return {
    async open(clock?: Clock, bounds?: Partial<EngineBounds>, options?: EngineSettings): Promise<TestEngine> {
      const dir = tempDir();
      const te = await openEngine(dir.path, clock, bounds, options);
      opened.push({ te, dir });
      return te;
    },
    async reopen(stopped: TestEngine, clock?: Clock, bounds?: Partial<EngineBounds>, options?: EngineSettings): Promise<TestEngine> {
      const entry = opened.find((o) => o.te === stopped);
      if (!entry) throw new Error('reopen: not an engine of this test');
      entry.te = await openEngine(stopped.dataDir, clock, bounds, options);
      return entry.te;
    },
    closeAll,
  };
}

export interface TestServer extends TestEngine {
  url: string;
  wsUrl: string;
  port: number;
  tokens: { ops: string; checkout: string; viewer: string };
  auth: Auth;
  gateway: Gateway;
  /** Stops everything and removes the data dir. */
  close(): Promise<void>;
}

/** Engine + gateway in this process, on a free port, with an empty ledger (no demo seed). */
export async function startServer(options: { clock?: Clock; dataDir?: string; bounds?: Partial<EngineBounds>; engine?: EngineSettings } = {}): Promise<TestServer> {
  const dir = options.dataDir ? { path: options.dataDir, remove: () => {} } : tempDir();
  const opened = await openEngine(dir.path, options.clock, options.bounds, options.engine);
  const auth = Auth.open(dir.path, {});
  const gateway = await startGateway({ engine: opened.engine, auth, logger: silentLogger, host: '127.0.0.1', port: 0 });
  return {
    ...opened,
    url: `http://127.0.0.1:${gateway.port}`,
    wsUrl: `ws://127.0.0.1:${gateway.port}/v1/stream`,
    port: gateway.port,
    tokens: { ...auth.credentials },
    auth,
    gateway,
    close: async () => {
      gateway.close();
      await opened.stop();
      dir.remove();
    },
  };
}

export interface EngineProcess {
  child: ChildProcess;
  port: number;
  url: string;
  tokens: { ops: string; checkout: string; viewer: string };
  /** The engine's stdout lines so far (structured logs), from the first. */
  lines: readonly string[];
  /** What the engine's start-up recovery reported (its "recovered" log line). */
  recovery(): RecoveryReport;
  /** kill -9 and wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** The built engine (`dist/engine/main.js`) in a child process, as `npm start` runs it. */
export async function startEngineProcess(dataDir: string, env: Record<string, string> = {}): Promise<EngineProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'engine', 'main.js')], {
    env: { ...process.env, OO_DATA_DIR: dataDir, OO_PORT: '0', OO_SEED: 'none', OO_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  // Every stdout line from the first, kept for tests that read the engine's own account:
  // "recovered" comes before "listening".
  const { lines, onLine, stderr } = captureOutput(child);
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`engine did not start: ${stderr()}`)), 30_000);
    onLine((line) => {
      if (!line.includes('"msg":"listening"')) return;
      clearTimeout(timer);
      done((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => fail(new Error(`engine exited with ${code}: ${stderr()}`)));
  });
  const tokens = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as EngineProcess['tokens'];
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    tokens,
    lines,
    recovery: () => {
      const line = lines.find((l) => l.includes('"msg":"recovered"'));
      if (!line) throw new Error('the engine logged no "recovered" line');
      return JSON.parse(line) as RecoveryReport;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface CapturedOutput {
  /** stdout lines, the last `logLinesMax`. */
  lines: string[];
  onLine(listener: (line: string) => void): void;
  /** The last 16 KiB of stderr. */
  stderr(): string;
}

/** A child process's stdout split into lines as they come, and the tail of its stderr: both bounded. */
export function captureOutput(child: ChildProcess): CapturedOutput {
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-16_384);
  });
  const lines: string[] = [];
  const listeners: Array<(line: string) => void> = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > logLinesMax) lines.shift();
      for (const listener of listeners) listener(line);
    }
  });
  return { lines, onLine: (listener) => listeners.push(listener), stderr: () => stderr };
}

/** A small JSON client over real HTTP (Node's fetch). */
export async function call(url: string, token: string | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, the dashboard)
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
