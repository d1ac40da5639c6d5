import { subjectMatches, type Bus, type BusHandler, type Subscription } from './bus.js';

// The in-process transport. Delivery is synchronous and in order; a throwing handler is isolated
// so one bad subscriber cannot stop the others.

interface Listener {
  pattern: string;
  exact: boolean;
  handler: BusHandler;
}

export class MemoryBus implements Bus {
  private readonly exact = new Map<string, Set<Listener>>();
  private readonly wildcard = new Set<Listener>();

  constructor(private readonly onHandlerError: (error: unknown, subject: string) => void = () => {}) {}

  publish(subject: string, message: unknown): void {
    const direct = this.exact.get(subject);
    if (direct) for (const listener of direct) this.deliver(listener, subject, message);
    for (const listener of this.wildcard) {
      if (subjectMatches(listener.pattern, subject)) this.deliver(listener, subject, message);
    }
  }

  subscribe(pattern: string, handler: BusHandler): Subscription {
    const exact = !pattern.includes('*') && !pattern.includes('>');
    const listener: Listener = { pattern, exact, handler };
    if (exact) {
      let set = this.exact.get(pattern);
      if (!set) this.exact.set(pattern, (set = new Set()));
      set.add(listener);
    } else {
      this.wildcard.add(listener);
    }
    return {
      unsubscribe: () => {
        if (!exact) {
          this.wildcard.delete(listener);
          return;
        }
        const set = this.exact.get(pattern);
        set?.delete(listener);
        if (set && set.size === 0) this.exact.delete(pattern);
      },
    };
  }

  async close(): Promise<void> {
    this.exact.clear();
    this.wildcard.clear();
  }

  private deliver(listener: Listener, subject: string, message: unknown): void {
    try {
      listener.handler(subject, message);
    } catch (error) {
      this.onHandlerError(error, subject);
    }
  }
}
