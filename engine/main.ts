import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Auth } from '../gateway/auth.js';
import { runGatewayRole } from '../gateway/cluster-gateway.js';
import { parseAllowedOrigins } from '../gateway/origins.js';
import { startGateway } from '../gateway/server.js';
import { uwsIsNative } from '../gateway/uws.js';
import { LmdbLedger } from '../storage/lmdb-ledger.js';
import { configFromEnv } from './config.js';
import { NatsBus } from './bus/nats-bus.js';
import { runEngineRole } from './cluster/engine-role.js';
import { Engine } from './engine.js';
import { limits } from './limits.js';
import { createLogger } from './logger.js';
import { seedDemo } from './seed/seed.js';

// One process: ledger, engine and gateway, on the embedded default (in-process bus). Or, in a
// cluster (OO_ROLE), the engine of some partitions, or a stateless gateway.

async function main(): Promise<void> {
  const config = configFromEnv();
  const allowedOrigins = parseAllowedOrigins(process.env.OO_ALLOWED_ORIGINS);
  const logger = createLogger(config.logLevel);
  if (!uwsIsNative() && config.cluster.role !== 'engine') {
    logger.warn('uWebSockets.js native binary did not load: running on its slow JavaScript fallback; see the README');
  }
  if (config.cluster.role === 'engine') return runEngineRole(config, logger);
  if (config.cluster.role === 'gateway') return runGatewayRole(config, logger, allowedOrigins);
  // OO_ROLE=all. With OO_NATS_URL the engine's events and instructions travel over that NATS
  // server (one engine, all SKUs, no partitions); without it, over the in-process bus.
  let bus: NatsBus | undefined;
  if (config.natsUrl) {
    // Never log credentials a URL may carry (nats://user:password@host).
    const natsUrl = config.natsUrl.replace(/\/\/[^@/]*@/, '//[redacted]@');
    bus = await NatsBus.connect(config.natsUrl, { name: `oo-engine-${process.pid}`, onError: (error, subject) => logger.error({ err: error, subject }, 'bus handler failed') });
    logger.info({ natsUrl }, 'bus: NATS');
  }
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const ledger = new LmdbLedger({ path: join(dataDir, 'ledger') });
  const engine = new Engine({ ledger, logger, ...(bus ? { bus } : {}), acceptWithinMs: config.acceptSlaSeconds * 1000, review: config.review, currency: config.currency, requireAuthorizedPayment: config.requireAuthorizedPayment, sourcing: config.sourcing });
  const isEmpty = ledger.getMeta<boolean>('initialized') !== true;
  await engine.start();
  if (isEmpty) {
    if (config.seed === 'demo') logger.info(await seedDemo(engine), 'demo network loaded');
    ledger.putMeta('initialized', true);
    await ledger.durable();
  }
  const auth = Auth.open(dataDir);
  const gateway = await startGateway({ engine, auth, logger, host: config.host, port: config.port, ...(allowedOrigins ? { allowedOrigins } : {}) });
  logger.info({ host: config.host, port: gateway.port, dataDir }, 'listening');

  let stopping = false;
  // Graceful: stop accepting, let what is in flight finish (bounded), close the streams with 1001,
  // then flush the ledger. Every request answered 2xx before the exit is on disk.
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const inflight = gateway.inflight();
    // The listener closes synchronously as the drain starts; only then is it said, so whoever
    // reads "shutting down" finds the port closed.
    const drained = gateway.shutdown(limits.shutdownDrainMs);
    logger.info({ signal, inflight }, 'shutting down');
    const abandoned = await drained;
    await engine.stop();
    await ledger.close();
    await bus?.close();
    logger.info({ abandoned }, 'stopped');
    process.exit(0);
  };
  engine.onFatal(() => {
    // Memory and disk may disagree: stop at once; a restart recovers from the ledger.
    process.exit(70);
  });
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
