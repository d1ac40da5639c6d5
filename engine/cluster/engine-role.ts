import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LmdbLedger } from '../../storage/lmdb-ledger.js';
import type { Config } from '../config.js';
import { NatsBus } from '../bus/nats-bus.js';
import { Engine } from '../engine.js';
import type { Logger } from '../logger.js';
import { PartitionCountMismatchError, PartitionLeases, type Refusal } from './leases.js';
import { partitionIdPrefix } from './partitions.js';
import { OutboxRelay, withOutbox } from './outbox.js';
import { PartitionServer } from './partition-server.js';
import { PartitionBus } from './stream-seqs.js';
import { shareCapacity } from './capacity-share.js';
import { CapacityPeers } from '../capacity-peers.js';

// OO_ROLE=engine: the engine of the partitions this process can lease. One Engine (and one LMDB
// ledger, `$OO_DATA_DIR/partitions/<p>/ledger`) per partition, each served on `inv.<p>.cmd`.
// No HTTP: gateways reach it over NATS. The order of things matters: the lease first (nobody
// else serves the partition), then the ledger, then the subscription; on shutdown the other way.

/** A partition's ledger is sized for one partition's share, not a whole engine's. */
const partitionLedgerMapBytes = 8 * 1024 ** 3;

export const exitCodes = { noPartition: 1, leaseLost: 75, ledgerFailed: 70 } as const;

interface Served {
  partition: number;
  ledger: LmdbLedger;
  engine: Engine;
  server: PartitionServer;
  relay: OutboxRelay;
}

export async function runEngineRole(config: Config, logger: Logger): Promise<void> {
  const { cluster } = config;
  const natsUrl = config.natsUrl!;
  const bus = await NatsBus.connect(natsUrl, { name: `oo-engine:${cluster.engineId}`.slice(0, 200), onError: (error, subject) => logger.error({ err: error, subject }, 'bus handler failed') });
  const leases = await PartitionLeases.open({ url: natsUrl, bucket: `oo_${cluster.clusterName}`, engineId: cluster.engineId, ttlMs: cluster.leaseTtlSeconds * 1000, partitionCount: cluster.partitionCount, logger }).catch((error: unknown) => {
    if (!(error instanceof PartitionCountMismatchError)) throw error;
    logger.fatal({ partitionCount: cluster.partitionCount }, error.message);
    process.exit(exitCodes.noPartition);
  });
  const { claimed, refused } = await leases.claim(cluster.partitions);
  for (const refusal of refused) logRefusal(logger, refusal);
  if (claimed.length === 0) {
    logger.fatal({ configured: cluster.partitions, engineId: cluster.engineId }, 'none of the configured partitions could be claimed: live engines own them all; stopping');
    await leases.release();
    await bus.close();
    process.exit(exitCodes.noPartition);
  }

  const dataDir = resolve(config.dataDir);
  const served: Served[] = [];
  // A node's capacityPerDay is counted across the cluster: this process's partitions share their
  // counters, and the engines exchange their totals every second.
  const capacityPeers = new CapacityPeers();
  for (const partition of claimed) {
    const path = join(dataDir, 'partitions', String(partition), 'ledger');
    mkdirSync(path, { recursive: true });
    const ledger = new LmdbLedger({ path, mapSize: partitionLedgerMapBytes });
    // Events leave through the outbox, written with the change they tell of; the relay publishes them once durable.
    const relay = new OutboxRelay(ledger, bus, partition, logger);
    const engine = new Engine({
      ledger: withOutbox(ledger),
      logger: logger.child({ partition }),
      bus: new PartitionBus(bus),
      idPrefix: partitionIdPrefix(partition),
      acceptWithinMs: config.acceptSlaSeconds * 1000,
      review: config.review,
      currency: config.currency,
      requireAuthorizedPayment: config.requireAuthorizedPayment,
      sourcing: config.sourcing,
      capacityPeers: { id: `p${partition}`, peers: capacityPeers },
    });
    relay.start();
    await engine.start();
    engine.onFatal(() => process.exit(exitCodes.ledgerFailed));
    const server = new PartitionServer(partition, engine, bus, logger);
    server.start();
    served.push({ partition, ledger, engine, server, relay });
  }
  const capacityShare = shareCapacity(bus, cluster.engineId, capacityPeers);
  await bus.flush();
  leases.startRenewing((partition, reason) => {
    // Another engine may be serving it now: this one must not answer for it a moment longer.
    served.find((s) => s.partition === partition)?.server.stop();
    logger.fatal({ partition, reason }, 'partition lease lost; stopping so that only one engine serves it');
    process.exit(exitCodes.leaseLost);
  });
  logger.info({ engineId: cluster.engineId, partitions: claimed, refused: refused.map((r) => r.partition), partitionCount: cluster.partitionCount, dataDir }, 'serving');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    for (const { server } of served) server.stop();
    capacityShare.stop();
    // Commands already taken finish (their answers are sent as they become durable).
    await bus.flush().catch(() => {});
    for (const { engine, ledger, relay } of served) {
      await engine.stop();
      // What the last batch told is published by now (the relay runs as each batch is durable).
      relay.stop();
      await ledger.close();
    }
    await leases.release();
    await bus.close();
    logger.info({ partitions: claimed }, 'stopped; leases released');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function logRefusal(logger: Logger, { partition, owner, expiresInMs }: Refusal): void {
  logger.error({ partition, owner, expiresInMs }, `partition ${partition} is owned by a live engine (${owner}): refused; it is free once that engine stops or its lease expires`);
}
