import { AssertionError } from '../assert.js';
import { EngineError } from '../errors.js';

// Actors and gateways talk over subjects. One interface, two transports: in-process (the default,
// MemoryBus) and NATS (NatsBus). Both follow the NATS rules, so code written against one runs on
// the other: subjects are dot-separated tokens; in a subscription `*` matches one token and `>`
// one or more trailing tokens; a queue group hands each message to one of its members; a request
// nobody is subscribed to fails at once instead of waiting out its timeout.
//
// Subject scheme (the same on both transports):
//   stream.<topic-kind>.<id>     events for the live stream (order, sku, node topics), see streamSubject
//   node.<nodeId>.instructions   fulfillment instructions to a node's systems
//   inv.<partition>.cmd          commands to the SKU actors of one partition (request/reply; issue 7)
//   order.<id>.evt               one order's events (issue 7)
// An id that may contain a dot goes through subjectToken() so it stays one token.
//
// Delivery is at most once on both transports: NATS is the transport, never the record. The
// ledger stays the truth; commands carry idempotency keys.

export type BusHeaders = Readonly<Record<string, string>>;

export interface PublishOptions {
  headers?: BusHeaders;
}

export interface SubscribeOptions {
  /** Members of one queue group (same name) share the messages: each goes to exactly one of them. */
  queue?: string;
}

export interface RequestOptions {
  /** Past this, the request fails with UNAVAILABLE (reason `timeout`). */
  timeoutMs: number;
  headers?: BusHeaders;
}

/** What a handler gets besides the subject and message. */
export interface MessageContext {
  /** The publisher's headers; `{}` when there were none. */
  readonly headers: BusHeaders;
  /** True when the message is a request: its sender waits for reply(). */
  readonly expectsReply: boolean;
  /** Answers a request; the requester takes the first answer. Does nothing for a plain publish. */
  reply(message: unknown): void;
}

/**
 * A subscriber. `(subject, message) => void` still fits, and so does an async function: the return
 * type is `void` so that any function fits, and the bus watches a returned promise at run time. A
 * handler that throws, or whose promise rejects, is reported to the bus's onError and does not
 * disturb other subscribers.
 */
export type BusHandler = (subject: string, message: unknown, context: MessageContext) => void;

/** Where a bus reports what it cannot throw to a caller: failing handlers, undeliverable publishes. */
export type BusErrorListener = (error: unknown, subject: string) => void;

export interface Subscription {
  unsubscribe(): void;
}

export interface Bus {
  /**
   * Fire and forget, at most once. Never throws for operating conditions: on a closed bus the
   * message is dropped; a malformed subject (an id with a stray dot) or a transport failure is
   * reported to onError and the message dropped. Malformed headers are a programmer error:
   * AssertionError.
   */
  publish(subject: string, message: unknown, options?: PublishOptions): void;
  /** Throws AssertionError on a malformed pattern or queue name, or on a closed bus. */
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Subscription;
  /**
   * Resolves with the first reply. Rejects with EngineError UNAVAILABLE (retry after 1 s) when no
   * one is subscribed (`details.reason: 'no-responders'`, at once), when no reply came in time
   * (`'timeout'`), or when the bus is closed or its connection lost (`'closed'`, `'disconnected'`);
   * with OVERLOADED when `pendingRequestsMax` requests are already waiting.
   */
  request(subject: string, message: unknown, options: RequestOptions): Promise<unknown>;
  /**
   * Resolves once the transport has taken everything sent so far, subscriptions included: after
   * it, other processes' publishes reach this bus's subscriptions.
   */
  flush(): Promise<void>;
  /** Stops taking work, lets what is in flight finish (NATS: drains), then closes. Idempotent. */
  close(): Promise<void>;
}

/** Bounds of a bus. They belong in engine/limits.ts; kept here until that file takes them. */
export const busLimits = {
  /** Requests waiting for a reply on one bus. At the bound: OVERLOADED. */
  pendingRequestsMax: 10_000,
  /** Headers on one message. */
  headersMax: 32,
  /** A subject, pattern or queue name, in characters. */
  subjectLengthMax: 256,
} as const;

/** A handler typed `=> void` may still return anything; only a thenable is watched for rejection. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

export const emptyHeaders: BusHeaders = Object.freeze({});

export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Stream topics (`order:X`) travel as subjects (`stream.order.X`); dots in ids are escaped so an id stays one token. */
export function streamSubject(topic: string): string {
  const colon = topic.indexOf(':');
  const kind = colon < 0 ? topic : topic.slice(0, colon);
  const id = colon < 0 ? '_' : topic.slice(colon + 1);
  return `stream.${kind}.${subjectToken(id)}`;
}

/**
 * Any string as exactly one subject token: percent-encoded, dots and `*` included. `''` becomes
 * `%`, which no encoded string is, so two ids never share a token.
 */
export function subjectToken(id: string): string {
  // Ids are mostly letters, digits, `_` and `-`: already one token as they are.
  if (plainToken.test(id)) return id;
  return id === '' ? '%' : encodeURIComponent(id).replace(/\./g, '%2E').replace(/\*/g, '%2A');
}

const plainToken = /^[A-Za-z0-9_-]+$/;

// A token is one or more characters that are neither a dot nor whitespace. In a subject no token
// holds a wildcard character; in a pattern a wildcard is a whole token and `>` only the last one.
const whitespace = /[\s\u0000]/;

export function isValidSubject(subject: string): boolean {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > busLimits.subjectLengthMax) return false;
  return validSubject.test(subject);
}

/** Tokens of one or more characters, none a dot, whitespace, NUL, `*` or `>`, joined by dots. */
const validSubject = /^[^\s\u0000.*>]+(?:\.[^\s\u0000.*>]+)*$/;

export function isValidPattern(pattern: string): boolean {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > busLimits.subjectLengthMax) return false;
  if (whitespace.test(pattern)) return false;
  const tokens = pattern.split('.');
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.length === 0) return false;
    if (token === '>' && i !== tokens.length - 1) return false;
    if (token !== '*' && token !== '>' && (token.includes('*') || token.includes('>'))) return false;
  }
  return true;
}

// Header names are HTTP tokens and values single lines, as NATS carries them.
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const lineBreak = /[\r\n]/;

export function assertPattern(pattern: string): void {
  if (!isValidPattern(pattern)) throw new AssertionError(`malformed subscription pattern ${JSON.stringify(pattern)}`);
}

export function assertQueue(queue: string | undefined): void {
  if (queue === undefined) return;
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > busLimits.subjectLengthMax || whitespace.test(queue)) {
    throw new AssertionError(`malformed queue group ${JSON.stringify(queue)}`);
  }
}

export function assertHeaders(headers: BusHeaders | undefined): void {
  if (headers === undefined) return;
  const entries = Object.entries(headers);
  if (entries.length > busLimits.headersMax) throw new AssertionError(`more than ${busLimits.headersMax} headers`);
  for (const [name, value] of entries) {
    if (!headerName.test(name)) throw new AssertionError(`malformed header name ${JSON.stringify(name)}`);
    if (typeof value !== 'string' || lineBreak.test(value)) throw new AssertionError(`malformed value of header ${name}`);
  }
}

export function assertRequestOptions(options: RequestOptions): void {
  const { timeoutMs } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new AssertionError(`request timeoutMs must be a positive number, got ${timeoutMs}`);
  assertHeaders(options.headers);
}

/** A publish to a subject that is not one; reported to onError, never thrown. */
export class MalformedSubjectError extends Error {
  override name = 'MalformedSubjectError';
  constructor(readonly subject: string) {
    super(`malformed subject ${JSON.stringify(subject)}: the message was dropped`);
  }
}

export type UnavailableReason = 'no-responders' | 'timeout' | 'closed' | 'disconnected' | 'connect';

const unavailableMessages: Record<UnavailableReason, string> = {
  'no-responders': 'no one is subscribed to the subject',
  timeout: 'no reply came in time',
  closed: 'the bus is closed',
  disconnected: 'the connection to the bus was lost',
  connect: 'could not connect to the bus',
};

export function busUnavailable(reason: UnavailableReason, details: Record<string, unknown>): EngineError {
  return new EngineError('UNAVAILABLE', unavailableMessages[reason], { reason, ...details }, 1);
}

export function busOverloaded(pendingRequestsMax: number): EngineError {
  return new EngineError('OVERLOADED', 'too many requests are waiting for a reply', { pendingRequestsMax }, 1);
}
