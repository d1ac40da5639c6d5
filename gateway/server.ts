import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { NodeDefinition } from '../actors/fulfillment-node/fulfillment-node.machine.js';
import type { Engine, IdempotencyKey } from '../engine/engine.js';
import { EngineError, errorStatus } from '../engine/errors.js';
import { limits } from '../engine/limits.js';
import type { Logger } from '../engine/logger.js';
import { bearerOf, type Auth, type Principal } from './auth.js';
import { dashboardHtml } from './dashboard.js';
import { errorBody, errorFromUnknown, parseJson, readBody, send, sendError, sendJson, type RequestState } from './http.js';
import { GatewayMetrics } from './metrics.js';
import * as schemas from './schemas.js';
import { compile, idPattern, type Validator } from './schemas.js';
import { StreamHub } from './stream.js';
import { uWS } from './uws.js';

// The HTTP API and the live stream on uWebSockets.js. It decodes and validates once, checks the
// caller's role, calls the engine, and maps engine codes to HTTP. Nothing else knows about HTTP.

export interface GatewayOptions {
  engine: Engine;
  auth: Auth;
  logger: Logger;
  host: string;
  port: number;
}

export interface Gateway {
  port: number;
  hub: StreamHub;
  close(): void;
}

type Role = Principal['role'];

interface Context {
  principal: Principal;
  params: string[];
  body: unknown;
  idempotency?: IdempotencyKey;
}

interface Reply {
  status: number;
  body: unknown;
}

interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'del';
  pattern: string;
  /** Roles allowed; a partner is further limited to its own node (param 0). */
  roles: readonly Role[];
  body?: Validator<unknown>;
  idempotent?: boolean;
  run(context: Context): Promise<Reply> | Reply;
}

const ops: Role[] = ['ops'];
const checkout: Role[] = ['ops', 'checkout'];
const readers: Role[] = ['ops', 'viewer'];
const checkoutReaders: Role[] = ['ops', 'checkout', 'viewer'];

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine, auth, logger } = options;
  const app = uWS.App();
  const hub = new StreamHub(auth, engine.bus, logger);
  const metrics = new GatewayMetrics(engine, hub);
  const withToken = <T extends object>(coreIdOf: (body: T) => string) => (body: T) => ({ ...body, streamToken: auth.streamToken(coreIdOf(body)) });
  const reservationWithToken = withToken<{ reservationId: string }>((b) => b.reservationId.slice(4));
  const orderWithToken = withToken<{ orderId: string }>((b) => b.orderId.slice(4));

  const routes: RouteSpec[] = [
    // Nodes
    {
      method: 'put', pattern: '/v1/nodes/:nodeId', roles: ops, body: compile(schemas.NodeBody),
      run: async ({ params, body }) => {
        const { node, created } = await engine.putNode(params[0], body as NodeDefinition);
        return created ? { status: 201, body: { ...node, partnerToken: auth.partnerToken(node.nodeId) } } : { status: 200, body: node };
      },
    },
    { method: 'post', pattern: '/v1/nodes/:nodeId/status', roles: ops, body: compile(schemas.NodeStatusBody), run: async ({ params, body }) => ok(await engine.setNodeStatus(params[0], (body as { status: 'online' }).status)) },
    { method: 'get', pattern: '/v1/nodes', roles: readers, run: () => ok({ nodes: engine.listNodes() }) },
    { method: 'get', pattern: '/v1/nodes/:nodeId', roles: readers, run: ({ params }) => ok(engine.getNode(params[0])) },
    // SKUs
    {
      method: 'put', pattern: '/v1/skus/:sku', roles: ops, body: compile(schemas.SkuBody),
      run: async ({ params, body }) => {
        const { created, ...sku } = await engine.putSku(params[0], body as { name?: string });
        return { status: created ? 201 : 200, body: sku };
      },
    },
    // Inventory
    { method: 'put', pattern: '/v1/inventory/:nodeId/:sku', roles: ops, body: compile(schemas.StockBody), run: async ({ params, body }) => ok(await engine.setStock(params[0], params[1], body as { onHand: number })) },
    { method: 'post', pattern: '/v1/inventory/:nodeId/:sku/adjust', roles: ops, body: compile(schemas.AdjustBody), run: async ({ params, body }) => ok(await engine.adjustStock(params[0], params[1], body as { delta: number; reason: string })) },
    { method: 'get', pattern: '/v1/inventory/:sku', roles: checkoutReaders, run: async ({ params }) => ok(await engine.getInventory(params[0])) },
    // Checkout
    {
      method: 'post', pattern: '/v1/reservations', roles: checkout, body: compile(schemas.ReservationBody), idempotent: true,
      run: async ({ body, idempotency }) => {
        const answer = await engine.createReservation(body as schemas.ReservationBody, idempotency);
        return { status: answer.status, body: reservationWithToken(answer.body) };
      },
    },
    {
      method: 'post', pattern: '/v1/reservations/:id/confirm', roles: checkout, body: compile(schemas.ConfirmBody), idempotent: true,
      run: async ({ params, body, idempotency }) => {
        const answer = await engine.confirmReservation(params[0], body as object, idempotency);
        return { status: answer.status, body: orderWithToken(answer.body) };
      },
    },
    { method: 'get', pattern: '/v1/reservations/:id', roles: checkoutReaders, run: async ({ params }) => ok(reservationWithToken(await engine.getReservation(params[0]))) },
    { method: 'del', pattern: '/v1/reservations/:id', roles: checkout, run: async ({ params }) => ok(reservationWithToken(await engine.releaseReservation(params[0]))) },
    {
      method: 'post', pattern: '/v1/orders', roles: checkout, body: compile(schemas.OrderBody), idempotent: true,
      run: async ({ body, idempotency }) => {
        const answer = await engine.createOrder(body as schemas.OrderBody, idempotency);
        return { status: answer.status, body: orderWithToken(answer.body) };
      },
    },
    { method: 'get', pattern: '/v1/orders/:id', roles: checkoutReaders, run: async ({ params }) => ok(orderWithToken(await engine.getOrder(params[0]))) },
    { method: 'post', pattern: '/v1/orders/:id/cancel', roles: checkout, body: compile(schemas.CancelBody), run: async ({ params, body }) => ok(orderWithToken(await engine.cancelOrder(params[0], (body as { lines?: [] }).lines))) },
    { method: 'post', pattern: '/v1/promise', roles: checkoutReaders.filter((r) => r !== 'viewer'), body: compile(schemas.PromiseBody), run: ({ body }) => ok(engine.quote(body as schemas.ReservationBody)) },
    // Fulfillment events
    {
      method: 'post', pattern: '/v1/nodes/:nodeId/events', roles: ['ops', 'partner'], body: compile(schemas.NodeEventBody),
      run: async ({ params, body }) => ok(await engine.nodeEvent(params[0], body as { orderId: string; type: 'accepted' })),
    },
    // Operations
    { method: 'get', pattern: '/metrics', roles: ops, run: async () => ({ status: 200, body: new RawText(await metrics.render(), metrics.contentType) }) },
  ];

  for (const route of routes) app[route.method](route.pattern, handler(route, auth, metrics, logger));
  app.get('/healthz', (res) => {
    res.cork(() => res.writeHeader('content-type', 'application/json').end(JSON.stringify({ status: 'ok' })));
  });
  app.get('/', (res) => {
    res.cork(() => res.writeHeader('content-type', 'text/html; charset=utf-8').end(dashboardHtml));
  });
  hub.attach(app);
  app.any('/*', (res, req) => {
    // Every request but /healthz and the dashboard page needs a token, unknown paths included.
    const known = auth.verify(bearerOf(req.getHeader('authorization'))) !== undefined;
    res.cork(() => {
      if (known) res.writeStatus('404 Not Found').writeHeader('content-type', 'application/json').end(errorBody('NOT_FOUND', 'no such endpoint'));
      else res.writeStatus('401 Unauthorized').writeHeader('content-type', 'application/json').end(errorBody('UNAUTHENTICATED', 'a valid bearer token is required'));
    });
  });

  return listen(app, options.host, options.port).then(({ socket, port }) => ({
    port,
    hub,
    close: () => {
      hub.closeAll();
      uWS.us_listen_socket_close(socket);
    },
  }));
}

class RawText {
  constructor(readonly text: string, readonly contentType: string) {}
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function handler(route: RouteSpec, auth: Auth, metrics: GatewayMetrics, logger: Logger) {
  const paramCount = (route.pattern.match(/:/g) ?? []).length;
  const routeName = `${route.method === 'del' ? 'DELETE' : route.method.toUpperCase()} ${route.pattern}`;
  return (res: HttpResponse, req: HttpRequest): void => {
    // Everything from `req` is read now: it is gone after the first await.
    const state: RequestState = { aborted: false, done: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    const started = performance.now();
    const token = bearerOf(req.getHeader('authorization'));
    const contentLength = req.getHeader('content-length');
    const idempotencyKey = route.idempotent ? req.getHeader('idempotency-key') : '';
    const rawParams: string[] = [];
    for (let i = 0; i < paramCount; i++) rawParams.push(req.getParameter(i) ?? '');
    const finish = (status: number, code?: string) => metrics.observe(routeName, status, code, performance.now() - started);

    const fail = (error: unknown): void => {
      const engineError = errorFromUnknown(error);
      if (engineError.code === 'INTERNAL') logger.error({ err: error, route: routeName }, 'request failed');
      // A body we refused unread would be parsed as the next request: close the connection.
      sendError(res, state, engineError, engineError.code === 'PAYLOAD_TOO_LARGE');
      finish(errorStatus[engineError.code], engineError.code);
    };

    let params: string[];
    try {
      params = rawParams.map((p) => decodeURIComponent(p));
    } catch {
      return fail(new EngineError('VALIDATION_FAILED', 'the path has a malformed percent escape', { field: 'path' }));
    }
    const principal = auth.verify(token);
    if (!principal) return fail(new EngineError('UNAUTHENTICATED', 'a valid bearer token is required'));
    if (!route.roles.includes(principal.role) || (principal.role === 'partner' && principal.nodeId !== params[0])) {
      return fail(new EngineError('FORBIDDEN', 'this token may not do that', { role: principal.role }));
    }
    const badParam = params.find((p) => !idPattern.test(p));
    if (badParam !== undefined) return fail(new EngineError('VALIDATION_FAILED', 'ids match ^[A-Za-z0-9._:-]{1,64}$', { field: 'path', value: badParam.slice(0, 80) }));
    if (route.idempotent && idempotencyKey !== '' && !/^[\x21-\x7e]{1,128}$/.test(idempotencyKey)) {
      return fail(new EngineError('VALIDATION_FAILED', 'Idempotency-Key is 1 to 128 visible ASCII characters', { field: 'Idempotency-Key' }));
    }

    const run = async (): Promise<void> => {
      let body: unknown;
      if (route.body) {
        const raw = await readBody(res, state, contentLength, limits.bodyBytesMax);
        // A body whose every field is optional may be left out altogether.
        body = raw.length === 0 && route.body.check({}) ? {} : parseJson(raw);
        if (!route.body.check(body)) {
          const { field, problem } = route.body.firstError(body);
          throw new EngineError('VALIDATION_FAILED', `${field}: ${problem}`, { field });
        }
      }
      const context: Context = { principal, params, body };
      if (idempotencyKey) {
        context.idempotency = {
          scope: `${principal.role}:${'nodeId' in principal ? principal.nodeId : ''}:${routeName}`,
          key: idempotencyKey,
          fingerprint: createHash('sha256').update(params.join('/')).update('\u0000').update(JSON.stringify(body ?? null)).digest('base64url'),
        };
      }
      const reply = await route.run(context);
      if (reply.body instanceof RawText) send(res, state, reply.status, reply.body.text, { 'content-type': reply.body.contentType });
      else sendJson(res, state, reply.status, reply.body);
      finish(reply.status);
    };
    run().catch(fail);
  };
}

function listen(app: TemplatedApp, host: string, port: number): Promise<{ socket: us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) {
        reject(new Error(`cannot listen on ${host}:${port}`));
        return;
      }
      resolve({ socket, port: uWS.us_socket_local_port(socket as never) });
    });
  });
}
