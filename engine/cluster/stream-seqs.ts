import type { Bus, BusHandler, PublishOptions, RequestOptions, SubscribeOptions, Subscription } from '../bus/bus.js';
import type { StoredEvent } from '../ledger.js';

// Stream events in a cluster, and how `seq` keeps rising by one per topic.
//
// - `order:<id>` and `sku:<sku>` have one source, the partition that owns the order or SKU: its
//   ledger numbers them, as in one process.
// - `node:<id>` has many: every partition holds a copy of the node (config is broadcast), and any
//   partition may release lines to it. Engines of partitions other than 0 keep the node's own
//   events (`node.created`, `node.status`, …) to themselves, so each is published once; and each
//   gateway numbers a node topic's events itself as they arrive (NodeTopicSeqs), so its clients
//   see seq rise by one. A node topic's seq is therefore per gateway: a client resuming with
//   `from` must come back to the same gateway, or it is told to `resync`.
// - `orders` (the firehose) was always numbered by each gateway (gateway/stream.ts).

/** The bus a partition's engine publishes on: the node's own events only from partition 0. */
export class PartitionBus implements Bus {
  constructor(private readonly bus: Bus, private readonly partition: number) {}

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    if (this.partition !== 0 && subject.startsWith('stream.node.') && String((message as StoredEvent | null)?.type).startsWith('node.')) return;
    this.bus.publish(subject, message, options);
  }
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
 * A gateway's numbering of the topics several partitions feed, and the newest seq seen on every
 * topic (for the stream hub's resume). Bounded: past `topicsMax` the least recently seen topic is
 * forgotten; a client resuming it is told to resync, and if its events come again their numbering
 * starts above every seq forgotten so far, so a client still subscribed never sees seq go back.
 */
export class NodeTopicSeqs {
  private readonly seqs = new Map<string, number>();
  /** The highest seq of a node topic forgotten at the bound. */
  private forgottenSeqMax = 0;

  constructor(private readonly topicsMax = 100_000) {}

  /** The event as this gateway's clients see it: node topics renumbered, others as published. */
  number(event: StoredEvent): StoredEvent {
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
  constructor(private readonly bus: Bus, private readonly seqs: NodeTopicSeqs) {}

  publish(subject: string, message: unknown, options?: PublishOptions): void {
    this.bus.publish(subject, message, options);
  }
  subscribe(pattern: string, handler: BusHandler, options?: SubscribeOptions): Subscription {
    if (!pattern.startsWith('stream.')) return this.bus.subscribe(pattern, handler, options);
    return this.bus.subscribe(pattern, (subject, message, context) => handler(subject, this.seqs.number(message as StoredEvent), context), options);
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
