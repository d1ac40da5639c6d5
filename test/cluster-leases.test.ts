// Shows partition leases on a real nats-server with JetStream: a second engine claiming a partition
// a live engine holds is refused (and told who holds it), the holder's restart reclaims it at once,
// a lease left to expire can be taken, a released lease is free at once, and an engine configured
// with another partition count than the cluster was created with is refused.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PartitionCountMismatchError, PartitionLeases } from '../engine/cluster/leases.js';
import { silentLogger } from '../engine/logger.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

let nats: NatsServer;
const opened: PartitionLeases[] = [];

beforeAll(async () => {
  nats = await startNatsServer({ jetstream: true });
});
afterAll(async () => {
  for (const leases of opened) await leases.release().catch(() => {});
  await nats?.stop();
});

async function open(engineId: string, bucket: string, options: { ttlMs?: number; partitionCount?: number; now?: () => number } = {}): Promise<PartitionLeases> {
  const leases = await PartitionLeases.open({ url: nats.url, bucket, engineId, ttlMs: options.ttlMs ?? 10_000, partitionCount: options.partitionCount ?? 4, logger: silentLogger, ...(options.now ? { now: options.now } : {}) });
  opened.push(leases);
  return leases;
}

it('refuses a partition a live engine holds, and says who holds it', async () => {
  const a = await open('engine-a', 'oo_t1');
  const b = await open('engine-b', 'oo_t1');
  expect(await a.claim([0, 1])).toEqual({ claimed: [0, 1], refused: [] });
  const second = await b.claim([1, 2]);
  expect(second.claimed).toEqual([2]);
  expect(second.refused).toHaveLength(1);
  expect(second.refused[0]).toMatchObject({ partition: 1, owner: 'engine-a' });
  expect(second.refused[0].expiresInMs).toBeGreaterThan(0);
  expect((await b.read(1))?.owner).toBe('engine-a');
});

it('lets the same engine id reclaim its leases at once after a restart', async () => {
  const first = await open('engine-r', 'oo_t2');
  expect((await first.claim([0, 3])).claimed).toEqual([0, 3]);
  // A crash: the connection goes, the leases stay (not released).
  const restarted = await open('engine-r', 'oo_t2');
  expect(await restarted.claim([0, 3])).toEqual({ claimed: [0, 3], refused: [] });
  const other = await open('engine-x', 'oo_t2');
  expect((await other.claim([0])).refused[0]?.owner).toBe('engine-r');
});

it('lets another engine take an expired lease, and a released one at once', async () => {
  let clock = 1_000_000;
  const now = () => clock;
  const a = await open('engine-a', 'oo_t3', { ttlMs: 5_000, now });
  const b = await open('engine-b', 'oo_t3', { ttlMs: 5_000, now });
  expect((await a.claim([0, 1])).claimed).toEqual([0, 1]);
  expect((await b.claim([0])).claimed).toEqual([]);
  clock += 5_001; // a stopped renewing (its clock is ours here): the lease expired
  expect((await b.claim([0])).claimed).toEqual([0]);
  // a finds its lease gone on renewal: it is told, and stops holding it.
  const lost: number[] = [];
  a.startRenewing((partition) => lost.push(partition));
  const deadline = Date.now() + 5_000;
  while (lost.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(lost).toEqual([0]);
  expect(a.partitions()).toEqual([1]);
  await a.release();
  expect(await b.read(1)).toBeUndefined();
  expect((await b.claim([1])).claimed).toEqual([1]);
});

it('refuses to start with another partition count than the cluster was created with', async () => {
  await open('engine-a', 'oo_t4', { partitionCount: 16 });
  await expect(open('engine-b', 'oo_t4', { partitionCount: 8 })).rejects.toBeInstanceOf(PartitionCountMismatchError);
  await expect(open('engine-c', 'oo_t4', { partitionCount: 16 })).resolves.toBeDefined();
});
