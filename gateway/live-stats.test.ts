// Shows the per-second ring behind `GET /v1/stats` on a hand-driven clock: answers land in their
// second; a snapshot holds the 60 complete seconds before now (the current one left out) and
// nothing older; a slot reused a minute later starts from zero; p50/p99 come from log-scale
// buckets within 9 % above the true value and never above the second's max; refusals and
// confirms count but add no latency; odd durations (0, NaN, hours) land in the end buckets.
import { describe, expect, it } from 'vitest';
import { latencyBucketOf, latencyBucketUpperMs, LiveStats } from './live-stats.js';

function clocked(startMs = 1_700_000_000_000) {
  let nowMs = startMs;
  const stats = new LiveStats(() => nowMs);
  return { stats, advance: (ms: number) => void (nowMs += ms), at: () => nowMs };
}

describe('LiveStats', () => {
  it('puts answers in their second and shows only complete seconds, oldest first', () => {
    const { stats, advance, at } = clocked();
    stats.observe('hold', 201, 2);
    stats.observe('hold', 201, 3);
    stats.observe('order', 201, 4);
    stats.observe('confirm', 201, 50);
    stats.observe('hold', 409, 1);
    stats.observe('order', 503, 1);
    // Still the current second: not shown yet.
    expect(stats.snapshot().holdsPerSecond.every((n) => n === 0)).toBe(true);
    advance(1_000);
    const snap = stats.snapshot();
    expect(snap.windowSeconds).toBe(60);
    expect(Date.parse(snap.from)).toBe(Math.floor(at() / 1000) * 1000 - 60_000);
    expect(snap.holdsPerSecond[59]).toBe(2);
    expect(snap.ordersPerSecond[59]).toBe(2);
    expect(snap.refusedPerSecond[59]).toBe(2);
    expect(snap.holdLatencyMs.count[59]).toBe(3); // the confirm and the refusals have no hold latency
    expect(snap.holdLatencyMs.max[59]).toBe(4);
    expect(snap.holdLatencyMs.p50[58]).toBeNull();
    // 59 seconds later the second is the oldest shown; one more and it is gone.
    advance(59_000);
    expect(stats.snapshot().holdsPerSecond[0]).toBe(2);
    advance(1_000);
    const later = stats.snapshot();
    expect(later.holdsPerSecond.every((n) => n === 0)).toBe(true);
    expect(later.holdLatencyMs.max.every((n) => n === null)).toBe(true);
  });

  it('starts a reused slot from zero', () => {
    const { stats, advance } = clocked();
    for (let i = 0; i < 10; i++) stats.observe('hold', 201, 100);
    advance(61_000); // the same slot, a minute later
    stats.observe('hold', 201, 1);
    advance(1_000);
    const snap = stats.snapshot();
    expect(snap.holdsPerSecond[59]).toBe(1);
    expect(snap.holdLatencyMs.count[59]).toBe(1);
    expect(snap.holdLatencyMs.max[59]).toBe(1);
    expect(snap.holdLatencyMs.p99[59]).toBeLessThanOrEqual(1);
  });

  it('estimates p50 and p99 within 9 % above the true value, capped at the max', () => {
    const { stats, advance } = clocked();
    // 1..1000 ms, each once: p50 is 500, p99 is 990.
    for (let ms = 1000; ms >= 1; ms--) stats.observe('order', 201, ms);
    advance(1_000);
    const { p50, p99, max } = stats.snapshot().holdLatencyMs;
    expect(p50[59]).toBeGreaterThanOrEqual(500);
    expect(p50[59]).toBeLessThanOrEqual(500 * 1.091);
    expect(p99[59]).toBeGreaterThanOrEqual(990);
    expect(p99[59]).toBeLessThanOrEqual(1000);
    expect(max[59]).toBe(1000);
  });

  it('puts odd durations in the end buckets', () => {
    expect(latencyBucketOf(0)).toBe(0);
    expect(latencyBucketOf(-1)).toBe(0);
    expect(latencyBucketOf(Number.NaN)).toBe(0);
    const top = latencyBucketOf(3_600_000);
    expect(latencyBucketOf(Number.POSITIVE_INFINITY)).toBe(top);
    expect(latencyBucketUpperMs(top)).toBe(Number.POSITIVE_INFINITY);
    // Every finite bucket's bound is above what it holds, and below 2^(1/8) times it.
    for (const ms of [0.05, 0.07, 0.5, 1, 1.5, 9.99, 250, 12_345, 100_000]) {
      const upper = latencyBucketUpperMs(latencyBucketOf(ms));
      expect(upper).toBeGreaterThan(ms);
      expect(upper).toBeLessThanOrEqual(ms * 2 ** (1 / 8) * 1.000001);
    }
    const { stats, advance } = clocked();
    stats.observe('hold', 201, 3_600_000);
    stats.observe('hold', 201, 0);
    advance(1_000);
    const snap = stats.snapshot().holdLatencyMs;
    expect(snap.p99[59]).toBe(3_600_000); // the open bucket reports the max
    expect(snap.p50[59]).toBe(0.05);
  });
});
