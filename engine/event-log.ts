import { streamSubject, type Bus } from './bus/bus.js';
import type { Ledger, StoredEvent } from './ledger.js';
import { limits } from './limits.js';
import { setRecent } from './recent-map.js';

// Appends events to the ledger's log with a seq that rises by one per topic, and publishes them on
// the bus only once they are durable: nobody hears of a change that a crash could take back.

export class EventLog {
  /** Last seq per topic; bounded, re-read from the ledger on a miss. Map order is insertion order. */
  private readonly seqs = new Map<string, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly bus: Bus,
  ) {}

  /** Stages the event in the ledger; `publish` sends it once durable. */
  append(topic: string, type: string, at: number, data: unknown): StoredEvent {
    const seq = this.nextSeq(topic);
    const event: StoredEvent = { topic, seq, type, at, data };
    this.ledger.appendEvent(event);
    if (!topic.startsWith('order:') && seq % 100 === 0 && seq > limits.topicEventsKeptMax) {
      this.ledger.pruneEvents(topic, seq - limits.topicEventsKeptMax);
    }
    return event;
  }

  /** Publishes the events (in order) once everything staged so far is on disk. */
  async publishWhenDurable(events: readonly StoredEvent[]): Promise<void> {
    await this.ledger.durable();
    this.publish(events);
  }

  publish(events: readonly StoredEvent[]): void {
    for (const event of events) this.bus.publish(streamSubject(event.topic), event);
  }

  lastSeq(topic: string): number {
    return this.seqs.get(topic) ?? this.ledger.lastSeq(topic);
  }

  private nextSeq(topic: string): number {
    const cached = this.seqs.get(topic);
    const seq = (cached ?? this.ledger.lastSeq(topic)) + 1;
    setRecent(this.seqs, topic, seq, limits.topicSeqCacheMax);
    return seq;
  }
}
