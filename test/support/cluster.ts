// Cluster processes for tests: the built `dist/engine/main.js` in each role (OO_ROLE engine or
// gateway) as a child process, on a NATS server, with fixed tokens shared by every gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { captureOutput, repoRoot } from './fixtures.js';


export const clusterTokens = { ops: 'cluster-ops-token-0123456789', checkout: 'cluster-checkout-token-0123456789', viewer: 'cluster-viewer-token-0123456789' };

export interface RoleProcess {
  child: ChildProcess;
  /** The HTTP port (gateways). */
  port: number | undefined;
  url: string;
  lines: readonly string[];
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  kill9(): Promise<void>;
  stop(): Promise<number | null>;
}

export interface RoleSettings {
  natsUrl: string;
  dataDir: string;
  partitionCount: number;
  env?: Record<string, string>;
}

function spawnRole(role: 'engine' | 'gateway', settings: RoleSettings): { child: ChildProcess; lines: string[]; exited: Promise<number | null>; onLine: (listener: (line: string) => void) => void; stderr: () => string } {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'engine', 'main.js')], {
    env: {
      ...process.env, OO_ROLE: role, OO_NATS_URL: settings.natsUrl, OO_DATA_DIR: settings.dataDir, OO_PORT: '0', OO_SEED: 'none', OO_LOG_LEVEL: 'info',
      OO_PARTITION_COUNT: String(settings.partitionCount), OO_OPS_TOKEN: clusterTokens.ops, OO_CHECKOUT_TOKEN: clusterTokens.checkout, OO_VIEWER_TOKEN: clusterTokens.viewer,
      ...settings.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, exited, ...captureOutput(child) };
}

/** Starts a process of the role and waits for its ready line (`serving` / `listening`). */
export async function startRole(role: 'engine' | 'gateway', settings: RoleSettings): Promise<RoleProcess> {
  const spawned = spawnRole(role, settings);
  const ready = role === 'engine' ? '"msg":"serving"' : '"msg":"listening"';
  const port = await new Promise<number | undefined>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${role} did not start: ${spawned.stderr()} ${spawned.lines.join('\n')}`)), 30_000);
    spawned.onLine((line) => {
      if (!line.includes(ready)) return;
      clearTimeout(timer);
      done((JSON.parse(line) as { port?: number }).port);
    });
    void spawned.exited.then((code) => fail(new Error(`${role} exited with ${code}: ${spawned.stderr()} ${spawned.lines.join('\n')}`)));
  });
  return {
    child: spawned.child,
    port,
    url: `http://127.0.0.1:${port}`,
    lines: spawned.lines,
    exited: spawned.exited,
    kill9: async () => {
      spawned.child.kill('SIGKILL');
      await spawned.exited;
    },
    stop: async () => {
      spawned.child.kill('SIGTERM');
      return spawned.exited;
    },
  };
}

/** Runs a process of the role that is expected to stop by itself; its exit code and log. */
export async function runRoleToExit(role: 'engine' | 'gateway', settings: RoleSettings, timeoutMs = 30_000): Promise<{ code: number | null; lines: readonly string[]; stderr: string }> {
  const spawned = spawnRole(role, settings);
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), timeoutMs);
  const code = await spawned.exited;
  clearTimeout(timer);
  return { code, lines: spawned.lines, stderr: spawned.stderr() };
}

/** Gives a gateway the signing key of another, so stream and partner tokens work on both. */
export function shareSigningKey(fromDataDir: string, toDataDir: string): void {
  const from = join(fromDataDir, 'signing.key');
  if (existsSync(from)) copyFileSync(from, join(toDataDir, 'signing.key'));
}
