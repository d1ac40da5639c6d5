// Shows the open-loop schedule's arithmetic: how many requests a plan sends and when each is due,
// for a constant rate, a linear ramp and a burst, and that worker shares add up to the plan.
import { describe, expect, it } from 'vitest';
import { arrivalCount, cumulativeArrivals, intendedOffsetMs, rateAt, shareOf, type ArrivalPlan } from './arrivals.js';

const plan = (over: Partial<ArrivalPlan>): ArrivalPlan => ({ ratePerSecond: 100, rampSeconds: 0, durationSeconds: 10, burst: 0, ...over });

describe('constant rate', () => {
  it('sends N = R × D requests, one every 1/R seconds from t = 0', () => {
    const p = plan({ ratePerSecond: 100, durationSeconds: 10 });
    expect(arrivalCount(p)).toBe(1_000);
    expect(intendedOffsetMs(p, 0)).toBe(0);
    expect(intendedOffsetMs(p, 1)).toBeCloseTo(10, 9);
    expect(intendedOffsetMs(p, 999)).toBeCloseTo(9_990, 6);
    // Every arrival is due inside the run.
    expect(intendedOffsetMs(p, arrivalCount(p) - 1)).toBeLessThan(10_000);
  });

  it('rounds a fractional count up (arrival i is sent when it is due before the end)', () => {
    expect(arrivalCount(plan({ ratePerSecond: 3, durationSeconds: 1.5 }))).toBe(5); // due at 0, 333, 667, 1000, 1333 ms
    expect(arrivalCount(plan({ ratePerSecond: 7, durationSeconds: 1 }))).toBe(7);
    expect(arrivalCount(plan({ ratePerSecond: 0.5, durationSeconds: 3 }))).toBe(2); // 0 s and 2 s
  });

  it('is evenly spaced: the gaps are all 1/R', () => {
    const p = plan({ ratePerSecond: 250, durationSeconds: 2 });
    const gaps = Array.from({ length: arrivalCount(p) - 1 }, (_, i) => intendedOffsetMs(p, i + 1) - intendedOffsetMs(p, i));
    for (const gap of gaps) expect(gap).toBeCloseTo(4, 9);
  });
});

describe('linear ramp', () => {
  const p = plan({ ratePerSecond: 100, rampSeconds: 10, durationSeconds: 20 });

  it('sends R r / 2 during the ramp and R per second after it', () => {
    expect(cumulativeArrivals(p, 10)).toBe(500);
    expect(cumulativeArrivals(p, 20)).toBe(1_500);
    expect(arrivalCount(p)).toBe(1_500);
  });

  it('places arrival i where the ramp\'s area reaches i: t = sqrt(2 r i / R) on the ramp', () => {
    expect(intendedOffsetMs(p, 0)).toBe(0);
    expect(intendedOffsetMs(p, 125)).toBeCloseTo(5_000, 6); // N(5) = 100 × 25 / 20 = 125
    expect(intendedOffsetMs(p, 500)).toBeCloseTo(10_000, 6);
    expect(intendedOffsetMs(p, 600)).toBeCloseTo(11_000, 6);
  });

  it('rises linearly: the target rate halfway up the ramp is half the rate', () => {
    expect(rateAt(p, 0)).toBe(0);
    expect(rateAt(p, 5)).toBe(50);
    expect(rateAt(p, 10)).toBe(100);
    expect(rateAt(p, 19.9)).toBe(100);
    expect(rateAt(p, 20)).toBe(0);
  });

  it('counts a run that ends on the ramp', () => {
    expect(arrivalCount(plan({ ratePerSecond: 100, rampSeconds: 10, durationSeconds: 4 }))).toBe(80); // 100 × 16 / 20
  });

  it('offsets never decrease and end inside the run', () => {
    const offsets = Array.from({ length: arrivalCount(p) }, (_, i) => intendedOffsetMs(p, i));
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]);
    expect(offsets.at(-1)!).toBeLessThan(20_000);
  });
});

describe('burst', () => {
  it('puts the burst at t = 0, then starts the schedule at t = 0 too', () => {
    const p = plan({ ratePerSecond: 10, durationSeconds: 2, burst: 50 });
    expect(arrivalCount(p)).toBe(70);
    for (let i = 0; i < 50; i++) expect(intendedOffsetMs(p, i)).toBe(0);
    expect(intendedOffsetMs(p, 50)).toBe(0);
    expect(intendedOffsetMs(p, 51)).toBeCloseTo(100, 9);
  });

  it('a burst with no rate is only the burst', () => {
    expect(arrivalCount(plan({ ratePerSecond: 0, burst: 7 }))).toBe(7);
  });
});

describe('worker shares', () => {
  it('split the arrivals round-robin: together exactly the plan, each about 1/W of it', () => {
    const total = 1_000;
    const seen = new Set<number>();
    const counts: number[] = [];
    for (let w = 0; w < 3; w++) {
      const share = shareOf(total, w, 3);
      counts.push(share.count);
      for (let k = 0; k < share.count; k++) seen.add(share.indexAt(k));
    }
    expect(counts).toEqual([334, 333, 333]);
    expect(seen.size).toBe(total);
    expect(Math.max(...seen)).toBe(total - 1);
  });

  it('gives nothing to workers past a tiny total, and refuses a bad index', () => {
    expect(shareOf(2, 3, 4).count).toBe(0);
    expect(shareOf(2, 1, 4).count).toBe(1);
    expect(() => shareOf(10, 4, 4)).toThrow();
  });
});
