import type { Random } from './random.js';

// Zipf popularity over a catalogue: rank k (0-based) is drawn with probability proportional to
// 1 / (k + 1)^exponent. The cumulative table is built once; a draw is one binary search.

export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(readonly size: number, readonly exponent: number, private readonly random: Random) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Zipf size must be a positive integer, got ${size}`);
    if (!(exponent >= 0)) throw new Error(`Zipf exponent must be >= 0, got ${exponent}`);
    this.cumulative = new Float64Array(size);
    let sum = 0;
    for (let k = 0; k < size; k++) {
      sum += 1 / Math.pow(k + 1, exponent);
      this.cumulative[k] = sum;
    }
    for (let k = 0; k < size; k++) this.cumulative[k] /= sum;
    this.cumulative[size - 1] = 1;
  }

  /** The probability of rank `k`. */
  probability(k: number): number {
    return k === 0 ? this.cumulative[0] : this.cumulative[k] - this.cumulative[k - 1];
  }

  /** A rank in [0, size). */
  sample(): number {
    const u = this.random.next();
    let low = 0;
    let high = this.size - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.cumulative[mid] > u) high = mid;
      else low = mid + 1;
    }
    return low;
  }

  /** `count` distinct ranks (count <= size), each drawn by popularity. */
  sampleDistinct(count: number): number[] {
    const wanted = Math.min(count, this.size);
    const chosen = new Set<number>();
    // Bounded: popular ranks repeat, so after a few misses fall back to the next unused rank.
    for (let attempt = 0; chosen.size < wanted && attempt < wanted * 8; attempt++) chosen.add(this.sample());
    for (let k = 0; chosen.size < wanted; k++) chosen.add(k);
    return [...chosen];
  }
}
