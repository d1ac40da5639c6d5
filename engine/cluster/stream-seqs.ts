import { setRecent } from '../recent-map.js';
import { streamSubject, type Bus, type BusHandler, type PublishOptions, type RequestOptions, type SubscribeOptions, type Subscription } from '../bus/bus.js';
import type { StoredEvent } from '../ledger.js';

// Stream events in a cluster, and how `seq` keeps rising by one per topic.
//
// - `order:<id>` of a single-partition order and `sku:<sku>` have one source, the partition that
//   owns the order or SKU: its ledger numbers them, as in one process.
// - `node:<id>` has many: every partition holds a copy of the node (config is broadcast), and any
//   partition may release lines to it. Only partition 0 publishes the node's own events
//   (`node.created`, `node.status`, …; see OutboxRelay), so each is told once; and each gateway
//   numbers a node topic's events itself as they arrive (StreamSeqs), so its clients see seq
//   rise by one. A node topic's seq is therefore per gateway: a client resuming with `from` must
//   come back to the same gateway, or it is told to `resync`.
// - `order:<home id>` of a cart spanning partitions has many too: the home's own events, and those
//   of each part once it is confirmed (the part then knows its home's id, and each of its events
//   carries it in the header `oo-cart-home`; the home's events carry `oo-cart`). Every gateway
//   learns this from the events themselves, so one that never saw the hold, or just restarted,
//   needs nothing else. It numbers such a topic itself, as a node topic, and a part's event goes
//   out twice: under its own topic with its partition's seq (as before), and under the home's
//   topic, data as the part's but `orderId`/`reservationId` the cart's and `partOrderId` the
//   part's, and `status` the part's (read the order for the cart's). A resume with `from`
//   on another gateway (or after a restart) is told to `resync`, as for a node topic.
// - `orders` (the firehose) was always numbered by each gateway (gateway/stream.ts); it carries a
//   part's event once, under the part's own topic.
//
// Events leave an engine at least once (the outbox relays again after a crash): a gateway drops
// an event whose seq it has already seen from that partition on that topic.

/** Headers of a cluster cart's order events (set by the outbox, read by the gateways). */
export const cartHeaders = {
  /** On a cart home's events: its order topic is numbered by each gateway. */
  home: 'oo-cart',
  /** On a confirmed part's events: the home's order id, whose topic they are told on too. */
  partOf: 'oo-cart-home',
} as const;

/** A copy of a part's event on its home's topic; the stream hub leaves it out of the firehose. */
export interface RelayedEvent extends StoredEvent {
  relayedFrom?: string;
}

/** The bus a partition's engine is given: it publishes nothing itself, its outbox relay does. */
export class PartitionBus implements Bus {
  constructor(private readonly bus: Bus) {}

  publish(): void {}
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    return this.bus.subscribe(pattern, handler, options);
  }
  request(subject: string, message: unknown, options: RequestOptions): Promise<unknown> {
    return this.bus.request(subject, message, options);
  }
  flush(): Promise<void> {
    return this.bus.flush();
  }
  /** The bus is shared by every partition of the process: the process closes it, not a partition. */
  async close(): Promise<void> {}
}

/**
 * A gateway's view of the stream's seqs: drops an event already seen (same topic, same partition,
 * seq not above the last), numbers the topics several partitions feed (node topics, cart order
 * topics), and keeps the newest seq of every topic (for the stream hub's resume). Bounded: past
 * `topicsMax` the least recently seen topic is forgotten; a client resuming it is told to resync,
 * a duplicate of it may pass once more, and if its events come again their numbering starts above
 * every seq forgotten so far, so a client still subscribed never sees seq go back.
 */
export class StreamSeqs {
  /** Topic -> the newest seq this gateway's clients were given on it. Bounded by topicsMax. */
  private readonly seqs = new Map<string, number>();
  /** The topics of `seqs` this gateway numbers itself (node and cart order topics). */
  private readonly renumbered = new Set<string>();
  /** `topic@partition` -> the newest seq that partition published on the topic. Bounded by topicsMax. */
  private readonly sourceSeqs = new Map<string, number>();
  /** The highest seq of a renumbered topic forgotten at the bound. */
  private forgottenSeqMax = 0;

  constructor(private readonly topicsMax = 100_000) {}

  /**
   * The event as this gateway's clients see it: none when already seen; itself (a node or cart
   * topic renumbered); and for a confirmed cart part's event also its copy on the home's topic.
   */
  number(event: StoredEvent, headers: Readonly<Record<string, string | undefined>>): StoredEvent[] {
    const partition = headers['oo-partition'];
    if (partition !== undefined && this.seen(`${event.topic}@${partition}`, event.seq)) return [];
    const own = this.renumber(event, event.topic.startsWith('node:') || headers[cartHeaders.home] !== undefined);
    const home = headers[cartHeaders.partOf];
    if (home === undefined || !event.topic.startsWith('order:')) return [own];
    const topic = `order:${home}`;
    const data = typeof event.data === 'object' && event.data !== null ? event.data as Record<string, unknown> : {};
    const relayed: RelayedEvent = {
      ...event,
      topic,
      data: { ...data, orderId: home, reservationId: `rsv_${home.slice(4)}`, partOrderId: event.topic.slice('order:'.length) },
      relayedFrom: event.topic,
    };
    return [own, this.renumber(relayed, true)];
  }

  lastSeq(topic: string): number {
    return this.seqs.get(topic) ?? 0;
  }

  /** True when the source already published this seq (or a later one) on the topic; else records it. */
  private seen(key: string, seq: number): boolean {
    const last = this.sourceSeqs.get(key);
    if (last !== undefined && seq <= last) return true;
    setRecent(this.sourceSeqs, key, seq, this.topicsMax);
    return false;
  }

  private renumber<E extends StoredEvent>(event: E, multiSource: boolean): E {
    const previous = this.seqs.get(event.topic);
    const seq = multiSource ? (previous ?? this.forgottenSeqMax) + 1 : event.seq;
    if (multiSource) this.renumbered.add(event.topic);
    const dropped = setRecent(this.seqs, event.topic, Math.max(seq, previous ?? 0), this.topicsMax);
    if (dropped && this.renumbered.delete(dropped[0])) this.forgottenSeqMax = Math.max(this.forgottenSeqMax, dropped[1]);
    return multiSource ? { ...event, seq } : event;
  }
}

/** The bus a gateway's stream hub reads: node and cart order topics renumbered on the way in, part events also told on their home's topic. */
export class GatewayStreamBus implements Bus {
  constructor(private readonly bus: Bus, private readonly seqs: StreamSeqs) {}

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    this.bus.publish(subject, message, options);
  }
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    if (!pattern.startsWith('stream.')) return this.bus.subscribe(pattern, handler, options);
    return this.bus.subscribe(pattern, (subject, message, context) => {
      for (const event of this.seqs.number(message as StoredEvent, context.headers)) {
        handler(event.topic === (message as StoredEvent).topic ? subject : streamSubject(event.topic), event, context);
      }
    }, options);
  }
  request(subject: string, message: unknown, options: RequestOptions): Promise<unknown> {
    return this.bus.request(subject, message, options);
  }
  flush(): Promise<void> {
    return this.bus.flush();
  }
  close(): Promise<void> {
    return this.bus.close();
  }
}
