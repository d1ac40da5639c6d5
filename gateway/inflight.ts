// Requests being answered, counted so a graceful shutdown can wait for them (and for no more).

export class Inflight {
  count = 0;
  /** Set at shutdown: new requests are refused (503) while those in flight finish. */
  draining = false;
  private readonly waiters = new Set<() => void>();

  /** Counts a request in; the returned function counts it out (once). */
  begin(): () => void {
    this.count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count--;
      if (this.count === 0) for (const wake of this.waiters) wake();
    };
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`, with what is still in flight. */
  idle(timeoutMs: number): Promise<number> {
    if (this.count === 0) return Promise.resolve(0);
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve(this.count);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
}
