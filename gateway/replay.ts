import { assert } from '../engine/assert.js';

// The replay buffer behind stream resume for topics that have no history of their own to read
// back (`sku:`, `node:`, the `orders` firehose): the last frames of each topic, as sent. Bounded
// three ways — frames per topic, topics, bytes — and the least recently written topic goes first.
// What a topic keeps is always a run of consecutive seqs, so "has it all after N" is one comparison.

export interface ReplayLimits {
  eventsPerTopicMax: number;
  topicsMax: number;
  bytesMax: number;
}

export interface ReplayFrame {
  seq: number;
  text: string;
}

/** What a client that last saw `afterSeq` missed: the frames, or `gap` when they are not all here. */
export type ReplayAnswer =
  | { kind: 'frames'; frames: ReplayFrame[] }
  | { kind: 'gap'; lastSeq: number }
  | { kind: 'unknown' };

interface TopicFrames {
  frames: ReplayFrame[];
  bytes: number;
}

export class ReplayBuffer {
  /** Map order is write order: the first entry is the least recently written topic. */
  private readonly topics = new Map<string, TopicFrames>();
  private bytes = 0;

  constructor(private readonly limits: ReplayLimits) {
    assert(limits.eventsPerTopicMax >= 1 && limits.topicsMax >= 1 && limits.bytesMax >= 1, 'replay limits are positive');
  }

  /** Keeps a frame sent on `topic`. A frame that does not follow the last one starts the topic anew. */
  record(topic: string, seq: number, text: string): void {
    let entry = this.topics.get(topic);
    if (entry) {
      this.topics.delete(topic);
      const last = entry.frames[entry.frames.length - 1];
      if (last && seq <= last.seq) {
        // Already here (a repeat): keep the run as it is.
        this.topics.set(topic, entry);
        return;
      }
      if (last && seq !== last.seq + 1) this.drop(entry);
    } else {
      entry = { frames: [], bytes: 0 };
    }
    this.topics.set(topic, entry);
    entry.frames.push({ seq, text });
    entry.bytes += text.length;
    this.bytes += text.length;
    if (entry.frames.length > this.limits.eventsPerTopicMax) this.shift(entry);
    this.evict(topic);
  }

  /** The frames after `afterSeq`, in seq order; `gap` when some are gone; `unknown` for a topic not kept. */
  since(topic: string, afterSeq: number): ReplayAnswer {
    const entry = this.topics.get(topic);
    if (!entry || entry.frames.length === 0) return { kind: 'unknown' };
    const first = entry.frames[0].seq;
    const lastSeq = entry.frames[entry.frames.length - 1].seq;
    // Behind the oldest kept, or ahead of anything sent (a client of another run): not answerable.
    if (afterSeq < first - 1 || afterSeq > lastSeq) return { kind: 'gap', lastSeq };
    return { kind: 'frames', frames: entry.frames.slice(afterSeq - first + 1) };
  }

  stats(): { topics: number; bytes: number } {
    return { topics: this.topics.size, bytes: this.bytes };
  }

  private shift(entry: TopicFrames): void {
    const oldest = entry.frames.shift()!;
    entry.bytes -= oldest.text.length;
    this.bytes -= oldest.text.length;
  }

  private drop(entry: TopicFrames): void {
    this.bytes -= entry.bytes;
    entry.frames = [];
    entry.bytes = 0;
  }

  /** Drops least recently written topics until within bounds; `keep` (just written) goes last. */
  private evict(keep: string): void {
    for (const [topic, entry] of this.topics) {
      if (this.topics.size <= this.limits.topicsMax && this.bytes <= this.limits.bytesMax) break;
      if (topic === keep) continue;
      this.drop(entry);
      this.topics.delete(topic);
    }
    // One topic alone over the byte bound gives up its oldest frames.
    const kept = this.topics.get(keep);
    while (kept && this.bytes > this.limits.bytesMax && kept.frames.length > 1) this.shift(kept);
    assert(this.topics.size <= this.limits.topicsMax, 'replay buffer within its topic bound');
  }
}
