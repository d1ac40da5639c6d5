// Shows the Zipf sampler draws ranks with probability ∝ 1/(k+1)^s (checked against the exact
// probabilities over 100,000 seeded draws), that a seed replays the same draws, and the bounds.
import { describe, expect, it } from 'vitest';
import { seededRandom, shuffledIndexes } from './random.js';
import { ZipfSampler } from './zipf.js';

describe('ZipfSampler', () => {
  it('draws ranks with the Zipf probabilities (s = 1, 100 SKUs)', () => {
    const sampler = new ZipfSampler(100, 1, seededRandom('zipf-test'));
    const draws = 100_000;
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < draws; i++) counts[sampler.sample()]++;
    const harmonic = Array.from({ length: 100 }, (_, k) => 1 / (k + 1)).reduce((a, b) => a + b, 0);
    expect(sampler.probability(0)).toBeCloseTo(1 / harmonic, 12); // ≈ 0.193
    for (const k of [0, 1, 2, 9, 49]) {
      const expected = draws * sampler.probability(k);
      // Within 5 standard deviations of a binomial count.
      const sd = Math.sqrt(expected * (1 - sampler.probability(k)));
      expect(Math.abs(counts[k] - expected)).toBeLessThan(5 * sd);
    }
    // Rank 1 about half as often as rank 0, rank 9 about a tenth.
    expect(counts[1] / counts[0]).toBeGreaterThan(0.45);
    expect(counts[1] / counts[0]).toBeLessThan(0.55);
    expect(counts[9] / counts[0]).toBeGreaterThan(0.08);
    expect(counts[9] / counts[0]).toBeLessThan(0.12);
    // A chi-square over all 100 ranks stays well under the 99.9% point for 99 degrees of freedom (~149).
    const chiSquare = counts.reduce((sum, count, k) => sum + (count - draws * sampler.probability(k)) ** 2 / (draws * sampler.probability(k)), 0);
    expect(chiSquare).toBeLessThan(149);
  });

  it('is uniform with s = 0 and replays with the same seed', () => {
    const uniform = new ZipfSampler(4, 0, seededRandom('u'));
    for (let k = 0; k < 4; k++) expect(uniform.probability(k)).toBeCloseTo(0.25, 12);
    const a = new ZipfSampler(50, 1.2, seededRandom('same'));
    const b = new ZipfSampler(50, 1.2, seededRandom('same'));
    const c = new ZipfSampler(50, 1.2, seededRandom('other'));
    const drawsA = Array.from({ length: 200 }, () => a.sample());
    expect(Array.from({ length: 200 }, () => b.sample())).toEqual(drawsA);
    expect(Array.from({ length: 200 }, () => c.sample())).not.toEqual(drawsA);
  });

  it('draws distinct ranks for a cart, and stays in range', () => {
    const sampler = new ZipfSampler(3, 2, seededRandom('d'));
    for (let i = 0; i < 100; i++) {
      const ranks = sampler.sampleDistinct(3);
      expect(new Set(ranks).size).toBe(3);
      expect(ranks.every((k) => k >= 0 && k < 3)).toBe(true);
    }
    expect(sampler.sampleDistinct(10)).toHaveLength(3);
  });

  it('refuses an empty catalogue or a negative exponent', () => {
    expect(() => new ZipfSampler(0, 1, seededRandom('x'))).toThrow();
    expect(() => new ZipfSampler(10, -1, seededRandom('x'))).toThrow();
  });
});

describe('seeded random', () => {
  it('a permutation holds every index once', () => {
    const order = shuffledIndexes(1_000, seededRandom('perm'));
    expect(new Set(order).size).toBe(1_000);
    expect([...order].sort((a, b) => a - b)[999]).toBe(999);
  });
});
