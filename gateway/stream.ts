import type { TemplatedApp, WebSocket } from 'uWebSockets.js';
import type { Bus, Subscription } from '../engine/bus/bus.js';
import type { RelayedEvent } from '../engine/cluster/stream-seqs.js';
import type { StoredEvent } from '../engine/ledger.js';
import { limits } from '../engine/limits.js';
import type { Logger } from '../engine/logger.js';
import type { Auth, Principal } from './auth.js';
import { bearerOf } from './auth.js';
import { Firehose } from './firehose.js';
import { originAllowed } from './origins.js';
import { ReplayBuffer } from './replay.js';
import { idPattern } from './schemas.js';

// The live stream: `GET /v1/stream` upgrades to a WebSocket; clients subscribe to topics their
// token may see. Events come from the bus (published once durable) and are fanned out here.
// A client that reads too slowly is cut off (1013), never allowed to grow the server's memory.
//
// Resume: a subscribe frame may carry `from: { topic: lastSeqSeen }`. The client first gets what
// it missed — an order's from the order's own history, other topics from the replay buffer —
// then the live events, each seq at most once (every client topic keeps the newest seq it was
// sent). When what it missed is no longer there, it gets `{ op: "resync", topic, seq }` instead:
// read the resource anew, then carry on from `seq`.

/** What the hub reads from the engine besides the bus: an order's history, a topic's seq, durability. */
export interface StreamSource {
  bus: Bus;
  /** An order topic's events after `afterSeq` (the order's history), or undefined for an unknown order. */
  orderEventsAfter(orderId: string, afterSeq: number): StoredEvent[] | undefined;
  /** The newest seq given out on a topic (some may not be published yet). */
  lastSeq(topic: string): number;
  /** Resolves once everything staged so far is on disk (and so published, or about to be). */
  durable(): Promise<void>;
}

export interface StreamOptions {
  /** Browser origins allowed to open a stream; undefined allows every origin. */
  allowedOrigins?: readonly string[];
}

interface ClientTopic {
  /** The name the client subscribed under (an order's `rsv_` alias, say). */
  name: string;
  /** The newest seq this client was sent on the topic: nothing at or below it is sent again. */
  lastSeq: number;
  /** While the topic's replay is read back, live events wait here (bounded). */
  pending?: StoredEvent[];
  /** The pending queue overflowed: the replay ends in `resync` at this seq or later. */
  overflowSeq?: number;
}

interface ClientData {
  principal: Principal;
  /** Canonical topic -> what this client has of it. */
  topics: Map<string, ClientTopic>;
  closed: boolean;
}

type Client = WebSocket<ClientData>;

export interface StreamStats {
  clients: number;
  cutOff: number;
  replayTopics: number;
  replayBytes: number;
}

interface SubscribeRequest {
  op: 'subscribe' | 'unsubscribe';
  topics: string[];
  from?: Record<string, unknown>;
}

interface OrderResume {
  canonical: string;
  state: ClientTopic;
  fromSeq: number;
  events: StoredEvent[] | undefined;
}

export class StreamHub {
  private readonly subscribers = new Map<string, Set<Client>>();
  private readonly clients = new Set<Client>();
  private readonly replay = new ReplayBuffer({
    eventsPerTopicMax: limits.streamReplayEventsPerTopicMax,
    topicsMax: limits.streamReplayTopicsMax,
    bytesMax: limits.streamReplayBytesMax,
  });
  private readonly firehose = new Firehose(
    { eventsPerSecondMax: limits.firehoseEventsPerSecondMax, sampleMax: limits.firehoseSampleMax },
    (type, at, data) => this.deliver({ topic: 'orders', seq: ++this.firehoseSeq, type, at, data }),
  );
  private subscription: Subscription | undefined;
  /** The `orders` firehose numbers its own events. */
  private firehoseSeq = 0;
  private cutOff = 0;
  private accepting = true;

  constructor(
    private readonly auth: Auth,
    private readonly source: StreamSource,
    private readonly logger: Logger,
    private readonly options: StreamOptions = {},
  ) {}

  attach(app: TemplatedApp): void {
    this.subscription = this.source.bus.subscribe('stream.>', (_subject, message) => this.onPublished(message as StoredEvent));
    app.ws<ClientData>('/v1/stream', {
      maxPayloadLength: limits.wsFrameBytesMax,
      // uWS drops what passes maxBackpressure, the close frame included; the hub cuts a slow
      // client off at the limit, below it, so the client still learns why (1013).
      maxBackpressure: 2 * limits.wsBackpressureBytesMax,
      closeOnBackpressureLimit: 0,
      // A client that sends nothing (not even a pong to the automatic pings) for this long is closed.
      idleTimeout: limits.wsIdleTimeoutSeconds,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const token = bearerOf(req.getHeader('authorization')) || new URLSearchParams(req.getQuery() ?? '').get('token') || '';
        const key = req.getHeader('sec-websocket-key');
        const protocol = req.getHeader('sec-websocket-protocol');
        const extensions = req.getHeader('sec-websocket-extensions');
        const origin = req.getHeader('origin');
        const host = req.getHeader('host');
        const refuse = (status: string, code: string, message: string, details: Record<string, unknown> = {}, retryAfter?: string): void => {
          res.cork(() => {
            res.writeStatus(status).writeHeader('content-type', 'application/json');
            if (retryAfter) res.writeHeader('retry-after', retryAfter);
            res.end(JSON.stringify({ error: { code, message, details } }));
          });
        };
        // A page on another site must not ride on a browser's token: refuse it before looking at the token.
        if (!originAllowed(origin, host, this.options.allowedOrigins)) return refuse('403 Forbidden', 'FORBIDDEN', 'this origin may not open a stream', { origin });
        const principal = this.auth.verify(token);
        if (!principal) return refuse('401 Unauthorized', 'UNAUTHENTICATED', 'a valid token is required');
        if (!this.accepting) return refuse('503 Service Unavailable', 'UNAVAILABLE', 'the server is shutting down', {}, '5');
        if (this.clients.size >= limits.wsClientsMax) return refuse('503 Service Unavailable', 'OVERLOADED', 'too many stream clients', {}, '5');
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
    const replay = this.replay.stats();
    return { clients: this.clients.size, cutOff: this.cutOff, replayTopics: replay.topics, replayBytes: replay.bytes };
  }

  /**
   * Closes every stream with 1001 (going away) and refuses new ones; resolves when the clients
   * are gone or after `timeoutMs`.
   */
  async closeAll(timeoutMs = 0): Promise<void> {
    this.accepting = false;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.firehose.stop();
    for (const ws of [...this.clients]) {
      const data = ws.getUserData();
      if (data.closed) continue;
      data.closed = true;
      try {
        ws.end(1001, 'server shutting down');
      } catch {
        // already closed
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private onMessage(ws: Client, text: string): void {
    const request = parseRequest(text);
    if ('error' in request) {
      this.sendError(ws, request.error.code, request.error.message, request.error.details);
      return;
    }
    const data = ws.getUserData();
    const { topics } = request;
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
    const from = resumePoints(topics, request.from);
    if ('error' in from) {
      this.sendError(ws, 'VALIDATION_FAILED', from.error, { field: 'from' });
      return;
    }
    this.subscribe(ws, topics, from);
  }

  /**
   * Subscribes, then replays what the client missed. All of it up to the replies runs in one
   * turn of the event loop, so no live event slips between a replay and the live flow; an order's
   * replay waits for durability, and the live events meanwhile wait in its pending queue.
   */
  private subscribe(ws: Client, topics: string[], from: Map<string, number>): void {
    const data = ws.getUserData();
    const buffered: Array<{ canonical: string; state: ClientTopic; fromSeq: number }> = [];
    const orders: OrderResume[] = [];
    for (const name of topics) {
      const canonical = canonicalTopic(name)!;
      const existing = data.topics.get(canonical);
      if (existing) {
        // Already subscribed: it carries on where it is; nothing is sent twice.
        existing.name = name;
        continue;
      }
      const fromSeq = from.get(canonical);
      const state: ClientTopic = { name, lastSeq: fromSeq ?? 0 };
      data.topics.set(canonical, state);
      let set = this.subscribers.get(canonical);
      if (!set) this.subscribers.set(canonical, (set = new Set()));
      set.add(ws);
      if (fromSeq === undefined) continue;
      if (canonical.startsWith('order:')) {
        state.pending = [];
        orders.push({ canonical, state, fromSeq, events: this.source.orderEventsAfter(canonical.slice('order:'.length), 0) });
      } else {
        buffered.push({ canonical, state, fromSeq });
      }
    }
    ws.send(JSON.stringify({ op: 'subscribed', topics }));
    for (const { canonical, state, fromSeq } of buffered) this.replayFromBuffer(ws, canonical, state, fromSeq);
    if (orders.length === 0) return;
    // An order's history may hold entries staged and not yet on disk: send none before it is.
    this.source.durable().then(
      () => {
        for (const resume of orders) this.replayOrder(ws, resume);
      },
      () => {
        for (const resume of orders) this.replayOrder(ws, { ...resume, events: undefined });
      },
    );
  }

  private replayFromBuffer(ws: Client, canonical: string, state: ClientTopic, fromSeq: number): void {
    const answer = this.replay.since(canonical, fromSeq);
    if (answer.kind === 'frames') {
      for (const frame of answer.frames) {
        this.push(ws, frame.text);
        state.lastSeq = frame.seq;
      }
      return;
    }
    const current = answer.kind === 'gap' ? answer.lastSeq : canonical === 'orders' ? this.firehoseSeq : this.source.lastSeq(canonical);
    // Nothing kept, but nothing happened since either: the live flow goes on from here.
    if (answer.kind === 'unknown' && fromSeq === current) return;
    this.resync(ws, state, current);
  }

  private replayOrder(ws: Client, { canonical, state, fromSeq, events }: OrderResume): void {
    const data = ws.getUserData();
    // Closed or unsubscribed (maybe subscribed anew) while the history was read: nothing to do.
    if (data.closed || data.topics.get(canonical) !== state) return;
    const pending = state.pending ?? [];
    state.pending = undefined;
    const first = events?.[0]?.seq ?? 1;
    const last = events?.[events.length - 1]?.seq ?? 0;
    if (events === undefined || state.overflowSeq !== undefined || fromSeq > last || fromSeq < first - 1) {
      // Unknown order, history trimmed, a client ahead of the ledger, or too much came meanwhile.
      // No history here (a cluster gateway has none): carry on from the newest seq this hub gave out.
      const known = events === undefined ? this.source.lastSeq(canonical) : 0;
      this.resync(ws, state, Math.max(last, known, state.overflowSeq ?? 0));
    } else {
      for (const event of events) this.sendEvent(ws, state, event);
    }
    for (const event of pending) this.sendEvent(ws, state, event);
  }

  private resync(ws: Client, state: ClientTopic, seq: number): void {
    state.lastSeq = seq;
    this.sendControl(ws, { op: 'resync', topic: state.name, seq });
  }

  private onPublished(event: StoredEvent): void {
    this.deliver(event);
    // A cluster cart part's event told again on its home's topic is in the firehose once, as the part's.
    if (event.topic.startsWith('order:') && (event as RelayedEvent).relayedFrom === undefined) this.firehose.offer(event);
  }

  /** Sends the event to its topic's subscribers, and keeps it for replay unless an order's history has it. */
  private deliver(event: StoredEvent): void {
    let canonicalFrame: string | undefined;
    if (!event.topic.startsWith('order:')) {
      canonicalFrame = frameText(event.topic, event);
      this.replay.record(event.topic, event.seq, canonicalFrame);
    }
    const set = this.subscribers.get(event.topic);
    if (!set) return;
    for (const ws of set) {
      const state = ws.getUserData().topics.get(event.topic);
      if (!state) continue;
      if (state.pending) {
        this.hold(state, event);
        continue;
      }
      if (event.seq <= state.lastSeq) continue;
      state.lastSeq = event.seq;
      this.push(ws, state.name === event.topic ? (canonicalFrame ??= frameText(event.topic, event)) : frameText(state.name, event));
    }
  }

  /** Keeps a live event while the topic's replay is read; past the bound, keeps only its seq. */
  private hold(state: ClientTopic, event: StoredEvent): void {
    if (state.overflowSeq === undefined && state.pending!.length < limits.streamResumePendingMax) {
      state.pending!.push(event);
      return;
    }
    state.pending!.length = 0;
    state.overflowSeq = Math.max(state.overflowSeq ?? 0, event.seq);
  }

  private sendEvent(ws: Client, state: ClientTopic, event: StoredEvent): void {
    if (event.seq <= state.lastSeq) return;
    state.lastSeq = event.seq;
    this.push(ws, frameText(state.name, event));
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

  private sendControl(ws: Client, frame: object): void {
    this.push(ws, JSON.stringify(frame));
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

const frameText = (topic: string, event: StoredEvent): string =>
  JSON.stringify({ topic, type: event.type, seq: event.seq, at: new Date(event.at).toISOString(), data: event.data });

type Refusal = { error: { code: string; message: string; details: Record<string, unknown> } };

function parseRequest(text: string): SubscribeRequest | Refusal {
  let request: { op?: unknown; topics?: unknown; from?: unknown };
  try {
    request = JSON.parse(text) as typeof request;
  } catch {
    return { error: { code: 'BAD_REQUEST', message: 'frames are JSON objects', details: {} } };
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return { error: { code: 'VALIDATION_FAILED', message: 'frames are JSON objects', details: { field: '(frame)' } } };
  }
  if ((request.op !== 'subscribe' && request.op !== 'unsubscribe') || !Array.isArray(request.topics) || request.topics.length > limits.wsTopicsPerClientMax || !request.topics.every((t) => typeof t === 'string')) {
    return { error: { code: 'VALIDATION_FAILED', message: 'expected { "op": "subscribe" | "unsubscribe", "topics": [string], "from"?: { topic: seq } }', details: { field: 'topics' } } };
  }
  if (request.from !== undefined && (typeof request.from !== 'object' || request.from === null || Array.isArray(request.from))) {
    return { error: { code: 'VALIDATION_FAILED', message: '"from" is an object of topic to last seq seen', details: { field: 'from' } } };
  }
  return { op: request.op, topics: request.topics as string[], ...(request.from !== undefined ? { from: request.from as Record<string, unknown> } : {}) };
}

/** `from` by canonical topic; each key names a topic of the same frame, each value a seq (integer >= 0). */
function resumePoints(topics: readonly string[], from: Record<string, unknown> | undefined): Map<string, number> | { error: string } {
  const points = new Map<string, number>();
  if (!from) return points;
  const subscribed = new Set(topics.map((t) => canonicalTopic(t)));
  for (const [name, seq] of Object.entries(from)) {
    const canonical = canonicalTopic(name);
    if (canonical === undefined || !subscribed.has(canonical)) return { error: `"from" names ${JSON.stringify(name).slice(0, 80)}, which is not among "topics"` };
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return { error: `"from" seqs are integers >= 0` };
    points.set(canonical, seq);
  }
  return points;
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
