import type { TSchema } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import type { NodeDefinition } from '../actors/fulfillment-node/fulfillment-node.machine.js';
import type { IdempotencyKey } from '../engine/engine.js';
import type { EngineApi } from '../engine/engine-api.js';
import { EngineError, errorStatus } from '../engine/errors.js';
import { limits } from '../engine/limits.js';
import type { Logger } from '../engine/logger.js';
import { bearerOf, type Auth, type Principal } from './auth.js';
import { dashboardHtml } from './dashboard.js';
import { errorBody, errorFromUnknown, jsonWithField, parseJson, readBody, send, sendError, sendJson, type RequestState } from './http.js';
import { Inflight } from './inflight.js';
import { LiveStats, liveStatsKindOf } from './live-stats.js';
import { GatewayMetrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import * as schemas from './schemas.js';
import { SoldOutScanner } from './sold-out.js';
import { compile, idPattern, type Validator } from './schemas.js';
import { StreamHub } from './stream.js';
import { uWS } from './uws.js';

// The HTTP API and the live stream on uWebSockets.js. It decodes and validates once, checks the
// caller's role, calls the engine, and maps engine codes to HTTP. Nothing else knows about HTTP.

export interface GatewayOptions {
  /** The Engine in this process, or (OO_ROLE=gateway) the cluster's client that forwards to the engines. */
  engine: EngineApi;
  auth: Auth;
  logger: Logger;
  host: string;
  port: number;
  /** Browser origins allowed to open a stream (`OO_ALLOWED_ORIGINS`); undefined allows all. */
  allowedOrigins?: readonly string[];
}

export interface Gateway {
  port: number;
  hub: StreamHub;
  /** The route table, as served and as described by `GET /openapi.json`. */
  routes: readonly RouteDoc[];
  /** Requests being answered now. */
  inflight(): number;
  /** Stops at once: no more connections, streams closed (1001). */
  close(): void;
  /**
   * Stops gracefully: closes the listen socket, answers new requests on open connections with 503,
   * waits up to `drainMs` for the requests in flight, then closes the streams with 1001.
   * Resolves with the requests still in flight when it gave up waiting (0 when all finished).
   */
  shutdown(drainMs?: number): Promise<number>;
}

export type Role = Principal['role'];

interface Context {
  principal: Principal;
  params: readonly string[];
  body: unknown;
  idempotency?: IdempotencyKey;
}

interface Reply {
  status: number;
  body: unknown;
}

/** What describes a route, for the handler and for `GET /openapi.json` alike. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'del';
  pattern: string;
  summary: string;
  /** Roles allowed; a partner is further limited to its own node (the `:nodeId` param). */
  roles: readonly Role[];
  /** The request body's schema: the one that validates it. */
  body?: TSchema;
  idempotent?: boolean;
  /** The statuses of a successful answer. */
  success: readonly number[];
  /** Other statuses than the common ones (401, 403, 400 for a body, 404 for a resource, 503) this route answers. */
  refusals?: readonly number[];
}

interface RouteSpec extends RouteDoc {
  run(context: Context): Promise<Reply> | Reply;
}

const ops: Role[] = ['ops'];
const checkout: Role[] = ['ops', 'checkout'];
const readers: Role[] = ['ops', 'viewer'];
const checkoutReaders: Role[] = ['ops', 'checkout', 'viewer'];

export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { engine, auth, logger } = options;
  const app = uWS.App();
  const hub = new StreamHub(auth, {
    bus: engine.bus,
    orderEventsAfter: (orderId, afterSeq) => engine.orderEventsAfter(orderId, afterSeq),
    lastSeq: (topic) => engine.events.lastSeq(topic),
    durable: () => engine.ledger.durable(),
  }, logger, options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {});
  const metrics = new GatewayMetrics(engine, hub);
  const inflight = new Inflight();
  const liveStats = new LiveStats();
  const routes = routeTable(engine, auth, metrics, { liveStats, hub, soldOut: new SoldOutScanner(engine) });
  let openApi = '';
  routes.push({
    method: 'get', pattern: '/openapi.json', summary: 'This API, as an OpenAPI 3.1 document', roles: ['ops', 'checkout', 'viewer', 'partner'], success: [200],
    run: () => ({ status: 200, body: new RawText(openApi, 'application/json') }),
  });
  openApi = JSON.stringify(openApiDocument(routes));

  for (const route of routes) app[route.method](route.pattern, handler(route, auth, metrics, liveStats, logger, inflight));
  app.get('/healthz', (res) => {
    // While draining, a load balancer should send nothing more here.
    if (inflight.draining) res.cork(() => res.writeStatus('503 Service Unavailable').writeHeader('content-type', 'application/json').end(JSON.stringify({ status: 'stopping' })));
    else res.cork(() => res.writeHeader('content-type', 'application/json').end(JSON.stringify({ status: 'ok' })));
  });
  app.get('/', (res) => {
    res.cork(() => res.writeHeader('content-type', 'text/html; charset=utf-8').writeHeader('cache-control', 'no-cache').end(dashboardHtml));
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

  return listen(app, options.host, options.port).then(({ socket, port }) => {
    let listening = true;
    const stopListening = (): void => {
      if (!listening) return;
      listening = false;
      uWS.us_listen_socket_close(socket);
    };
    return {
      port,
      hub,
      routes,
      inflight: () => inflight.count,
      close: () => {
        inflight.draining = true;
        void hub.closeAll();
        stopListening();
      },
      shutdown: async (drainMs = limits.shutdownDrainMs) => {
        stopListening();
        inflight.draining = true;
        const left = await inflight.idle(drainMs);
        if (left > 0) logger.warn({ inflight: left, drainMs }, 'requests still in flight at the end of the drain');
        await hub.closeAll(limits.shutdownStreamCloseMs);
        return left;
      },
    };
  });
}

/** What the dashboard routes read besides the engine. */
interface DashboardSources {
  liveStats: LiveStats;
  hub: StreamHub;
  soldOut: SoldOutScanner;
}

/** Every route of the API but the fixed ones (`/healthz`, `/`, `/v1/stream`, `/openapi.json`). */
function routeTable(engine: EngineApi, auth: Auth, metrics: GatewayMetrics, dashboard: DashboardSources): RouteSpec[] {
  // The body as JSON with its `streamToken` added last, written straight out (see jsonWithField).
  const withToken = <T extends object>(coreIdOf: (body: T) => string) => (body: T) => new RawText(jsonWithField(body, 'streamToken', auth.streamToken(coreIdOf(body))), 'application/json');
  const reservationWithToken = withToken<{ reservationId: string }>((b) => b.reservationId.slice(4));
  const orderWithToken = withToken<{ orderId: string }>((b) => b.orderId.slice(4));
  const stockRefusals = [409, 503] as const;

  return [
    // Nodes
    {
      method: 'put', pattern: '/v1/nodes/:nodeId', summary: 'Create or replace a fulfillment node (201 with its partnerToken when created)', roles: ops, body: schemas.NodeBody, success: [200, 201],
      run: async ({ params, body }) => {
        const { node, created } = await engine.putNode(params[0], body as NodeDefinition);
        return created ? { status: 201, body: { ...node, partnerToken: auth.partnerToken(node.nodeId) } } : { status: 200, body: node };
      },
    },
    { method: 'post', pattern: '/v1/nodes/:nodeId/status', summary: "Set a node's status; offline reroutes what it has not shipped", roles: ops, body: schemas.NodeStatusBody, success: [200], run: async ({ params, body }) => ok(await engine.setNodeStatus(params[0], (body as { status: 'online' }).status)) },
    { method: 'get', pattern: '/v1/nodes', summary: 'List the nodes', roles: readers, success: [200], run: async () => ok({ nodes: await engine.listNodes() }) },
    { method: 'get', pattern: '/v1/nodes/:nodeId', summary: 'One node', roles: readers, success: [200], run: async ({ params }) => ok(await engine.getNode(params[0])) },
    { method: 'get', pattern: '/v1/nodes/:nodeId/stats', summary: "A node's orders today against its capacityPerDay (in its own local day) and its recent rejection rate", roles: readers, success: [200], run: async ({ params }) => ok(await engine.nodeStats(params[0])) },
    { method: 'get', pattern: '/v1/carriers', summary: 'The carrier services of the network, the nodes using each, and the transit learned from deliveries', roles: readers, success: [200], run: async () => ok(await engine.carriers()) },
    // SKUs
    {
      method: 'put', pattern: '/v1/skus/:sku', summary: 'Create or update a SKU (name, maxPerCustomer)', roles: ops, body: schemas.SkuBody, success: [200, 201],
      run: async ({ params, body }) => {
        const { created, ...sku } = await engine.putSku(params[0], body as { name?: string });
        return { status: created ? 201 : 200, body: sku };
      },
    },
    // A fixed path, not a SKU: `sold-out` would also be a valid SKU id, but no `GET /v1/skus/{sku}` exists.
    { method: 'get', pattern: '/v1/skus/sold-out', summary: 'SKUs with nothing available on the online nodes (the first 200, of the first 5,000 SKUs)', roles: checkoutReaders, success: [200], run: async () => ok(await dashboard.soldOut.read()) },
    // Inventory
    { method: 'put', pattern: '/v1/inventory/:nodeId/:sku', summary: 'Set the absolute on-hand count (and safety stock) of a SKU at a node', roles: ops, body: schemas.StockBody, success: [200], run: async ({ params, body }) => ok(await engine.setStock(params[0], params[1], body as { onHand: number })) },
    { method: 'post', pattern: '/v1/inventory/:nodeId/:sku/adjust', summary: 'Change the on-hand count of a SKU at a node by a delta', roles: ops, body: schemas.AdjustBody, success: [200], run: async ({ params, body }) => ok(await engine.adjustStock(params[0], params[1], body as { delta: number; reason: string })) },
    { method: 'get', pattern: '/v1/inventory/:sku', summary: 'Stock of a SKU: onHand, reserved and available per node', roles: checkoutReaders, success: [200], run: async ({ params }) => ok(await engine.getInventory(params[0])) },
    // Checkout
    {
      method: 'post', pattern: '/v1/reservations', summary: 'Hold stock for a cart: all lines or none', roles: checkout, body: schemas.ReservationBody, idempotent: true, success: [201], refusals: stockRefusals,
      run: async ({ body, idempotency }) => {
        const answer = await engine.createReservation(body as schemas.ReservationBody, idempotency);
        return { status: answer.status, body: reservationWithToken(answer.body) };
      },
    },
    {
      method: 'post', pattern: '/v1/reservations/:id/confirm', summary: 'Confirm a hold into an order', roles: checkout, body: schemas.ConfirmBody, idempotent: true, success: [201], refusals: [409],
      run: async ({ params, body, idempotency }) => {
        const answer = await engine.confirmReservation(params[0], body as object, idempotency);
        return { status: answer.status, body: orderWithToken(answer.body) };
      },
    },
    { method: 'get', pattern: '/v1/reservations/:id', summary: 'A hold and its status', roles: checkoutReaders, success: [200], run: async ({ params }) => ok(reservationWithToken(await engine.getReservation(params[0]))) },
    { method: 'del', pattern: '/v1/reservations/:id', summary: 'Release a hold', roles: checkout, success: [200], refusals: [409], run: async ({ params }) => ok(reservationWithToken(await engine.releaseReservation(params[0]))) },
    {
      method: 'post', pattern: '/v1/orders', summary: 'A hold and its confirmation in one call', roles: checkout, body: schemas.OrderBody, idempotent: true, success: [201], refusals: stockRefusals,
      run: async ({ body, idempotency }) => {
        const answer = await engine.createOrder(body as schemas.OrderBody, idempotency);
        return { status: answer.status, body: orderWithToken(answer.body) };
      },
    },
    { method: 'get', pattern: '/v1/orders/:id', summary: 'An order: status, lines, promise and history', roles: checkoutReaders, success: [200], run: async ({ params }) => ok(orderWithToken(await engine.getOrder(params[0]))) },
    { method: 'post', pattern: '/v1/orders/:id/approve', summary: 'Approve an order held for review (status exception): it is released to its nodes', roles: ops, success: [200], refusals: [409], run: async ({ params }) => ok(orderWithToken(await engine.approveOrder(params[0]))) },
    { method: 'post', pattern: '/v1/orders/:id/reject', summary: 'Reject an order held for review: it is cancelled and its stock returns', roles: ops, success: [200], refusals: [409], run: async ({ params }) => ok(orderWithToken(await engine.rejectOrder(params[0]))) },
    { method: 'post', pattern: '/v1/orders/:id/cancel', summary: 'Cancel an order, whole or some lines; what is not shipped returns to stock', roles: checkout, body: schemas.CancelBody, success: [200], refusals: [409], run: async ({ params, body }) => ok(orderWithToken(await engine.cancelOrder(params[0], (body as { lines?: [] }).lines))) },
    { method: 'post', pattern: '/v1/promise', summary: 'Delivery options for a cart; holds nothing', roles: checkout, body: schemas.PromiseBody, success: [200], refusals: [409], run: async ({ body }) => ok(await engine.quote(body as schemas.ReservationBody)) },
    // Fulfillment events
    {
      method: 'post', pattern: '/v1/nodes/:nodeId/events', summary: "A node's fulfillment event for an order (accepted, rejected, picked, packed, shipped, delivered)", roles: ['ops', 'partner'], body: schemas.NodeEventBody, success: [200], refusals: [409],
      run: async ({ params, body }) => ok(await engine.nodeEvent(params[0], body as { orderId: string; type: 'accepted' })),
    },
    // Operations
    {
      method: 'post', pattern: '/v1/tokens/viewer', summary: 'Mint a signed, expiring viewer token (for a dashboard in a browser)', roles: ops, body: schemas.ViewerTokenBody, success: [201],
      run: ({ body }) => ({ status: 201, body: auth.viewerToken((body as schemas.ViewerTokenBody).ttlSeconds ?? limits.viewerTokenTtlSecondsDefault) }),
    },
    {
      method: 'get', pattern: '/v1/stats', summary: 'The last minute per second (holds, orders, refusals, hold latency p50/p99), live orders and stream clients', roles: readers, success: [200],
      run: () => ok({ ...dashboard.liveStats.snapshot(), liveOrders: engine.stats().liveOrders, streamClients: dashboard.hub.stats().clients }),
    },
    { method: 'get', pattern: '/metrics', summary: 'Prometheus metrics', roles: ops, success: [200], run: async () => ({ status: 200, body: new RawText(await metrics.render(), metrics.contentType) }) },
  ];
}

class RawText {
  constructor(readonly text: string, readonly contentType: string) {}
}

const ok = (body: unknown): Reply => ({ status: 200, body });

/** A request between uWS's callback and its answer: `req` is gone after the first await, `res` is not. */
interface PendingRequest extends RequestState {
  /** performance.now() when the request came in. */
  readonly started: number;
}

/** The params of a route that has none: shared, never written. */
const noParams: readonly string[] = Object.freeze([]);
const idempotencyKeyPattern = /^[\x21-\x7e]{1,128}$/;

// Made once per route, so that a request allocates only what is its own: its state, the abort
// callback uWS needs, and the one promise of its answer (no per-request closures for finishing,
// failing or running it).
function handler(route: RouteSpec, auth: Auth, metrics: GatewayMetrics, liveStats: LiveStats, logger: Logger, inflight: Inflight) {
  const paramNames = route.pattern.split('/').filter((part) => part.startsWith(':'));
  const paramCount = paramNames.length;
  /** A partner may use a route only for its own node: the one this param names (none: any). */
  const nodeIdParam = paramNames.indexOf(':nodeId');
  const validator: Validator<unknown> | undefined = route.body ? compile(route.body) : undefined;
  const routeName = `${route.method === 'del' ? 'DELETE' : route.method.toUpperCase()} ${route.pattern}`;
  const liveKind = liveStatsKindOf(routeName);
  const meter = metrics.route(routeName);

  const finish = (request: PendingRequest, status: number, code?: string): void => {
    const durationMs = performance.now() - request.started;
    meter.observe(status, code, durationMs);
    if (liveKind) liveStats.observe(liveKind, status, durationMs);
  };

  const fail = (res: HttpResponse, request: PendingRequest, error: unknown): void => {
    const engineError = errorFromUnknown(error);
    if (engineError.code === 'INTERNAL') logger.error({ err: error, route: routeName }, 'request failed');
    // A body we refused unread would be parsed as the next request: close the connection.
    sendError(res, request, engineError, engineError.code === 'PAYLOAD_TOO_LARGE' || inflight.draining);
    finish(request, errorStatus[engineError.code], engineError.code);
  };

  /** Reads and checks the body, runs the route and answers. Called in uWS's callback: what comes before its first await (the body's onData) is set up there. */
  const answer = async (res: HttpResponse, request: PendingRequest, principal: Principal, params: readonly string[], contentLength: string, idempotencyKey: string): Promise<void> => {
    const end = inflight.begin();
    try {
      let body: unknown;
      if (validator) {
        const raw = await readBody(res, request, contentLength, limits.bodyBytesMax);
        // A body whose every field is optional may be left out altogether.
        body = raw.length === 0 && validator.check({}) ? {} : parseJson(raw);
        if (!validator.check(body)) {
          const { field, problem } = validator.firstError(body);
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
      if (reply.body instanceof RawText) send(res, request, reply.status, reply.body.text, reply.body.contentType);
      else sendJson(res, request, reply.status, reply.body);
      finish(request, reply.status);
    } catch (error) {
      fail(res, request, error);
    } finally {
      end();
    }
  };

  return (res: HttpResponse, req: HttpRequest): void => {
    // Everything from `req` is read now: it is gone after the first await.
    const request: PendingRequest = { aborted: false, done: false, started: performance.now() };
    res.onAborted(() => {
      request.aborted = true;
    });
    const token = bearerOf(req.getHeader('authorization'));
    const contentLength = req.getHeader('content-length');
    const idempotencyKey = route.idempotent ? req.getHeader('idempotency-key') : '';
    let rawParams = noParams;
    if (paramCount > 0) {
      const read: string[] = [];
      for (let i = 0; i < paramCount; i++) read.push(req.getParameter(i) ?? '');
      rawParams = read;
    }

    // Shutting down: what is in flight finishes, nothing new starts.
    if (inflight.draining) return fail(res, request, new EngineError('UNAVAILABLE', 'the server is shutting down', {}, 5));
    let params = noParams;
    if (paramCount > 0) {
      try {
        params = rawParams.map((p) => decodeURIComponent(p));
      } catch {
        return fail(res, request, new EngineError('VALIDATION_FAILED', 'the path has a malformed percent escape', { field: 'path' }));
      }
    }
    const principal = auth.verify(token);
    if (!principal) return fail(res, request, new EngineError('UNAUTHENTICATED', 'a valid bearer token is required'));
    if (!route.roles.includes(principal.role) || (principal.role === 'partner' && nodeIdParam >= 0 && principal.nodeId !== params[nodeIdParam])) {
      return fail(res, request, new EngineError('FORBIDDEN', 'this token may not do that', { role: principal.role }));
    }
    const badParam = params.find((p) => !idPattern.test(p));
    if (badParam !== undefined) return fail(res, request, new EngineError('VALIDATION_FAILED', 'ids match ^[A-Za-z0-9._:-]{1,64}$', { field: 'path', value: badParam.slice(0, 80) }));
    if (route.idempotent && idempotencyKey !== '' && !idempotencyKeyPattern.test(idempotencyKey)) {
      return fail(res, request, new EngineError('VALIDATION_FAILED', 'Idempotency-Key is 1 to 128 visible ASCII characters', { field: 'Idempotency-Key' }));
    }
    void answer(res, request, principal, params, contentLength, idempotencyKey);
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
