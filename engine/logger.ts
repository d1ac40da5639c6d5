import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured logs (pino). Tokens never reach a log line: the redaction list is a second guard. */
export function createLogger(level = process.env.OO_LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service: 'order-orchestration' },
    redact: { paths: ['token', 'authorization', 'headers.authorization', '*.token', 'ops', 'checkout', 'viewer', 'partnerToken', 'streamToken'], censor: '[redacted]' },
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
