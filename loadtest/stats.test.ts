// Shows that latency histograms merge across workers exactly (two workers' encoded histograms
// add up to the histogram of all values), that the per-second ticks add up to the totals, and
// that the parent's timeline merges the workers' seconds.
import { describe, expect, it } from 'vitest';
import { Aggregator, mergeWorkerStats } from './aggregate.js';
import { decodeHistogram, encodeHistogram, mergeEncoded, newHistogram, recordMs, summarize } from './histogram.js';
import { outcomeLabel, Recorder, statusClassOf } from './stats.js';
import { TransportFailure } from './http-client.js';

describe('histogram merging across workers', () => {
  it('two workers\' encoded histograms add up to one histogram of every value', () => {
    const single = newHistogram();
    const workers = [newHistogram(), newHistogram(true)];
    for (let i = 1; i <= 10_000; i++) {
      const ms = (i % 997) * 0.37 + (i % 13 === 0 ? 250 : 0);
      recordMs(single, ms);
      recordMs(workers[i % 2], ms);
    }
    const merged = mergeEncoded(workers.map(encodeHistogram));
    expect(merged.totalCount).toBe(10_000);
    for (const p of [50, 90, 99, 99.9, 100]) expect(merged.getValueAtPercentile(p)).toBe(single.getValueAtPercentile(p));
    expect(summarize(merged)).toEqual(summarize(single));
  });

  it('merges the workers\' final stats: counts add, percentiles come from the merged histograms', () => {
    const a = new Recorder(0, 0);
    const b = new Recorder(1, 0);
    for (let i = 0; i < 100; i++) {
      const recorder = i < 30 ? a : b;
      recorder.sent(i, i);
      recorder.answered(i % 10 === 0 ? 'confirm' : 'hold', i % 4 === 0 ? { status: 409, body: {}, code: 'INSUFFICIENT_STOCK' } : { status: 201, body: {} }, i, i, i + 1 + i);
    }
    a.dropped(5);
    const results = mergeWorkerStats([a.final(), b.final()]);
    expect(results).toMatchObject({ due: 101, sent: 100, answered: 100, dropped: 1 });
    expect(results.outcomes).toEqual({ '201': 75, '409 INSUFFICIENT_STOCK': 25, 'dropped by the client': 1 });
    expect(results.latency.overall.count).toBe(100);
    expect(results.latency.overall.maxMs).toBeCloseTo(100, 0);
    expect(results.latency.byClass['2xx'].count).toBe(75);
    expect(results.latency.byClass['4xx'].count).toBe(25);
    expect(results.byOperation.confirm.count).toBe(10);
    expect(results.byOperation.hold.count).toBe(90);
  });
});

describe('ticks and the timeline', () => {
  it('a second is reported once it has ended; all seconds at the end; the parent adds the workers up', () => {
    const start = 1_000_000;
    const workers = [new Recorder(0, start), new Recorder(1, start)];
    for (const [w, recorder] of workers.entries()) {
      for (let second = 0; second < 3; second++) {
        for (let i = 0; i < 10 * (w + 1); i++) {
          const at = start + second * 1000 + i;
          recorder.sent(at, at);
          recorder.answered('hold', { status: 201, body: {} }, at, at, at + 5 * (second + 1));
        }
      }
    }
    const early = workers[0].drainTicks(start + 1_500);
    expect(early.map((t) => t.second)).toEqual([0]);
    const aggregator = new Aggregator({ ratePerSecond: 30, rampSeconds: 0, durationSeconds: 3, burst: 0 }, start);
    for (const tick of [...early, ...workers[0].drainTicks(start + 9_000, true), ...workers[1].drainTicks(start + 9_000, true)]) aggregator.addTick(tick);
    const timeline = aggregator.timeline();
    expect(timeline.map((e) => e.answered)).toEqual([30, 30, 30]);
    expect(timeline.map((e) => e.targetRate)).toEqual([30, 30, 30]);
    expect(timeline.map((e) => Math.round(e.p50Ms))).toEqual([5, 10, 15]);
    const live = aggregator.live(start + 3_500);
    expect(live.answered).toBe(90);
    expect(live.rate).toBe(30);
    expect(live.errors).toEqual([]);
  });
});

describe('outcomes', () => {
  it('label answers by status and code, and failures by kind', () => {
    expect(outcomeLabel({ status: 201, body: {} })).toBe('201');
    expect(outcomeLabel({ status: 503, body: {}, code: 'OVERLOADED' })).toBe('503 OVERLOADED');
    expect(outcomeLabel(new TransportFailure('timeout', 'x'))).toBe('timeout');
    expect(statusClassOf({ status: 409, body: {} })).toBe('4xx');
    expect(statusClassOf(new TransportFailure('network', 'x'))).toBe('no-answer');
  });

  it('an empty histogram encodes and decodes', () => {
    expect(decodeHistogram(encodeHistogram(newHistogram(true))).totalCount).toBe(0);
    expect(summarize(newHistogram()).count).toBe(0);
  });
});
