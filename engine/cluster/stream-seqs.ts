import type { Bus, BusHandler, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../bus/bus.js';
import type { StoredEvent } from '../ledger.js';

// Stream events in a cluster, and how `seq` keeps rising by one per topic.
//
// - `order:<id>` and `sku:<sku>` have one source, the partition that owns the order or SKU: its
//   ledger numbers them, as in one process.
// - `node:<id>` has many: every partition holds a copy of the node (config is broadcast), and any
//   partition may release lines to it. Only partition 0 publishes the node's own events
//   (`node.created`, `node.status`, …; see OutboxRelay), so each is told once; and each gateway
//   numbers a node topic's events itself as they arrive (StreamSeqs), so its clients see seq
//   rise by one. A node topic's seq is therefore per gateway: a client resuming with `from` must
//   come back to the same gateway, or it is told to `resync`.
// - `orders` (the firehose) was always numbered by each gateway (gateway/stream.ts).
//
// Events leave an engine at least once (the outbox relays again after a crash): a gateway drops
// an event whose seq it has already seen from that partition on that topic.

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
 * seq not above the last), numbers the topics several partitions feed, and keeps the newest seq
 * of every topic (for the stream hub's resume). Bounded: past `topicsMax` the least recently seen
 * topic is forgotten; a client resuming it is told to resync, a duplicate of it may pass once more,
 * and if its events come again their numbering starts above every seq forgotten so far, so a
 * client still subscribed never sees seq go back.
 */
export class StreamSeqs {
  private readonly seqs = new Map<string, number>();
  /** `topic@partition` -> the newest seq that partition published on the topic. */
  private readonly sourceSeqs = new Map<string, number>();
  /** The highest seq of a node topic forgotten at the bound. */
  private forgottenSeqMax = 0;

  constructor(private readonly topicsMax = 100_000) {}

  /** The event as this gateway's clients see it (node topics renumbered), or undefined when already seen. */
  number(event: StoredEvent, partition: string | undefined): StoredEvent | undefined {
    if (partition !== undefined) {
      const key = `${event.topic}@${partition}`;
      const seen = this.sourceSeqs.get(key);
      if (seen !== undefined && event.seq <= seen) return undefined;
      if (seen !== undefined) this.sourceSeqs.delete(key);
      this.sourceSeqs.set(key, event.seq);
      if (this.sourceSeqs.size > this.topicsMax) {
        const oldest = this.sourceSeqs.keys().next().value;
        if (oldest !== undefined) this.sourceSeqs.delete(oldest);
      }
    }
    const multiSource = event.topic.startsWith('node:');
    const previous = this.seqs.get(event.topic);
    const seq = multiSource ? (previous ?? this.forgottenSeqMax) + 1 : event.seq;
    if (previous !== undefined) this.seqs.delete(event.topic);
    this.seqs.set(event.topic, Math.max(seq, previous ?? 0));
    if (this.seqs.size > this.topicsMax) {
      const [oldest, oldestSeq] = this.seqs.entries().next().value as [string, number];
      this.seqs.delete(oldest);
      if (oldest.startsWith('node:')) this.forgottenSeqMax = Math.max(this.forgottenSeqMax, oldestSeq);
    }
    return multiSource ? { ...event, seq } : event;
  }

  lastSeq(topic: string): number {
    return this.seqs.get(topic) ?? 0;
  }
}

/** The bus a gateway's stream hub reads: node topics renumbered on the way in. */
export class GatewayStreamBus implements Bus {
  constructor(private readonly bus: Bus, private readonly seqs: StreamSeqs) {}

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    this.bus.publish(subject, message, options);
  }
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    if (!pattern.startsWith('stream.')) return this.bus.subscribe(pattern, handler, options);
    return this.bus.subscribe(pattern, (subject, message, context) => {
      const event = this.seqs.number(message as StoredEvent, context.headers['oo-partition']);
      if (event) handler(subject, event, context);
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
