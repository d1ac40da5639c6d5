// Admission by queueing delay (after CoDel): what matters to a caller is how long its write waits
// between being staged and being on disk. The ledger reports that wait for the oldest write of
// every batch. While recent batches made their writes wait longer than `queueDelayMaxMs`, new
// work is refused at once with OVERLOADED and a Retry-After, so past its capacity the engine sheds
// the excess fast and what it admits is answered within a bounded time, instead of a queue (and
// every answer's wait) growing. Below `queueDelayMinWrites` staged writes it always admits: a slow
// batch at low load (a disk hiccup) is not overload, and shedding then would only turn buyers away.
// Shedding makes the next batches smaller and faster, so admission resumes by itself.

export interface AdmissionBounds {
  /** The longest the recent batches' oldest writes may have waited before new work is refused. */
  queueDelayMaxMs: number;
  /** Below this many staged writes, always admit. */
  queueDelayMinWrites: number;
}

export class Admission {
  /** The wait of recent batches' oldest writes, ms: a fast-rising, slow-falling average. */
  private waitedMs = 0;

  constructor(private readonly bounds: AdmissionBounds) {}

  /** A batch reached the disk; its oldest write had waited `waitedMs` since it was staged. */
  observe(waitedMs: number): void {
    if (!Number.isFinite(waitedMs) || waitedMs < 0) return;
    // Up at once (one slow batch is news), down gradually (one fast batch is not recovery).
    this.waitedMs = waitedMs >= this.waitedMs ? waitedMs : this.waitedMs * 0.5 + waitedMs * 0.5;
  }

  /** The recent wait, ms. */
  recentWaitMs(): number {
    return this.waitedMs;
  }

  admits(pendingWrites: number): boolean {
    return pendingWrites < this.bounds.queueDelayMinWrites || this.waitedMs <= this.bounds.queueDelayMaxMs;
  }
}
