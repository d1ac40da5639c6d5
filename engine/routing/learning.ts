import { setRecent } from '../recent-map.js';
import { countDaysIn, localTime, weekdayMask } from './calendar.js';
import { bandIndexOf } from './carriers.js';
import { routingLimits } from './limits.js';
import { mondayToFriday, type CarrierService, type IsoWeekday, type TransitEstimates } from './model.js';

// Learning from deliveries, with bounded memory and no IO:
//   - TransitLearner: per carrier service × distance band, an exponentially weighted distribution
//     of the actual transit days (a histogram over 0..30 days whose weights decay by (1 − alpha)
//     at each delivery; the mean is kept the same way). It starts from the band's nominal days as
//     a prior of weight 1, so early deliveries move it gradually. Once a key has `minSamples`
//     deliveries, promises use the `quantile` of that distribution (0.9: the day by which 9 in 10
//     deliveries arrive) instead of the nominal days. A quantile, not mean + z·sd: transit days
//     are few and discrete, and a 2-day service that is late 1 time in 10 should stay a 2-day
//     promise, not round up to 3.
//     At most `entriesMax` keys; past it the least recently updated is dropped (a Map keeps
//     insertion order, and an update re-inserts its key).
//   - RejectionTracker: per node, an exponentially weighted rate of rejected orders, which the
//     blend turns into a penalty (`PlanContext.rejectionRates`).
// Reading never changes the state (no recency bump on read), so planning with a learner is as
// deterministic as planning without one: the same learner state gives the same plan.
//
// A caveat the caller owns: deliveries are observed when they arrive, so right after a cold
// start only the fast ones have arrived. Persist the learner (`snapshot`) across restarts rather
// than starting empty.

const transitDaysMax = 30;

export interface TransitLearnerOptions {
  /** Weight of the newest delivery (0..1). Default 0.05: about the last 20–40 deliveries matter. */
  alpha?: number;
  /** Deliveries a key needs before its estimate replaces the nominal days. Default 20. */
  minSamples?: number;
  /** Share of deliveries a promise should make. Default 0.9. */
  quantile?: number;
  /** Keys kept. Default `routingLimits.learnerEntriesMax`. */
  entriesMax?: number;
}

export interface TransitEstimate {
  meanDays: number;
  samples: number;
  /** Weight per transit day (index = days), summing to 1. */
  histogram: number[];
}

export interface TransitObservation {
  /** The service as the node routes with it (its id and bands define the key). */
  service: Pick<CarrierService, 'id' | 'transit'>;
  distanceKm: number;
  /** Carrier days from handover to delivery (see `observedTransitDays`). */
  actualTransitDays: number;
}

export interface TransitLearnerState {
  options: Required<TransitLearnerOptions>;
  entries: Array<[string, TransitEstimate]>;
}

const keyOf = (carrierId: string, bandIndex: number): string => `${carrierId}\u0000${bandIndex}`;

/** Key strings per carrier id and band, built once: lookups on the planning hot path allocate nothing. */
const keyCache = new Map<string, string[]>();
function cachedKey(carrierId: string, bandIndex: number): string {
  let keys = keyCache.get(carrierId);
  if (!keys) {
    if (keyCache.size >= routingLimits.learnerEntriesMax) keyCache.clear();
    keyCache.set(carrierId, (keys = []));
  }
  return (keys[bandIndex] ??= keyOf(carrierId, bandIndex));
}

export class TransitLearner implements TransitEstimates {
  private readonly options: Required<TransitLearnerOptions>;
  private readonly entries = new Map<string, TransitEstimate>();

  constructor(options: TransitLearnerOptions = {}) {
    this.options = {
      alpha: options.alpha ?? 0.05,
      minSamples: options.minSamples ?? 20,
      quantile: options.quantile ?? 0.9,
      entriesMax: options.entriesMax ?? routingLimits.learnerEntriesMax,
    };
  }

  /** Folds in one delivery. Returns false when it cannot be used (out of the service's bands, bad number). */
  observe(observation: TransitObservation): boolean {
    const band = bandIndexOf(observation.service as CarrierService, observation.distanceKm);
    if (band < 0 || !Number.isFinite(observation.actualTransitDays) || observation.actualTransitDays < 0) return false;
    const days = Math.min(transitDaysMax, Math.round(observation.actualTransitDays));
    const key = keyOf(observation.service.id, band);
    const previous = this.entries.get(key);
    const nominal = Math.min(transitDaysMax, observation.service.transit[band].days);
    const histogram = previous ? previous.histogram.slice() : Array.from({ length: nominal + 1 }, (_, d) => (d === nominal ? 1 : 0));
    const { alpha } = this.options;
    for (let d = 0; d < histogram.length; d++) histogram[d] *= 1 - alpha;
    while (histogram.length <= days) histogram.push(0);
    histogram[days] += alpha;
    const meanDays = (previous?.meanDays ?? nominal) * (1 - alpha) + alpha * days;
    setRecent(this.entries, key, { meanDays, samples: (previous?.samples ?? 0) + 1, histogram }, this.options.entriesMax);
    return true;
  }

  estimate(carrierId: string, bandIndex: number): Readonly<TransitEstimate> | undefined {
    return this.entries.get(keyOf(carrierId, bandIndex));
  }

  transitDaysFor(carrierId: string, bandIndex: number, nominalDays: number): number {
    const estimate = this.entries.get(cachedKey(carrierId, bandIndex));
    if (!estimate || estimate.samples < this.options.minSamples) return nominalDays;
    let cumulative = 0;
    const { histogram } = estimate;
    for (let d = 0; d < histogram.length; d++) {
      cumulative += histogram[d];
      // The epsilon keeps float noise in the decayed weights from pushing a day past the quantile.
      if (cumulative >= this.options.quantile - 1e-9) return d;
    }
    return histogram.length - 1;
  }

  get size(): number {
    return this.entries.size;
  }

  /** A copy of the state, oldest first, to persist or to hand to another process. */
  snapshot(): TransitLearnerState {
    return { options: { ...this.options }, entries: [...this.entries].map(([key, value]) => [key, { ...value, histogram: value.histogram.slice() }]) };
  }

  static fromSnapshot(state: TransitLearnerState): TransitLearner {
    const learner = new TransitLearner(state.options);
    for (const [key, value] of state.entries.slice(-learner.options.entriesMax)) learner.entries.set(key, { ...value, histogram: value.histogram.slice() });
    return learner;
  }
}

/**
 * Carrier days between handover and delivery, counted in the node's timezone over the carrier's
 * delivery days: shipped Friday, delivered Monday on a Monday–Friday carrier → 1.
 */
export function observedTransitDays(shippedAtMs: number, deliveredAtMs: number, timezone: string, deliveryDays: readonly IsoWeekday[] = mondayToFriday): number {
  const from = localTime(shippedAtMs, timezone).dayNumber;
  const to = localTime(deliveredAtMs, timezone).dayNumber;
  return countDaysIn(weekdayMask(deliveryDays), from, to);
}

export interface RejectionTrackerOptions {
  /** Weight of the newest order (0..1). Default 0.05: about the last 40 orders matter. */
  alpha?: number;
  nodesMax?: number;
}

export class RejectionTracker {
  private readonly alpha: number;
  private readonly nodesMax: number;
  private readonly rates = new Map<string, number>();

  constructor(options: RejectionTrackerOptions = {}) {
    this.alpha = options.alpha ?? 0.05;
    this.nodesMax = options.nodesMax ?? routingLimits.rejectionNodesMax;
  }

  /** One order the node answered: accepted (false) or rejected (true). */
  observe(nodeId: string, rejected: boolean): void {
    const previous = this.rates.get(nodeId) ?? 0;
    setRecent(this.rates, nodeId, previous + this.alpha * ((rejected ? 1 : 0) - previous), this.nodesMax);
  }

  rate(nodeId: string): number {
    return this.rates.get(nodeId) ?? 0;
  }

  /** The rates as `PlanContext.rejectionRates` takes them. */
  asMap(): ReadonlyMap<string, number> {
    return this.rates;
  }

  /** The rates, oldest first, to persist. */
  snapshot(): Array<[string, number]> {
    return [...this.rates];
  }

  /** A tracker with the rates of `snapshot()` (values outside 0..1 are dropped). */
  static fromSnapshot(entries: ReadonlyArray<readonly [string, number]>, options: RejectionTrackerOptions = {}): RejectionTracker {
    const tracker = new RejectionTracker(options);
    for (const [nodeId, rate] of entries.slice(-tracker.nodesMax)) if (rate >= 0 && rate <= 1) tracker.rates.set(nodeId, rate);
    return tracker;
  }
}
