// The engine's configuration, from the environment (all optional; see the README's table).

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  seed: 'demo' | 'none';
  natsUrl?: string;
  logLevel: string;
  /** How long a node has to accept released lines (OO_ACCEPT_SLA_SECONDS, default 4 h). */
  acceptSlaSeconds: number;
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
    acceptSlaSeconds: positiveNumber(env.OO_ACCEPT_SLA_SECONDS, 4 * 3600, 'OO_ACCEPT_SLA_SECONDS'),
  };
}

function positiveNumber(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name} must be a positive number, not ${value}`);
  return number;
}
