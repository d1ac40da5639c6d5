// Shows what the in-process transport adds to the shared contract (bus.test.ts): delivery is
// synchronous, queue groups take turns strictly, request timeouts run on the injected clock (a
// SimulatedClock here, so nothing sleeps), and the engine's existing calls keep working.
import { describe, expect, it } from 'vitest';
import { AssertionError } from '../assert.js';
import { SimulatedClock } from '../clock.js';
import type { Bus, BusHandler, MessageContext } from './bus.js';
import { MemoryBus } from './memory-bus.js';

/** Lets promise callbacks run, without moving the simulated clock. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function track(promise: Promise<unknown>): { outcome: () => { value?: unknown; error?: unknown } | undefined } {
  let outcome: { value?: unknown; error?: unknown } | undefined;
  promise.then(
    (value) => (outcome = { value }),
    (error: unknown) => (outcome = { error }),
  );
  return { outcome: () => outcome };
}

describe('MemoryBus', () => {
  it('keeps the engine\'s calls: an error callback as the first argument, two-argument handlers, delivery before publish returns', () => {
    const reported: string[] = [];
    const bus: Bus = new MemoryBus((_error, subject) => reported.push(subject));
    const got: unknown[] = [];
    const twoArguments: (subject: string, message: unknown) => void = (_subject, message) => got.push(message);
    const handler: BusHandler = twoArguments;
    bus.subscribe('stream.>', handler);
    bus.subscribe('stream.order.*', () => {
      throw new Error('boom');
    });
    bus.publish('stream.order.o1', { seq: 1 });
    expect(got).toEqual([{ seq: 1 }]);
    expect(reported).toEqual(['stream.order.o1']);
  });

  it('passes messages by reference (no copy in process)', () => {
    const bus = new MemoryBus();
    const message = { lines: [1, 2] };
    let received: unknown;
    bus.subscribe('a', (_subject, m) => (received = m));
    bus.publish('a', message);
    expect(received).toBe(message);
  });

  it('takes queue group members strictly in turn, across patterns, and forgets a group with its last member', () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    const subscriptions = ['m0', 'm1', 'm2'].map((name, i) =>
      bus.subscribe(i === 2 ? 'inv.*.cmd' : 'inv.p1.cmd', () => void got.push(name), { queue: 'workers' }),
    );
    for (let i = 0; i < 6; i++) bus.publish('inv.p1.cmd', i);
    expect(got).toEqual(['m0', 'm1', 'm2', 'm0', 'm1', 'm2']);
    subscriptions[1].unsubscribe();
    got.length = 0;
    for (let i = 0; i < 4; i++) bus.publish('inv.p1.cmd', i);
    expect(got.filter((name) => name === 'm1')).toEqual([]);
    expect(got.length).toBe(4);
    subscriptions[0].unsubscribe();
    subscriptions[2].unsubscribe();
    expect(() => bus.publish('inv.p1.cmd', 'no one')).not.toThrow();
    bus.subscribe('inv.p1.cmd', () => void got.push('again'), { queue: 'workers' });
    bus.publish('inv.p1.cmd', 'x');
    expect(got.at(-1)).toBe('again');
  });

  it('does not hand the message being delivered to a subscription made during its delivery', () => {
    const bus = new MemoryBus();
    const got: string[] = [];
    bus.subscribe('a.b', () => {
      got.push('first');
      bus.subscribe('a.*', () => void got.push('late'));
    });
    bus.publish('a.b', 1);
    expect(got).toEqual(['first']);
    bus.publish('a.b', 2);
    expect(got).toEqual(['first', 'first', 'late']);
  });

  it('times requests out on its clock, and leaves no timer behind once answered', async () => {
    const clock = new SimulatedClock();
    const bus = new MemoryBus(() => {}, { clock });
    let held: MessageContext | undefined;
    bus.subscribe('inv.p1.cmd', (_subject, _message, context) => (held = context));
    const slow = track(bus.request('inv.p1.cmd', 1, { timeoutMs: 5_000 }));
    clock.increment(4_999);
    await settle();
    expect(slow.outcome()).toBeUndefined();
    clock.increment(1);
    await settle();
    expect(slow.outcome()?.error).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'timeout', timeoutMs: 5_000 } });
    expect(() => held?.reply('too late')).not.toThrow();

    const quick = track(bus.request('inv.p1.cmd', 2, { timeoutMs: 5_000 }));
    held?.reply('in time');
    await settle();
    expect(quick.outcome()).toEqual({ value: 'in time' });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('fails waiting requests with UNAVAILABLE (closed) on close, and cancels their timers', async () => {
    const clock = new SimulatedClock();
    const bus = new MemoryBus(() => {}, { clock });
    bus.subscribe('inv.p1.cmd', () => {});
    const waiting = track(bus.request('inv.p1.cmd', 1, { timeoutMs: 5_000 }));
    await bus.close();
    await settle();
    expect(waiting.outcome()?.error).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'closed' } });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const pendingRequestsMax of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryBus(() => {}, { pendingRequestsMax }), String(pendingRequestsMax)).toThrow(AssertionError);
    }
  });
});
