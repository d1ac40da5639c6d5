// Shows that the expiry sweep never forgets a hold: when the clock steps back between the sweep
// finding a deadline due and the hold being expired (NTP does this to a system clock), the hold's
// expiry entry is kept, and a later sweep expires it and gives its stock back.
// How: a real engine on LMDB in a temp dir, with a clock that can be made to run backwards one
// millisecond per reading; every offset of the step is tried.
import { describe, expect, it } from 'vitest';
import { SimulatedClock, type Clock, type TimerHandle } from './clock.js';
import { tempEngines } from '../test/support/fixtures.js';

/** A simulated clock that, while `backwards` is on, reads one millisecond earlier at every call. */
class SteppingBackClock implements Clock {
  backwards = false;
  private readings = 0;
  constructor(readonly inner: SimulatedClock) {}
  now(): number {
    return this.backwards ? this.inner.now() - this.readings++ : this.inner.now();
  }
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.inner.setTimeout(callback, delayMs);
  }
}

const engines = tempEngines();

describe('expiry sweep', () => {
  it('keeps a hold whose deadline the clock stepped back from, and expires it on a later sweep', async () => {
    for (let offset = 0; offset < 8; offset++) {
      const inner = new SimulatedClock();
      const clock = new SteppingBackClock(inner);
      const { engine } = await engines.open(clock);
      await engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 });
      await engine.setStock('n1', 'HOT', { onHand: 10 });
      const held = await engine.createReservation({ customerId: 'c', destination: { lat: 40, lon: -75 }, lines: [{ sku: 'HOT', qty: 1 }], ttlSeconds: 60 });
      // The deadline is reached at a reading `offset` calls into the sweep; later readings are earlier.
      inner.increment(60_000 + offset);
      clock.backwards = true;
      await engine.sweepExpiries();
      clock.backwards = false;
      inner.increment(1_000);
      await engine.sweepExpiries();
      // The sweep gave the unit back (a read would expire the hold itself, so the stock is read first).
      expect((await engine.getInventory('HOT')).nodes[0].reserved, `offset ${offset}`).toBe(0);
      expect((await engine.getReservation(held.body.reservationId)).status).toBe('expired');
      await engines.closeAll();
    }
  });
});
