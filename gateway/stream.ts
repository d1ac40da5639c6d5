import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Bus, Subscription } from '../engine/bus/bus.js';
import type { StoredEvent } from '../engine/ledger.js';
import { limits } from '../engine/limits.js';
import type { Logger } from '../engine/logger.js';
import type { Auth, Principal } from './auth.js';
import { bearerOf } from './auth.js';
import { idPattern } from './schemas.js';

// The live stream: `GET /v1/stream` upgrades to a WebSocket; clients subscribe to topics their
// token may see. Events come from the bus (published once durable) and are fanned out here.
// A client that reads too slowly is cut off (1013), never allowed to grow the server's memory.

interface ClientData {
  principal: Principal;
  /** Canonical topic -> the name the client subscribed under (an order's `rsv_` alias). */
  topics: Map<string, string>;
  closed: boolean;
}

type Client = WebSocket<ClientData>;

export interface StreamStats {
  clients: number;
  cutOff: number;
}

export class StreamHub {
  private readonly subscribers = new Map<string, Set<Client>>();
  private readonly clients = new Set<Client>();
  private subscription: Subscription | undefined;
  /** The `orders` firehose numbers its own events. */
  private firehoseSeq = 0;
  private cutOff = 0;

  constructor(
    private readonly auth: Auth,
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  attach(app: TemplatedApp): void {
    this.subscription = this.bus.subscribe('stream.>', (_subject, message) => this.deliver(message as StoredEvent));
    app.ws<ClientData>('/v1/stream', {
      maxPayloadLength: limits.wsFrameBytesMax,
      // uWS drops what passes maxBackpressure, the close frame included; the hub cuts a slow
      // client off at the limit, below it, so the client still learns why (1013).
      maxBackpressure: 2 * limits.wsBackpressureBytesMax,
      closeOnBackpressureLimit: 0,
      idleTimeout: limits.wsIdleTimeoutSeconds,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const token = bearerOf(req.getHeader('authorization')) || new URLSearchParams(req.getQuery() ?? '').get('token') || '';
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const principal = this.auth.verify(token);
        if (!principal || this.clients.size >= limits.wsClientsMax) {
          const [status, code, message] = principal ? ['503 Service Unavailable', 'OVERLOADED', 'too many stream clients'] : ['401 Unauthorized', 'UNAUTHENTICATED', 'a valid token is required'];
          res.cork(() => {
            res.writeStatus(status).writeHeader('content-type', 'application/json');
            if (principal) res.writeHeader('retry-after', '5');
            res.end(JSON.stringify({ error: { code, message, details: {} } }));
          });
          return;
        }
        res.upgrade<ClientData>({ principal, topics: new Map(), closed: false }, key, protocol, extensions, context);
      },
      open: (ws) => {
        this.clients.add(ws);
      },
      message: (ws, message) => this.onMessage(ws, Buffer.from(message).toString('utf8')),
      close: (ws) => {
        const data = ws.getUserData();
        data.closed = true;
        this.clients.delete(ws);
        for (const topic of data.topics.keys()) this.removeSubscriber(topic, ws);
      },
    });
  }

  stats(): StreamStats {
    return { clients: this.clients.size, cutOff: this.cutOff };
  }

  /** Closes every stream with 1001 (going away). */
  closeAll(): void {
    this.subscription?.unsubscribe();
    for (const ws of [...this.clients]) {
      try {
        ws.end(1001, 'server shutting down');
      } catch {
        // already closed
      }
    }
  }

  private onMessage(ws: Client, text: string): void {
    let request: { op?: unknown; topics?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.sendError(ws, 'BAD_REQUEST', 'frames are JSON objects', {});
      return;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      this.sendError(ws, 'VALIDATION_FAILED', 'frames are JSON objects', { field: '(frame)' });
      return;
    }
    if ((request.op !== 'subscribe' && request.op !== 'unsubscribe') || !Array.isArray(request.topics) || request.topics.length > limits.wsTopicsPerClientMax || !request.topics.every((t) => typeof t === 'string')) {
      this.sendError(ws, 'VALIDATION_FAILED', 'expected { "op": "subscribe" | "unsubscribe", "topics": [string] }', { field: 'topics' });
      return;
    }
    const data = ws.getUserData();
    const topics = request.topics as string[];
    if (request.op === 'unsubscribe') {
      for (const name of topics) {
        const canonical = canonicalTopic(name);
        if (canonical && data.topics.delete(canonical)) this.removeSubscriber(canonical, ws);
      }
      ws.send(JSON.stringify({ op: 'unsubscribed', topics }));
      return;
    }
    const invalid = topics.filter((t) => canonicalTopic(t) === undefined);
    if (invalid.length > 0) {
      this.sendError(ws, 'VALIDATION_FAILED', 'unknown topic form', { topics: invalid });
      return;
    }
    const forbidden = topics.filter((t) => !mayRead(data.principal, t));
    if (forbidden.length > 0) {
      this.sendError(ws, 'FORBIDDEN', 'this token may not see these topics', { topics: forbidden });
      return;
    }
    if (data.topics.size + topics.length > limits.wsTopicsPerClientMax) {
      this.sendError(ws, 'VALIDATION_FAILED', `at most ${limits.wsTopicsPerClientMax} topics per connection`, { field: 'topics' });
      return;
    }
    for (const name of topics) {
      const canonical = canonicalTopic(name)!;
      data.topics.set(canonical, name);
      let set = this.subscribers.get(canonical);
      if (!set) this.subscribers.set(canonical, (set = new Set()));
      set.add(ws);
    }
    ws.send(JSON.stringify({ op: 'subscribed', topics }));
  }

  private deliver(event: StoredEvent): void {
    const frame = (topic: string, seq: number) => JSON.stringify({ topic, type: event.type, seq, at: new Date(event.at).toISOString(), data: event.data });
    const set = this.subscribers.get(event.topic);
    if (set) {
      let canonicalFrame: string | undefined;
      for (const ws of set) {
        const name = ws.getUserData().topics.get(event.topic) ?? event.topic;
        const text = name === event.topic ? (canonicalFrame ??= frame(event.topic, event.seq)) : frame(name, event.seq);
        this.push(ws, text);
      }
    }
    if (event.topic.startsWith('order:')) {
      const firehose = this.subscribers.get('orders');
      this.firehoseSeq++;
      if (firehose && firehose.size > 0) {
        const text = JSON.stringify({ topic: 'orders', type: event.type, seq: this.firehoseSeq, at: new Date(event.at).toISOString(), data: event.data });
        for (const ws of firehose) this.push(ws, text);
      }
    }
  }

  private push(ws: Client, text: string): void {
    if (ws.getUserData().closed) return;
    // Past the bound the client is too slow: cut it off and keep nothing more for it.
    if (ws.getBufferedAmount() + text.length > limits.wsBackpressureBytesMax || ws.send(text) === 2) {
      this.cutOff++;
      ws.getUserData().closed = true;
      this.logger.info({ buffered: ws.getBufferedAmount() }, 'slow stream client cut off');
      ws.end(1013, 'too slow: reconnect and resubscribe');
    }
  }

  private sendError(ws: Client, code: string, message: string, details: Record<string, unknown>): void {
    ws.send(JSON.stringify({ op: 'error', error: { code, message, details } }));
  }

  private removeSubscriber(topic: string, ws: Client): void {
    const set = this.subscribers.get(topic);
    if (!set) return;
    set.delete(ws);
    if (set.size === 0) this.subscribers.delete(topic);
  }
}

/** `order:rsv_X` is the same topic as `order:ord_X`. Undefined for a malformed topic. */
export function canonicalTopic(topic: string): string | undefined {
  if (topic === 'orders') return topic;
  const colon = topic.indexOf(':');
  if (colon < 0) return undefined;
  const kind = topic.slice(0, colon);
  const id = topic.slice(colon + 1);
  if (!idPattern.test(id)) return undefined;
  if (kind === 'order') return id.startsWith('rsv_') ? `order:ord_${id.slice(4)}` : topic;
  if (kind === 'sku' || kind === 'node') return topic;
  return undefined;
}

export function mayRead(principal: Principal, topic: string): boolean {
  const canonical = canonicalTopic(topic);
  if (!canonical) return false;
  switch (principal.role) {
    case 'ops':
    case 'viewer':
      return true;
    case 'checkout':
      return canonical.startsWith('order:') || canonical.startsWith('sku:');
    case 'partner':
      return canonical === `node:${principal.nodeId}`;
    case 'order':
      return canonical === `order:ord_${principal.coreId}`;
  }
}
