// Shows the replay buffer (pure, no IO) answers "everything after seq N" exactly when it has all
// of it, and stays within its three bounds: frames per topic, topics (least recently written
// first) and bytes. Also the firehose's per-second bound, driven by an injected clock: up to the
// bound events pass, the rest are counted and sampled into one summary when the second ends.
import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../engine/ledger.js';
import { Firehose } from './firehose.js';
import { ReplayBuffer } from './replay.js';

const fill = (buffer: ReplayBuffer, topic: string, from: number, to: number, text = (seq: number) => `${topic}#${seq}`) => {
  for (let seq = from; seq <= to; seq++) buffer.record(topic, seq, text(seq));
};

describe('ReplayBuffer', () => {
  it('answers the frames after a seq it still has, a gap before the oldest or past the newest, unknown for a topic it never saw', () => {
    const buffer = new ReplayBuffer({ eventsPerTopicMax: 5, topicsMax: 10, bytesMax: 10_000 });
    fill(buffer, 'sku:A', 1, 8);
    expect(buffer.since('sku:A', 5)).toEqual({ kind: 'frames', frames: [6, 7, 8].map((seq) => ({ seq, text: `sku:A#${seq}` })) });
    expect(buffer.since('sku:A', 3)).toEqual({ kind: 'frames', frames: [4, 5, 6, 7, 8].map((seq) => ({ seq, text: `sku:A#${seq}` })) });
    expect(buffer.since('sku:A', 8)).toEqual({ kind: 'frames', frames: [] });
    expect(buffer.since('sku:A', 2)).toEqual({ kind: 'gap', lastSeq: 8 });
    expect(buffer.since('sku:A', 9)).toEqual({ kind: 'gap', lastSeq: 8 });
    expect(buffer.since('sku:B', 0)).toEqual({ kind: 'unknown' });
  });

  it('ignores a repeat, and starts a topic anew after a jump in seq (never answers across a hole)', () => {
    const buffer = new ReplayBuffer({ eventsPerTopicMax: 5, topicsMax: 10, bytesMax: 10_000 });
    fill(buffer, 'node:N', 1, 3);
    buffer.record('node:N', 3, 'again');
    expect(buffer.since('node:N', 0)).toMatchObject({ kind: 'frames', frames: [{ seq: 1 }, { seq: 2 }, { seq: 3, text: 'node:N#3' }] });
    buffer.record('node:N', 7, 'node:N#7');
    expect(buffer.since('node:N', 3)).toEqual({ kind: 'gap', lastSeq: 7 });
    expect(buffer.since('node:N', 6)).toEqual({ kind: 'frames', frames: [{ seq: 7, text: 'node:N#7' }] });
    expect(buffer.stats().bytes).toBe('node:N#7'.length);
  });

  it('keeps at most topicsMax topics, dropping the least recently written', () => {
    const buffer = new ReplayBuffer({ eventsPerTopicMax: 5, topicsMax: 3, bytesMax: 10_000 });
    for (const topic of ['sku:A', 'sku:B', 'sku:C']) fill(buffer, topic, 1, 2);
    fill(buffer, 'sku:A', 3, 3);
    fill(buffer, 'sku:D', 1, 1);
    expect(buffer.stats().topics).toBe(3);
    expect(buffer.since('sku:B', 0)).toEqual({ kind: 'unknown' });
    for (const topic of ['sku:A', 'sku:C', 'sku:D']) expect(buffer.since(topic, 0).kind).toBe('frames');
  });

  it('keeps at most bytesMax bytes: old topics go first, then the oldest frames of the one written', () => {
    const buffer = new ReplayBuffer({ eventsPerTopicMax: 100, topicsMax: 100, bytesMax: 100 });
    const ten = (seq: number) => `${String(seq).padStart(10, '0')}`;
    fill(buffer, 'sku:A', 1, 6, ten);
    fill(buffer, 'sku:B', 1, 6, ten);
    expect(buffer.stats().bytes).toBeLessThanOrEqual(100);
    expect(buffer.since('sku:A', 0).kind).toBe('unknown');
    fill(buffer, 'sku:B', 7, 20, ten);
    expect(buffer.stats()).toEqual({ topics: 1, bytes: 100 });
    expect(buffer.since('sku:B', 10)).toMatchObject({ kind: 'frames', frames: [{ seq: 11 }, { seq: 12 }, { seq: 13 }, { seq: 14 }, { seq: 15 }, { seq: 16 }, { seq: 17 }, { seq: 18 }, { seq: 19 }, { seq: 20 }] });
    expect(buffer.since('sku:B', 9)).toEqual({ kind: 'gap', lastSeq: 20 });
  });

  it('refuses limits that are not positive (a programmer error)', () => {
    expect(() => new ReplayBuffer({ eventsPerTopicMax: 0, topicsMax: 1, bytesMax: 1 })).toThrow();
  });
});

describe('Firehose', () => {
  const event = (i: number, type = i % 2 ? 'order.allocated' : 'reservation.held'): StoredEvent => ({ topic: `order:ord_${i}`, seq: 1, type, at: 1_000 + i, data: { orderId: `ord_${i}` } });

  it('passes up to the bound a second, then counts and samples the rest into one summary when the second ends', () => {
    let nowMs = 10_000_100;
    const out: Array<{ type: string; at: number; data: any }> = [];
    const firehose = new Firehose({ eventsPerSecondMax: 3, sampleMax: 2 }, (type, at, data) => out.push({ type, at, data }), () => nowMs, () => 0.99);
    try {
      for (let i = 0; i < 10; i++) firehose.offer(event(i));
      expect(out.map((o) => o.type)).toEqual(['reservation.held', 'order.allocated', 'reservation.held']);
      nowMs = 10_001_050; // the next second: its first event closes the window before.
      firehose.offer(event(10));
      expect(out).toHaveLength(5);
      expect(out[3]).toEqual({
        type: 'orders.summary',
        at: 10_001_000,
        data: {
          second: new Date(10_000_000).toISOString(),
          sent: 3,
          summarized: 7,
          counts: { 'order.allocated': 4, 'reservation.held': 3 },
          sample: [
            { type: 'order.allocated', at: new Date(1_003).toISOString(), data: { orderId: 'ord_3' } },
            { type: 'reservation.held', at: new Date(1_004).toISOString(), data: { orderId: 'ord_4' } },
          ],
        },
      });
      expect(out[4].type).toBe('reservation.held');
      // A quiet second after a busy one sends no summary.
      nowMs = 10_002_050;
      firehose.offer(event(11));
      expect(out.map((o) => o.type).slice(5)).toEqual(['order.allocated']);
    } finally {
      firehose.stop();
    }
  });

  it('sends the summary when the second ends even if no event follows', async () => {
    const out: string[] = [];
    const firehose = new Firehose({ eventsPerSecondMax: 1, sampleMax: 1 }, (type) => out.push(type));
    try {
      for (let i = 0; i < 3; i++) firehose.offer(event(i));
      const deadline = Date.now() + 2_000;
      while (!out.includes('orders.summary') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(out.filter((t) => t === 'orders.summary')).toHaveLength(1);
    } finally {
      firehose.stop();
    }
  });
});
