import type { TSchema } from '@sinclair/typebox';
import { errorStatus } from '../engine/errors.js';
import { limits } from '../engine/limits.js';
import * as schemas from './schemas.js';
import type { RouteDoc } from './server.js';

// `GET /openapi.json`: the API as an OpenAPI 3.1 document, built from the gateway's own route
// table and the TypeBox schemas that validate the requests — one source of truth, so the document
// cannot drift from what the server does. TypeBox schemas are JSON Schema, which OpenAPI 3.1 takes
// as it is. Responses are described by status and error format; their bodies are in docs/API.md.

type Json = Record<string, unknown>;

const statusText: Record<number, string> = {
  200: 'OK', 201: 'Created', 400: 'Bad request: BAD_REQUEST or VALIDATION_FAILED (details name the field)',
  401: 'UNAUTHENTICATED: missing, unknown or expired token', 403: 'FORBIDDEN: this token may not do that',
  404: 'NOT_FOUND', 409: 'Conflict: INSUFFICIENT_STOCK, INVALID_STATE or PURCHASE_LIMIT', 413: 'PAYLOAD_TOO_LARGE (bodies over 64 KiB)',
  422: 'IDEMPOTENCY_MISMATCH: the Idempotency-Key was used with another body', 503: 'OVERLOADED or UNAVAILABLE; retry after Retry-After seconds',
};

/** The OpenAPI document of `routes` (the route table) and the fixed routes beside it. */
export function openApiDocument(routes: readonly RouteDoc[]): Json {
  const paths: Record<string, Json> = {};
  const operation = (path: string, method: string, op: Json): void => {
    paths[path] = { ...(paths[path] ?? {}), [method]: op };
  };
  for (const route of routes) {
    const method = route.method === 'del' ? 'delete' : route.method;
    operation(openApiPath(route.pattern), method, routeOperation(route, method));
  }
  for (const [path, method, op] of fixedOperations()) operation(path, method, op);

  return {
    openapi: '3.1.0',
    info: {
      title: 'Order orchestration engine',
      version: '1',
      description: 'Holds, orders, fulfillment and live streams. Every request but GET /healthz and GET / needs `Authorization: Bearer <token>`. '
        + 'Each operation lists the roles that may call it in `x-roles`. Every error is `{ "error": { "code", "message", "details" } }`. See docs/API.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an ops, checkout, viewer (fixed or minted), partner or order stream token' } },
      schemas: { ...bodySchemas(), Error: errorSchema() },
      responses: Object.fromEntries(Object.entries(statusText).filter(([status]) => Number(status) >= 400).map(([status, description]) => [
        `E${status}`,
        {
          description,
          ...(status === '503' ? { headers: { 'Retry-After': { schema: { type: 'integer' }, description: 'seconds to wait' } } } : {}),
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      ])),
    },
  };
}

/** `/v1/nodes/:nodeId` → `/v1/nodes/{nodeId}`. */
export const openApiPath = (pattern: string): string => pattern.replace(/:([A-Za-z]+)/g, '{$1}');

function routeOperation(route: RouteDoc, method: string): Json {
  const params = route.pattern.split('/').filter((part) => part.startsWith(':')).map((part) => part.slice(1));
  const parameters: Json[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string', pattern: limits.idPattern } }));
  if (route.idempotent) {
    parameters.push({
      name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,128}$' },
      description: 'a repeat with the same key and body returns the first answer and changes nothing more; another body is 422',
    });
  }
  const bodyName = route.body ? schemaName(route.body) : undefined;
  const errors = new Set<number>([401, 403, 503, ...(route.refusals ?? [])]);
  if (route.body || params.length > 0 || route.idempotent) errors.add(400);
  if (params.length > 0) errors.add(404);
  if (route.body) errors.add(413);
  if (route.idempotent) errors.add(422);
  const responses: Json = {};
  for (const status of route.success) {
    const isText = route.pattern === '/metrics';
    responses[String(status)] = { description: statusText[status] ?? 'OK', content: isText ? { 'text/plain': { schema: { type: 'string' } } } : { 'application/json': { schema: { type: 'object' } } } };
  }
  for (const status of [...errors].sort()) responses[String(status)] = { $ref: `#/components/responses/E${status}` };
  return {
    operationId: operationId(method, route.pattern),
    summary: route.summary,
    description: `Roles: ${route.roles.join(', ')}${route.roles.includes('partner') && params.includes('nodeId') ? ' (a partner for its own node only)' : ''}.`,
    'x-roles': [...route.roles],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: !acceptsEmpty(route.body), content: { 'application/json': { schema: bodyName ? { $ref: `#/components/schemas/${bodyName}` } : plain(route.body) } } } } : {}),
    responses,
  };
}

function fixedOperations(): Array<[string, string, Json]> {
  const html = { 'text/html': { schema: { type: 'string' } } };
  return [
    ['/healthz', 'get', { operationId: 'getHealthz', summary: 'Liveness; needs no token', security: [], 'x-roles': [], responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } } } } } }],
    ['/', 'get', { operationId: 'getDashboard', summary: 'The live dashboard (a self-contained page; it asks for a viewer token)', security: [], 'x-roles': [], responses: { 200: { description: 'OK', content: html } } }],
    ['/v1/stream', 'get', {
      operationId: 'getStream',
      summary: 'The live stream: upgrades to a WebSocket (token in the Authorization header or ?token=)',
      description: 'Send `{ "op": "subscribe", "topics": [...], "from"?: { topic: lastSeq } }` and `{ "op": "unsubscribe", "topics": [...] }`. '
        + 'Frames: `{ op: "subscribed" | "unsubscribed", topics }`, `{ op: "resync", topic, seq }`, `{ op: "error", error }` and events `{ topic, type, seq, at, data }`. '
        + 'Close codes: 1001 server shutting down, 1008/1013 too slow. A browser whose Origin is not allowed (OO_ALLOWED_ORIGINS) is refused with 403.',
      'x-roles': ['ops', 'checkout', 'viewer', 'partner', 'order'],
      parameters: [{ name: 'token', in: 'query', required: false, schema: { type: 'string' } }],
      responses: {
        101: { description: 'Switching Protocols: the WebSocket is open' },
        401: { $ref: '#/components/responses/E401' },
        403: { $ref: '#/components/responses/E403' },
        503: { $ref: '#/components/responses/E503' },
      },
    }],
  ];
}

function errorSchema(): Json {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message', 'details'],
        properties: {
          code: { type: 'string', enum: Object.keys(errorStatus), description: 'stable; each code has one HTTP status' },
          message: { type: 'string', description: 'for people; may change' },
          details: { type: 'object', description: 'structured; VALIDATION_FAILED names the `field`' },
        },
      },
    },
    'x-status-of-code': { ...errorStatus },
  };
}

/** The request schemas of schemas.ts, by their exported names. */
function bodySchemas(): Record<string, Json> {
  const found: Record<string, Json> = {};
  for (const [name, value] of Object.entries(schemas)) if (isSchema(value)) found[name] = plain(value);
  return found;
}

function schemaName(schema: TSchema): string | undefined {
  return Object.entries(schemas).find(([, value]) => value === schema)?.[0];
}

const isSchema = (value: unknown): value is TSchema => typeof value === 'object' && value !== null && !(value instanceof RegExp) && typeof (value as { type?: unknown }).type === 'string';

/** The schema as plain JSON (TypeBox's symbol keys dropped). */
const plain = (schema: TSchema): Json => JSON.parse(JSON.stringify(schema)) as Json;

const acceptsEmpty = (schema: TSchema): boolean => schema.type === 'object' && (schema.required === undefined || (schema.required as unknown[]).length === 0);

function operationId(method: string, pattern: string): string {
  const words = pattern.split('/').filter((part) => part !== '' && part !== 'v1').map((part) => part.startsWith(':') ? `By${cap(part.slice(1))}` : cap(part.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())));
  return method + words.join('');
}

const cap = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);
