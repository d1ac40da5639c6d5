// Open-loop arrivals: when each request is due, measured from the start of the run.
//
// A plan is a burst (that many requests all due at t = 0) followed by a schedule at `ratePerSecond`,
// reached by a linear ramp from 0 over `rampSeconds` (0: constant from the start). Arrival i of the
// schedule is due when the cumulative count N(t) reaches i:
//   N(t) = R t² / (2 r)           for t < r   (the ramp)
//   N(t) = R r / 2 + R (t - r)    for t >= r
// so the schedule is fixed in advance and does not depend on how fast the server answers: a slow
// answer cannot delay the next send (no coordinated omission).

export interface ArrivalPlan {
  ratePerSecond: number;
  rampSeconds: number;
  durationSeconds: number;
  /** Requests all due at t = 0, before the schedule. */
  burst: number;
}

/** Scheduled arrivals by time `t` seconds (burst excluded). */
export function cumulativeArrivals(plan: ArrivalPlan, t: number): number {
  const { ratePerSecond: rate, rampSeconds: ramp } = plan;
  if (t <= 0 || rate <= 0) return 0;
  if (ramp <= 0) return rate * t;
  if (t < ramp) return (rate * t * t) / (2 * ramp);
  return (rate * ramp) / 2 + rate * (t - ramp);
}

/** The target rate at time `t` seconds. */
export function rateAt(plan: ArrivalPlan, t: number): number {
  if (t < 0 || t >= plan.durationSeconds) return 0;
  if (plan.rampSeconds <= 0 || t >= plan.rampSeconds) return plan.ratePerSecond;
  return (plan.ratePerSecond * t) / plan.rampSeconds;
}

/** How many requests the plan sends: the burst, then every arrival due before the duration ends. */
export function arrivalCount(plan: ArrivalPlan): number {
  // Arrival i is sent when i < N(D); the epsilon keeps a whole N(D) from rounding up by one.
  return plan.burst + Math.max(0, Math.ceil(cumulativeArrivals(plan, plan.durationSeconds) - 1e-9));
}

/** When arrival `index` (0-based, burst first) is due, in milliseconds from the start. */
export function intendedOffsetMs(plan: ArrivalPlan, index: number): number {
  if (index < plan.burst) return 0;
  const n = index - plan.burst;
  const { ratePerSecond: rate, rampSeconds: ramp } = plan;
  if (rate <= 0) return Infinity;
  if (ramp <= 0) return (n / rate) * 1000;
  const rampArrivals = (rate * ramp) / 2;
  const seconds = n <= rampArrivals ? Math.sqrt((2 * ramp * n) / rate) : ramp + (n - rampArrivals) / rate;
  return seconds * 1000;
}

/**
 * A worker's share of the arrivals: worker w of W sends arrivals w, w + W, w + 2W, … so the
 * workers together send exactly the plan, each at 1/W of the rate, interleaved in time.
 */
export interface ArrivalShare {
  count: number;
  /** The global arrival index of this worker's k-th arrival. */
  indexAt(k: number): number;
}

export function shareOf(total: number, workerIndex: number, workerCount: number): ArrivalShare {
  if (!(workerIndex >= 0 && workerIndex < workerCount)) throw new Error(`worker ${workerIndex} of ${workerCount}`);
  const count = total > workerIndex ? Math.ceil((total - workerIndex) / workerCount) : 0;
  return { count, indexAt: (k) => workerIndex + k * workerCount };
}
