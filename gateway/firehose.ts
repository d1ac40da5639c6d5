import type { StoredEvent } from '../engine/ledger.js';

// The `orders` firehose carries every order event to dashboards, but never more than a browser can
// draw: up to `eventsPerSecondMax` events a second pass as they are; past that, within the same
// second, events are only counted (by type) and sampled, and one `orders.summary` event at the
// end of that second says what was left out. A flash sale costs a dashboard at most
// `eventsPerSecondMax + 1` frames a second.

export interface FirehoseLimits {
  eventsPerSecondMax: number;
  sampleMax: number;
}

export interface FirehoseSummary {
  /** The second summarised, as an ISO time at its start. */
  second: string;
  /** Events of that second sent one by one. */
  sent: number;
  /** Events of that second not sent, counted here instead. */
  summarized: number;
  /** The summarised events by type. */
  counts: Record<string, number>;
  /** Some of the summarised events (uniformly sampled), as `{ type, at, data }` of an event frame. */
  sample: Array<{ type: string; at: string; data: unknown }>;
}

/** Where the firehose's output goes: `type`, `at` (ms) and `data` of the next `orders` frame. */
export type FirehoseEmit = (type: string, at: number, data: unknown) => void;

export class Firehose {
  private windowSecond = -1;
  private sent = 0;
  private summarized = 0;
  private counts: Record<string, number> = {};
  private sample: StoredEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: FirehoseLimits,
    private readonly emit: FirehoseEmit,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** An order event, as published: sent on, or counted into this second's summary. */
  offer(event: StoredEvent): void {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.windowSecond) this.startWindow(second);
    if (this.sent < this.limits.eventsPerSecondMax) {
      this.sent++;
      this.emit(event.type, event.at, event.data);
      return;
    }
    this.summarized++;
    this.counts[event.type] = (this.counts[event.type] ?? 0) + 1;
    // Reservoir sampling: every summarised event has the same chance to be in the sample.
    if (this.sample.length < this.limits.sampleMax) this.sample.push(event);
    else {
      const slot = Math.floor(this.random() * this.summarized);
      if (slot < this.limits.sampleMax) this.sample[slot] = event;
    }
    if (!this.timer) {
      // The summary goes out when the second ends, whether or not another event comes.
      this.timer = setTimeout(() => this.startWindow(Math.max(second + 1, Math.floor(this.now() / 1000))), (second + 1) * 1000 - this.now() + 1);
      this.timer.unref();
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Closes the window that was open (sending its summary, if it has one) and opens `second`. */
  private startWindow(second: number): void {
    this.stop();
    if (this.summarized > 0) {
      const summary: FirehoseSummary = {
        second: new Date(this.windowSecond * 1000).toISOString(),
        sent: this.sent,
        summarized: this.summarized,
        counts: this.counts,
        sample: this.sample.map((e) => ({ type: e.type, at: new Date(e.at).toISOString(), data: e.data })),
      };
      this.emit('orders.summary', (this.windowSecond + 1) * 1000, summary);
    }
    this.windowSecond = second;
    this.sent = 0;
    this.summarized = 0;
    this.counts = {};
    this.sample = [];
  }
}
