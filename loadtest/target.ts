import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpTransport } from './http-client.js';
import { UsageError, type RunOptions } from './options.js';
import { builtEngineMain as engineMain } from './paths.js';
import type { Tokens } from './scenarios/types.js';

// The engine under test: one already running (--url, tokens from flags, the environment or
// --data-dir's credentials.json), or one this tool starts — `node dist/engine/main.js` in a child
// process on a temp data dir, a free port, no demo seed — and stops (SIGTERM) at the end.

export interface Target {
  url: string;
  tokens: Tokens;
  startedByTool: boolean;
  stop(): Promise<void>;
}

const startTimeoutMs = 30_000;

interface Credentials {
  ops?: string;
  checkout?: string;
  viewer?: string;
}

function readCredentials(dataDir: string): Credentials {
  const path = join(dataDir, 'credentials.json');
  if (!existsSync(path)) throw new UsageError(`no credentials.json in ${dataDir}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Credentials;
}

export async function openTarget(options: RunOptions): Promise<Target> {
  if (options.url) {
    const stored = options.dataDir ? readCredentials(options.dataDir) : {};
    const ops = options.opsToken ?? stored.ops;
    const checkout = options.checkoutToken ?? stored.checkout ?? ops;
    if (!ops) throw new UsageError('against --url, the ops token is needed to set up the run\'s nodes, SKUs and stock: --ops-token or --data-dir');
    const url = options.url.replace(/\/+$/, '');
    await checkReachable(url);
    return { url, tokens: { ops, checkout: checkout!, viewer: options.viewerToken ?? stored.viewer }, startedByTool: false, stop: async () => {} };
  }
  return startEngine();
}

async function checkReachable(url: string): Promise<void> {
  const transport = new HttpTransport(url, { maxSockets: 1, timeoutMs: 5_000 });
  try {
    const answer = await transport.send({ method: 'GET', path: '/healthz', token: undefined });
    if (answer.status !== 200) throw new UsageError(`${url}/healthz answered ${answer.status}: is this the engine?`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot reach ${url}: ${(error as Error).message}`);
  } finally {
    transport.close();
  }
}

/** Starts the built engine on a temp data dir; `stop` ends it and removes the dir. */
export async function startEngine(env: Record<string, string> = {}): Promise<Target> {
  if (!existsSync(engineMain)) throw new Error(`${engineMain} is missing: build first (npm run build)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'oo-loadtest-'));
  const child = spawn(process.execPath, [engineMain], {
    env: { ...process.env, OO_DATA_DIR: dataDir, OO_PORT: '0', OO_HOST: '127.0.0.1', OO_SEED: 'none', OO_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a Ctrl-C at the terminal stops the load, not the engine the audit needs.
    detached: true,
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  // Never outlive the tool, whatever happens to it.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  try {
    const port = await listeningPort(child, () => stderr);
    const credentials = readCredentials(dataDir);
    return {
      url: `http://127.0.0.1:${port}`,
      tokens: { ops: credentials.ops, checkout: credentials.checkout!, viewer: credentials.viewer },
      startedByTool: true,
      stop: async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
        process.removeListener('exit', killOnExit);
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

function listeningPort(child: ChildProcess, stderr: () => string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the engine did not start in ${startTimeoutMs} ms: ${stderr()}`)), startTimeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"msg":"listening"')) continue;
        clearTimeout(timer);
        // Keep reading its log so the pipe never fills, without keeping it.
        child.stdout!.removeListener('data', onData);
        child.stdout!.resume();
        resolvePort((JSON.parse(line) as { port: number }).port);
        return;
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the engine exited with ${code}: ${stderr()}`));
    });
  });
}
