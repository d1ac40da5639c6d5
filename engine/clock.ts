// Time enters the engine only through a Clock, so expiry, SLAs and promises are testable without
// sleeping: tests drive a SimulatedClock with `increment(ms)`.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer = setTimeout(callback, Math.max(0, delayMs));
    // A pending engine timer must never keep a finished process alive.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  }
}

interface SimulatedTimer {
  dueAt: number;
  order: number;
  callback: () => void;
  cancelled: boolean;
}

export class SimulatedClock implements Clock {
  private nowMs: number;
  private timers: SimulatedTimer[] = [];
  private created = 0;

  constructor(startMs = Date.UTC(2026, 0, 5, 12, 0, 0)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const timer: SimulatedTimer = { dueAt: this.nowMs + Math.max(0, delayMs), order: this.created++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => { timer.cancelled = true; } };
  }

  /** Moves time forward, firing every timer that falls due, in due order. */
  increment(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.dueAt - b.dueAt || a.order - b.order);
      const next = this.timers[0];
      if (!next || next.dueAt > target) break;
      this.timers.shift();
      this.nowMs = Math.max(this.nowMs, next.dueAt);
      next.callback();
    }
    this.nowMs = target;
  }

  pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
