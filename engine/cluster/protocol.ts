import { EngineError, errorStatus, type ErrorCode } from '../errors.js';

// What gateways and engines say to each other over the bus: a command to a partition's engine
// (`inv.<p>.cmd`, request/reply) and its answer. An engine's refusal crosses as its code, message,
// details and Retry-After, so the gateway answers exactly as the engine in one process would.

/** The engine calls a gateway may forward; nothing else is served. */
export const commandOps = [
  'putNode', 'setNodeStatus', 'listNodes', 'getNode', 'putSku', 'setStock', 'adjustStock', 'getInventory',
  'createReservation', 'confirmReservation', 'getReservation', 'releaseReservation', 'createOrder', 'getOrder',
  'cancelOrder', 'approveOrder', 'rejectOrder', 'nodeEvent', 'quote', 'stats', 'nodeStats', 'carriers', 'idempotentAnswer',
] as const;

export type CommandOp = (typeof commandOps)[number];

export interface Command {
  op: CommandOp;
  args: unknown[];
}

export interface WireError {
  code: string;
  message: string;
  details: Record<string, unknown>;
  retryAfterSeconds?: number;
}

export type CommandReply = { ok: true; value: unknown } | { ok: false; error: WireError };

export const commandSubject = (partition: number): string => `inv.${partition}.cmd`;

const knownOps = new Set<string>(commandOps);

export function isCommand(message: unknown): message is Command {
  const m = message as Partial<Command> | null;
  return typeof m === 'object' && m !== null && typeof m.op === 'string' && knownOps.has(m.op) && Array.isArray(m.args) && m.args.length <= 4;
}

export function errorToWire(error: EngineError): WireError {
  return { code: error.code, message: error.message, details: error.details, ...(error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : {}) };
}

/** An engine's refusal as the gateway rethrows it; a code this gateway does not know is INTERNAL. */
export function errorFromWire(wire: WireError): EngineError {
  const code: ErrorCode = Object.hasOwn(errorStatus, wire.code) ? (wire.code as ErrorCode) : 'INTERNAL';
  return new EngineError(code, String(wire.message), wire.details ?? {}, wire.retryAfterSeconds);
}
