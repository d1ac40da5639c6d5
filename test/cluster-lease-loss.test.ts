// Shows that an engine never goes on serving a partition another engine has taken: engine X (lease
// ttl 1 s) is frozen with SIGSTOP, so it cannot renew; its lease expires and engine Y takes the
// partition; X, thawed with SIGCONT, finds at its next renewal that the lease's revision moved,
// stops serving and exits 75, saying why. Real processes, real nats-server with JetStream.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runRoleToExit, startRole, type RoleProcess } from './support/cluster.js';
import { tempDir } from './support/fixtures.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

let nats: NatsServer;
let dir: ReturnType<typeof tempDir>;
const started: RoleProcess[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
  dir = tempDir('oo-lease-loss-');
});
afterAll(async () => {
  for (const process of started) {
    process.child.kill('SIGCONT');
    await process.stop();
  }
  await nats?.stop();
  dir?.remove();
});

it('stops an engine whose lease another engine took while it was frozen', async () => {
  const settings = (name: string) => ({ natsUrl: nats.url, dataDir: join(dir.path, name), partitionCount: 2, env: { OO_ENGINE_ID: name, OO_LEASE_TTL_SECONDS: '1' } });
  const x = await startRole('engine', settings('engine-x'));
  started.push(x);
  // While X is alive, Y is refused.
  const refused = await runRoleToExit('engine', settings('engine-y'));
  expect(refused.code).toBe(1);

  x.child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 1_500));
  const y = await startRole('engine', settings('engine-y'));
  started.push(y);
  expect(y.lines.find((l) => l.includes('"msg":"serving"'))).toContain('"partitions":[0,1]');

  x.child.kill('SIGCONT');
  const code = await Promise.race([x.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 5_000))]);
  expect(code).toBe(75);
  expect(x.lines.some((l) => l.includes('partition lease lost') && l.includes('another engine took the lease'))).toBe(true);
}, 60_000);
