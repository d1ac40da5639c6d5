import type { OrderSnapshot } from '../../actors/domain.js';
import { streamSubject, subjectToken, type Bus } from '../bus/bus.js';
import { orderEvent } from '../decision.js';
import type { Ledger, StoredEvent } from '../ledger.js';
import type { Logger } from '../logger.js';
import { cartHeaders } from './stream-seqs.js';

// The outbox: NATS core delivers at most once, and an engine may die between a write reaching
// disk and its events reaching NATS. So in a cluster an event leaves only from the ledger: every
// message the engine would publish is written to an outbox table in the same LMDB transaction as
// the change it tells of, and a relay publishes the outbox after each durable batch, then deletes
// what it sent. After a crash the relay starts by publishing whatever is left: at least once.
// Receivers drop what they have seen by topic + seq (the gateway's StreamSeqs, the stream hub).
//
// The engine is not changed for this: withOutbox() wraps its ledger and stages an outbox entry
// wherever the engine stages an event — a new history entry of an order (putOrder) is an
// `order:` event, an appended event a `sku:` or `node:` one, and a node's order.released or
// order.cancelled is also that node's fulfillment instruction. An order event of a cluster cart
// carries a header for the gateways: the home's `oo-cart`, a confirmed part's `oo-cart-home`.

export interface OutboxEntry {
  subject: string;
  message: unknown;
  /** Published as NATS headers beside `oo-partition`: what a gateway needs to number a cart's order topic (stream-seqs.ts). */
  headers?: Record<string, string>;
}

/** What a ledger keeps for the outbox; storage/ implements it next to the rest of the ledger. */
export interface OutboxStore {
  /** Staged in the current batch: committed in the same transaction as the writes beside it. */
  appendOutbox(entry: OutboxEntry): void;
  /** Committed entries with an id above `afterId`, oldest first. */
  readOutbox(afterId: number, limit: number): Array<{ id: number; entry: OutboxEntry }>;
  /** Stages the removal of the committed entries up to `throughId`. */
  removeOutbox(throughId: number): void;
}

/**
 * Bounds of the relay: entries read and published per pass (more: another pass at once); how
 * often what was sent is deleted. Deleting after every pass would cost a second fsync per batch;
 * once a second it costs one small batch a second, and a crash repeats at most that second.
 */
export const outboxLimits = { entriesPerPassMax: 1_000, removeEveryMs: 1_000 } as const;

const instructionTypes = new Set(['order.released', 'order.cancelled']);

/** The ledger as the engine sees it, with an outbox entry staged for every event it stages. */
export function withOutbox(ledger: Ledger & OutboxStore): Ledger {
  const putOrder = (snapshot: OrderSnapshot, live: boolean, isNew?: boolean): void => {
    const previous = isNew ? undefined : ledger.getOrder(snapshot.record.coreId);
    const seen = previous ? lastHistorySeq(previous) : 0;
    const headers = cartHeadersOf(snapshot.record);
    for (const entry of snapshot.record.history) {
      if (entry.seq <= seen) continue;
      const event = orderEvent(snapshot, entry);
      ledger.appendOutbox({ subject: streamSubject(event.topic), message: event, ...(headers ? { headers } : {}) });
    }
    ledger.putOrder(snapshot, live, isNew);
  };
  const appendEvent = (event: StoredEvent): void => {
    ledger.appendOutbox({ subject: streamSubject(event.topic), message: event });
    if (event.topic.startsWith('node:') && instructionTypes.has(event.type)) {
      ledger.appendOutbox({ subject: `node.${subjectToken(event.topic.slice('node:'.length))}.instructions`, message: event.data });
    }
    ledger.appendEvent(event);
  };
  // Every other member is the ledger's own, bound to it once (the engine calls them per request).
  const bound = new Map<PropertyKey, unknown>([['putOrder', putOrder], ['appendEvent', appendEvent]]);
  return new Proxy(ledger, {
    get(target, property) {
      const known = bound.get(property);
      if (known !== undefined) return known;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(target);
      bound.set(property, method);
      return method;
    },
  });
}

/** A cart's home says so on every event; a confirmed part names its home (see cartHeaders). */
function cartHeadersOf(record: OrderSnapshot['record']): Record<string, string> | undefined {
  if (record.parts && record.parts.length > 0) return { [cartHeaders.home]: '1' };
  if (record.cartHome) return { [cartHeaders.partOf]: record.cartHome };
  return undefined;
}

function lastHistorySeq(snapshot: OrderSnapshot): number {
  const history = snapshot.record.history;
  return history.length === 0 ? 0 : history[history.length - 1].seq;
}

/**
 * Publishes a partition's outbox after each durable batch, oldest first, each message with the
 * header `oo-partition`. Of a node topic, only partition 0 publishes the node's own events
 * (`node.created`, `node.status`, …): every partition holds the node, one tells of it.
 */
export class OutboxRelay {
  /** The newest entry published: its removal may not be committed yet. */
  private publishedThroughId = 0;
  private removedThroughId = 0;
  private removeTimer: NodeJS.Timeout | undefined;
  private passScheduled = false;
  private stopped = false;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly ledger: OutboxStore & Pick<Ledger, 'onBatch'>,
    private readonly bus: Bus,
    private readonly partition: number,
    private readonly logger: Logger,
  ) {
    this.headers = { 'oo-partition': String(partition) };
  }

  /** Publishes what a crash left in the outbox, then relays after every batch. */
  start(): void {
    this.ledger.onBatch(() => this.schedulePass());
    const left = this.ledger.readOutbox(0, 1).length;
    if (left > 0) this.logger.info({ partition: this.partition }, 'outbox: publishing what was left unsent');
    this.pass();
    this.removeTimer = setInterval(() => this.removeSent(), outboxLimits.removeEveryMs);
    this.removeTimer.unref();
  }

  /** Stops relaying; what was sent and not yet deleted is deleted now (staged with the ledger's last batch). */
  stop(): void {
    this.removeSent();
    this.stopped = true;
    if (this.removeTimer) clearInterval(this.removeTimer);
  }

  private removeSent(): void {
    if (this.stopped || this.publishedThroughId <= this.removedThroughId) return;
    this.removedThroughId = this.publishedThroughId;
    this.ledger.removeOutbox(this.removedThroughId);
  }

  private schedulePass(): void {
    if (this.passScheduled || this.stopped) return;
    this.passScheduled = true;
    queueMicrotask(() => {
      this.passScheduled = false;
      this.pass();
    });
  }

  private pass(): void {
    if (this.stopped) return;
    const entries = this.ledger.readOutbox(this.publishedThroughId, outboxLimits.entriesPerPassMax);
    if (entries.length === 0) return;
    for (const { entry } of entries) {
      if (this.partition !== 0 && isNodeOwnEvent(entry)) continue;
      this.bus.publish(entry.subject, entry.message, { headers: entry.headers ? { ...entry.headers, ...this.headers } : this.headers });
    }
    this.publishedThroughId = entries[entries.length - 1].id;
    if (entries.length === outboxLimits.entriesPerPassMax) setImmediate(() => this.pass());
  }
}

function isNodeOwnEvent({ subject, message }: OutboxEntry): boolean {
  return subject.startsWith('stream.node.') && String((message as StoredEvent | null)?.type).startsWith('node.');
}
