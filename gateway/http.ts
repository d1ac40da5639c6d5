import type { HttpResponse } from 'uWebSockets.js';
import { assert } from '../engine/assert.js';
import { EngineError, errorStatus, type ErrorCode } from '../engine/errors.js';

// HTTP plumbing on uWS: reading a bounded body, writing corked responses, the error format.
// uWS rules kept here: a response must have onAborted before any await, and writes after an await
// go inside res.cork().

export interface RequestState {
  aborted: boolean;
  done: boolean;
}

const statusText: Record<number, string> = {
  200: '200 OK', 201: '201 Created', 204: '204 No Content', 400: '400 Bad Request', 401: '401 Unauthorized',
  403: '403 Forbidden', 404: '404 Not Found', 405: '405 Method Not Allowed', 409: '409 Conflict',
  413: '413 Payload Too Large', 415: '415 Unsupported Media Type', 422: '422 Unprocessable Entity',
  429: '429 Too Many Requests', 500: '500 Internal Server Error', 503: '503 Service Unavailable',
};

/** A response's headers besides the status and the content type: few, and only on some answers. */
export interface ExtraHeaders {
  retryAfterSeconds?: number;
}

/**
 * Writes a whole answer at once, corked (after an await, uWS sends what a cork wrote in one go).
 * The common answer, JSON without other headers, is a cork and three writes, with nothing built for it.
 */
export function send(res: HttpResponse, state: RequestState, status: number, body: string, contentType = 'application/json', extra?: ExtraHeaders, closeConnection = false): void {
  if (state.aborted || state.done) return;
  state.done = true;
  res.cork(() => {
    res.writeStatus(statusText[status] ?? `${status} Status`).writeHeader('content-type', contentType);
    if (extra?.retryAfterSeconds !== undefined) res.writeHeader('retry-after', String(extra.retryAfterSeconds));
    res.end(body, closeConnection);
  });
}

export function sendJson(res: HttpResponse, state: RequestState, status: number, body: unknown): void {
  send(res, state, status, JSON.stringify(body));
}

/**
 * `JSON.stringify({ ...body, [name]: value })` for a body that has no such field, without copying
 * the body first: the copy (an object spread of an engine view) cost more than writing the JSON.
 */
export function jsonWithField(body: object, name: string, value: string): string {
  assert(!Object.hasOwn(body, name), 'the body has no field of that name yet');
  const text = JSON.stringify(body);
  assert(text.startsWith('{') && text.endsWith('}'), 'the body is a JSON object');
  const field = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
  return text === '{}' ? `{${field}}` : `${text.slice(0, -1)},${field}}`;
}

export function errorBody(code: ErrorCode, message: string, details: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { code, message, details } });
}

export function sendError(res: HttpResponse, state: RequestState, error: EngineError, closeConnection = false): void {
  const extra = error.retryAfterSeconds !== undefined ? { retryAfterSeconds: error.retryAfterSeconds } : undefined;
  send(res, state, errorStatus[error.code], errorBody(error.code, error.message, error.details), 'application/json', extra, closeConnection);
}

/**
 * Reads the body as text, refusing it (413) as soon as it is known to be over `maxBytes`: from the
 * Content-Length header before a byte is read, or while streaming when the length is not given.
 * Never buffers more than `maxBytes`. A body that comes in one chunk (nearly all: they are small)
 * is decoded straight from uWS's memory, with no copy in between.
 */
export function readBody(res: HttpResponse, state: RequestState, contentLength: string, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (contentLength !== '' && Number(contentLength) > maxBytes) {
      reject(tooLarge(maxBytes));
      return;
    }
    let chunks: Buffer[] | undefined;
    let size = 0;
    res.onData((chunk, isLast) => {
      if (state.done || state.aborted) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        reject(tooLarge(maxBytes));
        return;
      }
      // uWS neuters the chunk after this callback returns: decode it now, or copy it.
      if (isLast && chunks === undefined) {
        resolve(Buffer.from(chunk).toString('utf8'));
        return;
      }
      // Several chunks are joined before decoding, so that a character split between two stays whole.
      (chunks ??= []).push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

const tooLarge = (maxBytes: number): EngineError =>
  new EngineError('PAYLOAD_TOO_LARGE', `request bodies are limited to ${maxBytes} bytes`, { maxBytes });

export function parseJson(body: string): unknown {
  if (body.length === 0) throw new EngineError('BAD_REQUEST', 'a JSON body is required', {});
  try {
    return JSON.parse(body);
  } catch {
    throw new EngineError('BAD_REQUEST', 'the body is not valid JSON', {});
  }
}

export function errorFromUnknown(error: unknown): EngineError {
  if (error instanceof EngineError) return error;
  return new EngineError('INTERNAL', 'internal error', {});
}
