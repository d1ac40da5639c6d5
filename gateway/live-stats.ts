// The last minute of checkout traffic, per second, for dashboards (`GET /v1/stats`): holds and
// orders answered, refusals, and the latency of successful holds (p50, p99, max). It is fed from
// the gateway's request handler, where every answer's duration is already measured for
// Prometheus; /metrics keeps the totals since start, this keeps a short moving picture.
//
// Bounded and cheap by construction: a ring of `slotCount` one-second slots in typed arrays
// allocated once, each slot with a fixed array of log-scale latency buckets. Recording an answer
// increments two counters and maybe a max; it allocates nothing. A slot is reused (zeroed) when
// its second comes round again, so idle seconds cost nothing and old seconds simply read as empty.

/** Seconds a snapshot covers: the last complete seconds, oldest first. */
export const liveStatsWindowSeconds = 60;
/** One slot more than the window: the second being filled now, which a snapshot leaves out. */
const slotCount = liveStatsWindowSeconds + 1;

// Latency buckets: `bucketsPerDoubling` a doubling from `latencyMsFloor` up; bucket 0 holds what
// is faster than the floor, the last one what is slower than the top (about 105 s). A quantile is
// reported as its bucket's upper bound (capped at that second's max): at most 2^(1/8) - 1 ≈ 9 %
// above the true value, never below it.
const latencyMsFloor = 0.05;
const bucketsPerDoubling = 8;
const doublings = 21;
const latencyBucketCount = doublings * bucketsPerDoubling + 2;

/** What an answer counts as. `hold` and `order` answers (201) also go into the latency buckets. */
export type LiveStatsKind = 'hold' | 'order' | 'confirm';

/** What answers of a route count as, by its name (`POST /v1/reservations`); undefined: not counted. */
export function liveStatsKindOf(routeName: string): LiveStatsKind | undefined {
  if (routeName === 'POST /v1/reservations') return 'hold';
  if (routeName === 'POST /v1/orders') return 'order';
  if (routeName === 'POST /v1/reservations/:id/confirm') return 'confirm';
  return undefined;
}

export interface LiveStatsSnapshot {
  /** When this was taken. */
  at: string;
  windowSeconds: number;
  /** The start of the first (oldest) second; entry `i` of each series is the second `from + i s`. */
  from: string;
  /** `201` answers to `POST /v1/reservations`, per second. */
  holdsPerSecond: number[];
  /** `201` answers to `POST /v1/orders` and `POST /v1/reservations/{id}/confirm`, per second. */
  ordersPerSecond: number[];
  /** Error answers (4xx, 5xx) to those three routes, per second: sold out, limits, overload, bad input. */
  refusedPerSecond: number[];
  /** Time to answer successful holds (`201` of `POST /v1/reservations` and `POST /v1/orders`), per second; null: none that second. */
  holdLatencyMs: { count: number[]; p50: Array<number | null>; p99: Array<number | null>; max: Array<number | null> };
}

export class LiveStats {
  /** The second (unix s) each slot holds; -1: never used. */
  private readonly slotSecond = new Float64Array(slotCount).fill(-1);
  private readonly holds = new Uint32Array(slotCount);
  private readonly orders = new Uint32Array(slotCount);
  private readonly refused = new Uint32Array(slotCount);
  private readonly latencyCount = new Uint32Array(slotCount);
  private readonly latencyMaxMs = new Float64Array(slotCount);
  /** `slotCount` rows of `latencyBucketCount` counters. */
  private readonly latencyBuckets = new Uint32Array(slotCount * latencyBucketCount);

  constructor(private readonly now: () => number = Date.now) {}

  /** One answer of a counted route: its status and how long it took. */
  observe(kind: LiveStatsKind, status: number, durationMs: number): void {
    const slot = this.slotFor(Math.floor(this.now() / 1000));
    if (status >= 400) {
      this.refused[slot]++;
      return;
    }
    if (status < 200 || status >= 300) return;
    if (kind === 'hold') this.holds[slot]++;
    else this.orders[slot]++;
    if (kind === 'confirm') return;
    this.latencyCount[slot]++;
    if (durationMs > this.latencyMaxMs[slot]) this.latencyMaxMs[slot] = durationMs;
    this.latencyBuckets[slot * latencyBucketCount + latencyBucketOf(durationMs)]++;
  }

  /** The last `liveStatsWindowSeconds` complete seconds, oldest first. */
  snapshot(): LiveStatsSnapshot {
    const nowMs = this.now();
    const first = Math.floor(nowMs / 1000) - liveStatsWindowSeconds;
    const window = liveStatsWindowSeconds;
    const result: LiveStatsSnapshot = {
      at: new Date(nowMs).toISOString(),
      windowSeconds: window,
      from: new Date(first * 1000).toISOString(),
      holdsPerSecond: new Array<number>(window).fill(0),
      ordersPerSecond: new Array<number>(window).fill(0),
      refusedPerSecond: new Array<number>(window).fill(0),
      holdLatencyMs: { count: new Array<number>(window).fill(0), p50: new Array(window).fill(null), p99: new Array(window).fill(null), max: new Array(window).fill(null) },
    };
    for (let i = 0; i < window; i++) {
      const second = first + i;
      const slot = second % slotCount;
      if (this.slotSecond[slot] !== second) continue;
      result.holdsPerSecond[i] = this.holds[slot];
      result.ordersPerSecond[i] = this.orders[slot];
      result.refusedPerSecond[i] = this.refused[slot];
      const count = this.latencyCount[slot];
      result.holdLatencyMs.count[i] = count;
      if (count === 0) continue;
      const max = this.latencyMaxMs[slot];
      result.holdLatencyMs.p50[i] = round(Math.min(max, this.quantileMs(slot, count, 0.5)));
      result.holdLatencyMs.p99[i] = round(Math.min(max, this.quantileMs(slot, count, 0.99)));
      result.holdLatencyMs.max[i] = round(max);
    }
    return result;
  }

  /** The slot of `second`, zeroed first if it last held another second. */
  private slotFor(second: number): number {
    const slot = second % slotCount;
    if (this.slotSecond[slot] !== second) {
      this.slotSecond[slot] = second;
      this.holds[slot] = 0;
      this.orders[slot] = 0;
      this.refused[slot] = 0;
      this.latencyCount[slot] = 0;
      this.latencyMaxMs[slot] = 0;
      this.latencyBuckets.fill(0, slot * latencyBucketCount, (slot + 1) * latencyBucketCount);
    }
    return slot;
  }

  /** The upper bound of the bucket that holds the `q` quantile of the slot's `count` samples. */
  private quantileMs(slot: number, count: number, q: number): number {
    // The rank of the sample at quantile q (nearest-rank method), 1-based.
    const rank = Math.max(1, Math.ceil(q * count));
    const base = slot * latencyBucketCount;
    let seen = 0;
    for (let bucket = 0; bucket < latencyBucketCount; bucket++) {
      seen += this.latencyBuckets[base + bucket];
      if (seen >= rank) return latencyBucketUpperMs(bucket);
    }
    return Number.POSITIVE_INFINITY; // unreachable while the counts agree; the max caps it
  }
}

/** The bucket of a duration: 0 below the floor, then `bucketsPerDoubling` a doubling, the last one open-ended. */
export function latencyBucketOf(durationMs: number): number {
  if (!(durationMs >= latencyMsFloor)) return 0; // also NaN
  const bucket = 1 + Math.floor(Math.log2(durationMs / latencyMsFloor) * bucketsPerDoubling);
  return Math.min(bucket, latencyBucketCount - 1);
}

/** The upper bound of a bucket (the last one has none: infinity). */
export function latencyBucketUpperMs(bucket: number): number {
  if (bucket >= latencyBucketCount - 1) return Number.POSITIVE_INFINITY;
  return latencyMsFloor * 2 ** (bucket / bucketsPerDoubling);
}

/** Milliseconds to a µs: enough for a chart, and short JSON. */
const round = (ms: number): number => Math.round(ms * 1000) / 1000;
