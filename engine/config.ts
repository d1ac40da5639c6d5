// The engine's configuration, from the environment (all optional; see the README's table).

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  seed: 'demo' | 'none';
  natsUrl?: string;
  logLevel: string;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.OO_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`OO_PORT must be a port number, not ${env.OO_PORT}`);
  const seed = env.OO_SEED ?? 'demo';
  if (seed !== 'demo' && seed !== 'none') throw new Error(`OO_SEED is demo or none, not ${seed}`);
  return {
    host: env.OO_HOST || '127.0.0.1',
    port,
    dataDir: env.OO_DATA_DIR || './data',
    seed,
    ...(env.OO_NATS_URL ? { natsUrl: env.OO_NATS_URL } : {}),
    logLevel: env.OO_LOG_LEVEL || 'info',
  };
}
