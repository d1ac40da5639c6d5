import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

// Latency histograms (HdrHistogram): values in microseconds, 3 significant digits, up to an hour.
// Workers send them to the parent encoded (compressed base64), and the parent adds them up, so a
// percentile over all workers is exact to the histogram's precision, not an average of percentiles.

export type { Histogram };

const settings = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 3_600_000_000,
  numberOfSignificantValueDigits: 3 as const,
  autoResize: true,
};

/** `packed` keeps a sparse histogram small (the per-second ones). */
export function newHistogram(packed = false): Histogram {
  return build({ ...settings, bitBucketSize: packed ? 'packed' : 32 });
}

export function recordMs(histogram: Histogram, milliseconds: number): void {
  // Clamped: a negative value (clock adjustments) or one past the hour would throw.
  const microseconds = Math.min(settings.highestTrackableValue, Math.max(1, Math.round(milliseconds * 1000)));
  histogram.recordValue(microseconds);
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return decodeFromCompressedBase64(encoded, 32, false);
}

/** Adds an encoded histogram (from a worker) into `target`. */
export function addEncoded(target: Histogram, encoded: string): void {
  const other = decodeHistogram(encoded);
  if (other.totalCount > 0) target.add(other);
}

/** Sums encoded histograms into a new one. */
export function mergeEncoded(encoded: readonly string[]): Histogram {
  const total = newHistogram();
  for (const one of encoded) addEncoded(total, one);
  return total;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const ms = (microseconds: number): number => Math.round(microseconds) / 1000;

export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: histogram.totalCount,
    meanMs: ms(histogram.mean),
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p90Ms: ms(histogram.getValueAtPercentile(90)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    // The top of the highest bucket, as a merged histogram reports it (exact to the precision).
    maxMs: ms(histogram.getValueAtPercentile(100)),
  };
}
