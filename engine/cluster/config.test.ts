// Shows the cluster's environment parsing: the defaults keep today's single process; engine and
// gateway roles need NATS; partition count and lists are checked; the engine id defaults to host
// and data dir, so a restart with the same data dir is the same engine.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { clusterFromEnv } from '../config.js';

it('defaults to one process with every partition', () => {
  const cluster = clusterFromEnv({});
  expect(cluster).toMatchObject({ role: 'all', partitionCount: 16, leaseTtlSeconds: 10, clusterName: 'default' });
  expect(cluster.partitions).toHaveLength(16);
  expect(cluster.engineId).toBe(`${hostname()}:${resolve('./data')}`);
  expect(clusterFromEnv({ OO_DATA_DIR: '/srv/e1' }).engineId).toBe(`${hostname()}:/srv/e1`);
});

it('reads an engine of some partitions', () => {
  const cluster = clusterFromEnv({ OO_ROLE: 'engine', OO_NATS_URL: 'nats://127.0.0.1:4222', OO_PARTITION_COUNT: '8', OO_PARTITIONS: '4-7', OO_ENGINE_ID: 'e2', OO_LEASE_TTL_SECONDS: '3' });
  expect(cluster).toMatchObject({ role: 'engine', partitionCount: 8, partitions: [4, 5, 6, 7], engineId: 'e2', leaseTtlSeconds: 3 });
});

it('refuses what cannot work', () => {
  expect(() => clusterFromEnv({ OO_ROLE: 'leader' })).toThrow(/OO_ROLE/);
  expect(() => clusterFromEnv({ OO_ROLE: 'engine' })).toThrow(/OO_NATS_URL/);
  expect(() => clusterFromEnv({ OO_ROLE: 'gateway' })).toThrow(/OO_NATS_URL/);
  expect(() => clusterFromEnv({ OO_PARTITION_COUNT: '0' })).toThrow(/OO_PARTITION_COUNT/);
  expect(() => clusterFromEnv({ OO_PARTITION_COUNT: '2.5' })).toThrow(/OO_PARTITION_COUNT/);
  expect(() => clusterFromEnv({ OO_PARTITION_COUNT: '4', OO_PARTITIONS: '2-4' })).toThrow(/does not exist/);
  expect(() => clusterFromEnv({ OO_CLUSTER_NAME: 'a.b' })).toThrow(/OO_CLUSTER_NAME/);
  expect(() => clusterFromEnv({ OO_LEASE_TTL_SECONDS: '-1' })).toThrow(/OO_LEASE_TTL_SECONDS/);
});
