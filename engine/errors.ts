// The one error registry: each stable code maps to its HTTP status. Append-only: clients depend
// on these codes. Only the gateway turns them into HTTP; the engine speaks codes.

export const errorStatus = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INSUFFICIENT_STOCK: 409,
  INVALID_STATE: 409,
  PURCHASE_LIMIT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_MISMATCH: 422,
  OVERLOADED: 503,
  UNAVAILABLE: 503,
  INTERNAL: 500,
  /** A pickup the store cannot serve (unknown, not a pickup store, closed, or transfers refused). */
  PICKUP_UNAVAILABLE: 409,
  /** A cluster: once a delivery quote for a cart whose SKUs live in more than one partition. No longer answered (such quotes are combined per partition); kept, the registry is append-only. */
  CROSS_PARTITION_CART: 422,
  /** A cluster: no engine serves the partition that owns the request now; retry after Retry-After. */
  PARTITION_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export type ErrorDetails = Record<string, unknown>;

/** An expected refusal: carries a stable code, a message for people and structured details. */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  /** Seconds a client should wait before retrying (OVERLOADED, UNAVAILABLE). */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, retryAfterSeconds?: number) {
    // A refusal is an answer, not a bug: no stack trace. Capturing one was the largest single cost
    // of the sold-out path (every buyer after the last unit is refused).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.code = code;
    this.details = details;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}

export const notFound = (what: string, id: string): EngineError =>
  new EngineError('NOT_FOUND', `${what} ${id} does not exist`, { [what]: id });

export const invalidState = (message: string, details: ErrorDetails = {}): EngineError =>
  new EngineError('INVALID_STATE', message, details);

export const overloaded = (message: string, retryAfterSeconds = 1): EngineError =>
  new EngineError('OVERLOADED', message, {}, retryAfterSeconds);
