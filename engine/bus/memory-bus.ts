import { assert, AssertionError } from '../assert.js';
import { SystemClock, type Clock, type TimerHandle } from '../clock.js';
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
  subjectMatches,
  type Bus,
  type BusErrorListener,
  type BusHandler,
  type MessageContext,
  type PublishOptions,
  type RequestOptions,
  type SubscribeOptions,
  type Subscription,
} from './bus.js';

// The in-process transport. Delivery is synchronous and in order; a publish from inside a handler
// is delivered at once (depth first). Messages travel by reference: handlers must not mutate them,
// and should send only what msgpack carries (plain objects, arrays, strings, numbers, booleans,
// null, Date, Buffer) so the same code runs over NATS. A throwing handler is isolated so one bad
// subscriber cannot stop the others.

export interface MemoryBusOptions {
  /** Requests waiting for a reply. At the bound: OVERLOADED. */
  pendingRequestsMax?: number;
  /** Request timeouts run on this clock (a SimulatedClock in tests). */
  clock?: Clock;
}

interface Listener {
  /** Rises with every subscribe: a listener added during a delivery does not get that message. */
  id: number;
  pattern: string;
  queue: string | undefined;
  handler: BusHandler;
}

interface QueueCursor {
  members: number;
  next: number;
}

interface PendingRequest {
  fail(error: unknown): void;
}

const publishContext: MessageContext = Object.freeze({ headers: emptyHeaders, expectsReply: false, reply: () => {} });

export class MemoryBus implements Bus {
  private readonly exact = new Map<string, Set<Listener>>();
  private readonly wildcard = new Set<Listener>();
  /** Round-robin position of each queue group, dropped with its last member. */
  private readonly queues = new Map<string, QueueCursor>();
  private readonly pending = new Set<PendingRequest>();
  private readonly pendingRequestsMax: number;
  private readonly clock: Clock;
  private lastListenerId = 0;
  private closed = false;

  constructor(
    private readonly onError: BusErrorListener = () => {},
    options: MemoryBusOptions = {},
  ) {
    this.pendingRequestsMax = options.pendingRequestsMax ?? busLimits.pendingRequestsMax;
    assert(Number.isInteger(this.pendingRequestsMax) && this.pendingRequestsMax > 0, 'pendingRequestsMax must be a positive integer');
    this.clock = options.clock ?? new SystemClock();
  }

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    assertHeaders(options?.headers);
    if (this.closed) return;
    if (!isValidSubject(subject)) {
      this.onError(new MalformedSubjectError(subject), subject);
      return;
    }
    const headers = options?.headers;
    const context = headers === undefined ? publishContext : { headers, expectsReply: false, reply: () => {} };
    this.dispatch(subject, message, context);
  }

  subscribe(pattern: string, handler: BusHandler, options: SubscribeOptions = {}): Subscription {
    assertPattern(pattern);
    assertQueue(options.queue);
    assert(!this.closed, 'subscribe on a closed bus');
    const listener: Listener = { id: ++this.lastListenerId, pattern, queue: options.queue, handler };
    this.add(listener);
    let active = true;
    return {
      unsubscribe: () => {
        if (!active) return;
        active = false;
        this.remove(listener);
      },
    };
  }

  request(subject: string, message: unknown, options: RequestOptions): Promise<unknown> {
    try {
      assertRequestOptions(options);
      if (!isValidSubject(subject)) throw new AssertionError(`malformed subject ${JSON.stringify(subject)}`);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.closed) return Promise.reject(busUnavailable('closed', { subject }));
    if (this.pending.size >= this.pendingRequestsMax) return Promise.reject(busOverloaded(this.pendingRequestsMax));
    return new Promise((resolve, reject) => {
      let settled = false;
      let timer: TimerHandle | undefined;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        timer?.cancel();
        this.pending.delete(entry);
        return true;
      };
      const entry: PendingRequest = { fail: (error) => settle() && reject(error) };
      const context: MessageContext = {
        headers: options.headers ?? emptyHeaders,
        expectsReply: true,
        reply: (answer) => settle() && resolve(answer),
      };
      this.pending.add(entry);
      timer = this.clock.setTimeout(() => entry.fail(busUnavailable('timeout', { subject, timeoutMs: options.timeoutMs })), options.timeoutMs);
      const delivered = this.dispatch(subject, message, context);
      if (delivered === 0) entry.fail(busUnavailable('no-responders', { subject }));
    });
  }

  async flush(): Promise<void> {
    // Everything is delivered by the time publish returns.
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.exact.clear();
    this.wildcard.clear();
    this.queues.clear();
    for (const entry of [...this.pending]) entry.fail(busUnavailable('closed', {}));
  }

  /** Delivers to every matching plain listener and one member of each matching queue group; returns how many got it. */
  private dispatch(subject: string, message: unknown, context: MessageContext): number {
    const newest = this.lastListenerId;
    let delivered = 0;
    // Allocated only when a queue group matches: the plain path allocates nothing.
    let groups: Map<string, Listener[]> | undefined;
    const direct = this.exact.get(subject);
    if (direct) {
      for (const listener of direct) {
        if (listener.id > newest) continue;
        if (listener.queue === undefined) delivered += this.deliver(listener, subject, message, context);
        else groups = addMember(groups, listener);
      }
    }
    for (const listener of this.wildcard) {
      if (listener.id > newest || !subjectMatches(listener.pattern, subject)) continue;
      if (listener.queue === undefined) delivered += this.deliver(listener, subject, message, context);
      else groups = addMember(groups, listener);
    }
    if (groups) {
      for (const [queue, members] of groups) {
        const cursor = this.queues.get(queue);
        assert(cursor !== undefined, `queue group ${queue} has members but no cursor`);
        delivered += this.deliver(members[cursor.next++ % members.length], subject, message, context);
      }
    }
    return delivered;
  }

  /** Runs one handler, isolating its failure (thrown or rejected); returns 1, the count delivered. */
  private deliver(listener: Listener, subject: string, message: unknown, context: MessageContext): number {
    try {
      // A handler typed `=> void` may still return anything; only a thenable is watched.
      const result: unknown = listener.handler(subject, message, context);
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.onError(error, subject));
    } catch (error) {
      this.onError(error, subject);
    }
    return 1;
  }

  private add(listener: Listener): void {
    if (isExact(listener.pattern)) {
      let set = this.exact.get(listener.pattern);
      if (!set) this.exact.set(listener.pattern, (set = new Set()));
      set.add(listener);
    } else {
      this.wildcard.add(listener);
    }
    if (listener.queue !== undefined) {
      const cursor = this.queues.get(listener.queue);
      if (cursor) cursor.members++;
      else this.queues.set(listener.queue, { members: 1, next: 0 });
    }
  }

  private remove(listener: Listener): void {
    if (isExact(listener.pattern)) {
      const set = this.exact.get(listener.pattern);
      if (!set?.delete(listener)) return;
      if (set.size === 0) this.exact.delete(listener.pattern);
    } else if (!this.wildcard.delete(listener)) {
      return;
    }
    if (listener.queue !== undefined) {
      const cursor = this.queues.get(listener.queue);
      if (cursor && --cursor.members === 0) this.queues.delete(listener.queue);
    }
  }
}

function addMember(groups: Map<string, Listener[]> | undefined, listener: Listener): Map<string, Listener[]> {
  const map = groups ?? new Map<string, Listener[]>();
  const queue = listener.queue as string;
  const members = map.get(queue);
  if (members) members.push(listener);
  else map.set(queue, [listener]);
  return map;
}

function isExact(pattern: string): boolean {
  return !pattern.includes('*') && !pattern.includes('>');
}
