import {
  connect,
  errors,
  headers as createNatsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { assert, AssertionError } from '../assert.js';
import { EngineError } from '../errors.js';
import {
  assertHeaders,
  assertPattern,
  assertQueue,
  assertRequestOptions,
  busLimits,
  busOverloaded,
  busUnavailable,
  emptyHeaders,
  isThenable,
  isValidSubject,
  MalformedSubjectError,
  type Bus,
  type BusErrorListener,
  type BusHandler,
  type BusHeaders,
  type MessageContext,
  type PublishOptions,
  type RequestOptions,
  type SubscribeOptions,
  type Subscription,
} from './bus.js';

// The NATS transport (nats.js v3 on Node). Subjects, wildcards and queue groups are NATS's own;
// payloads are msgpack (binary, plain maps: no record extension, so any msgpack reader can decode
// them); headers are NATS headers. Core NATS delivers at most once: this is the transport, never
// the record. Nothing here logs: failures the caller cannot see go to onError.

export interface NatsBusOptions {
  /** The connection's name, as the server lists it. */
  name: string;
  onError?: BusErrorListener;
  /** Requests waiting for a reply. At the bound: OVERLOADED. */
  pendingRequestsMax?: number;
  /** Reconnect attempts after the connection is lost; -1 (the default) keeps trying. */
  maxReconnectAttempts?: number;
  /** How long connecting may take before connect() fails with UNAVAILABLE. */
  connectTimeoutMs?: number;
  /** How long close() lets handlers and the drain finish before it closes anyway. */
  closeTimeoutMs?: number;
}

/** One codec for every message: plain msgpack, Date as the timestamp extension, bytes as bin. */
const packr = new Packr({ useRecords: false });

export function encodePayload(message: unknown): Uint8Array {
  return packr.pack(message);
}

export function decodePayload(data: Uint8Array): unknown {
  return packr.unpack(data);
}

type State = 'open' | 'closing' | 'closed';

export class NatsBus implements Bus {
  private state: State = 'open';
  private connected = true;
  private pendingRequests = 0;
  private handlersInFlight = 0;
  private handlersIdle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private readonly subscriptions = new Set<NatsSubscription>();
  private readonly onError: BusErrorListener;
  private readonly pendingRequestsMax: number;
  private readonly closeTimeoutMs: number;

  /** Connects, or fails with UNAVAILABLE (reason `connect`). */
  static async connect(url: string, options: NatsBusOptions): Promise<NatsBus> {
    const pendingRequestsMax = options.pendingRequestsMax ?? busLimits.pendingRequestsMax;
    assert(Number.isInteger(pendingRequestsMax) && pendingRequestsMax > 0, 'pendingRequestsMax must be a positive integer');
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: url,
        name: options.name,
        maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
        timeout: options.connectTimeoutMs ?? 5_000,
      });
    } catch (error) {
      throw Object.assign(busUnavailable('connect', { url: withoutCredentials(url) }), { cause: error });
    }
    return new NatsBus(connection, options);
  }

  private constructor(
    private readonly connection: NatsConnection,
    options: NatsBusOptions,
  ) {
    this.onError = options.onError ?? (() => {});
    this.pendingRequestsMax = options.pendingRequestsMax ?? busLimits.pendingRequestsMax;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
    void connection.closed().then(() => {
      this.state = 'closed';
    });
    void this.watchStatus();
  }

  /** The server's limit on one message, headers included. */
  get maxPayloadBytes(): number {
    return this.connection.info?.max_payload ?? 1024 * 1024;
  }

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    assertHeaders(options?.headers);
    if (this.state === 'closed') return;
    if (!isValidSubject(subject)) {
      this.onError(new MalformedSubjectError(subject), subject);
      return;
    }
    try {
      const data = encodePayload(message);
      this.checkSize(data, subject);
      const headers = options?.headers;
      this.connection.publish(subject, data, headers === undefined ? undefined : { headers: toNatsHeaders(headers) });
    } catch (error) {
      // While closing, a publish the drain no longer takes is dropped like any publish after close.
      if (this.state === 'open') this.onError(error, subject);
    }
  }

  subscribe(pattern: string, handler: BusHandler, options: SubscribeOptions = {}): Subscription {
    assertPattern(pattern);
    assertQueue(options.queue);
    assert(this.state === 'open', 'subscribe on a closed bus');
    const subscription = this.connection.subscribe(pattern, {
      ...(options.queue === undefined ? {} : { queue: options.queue }),
      callback: (error, msg) => {
        if (error) this.onError(error, pattern);
        else this.deliver(handler, msg);
      },
    });
    this.subscriptions.add(subscription);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        this.subscriptions.delete(subscription);
        if (!this.connection.isClosed()) subscription.unsubscribe();
      },
    };
  }

  async request(subject: string, message: unknown, options: RequestOptions): Promise<unknown> {
    assertRequestOptions(options);
    if (!isValidSubject(subject)) throw new AssertionError(`malformed subject ${JSON.stringify(subject)}`);
    if (this.state !== 'open') throw busUnavailable('closed', { subject });
    if (this.pendingRequests >= this.pendingRequestsMax) throw busOverloaded(this.pendingRequestsMax);
    const data = encodePayload(message);
    this.checkSize(data, subject);
    this.pendingRequests++;
    try {
      const reply = await this.connection.request(subject, data, {
        timeout: options.timeoutMs,
        ...(options.headers === undefined ? {} : { headers: toNatsHeaders(options.headers) }),
      });
      return decodePayload(reply.data);
    } catch (error) {
      throw this.requestFailure(error, subject, options.timeoutMs);
    } finally {
      this.pendingRequests--;
    }
  }

  async flush(): Promise<void> {
    if (this.state !== 'open') return;
    await this.connection.flush();
  }

  /**
   * Stops taking requests and subscriptions, drains the subscriptions (messages already received
   * are handled), waits for async handlers, then drains the connection (everything published is
   * flushed) and closes. Bounded by closeTimeoutMs; past it the connection is closed anyway.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.closeTimeoutMs);
    });
    try {
      const outcome = await Promise.race([this.drainAll().then(() => 'drained' as const), deadline]);
      if (outcome === 'late' && !this.connection.isClosed()) await this.connection.close();
    } catch {
      if (!this.connection.isClosed()) await this.connection.close();
    } finally {
      clearTimeout(timer);
      this.state = 'closed';
    }
  }

  private async drainAll(): Promise<void> {
    if (!this.connected) {
      // Nothing can be drained through a lost connection.
      await this.connection.close();
      return;
    }
    await Promise.all([...this.subscriptions].map((subscription) => subscription.drain()));
    this.subscriptions.clear();
    if (this.handlersInFlight > 0) await new Promise<void>((resolve) => (this.handlersIdle = resolve));
    if (!this.connection.isClosed()) await this.connection.drain();
  }

  private deliver(handler: BusHandler, msg: Msg): void {
    let message: unknown;
    try {
      message = decodePayload(msg.data);
    } catch (error) {
      this.onError(error, msg.subject);
      return;
    }
    try {
      const result: unknown = handler(msg.subject, message, new NatsMessageContext(msg, this.respond));
      if (isThenable(result)) {
        this.handlersInFlight++;
        result.then(
          () => this.handlerDone(),
          (error: unknown) => {
            this.handlerDone();
            this.onError(error, msg.subject);
          },
        );
      }
    } catch (error) {
      this.onError(error, msg.subject);
    }
  }

  private handlerDone(): void {
    this.handlersInFlight--;
    if (this.handlersInFlight === 0 && this.handlersIdle) {
      this.handlersIdle();
      this.handlersIdle = undefined;
    }
  }

  /** Sends a handler's answer to a request; dropped once the connection no longer takes it. */
  private readonly respond = (msg: Msg, answer: unknown): void => {
    if (this.state === 'closed') return;
    try {
      const data = encodePayload(answer);
      this.checkSize(data, msg.subject);
      msg.respond(data);
    } catch (error) {
      if (this.state === 'open') this.onError(error, msg.subject);
    }
  };

  private checkSize(data: Uint8Array, subject: string): void {
    const bytesMax = this.maxPayloadBytes;
    if (data.length > bytesMax) {
      throw new EngineError('PAYLOAD_TOO_LARGE', 'the message is larger than the bus carries', { subject, bytes: data.length, bytesMax });
    }
  }

  private requestFailure(error: unknown, subject: string, timeoutMs: number): unknown {
    if (error instanceof errors.RequestError && error.isNoResponders()) return busUnavailable('no-responders', { subject });
    if (error instanceof errors.NoRespondersError) return busUnavailable('no-responders', { subject });
    if (error instanceof errors.TimeoutError) return busUnavailable('timeout', { subject, timeoutMs });
    if (error instanceof errors.ClosedConnectionError || error instanceof errors.DrainingConnectionError) {
      return busUnavailable('closed', { subject });
    }
    if (error instanceof errors.RequestError) {
      return busUnavailable(this.state === 'open' ? 'disconnected' : 'closed', { subject });
    }
    return error;
  }

  /** Follows the connection: lost and regained, and the events worth reporting. */
  private async watchStatus(): Promise<void> {
    try {
      await this.followStatus();
    } catch (error) {
      this.onError(error, '');
    }
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      switch (status.type) {
        case 'disconnect':
          this.connected = false;
          break;
        case 'reconnect':
          this.connected = true;
          break;
        case 'slowConsumer':
          this.onError(new Error(`slow consumer: ${status.pending} messages pending`), status.sub.getSubject());
          break;
        case 'error':
          this.onError(status.error, '');
          break;
        default:
          break;
      }
    }
  }
}

/** The context a NATS handler gets; headers are decoded only when read. */
class NatsMessageContext implements MessageContext {
  private decoded: BusHeaders | undefined;

  constructor(
    private readonly msg: Msg,
    private readonly respond: (msg: Msg, answer: unknown) => void,
  ) {}

  get headers(): BusHeaders {
    this.decoded ??= fromNatsHeaders(this.msg.headers);
    return this.decoded;
  }

  get expectsReply(): boolean {
    return typeof this.msg.reply === 'string' && this.msg.reply.length > 0;
  }

  reply(message: unknown): void {
    if (this.expectsReply) this.respond(this.msg, message);
  }
}

function toNatsHeaders(record: BusHeaders): MsgHdrs {
  const natsHeaders = createNatsHeaders();
  for (const [name, value] of Object.entries(record)) natsHeaders.set(name, value);
  return natsHeaders;
}

function fromNatsHeaders(natsHeaders: MsgHdrs | undefined): BusHeaders {
  if (natsHeaders === undefined) return emptyHeaders;
  const record: Record<string, string> = {};
  for (const name of natsHeaders.keys()) record[name] = natsHeaders.get(name);
  return record;
}

/** A URL for an error's details: `nats://user:secret@host` loses its user part. */
function withoutCredentials(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}
