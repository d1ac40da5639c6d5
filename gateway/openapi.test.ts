// Shows `GET /openapi.json` describes the API the gateway serves, over real HTTP against the real
// gateway on port 0: it parses as an OpenAPI 3.1 document; every route of the gateway's route
// table is there with its method, path params, roles, request body schema (the very TypeBox
// schema that validates the request) and the error format; every $ref resolves; the fixed routes
// (/healthz, /, /v1/stream) are there too. Who may read it: ops, checkout, viewer and partners;
// not an order's stream token (403), nor anyone without a token (401).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorStatus } from '../engine/errors.js';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';
import { openApiPath } from './openapi.js';
import * as schemas from './schemas.js';

let server: TestServer;
let doc: any;

beforeAll(async () => {
  server = await startServer();
  const answer = await call(server.url, server.tokens.viewer, 'GET', '/openapi.json');
  expect(answer.status).toBe(200);
  expect(answer.headers.get('content-type')).toBe('application/json');
  doc = answer.body;
});
afterAll(async () => {
  await server.close();
});

/** Follows a local `$ref` (`#/components/...`). */
function resolve(ref: string): any {
  expect(ref.startsWith('#/')).toBe(true);
  const target = ref.slice(2).split('/').reduce((node: any, key) => node?.[key], doc);
  expect(target, ref).toBeDefined();
  return target;
}

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with bearer security and the error format', () => {
    expect(typeof doc).toBe('object');
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: '1' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ bearer: [] }]);
    const error = doc.components.schemas.Error;
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['code', 'message', 'details']);
    expect([...error.properties.error.properties.code.enum].sort()).toEqual(Object.keys(errorStatus).sort());
  });

  it('lists every route of the table with its method, path params, roles, body schema and errors', () => {
    const routes = server.gateway.routes;
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const listed = new Set<string>();
    for (const route of routes) {
      const method = route.method === 'del' ? 'delete' : route.method;
      const path = openApiPath(route.pattern);
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      listed.add(`${method} ${path}`);
      expect(op['x-roles']).toEqual([...route.roles]);
      expect(op.summary).toBe(route.summary);
      const names = [...route.pattern.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
      expect(op.parameters?.filter((p: any) => p.in === 'path').map((p: any) => p.name) ?? []).toEqual(names);
      for (const p of op.parameters ?? []) if (p.in === 'path') expect(p).toMatchObject({ required: true, schema: { type: 'string', pattern: expect.any(String) } });
      expect(op.parameters?.some((p: any) => p.name === 'Idempotency-Key' && p.in === 'header') ?? false).toBe(route.idempotent === true);
      if (route.body) {
        const schema = resolve(op.requestBody.content['application/json'].schema.$ref);
        // The very schema that validates the request, as JSON.
        expect(schema).toEqual(JSON.parse(JSON.stringify(route.body)));
      } else {
        expect(op.requestBody).toBeUndefined();
      }
      for (const status of route.success) expect(op.responses[String(status)], `${method} ${path} ${status}`).toBeDefined();
      for (const status of ['401', '403', '503']) expect(op.responses[status], `${method} ${path} ${status}`).toBeDefined();
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (Number(status) < 400) continue;
        const resolved = resolve(response.$ref);
        expect(resolved.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
    // The contract's routes are all in the table (and so in the document).
    for (const expected of [
      'put /v1/nodes/{nodeId}', 'post /v1/nodes/{nodeId}/status', 'get /v1/nodes', 'get /v1/nodes/{nodeId}', 'put /v1/skus/{sku}',
      'put /v1/inventory/{nodeId}/{sku}', 'post /v1/inventory/{nodeId}/{sku}/adjust', 'get /v1/inventory/{sku}',
      'post /v1/reservations', 'post /v1/reservations/{id}/confirm', 'get /v1/reservations/{id}', 'delete /v1/reservations/{id}',
      'post /v1/orders', 'get /v1/orders/{id}', 'post /v1/orders/{id}/cancel', 'post /v1/promise', 'post /v1/nodes/{nodeId}/events',
      'post /v1/tokens/viewer', 'get /metrics', 'get /openapi.json',
    ]) expect(listed.has(expected), expected).toBe(true);
    // Nothing in the document that the gateway does not serve.
    const documented = Object.entries<any>(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.filter((op) => !listed.has(op)).sort()).toEqual(['get /', 'get /healthz', 'get /v1/stream']);
    const operationIds = documented.map((op) => { const [method, path] = op.split(' '); return doc.paths[path][method].operationId; });
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('names the request schemas of schemas.ts and keeps their limits', () => {
    const body = doc.components.schemas.ReservationBody;
    expect(body).toEqual(JSON.parse(JSON.stringify(schemas.ReservationBody)));
    expect(body.required).toEqual(expect.arrayContaining(['customerId', 'destination', 'lines']));
    expect(body.properties.lines).toMatchObject({ minItems: 1, maxItems: 100 });
    expect(body.properties.lines.items.properties.qty).toMatchObject({ type: 'integer', minimum: 1, maximum: 10_000 });
    expect(body.additionalProperties).toBe(false);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/v1/reservations'].post.responses['409']).toBeDefined();
    expect(doc.paths['/v1/reservations'].post.responses['422']).toBeDefined();
  });

  it('may be read by ops, checkout, viewer and a partner; not by an order stream token (403) or without a token (401)', async () => {
    const node = await call(server.url, server.tokens.ops, 'PUT', '/v1/nodes/oa-wh', { type: 'warehouse', location: { lat: 1, lon: 2 } });
    for (const token of [server.tokens.ops, server.tokens.checkout, node.body.partnerToken as string]) {
      expect((await call(server.url, token, 'GET', '/openapi.json')).body).toEqual(doc);
    }
    const streamOnly = server.auth.streamToken('some-order');
    expect((await call(server.url, streamOnly, 'GET', '/openapi.json')).status).toBe(403);
    const anonymous = await call(server.url, undefined, 'GET', '/openapi.json');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });
});
