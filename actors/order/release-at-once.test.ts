// A confirm with `dispatch` releases the order in the same step when a dispatch right after it
// would. This holds it to the two steps it stands for, over random holds (lines held, backordered,
// rerouting or cancelled; a review pending or not; deadlines kept from before or not) and
// confirms (before or past the deadline, with a review or not): the engine's way (a confirm, then
// a dispatch if the order is not in review and has allocated lines) must end in the same state,
// the same record (key order too) and the same history, each entry made in the same state.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry, LineStatus, OrderLine, OrderMachineState, OrderRecord } from '../domain.js';
import { orderSnapshotOf, restoreOrderActor } from '../../engine/order-snapshot.js';
import type { OrderDecision, OrderEvent } from './order.machine.js';
import { deadline, holdRecord, iso, T0 } from '../../test/support/order-records.js';


const lineArb: fc.Arbitrary<OrderLine> = fc.record({
  sku: fc.constantFrom('A', 'B', 'C'),
  qty: fc.integer({ min: 1, max: 3 }),
  status: fc.constantFrom<LineStatus>('held', 'held', 'held', 'backordered', 'rerouting', 'cancelled'),
  nodeId: fc.constantFrom('n1', 'n2'),
}).map(({ sku, qty, status, nodeId }) => ({ sku, qty, status, nodeId: status === 'backordered' || status === 'rerouting' ? '' : nodeId }));

const holdArb: fc.Arbitrary<OrderRecord> = fc.record({
  lines: fc.array(lineArb, { minLength: 1, maxLength: 3 }),
  review: fc.constantFrom(undefined, 'pending' as const, 'approved' as const),
  acceptBy: fc.constantFrom<Record<string, number> | undefined>(undefined, {}, { n1: T0 + 5 }),
}).map(({ lines, review, acceptBy }) => holdRecord(lines, {
  ...(review ? { review: { status: review, reasons: ['value'], at: iso(T0) } } : {}),
  ...(acceptBy ? { acceptBy } : {}),
}));

const confirmArb = fc.record({
  at: fc.constantFrom(T0 + 1, deadline - 1, deadline),
  review: fc.boolean(),
  payment: fc.boolean(),
  acceptWithinMs: fc.constantFrom(undefined, 60_000),
});

type Step = { state: OrderMachineState; record: OrderRecord; decisions: OrderDecision[] };

function send(actor: ReturnType<typeof restoreOrderActor>, event: OrderEvent): OrderDecision[] {
  const decisions: OrderDecision[] = [];
  const subscription = actor.on('*', (e) => decisions.push(e as OrderDecision));
  actor.send(event);
  subscription.unsubscribe();
  return decisions;
}

const snapshotOf = (actor: ReturnType<typeof restoreOrderActor>) => orderSnapshotOf(actor.getSnapshot());

/** Each history entry a list of decisions added, with the state the order was in once it was made. */
function entriesWithState(steps: Array<{ decisions: OrderDecision[]; state: OrderMachineState }>): Array<{ entry: HistoryEntry; state: OrderMachineState }> {
  return steps.flatMap(({ decisions, state }) => decisions.flatMap((d) => {
    if (d.type !== 'decided') return [];
    const confirmEntries = d.releasedAtOnce?.confirmEntries ?? 0;
    return d.history.map((entry, i) => ({ entry, state: i < confirmEntries ? 'allocated' as const : state }));
  }));
}

describe('a confirm released in the same step', () => {
  it('ends as a confirm then a dispatch would, entry by entry', () => {
    let atOnceSeen = 0;
    fc.assert(fc.property(holdArb, confirmArb, (hold, c) => {
      const confirm: OrderEvent = { type: 'confirm', at: c.at, ...(c.review ? { review: { reasons: ['value'] } } : {}), ...(c.payment ? { payment: { status: 'authorized' } } : {}) };
      const dispatch = { ...(c.acceptWithinMs !== undefined ? { acceptWithinMs: c.acceptWithinMs } : {}) };

      // The two steps, as the engine took them.
      const twoSteps = restoreOrderActor({ state: 'held', record: structuredClone(hold) });
      twoSteps.start();
      const steps: Step[] = [];
      const confirmed = send(twoSteps, structuredClone(confirm));
      steps.push({ ...snapshotOf(twoSteps), decisions: confirmed });
      const after = snapshotOf(twoSteps);
      if (confirmed[0]?.type === 'decided' && after.state !== 'exception' && after.record.lines.some((l) => l.status === 'allocated')) {
        const dispatched = send(twoSteps, { type: 'dispatch', at: c.at, ...dispatch });
        steps.push({ ...snapshotOf(twoSteps), decisions: dispatched });
      }

      // One step, then the dispatch only if it did not release at once (as the engine does).
      const oneStep = restoreOrderActor({ state: 'held', record: structuredClone(hold) });
      oneStep.start();
      const atOnce = send(oneStep, { ...structuredClone(confirm), type: 'confirm', dispatch });
      const oneSteps = [{ ...snapshotOf(oneStep), decisions: atOnce }];
      const released = atOnce[0]?.type === 'decided' && atOnce[0].releasedAtOnce !== undefined;
      if (released) atOnceSeen++;
      const afterOne = snapshotOf(oneStep);
      if (!released && atOnce[0]?.type === 'decided' && afterOne.state !== 'exception' && afterOne.record.lines.some((l) => l.status === 'allocated')) {
        const decisions = send(oneStep, { type: 'dispatch', at: c.at, ...dispatch });
        oneSteps.push({ ...snapshotOf(oneStep), decisions });
      }

      expect(atOnce).toHaveLength(1);
      expect(snapshotOf(oneStep).state).toBe(snapshotOf(twoSteps).state);
      expect(JSON.stringify(snapshotOf(oneStep).record)).toBe(JSON.stringify(snapshotOf(twoSteps).record));
      expect(entriesWithState(oneSteps)).toEqual(entriesWithState(steps));
      if (released) {
        // Released at once only where the two steps were a confirm settling in `allocated`, then a dispatch.
        expect(steps.map((s) => s.state)).toEqual(['allocated', snapshotOf(twoSteps).state]);
        expect(atOnce[0]).toMatchObject({ release: [], ship: [] });
      } else {
        expect(atOnce).toEqual(confirmed);
      }
    }), { numRuns: 2000 });
    expect(atOnceSeen).toBeGreaterThan(100);
  });
});
