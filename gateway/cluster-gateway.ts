import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { NatsBus } from '../engine/bus/nats-bus.js';
import { ClusterClient } from '../engine/cluster/cluster-client.js';
import { PartitionCountMismatchError, PartitionLeases } from '../engine/cluster/leases.js';
import type { Config } from '../engine/config.js';
import { limits } from '../engine/limits.js';
import type { Logger } from '../engine/logger.js';
import { Auth } from './auth.js';
import { startGateway } from './server.js';

// OO_ROLE=gateway: the HTTP API and the stream, stateless. Commands go over NATS to the engine of
// their partition (ClusterClient); events come from every engine over NATS. Tokens: every gateway
// must know the same ones — give each the same OO_*_TOKEN env, and the same `signing.key` in its
// data dir (partner and stream tokens are signed with it).

/** How long a command may wait for its engine; an engine that does not answer by then is taken as gone. */
export const clusterRequestTimeoutMs = 3_000;

export async function runGatewayRole(config: Config, logger: Logger, allowedOrigins: readonly string[] | undefined): Promise<void> {
  const { cluster } = config;
  const natsUrl = config.natsUrl!;
  // A gateway hashing SKUs with another partition count would send them to the wrong engines.
  const check = await PartitionLeases.open({ url: natsUrl, bucket: `oo_${cluster.clusterName}`, engineId: `gateway:${process.pid}`, ttlMs: 1, partitionCount: cluster.partitionCount, logger }).catch((error: unknown) => {
    if (!(error instanceof PartitionCountMismatchError)) throw error;
    logger.fatal({ partitionCount: cluster.partitionCount }, error.message);
    process.exit(1);
  });
  await check.release();
  const bus = await NatsBus.connect(natsUrl, { name: `oo-gateway:${process.pid}`, onError: (error, subject) => logger.error({ err: error, subject }, 'bus handler failed') });
  const engine = new ClusterClient({ bus, partitionCount: cluster.partitionCount, requestTimeoutMs: clusterRequestTimeoutMs });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const auth = Auth.open(dataDir);
  const gateway = await startGateway({ engine, auth, logger, host: config.host, port: config.port, ...(allowedOrigins ? { allowedOrigins } : {}) });
  await bus.flush();
  logger.info({ host: config.host, port: gateway.port, role: 'gateway', partitionCount: cluster.partitionCount }, 'listening');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const drained = gateway.shutdown(limits.shutdownDrainMs);
    logger.info({ signal }, 'shutting down');
    const abandoned = await drained;
    await bus.close();
    logger.info({ abandoned }, 'stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
