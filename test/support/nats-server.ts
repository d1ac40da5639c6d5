// A real nats-server for tests and benchmarks: started as a child process on a free loopback port
// (the server picks it: `-p -1`, read back from its log, so no other process can take it between a
// probe and the start), awaited until it serves, stopped and its temp dir removed afterwards.
// A 3-server cluster connects its members with routes on loopback and is awaited until a request
// crosses every pair of servers. CI installs nats-server (.ci/run); without it the start fails
// with a message saying how to install it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsServerOptions {
  /** Runs JetStream with its store in the server's temp dir (`-js -sd`). Not with a cluster. */
  jetstream?: boolean;
  /** The executable; default `nats-server`, found on the PATH. */
  command?: string;
  /** How long the server may take to start. */
  readyTimeoutMs?: number;
  /** Joins a cluster: its name, and route URLs of members already running. */
  cluster?: { name: string; routes: string[] };
  /** The server's name (`-n`), shown in its log. */
  serverName?: string;
}

export interface NatsServer {
  url: string;
  port: number;
  /** The cluster route URL, when the server is in a cluster. */
  routeUrl: string | undefined;
  /** The server's temp dir (the JetStream store when `jetstream`), removed by stop() and kill(). */
  dir: string;
  /** The tail of the server's log, for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once, as a crash; removes the temp dir. */
  kill(): Promise<void>;
}

export interface NatsCluster {
  servers: NatsServer[];
  urls: string[];
  stop(): Promise<void>;
}

const logBytesMax = 64 * 1024;
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export class NatsServerMissingError extends Error {
  override name = 'NatsServerMissingError';
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const command = options.command ?? 'nats-server';
  const executable = findExecutable(command);
  if (executable === undefined) {
    throw new NatsServerMissingError(
      `${command} is not on the PATH, and the NATS tests need it. Install it: on Debian/Ubuntu ` +
        '`apt-get install nats-server` (.ci/run does this), or a release from https://github.com/nats-io/nats-server/releases.',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'oo-nats-'));
  const args = ['-a', '127.0.0.1', '-p', '-1'];
  if (options.serverName) args.push('-n', options.serverName);
  if (options.jetstream) args.push('-js', '-sd', dir);
  if (options.cluster) {
    args.push('--cluster', 'nats://127.0.0.1:-1', '--cluster_name', options.cluster.name);
    if (options.cluster.routes.length > 0) args.push('--routes', options.cluster.routes.join(','));
  }
  const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  track(child);
  let log = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    log = (log + chunk).slice(-logBytesMax);
  });
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const { port, routePort } = await whenReady(child, () => log, options.readyTimeoutMs ?? 10_000, options.cluster !== undefined);
    return {
      url: `nats://127.0.0.1:${port}`,
      port,
      routeUrl: routePort === undefined ? undefined : `nats://127.0.0.1:${routePort}`,
      dir,
      log: () => log,
      stop: async () => {
        await terminate(child, 'SIGTERM');
        removeDir();
      },
      kill: async () => {
        await terminate(child, 'SIGKILL');
        removeDir();
      },
    };
  } catch (error) {
    await terminate(child, 'SIGKILL');
    removeDir();
    throw error;
  }
}

/** `size` servers in one cluster, routes on loopback, ready when a request crosses every pair. */
export async function startNatsCluster(size = 3, readyTimeoutMs = 15_000): Promise<NatsCluster> {
  const name = `oo-test-${process.pid}-${Date.now()}`;
  const servers: NatsServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    const seed = await startNatsServer({ cluster: { name, routes: [] }, serverName: 'n1' });
    servers.push(seed);
    const others = await Promise.all(
      Array.from({ length: size - 1 }, (_, i) => startNatsServer({ cluster: { name, routes: [seed.routeUrl as string] }, serverName: `n${i + 2}` })),
    );
    servers.push(...others);
    await whenMeshed(servers.map((server) => server.url), readyTimeoutMs);
    return { servers, urls: servers.map((server) => server.url), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every server answers a request sent through every other one, so routes and interest are in place. */
async function whenMeshed(urls: string[], timeoutMs: number): Promise<void> {
  const connections: NatsConnection[] = [];
  try {
    for (const url of urls) connections.push(await connect({ servers: url, name: 'oo-cluster-probe' }));
    connections.forEach((connection, i) => connection.subscribe(`_oo_probe.${i}`, { callback: (_error, msg) => void msg.respond() }));
    await Promise.all(connections.map((connection) => connection.flush()));
    const deadline = Date.now() + timeoutMs;
    for (let from = 0; from < connections.length; from++) {
      for (let to = 0; to < connections.length; to++) {
        if (from === to) continue;
        for (;;) {
          try {
            await connections[from].request(`_oo_probe.${to}`, undefined, { timeout: 500 });
            break;
          } catch (error) {
            if (Date.now() > deadline) throw new Error(`the NATS cluster did not form within ${timeoutMs} ms (server ${from + 1} cannot reach ${to + 1})`, { cause: error });
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
      }
    }
  } finally {
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

function whenReady(child: ChildProcess, log: () => string, timeoutMs: number, clustered: boolean): Promise<{ port: number; routePort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      cleanup();
      reject(new Error(`nats-server did not start: ${reason}\n--- its log ---\n${log().slice(-4_000)}`));
    };
    const check = (): void => {
      const text = log();
      const port = /Listening for client connections on [^\s]+:(\d+)/.exec(text)?.[1];
      const routePort = /Listening for route connections on [^\s]+:(\d+)/.exec(text)?.[1];
      if (port === undefined || !text.includes('Server is ready') || (clustered && routePort === undefined)) return;
      cleanup();
      resolve({ port: Number(port), routePort: routePort === undefined ? undefined : Number(routePort) });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => fail(`it exited (code ${code}, signal ${signal})`);
    const onError = (error: Error): void => fail(error.message);
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stderr?.off('data', check);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    // Listeners run in order: the log collector first (added before), then this check.
    child.stderr?.on('data', check);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    running.delete(child);
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const late = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(late);
  running.delete(child);
}

/** A test process that dies must not leave servers behind. */
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of running) server.kill('SIGKILL');
  });
}

function findExecutable(command: string): string | undefined {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}
