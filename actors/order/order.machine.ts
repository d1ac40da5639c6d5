import { assign, emit, enqueueActions, setup } from 'xstate';
import type { DeliveryPromise, HistoryEntry, OrderLine, OrderRecord, StockMove } from '../domain.js';
import { appendHistory, applyAssignments, applyCancel, applyGiveBack, applyNodeEvent, notYetAccepted, orderStatusOf, releasedOnly, setStatus, stockMovesOf, type Assignment, type LineRequest, type NewHistoryEntry, type NodeEventType } from './lines.js';

// One actor per checkout: a hold that becomes an order. It owns its record; it decides, and emits
// what the runtime must do (stock to release or ship at the SKU actors, history to publish).
// Time comes in on each event (`at`), never from a clock of its own.

export const orderHistoryMax = 200;

export type OrderEvent =
  /**
   * With `review`, the order waits in `exception` for a person instead of being released. With
   * `dispatch`, a confirm that leaves every line allocated and no review pending is released in
   * the same step, as a `dispatch` right after it would release it (see `releasedAtOnce`).
   */
  | { type: 'confirm'; at: number; payment?: Record<string, unknown>; externalId?: string; review?: { reasons: string[] }; cartHome?: string; dispatch?: { acceptWithinMs?: number } }
  | { type: 'review.approve'; at: number }
  /** The promise after the order's lines moved (a reroute): recorded when its date changes. */
  | { type: 'promise.set'; at: number; promise: DeliveryPromise; reason: string }
  /** A carrier is late: the shipment from `nodeId` now arrives by `deliveryBy` (ISO). */
  | { type: 'promise.delay'; at: number; nodeId: string; deliveryBy: string; reason?: string }
  | { type: 'review.reject'; at: number }
  | { type: 'hold.release'; at: number }
  | { type: 'expire'; at: number }
  /** Releases the allocated lines to their nodes; each must accept within `acceptWithinMs`. */
  | { type: 'dispatch'; at: number; acceptWithinMs?: number }
  | { type: 'node.event'; at: number; nodeId: string; event: NodeEventType; lines?: readonly LineRequest[]; trackingId?: string }
  | { type: 'cancel'; at: number; lines?: readonly LineRequest[] }
  /** A node gives back unshipped lines (it rejected them, went offline, or counted less stock). */
  | { type: 'reroute.release'; at: number; nodeId: string; reason: RerouteReason; lines?: readonly LineRequest[] }
  /** The runtime placed the waiting lines at these nodes (it took the stock); the rest wait as backorders. */
  | { type: 'reroute.assign'; at: number; from: 'rerouting' | 'backordered'; assignments: readonly Assignment[]; acceptWithinMs?: number };

/** Why a node gives lines back. `unaccepted`: it let them wait past its acceptance deadline. */
export type RerouteReason = 'rejected' | 'unaccepted' | 'offline' | 'paused' | 'shrinkage';

export type OrderDecision =
  | {
    type: 'decided';
    history: HistoryEntry[];
    release: StockMove[];
    ship: StockMove[];
    /**
     * A confirm released in the same step: its first `confirmEntries` history entries are the
     * confirm's, made as the order became `allocated`; the rest are its dispatch's.
     */
    releasedAtOnce?: { confirmEntries: number };
  }
  | { type: 'refused'; code: 'INVALID_STATE'; reason: string; details: Record<string, unknown> };

const iso = (ms: number): string => new Date(ms).toISOString();

type ConfirmEvent = Extract<OrderEvent, { type: 'confirm' }>;

const decided = (history: HistoryEntry[], release: StockMove[] = [], ship: StockMove[] = []): OrderDecision =>
  ({ type: 'decided', history, release, ship });

const refused = (reason: string, details: Record<string, unknown> = {}): OrderDecision =>
  ({ type: 'refused', code: 'INVALID_STATE', reason, details });

/** The record with new lines and history, and the history entries as numbered. */
function withLines(record: OrderRecord, lines: OrderLine[], entries: NewHistoryEntry[]): { next: OrderRecord; added: HistoryEntry[] } {
  const { history, added } = appendHistory(record.history, entries, orderHistoryMax);
  return { next: { ...record, lines, history, ...acceptDeadlines(record.acceptBy, lines) }, added };
}

/**
 * Acceptance deadlines follow the lines: a node keeps its deadline while it has released lines
 * not yet accepted; nodes newly given released lines get `at + acceptWithinMs`.
 */
function acceptDeadlines(current: Record<string, number> | undefined, lines: readonly OrderLine[], at?: number, acceptWithinMs?: number): { acceptBy?: Record<string, number> } {
  const waiting = new Set(lines.filter((l) => l.status === 'released').map((l) => l.nodeId));
  const next: Record<string, number> = {};
  for (const nodeId of waiting) {
    const deadline = current?.[nodeId] ?? (at !== undefined && acceptWithinMs !== undefined ? at + acceptWithinMs : undefined);
    if (deadline !== undefined) next[nodeId] = deadline;
  }
  return Object.keys(next).length > 0 || current ? { acceptBy: next } : {};
}

/** What a confirm assigns (its lines allocated), and the history it adds. */
function confirming(context: OrderRecord, event: ConfirmEvent): { assignment: OrderRecord; added: HistoryEntry[] } {
  const entries: NewHistoryEntry[] = [{ at: iso(event.at), type: 'order.allocated' }];
  if (event.review) entries.push({ at: iso(event.at), type: 'order.exception', reasons: event.review.reasons });
  const { next, added } = withLines(context, setStatus(context.lines, 'held', 'allocated'), entries);
  const assignment = {
    ...next,
    confirmedAt: event.at,
    ...(event.review ? { review: { status: 'pending' as const, reasons: event.review.reasons, at: iso(event.at) } } : {}),
    ...(event.payment ? { payment: event.payment } : {}),
    ...(event.externalId ? { externalId: event.externalId } : {}),
    ...(event.cartHome ? { cartHome: event.cartHome } : {}),
  };
  return { assignment, added };
}

/** What a dispatch assigns (every allocated line released, with its node's deadline), and the history it adds. */
function dispatching(context: OrderRecord, at: number, acceptWithinMs: number | undefined): { assignment: OrderRecord; added: HistoryEntry[] } {
  const lines = context.lines.filter((l) => l.status === 'allocated').map(({ sku, qty }) => ({ sku, qty }));
  const released = setStatus(context.lines, 'allocated', 'released');
  const { next, added } = withLines(context, released, [{ at: iso(at), type: 'order.released', lines }]);
  return { assignment: { ...next, ...acceptDeadlines(context.acceptBy, released, at, acceptWithinMs) }, added };
}

export const orderMachine = setup({
  types: {
    context: {} as OrderRecord,
    events: {} as OrderEvent,
    input: {} as OrderRecord,
    emitted: {} as OrderDecision,
  },
  guards: {
    /** xstate's own events (xstate.done.*) are not commands to refuse. */
    isCommand: ({ event }) => !event.type.startsWith('xstate.'),
    beforeDeadline: ({ context, event }) => event.at < context.expiresAt,
    pastDeadline: ({ context, event }) => event.at >= context.expiresAt,
    /**
     * A confirm with `dispatch` that a dispatch would follow at once and release entirely: before
     * the deadline, no review, every line held (so allocated by the confirm, which then settles
     * in `allocated`, and released by the dispatch, which then settles in `released`).
     */
    releasesAtOnce: ({ context, event }) =>
      event.type === 'confirm' && event.dispatch !== undefined && event.at < context.expiresAt && !event.review &&
      context.review?.status !== 'pending' && context.lines.length > 0 && context.lines.every((l) => l.status === 'held'),
    isAllocated: ({ context }) => orderStatusOf(context.lines) === 'allocated',
    isReleased: ({ context }) => orderStatusOf(context.lines) === 'released',
    isPartiallyShipped: ({ context }) => orderStatusOf(context.lines) === 'partially_shipped',
    isBackordered: ({ context }) => orderStatusOf(context.lines) === 'backordered',
    hasAllocatedLines: ({ context }) => context.lines.some((l) => l.status === 'allocated'),
    isShipped: ({ context }) => orderStatusOf(context.lines) === 'shipped',
    isDelivered: ({ context }) => orderStatusOf(context.lines) === 'delivered',
    isCancelled: ({ context }) => orderStatusOf(context.lines) === 'cancelled',
    inReview: ({ context }) => context.review?.status === 'pending',
  },
  actions: {
    giveBack: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'reroute.release') return;
      // A node past its acceptance deadline gives back only what it has not accepted; a paused
      // node what it has not accepted yet (held, allocated or released to it); the others all
      // they have not shipped.
      const only = event.reason === 'unaccepted' ? releasedOnly : event.reason === 'paused' ? notYetAccepted : undefined;
      const change = applyGiveBack(context.lines, event.nodeId, event.lines, only);
      if (!change.ok) {
        enqueue(emit(refused(change.reason, { ...change.details, nodeId: event.nodeId })));
        return;
      }
      const refusedByNode = event.reason === 'rejected' || event.reason === 'unaccepted';
      const entries: NewHistoryEntry[] = refusedByNode
        ? [{ at: iso(event.at), type: event.reason === 'rejected' ? 'order.rejected' : 'order.accept_timeout', nodeId: event.nodeId, lines: change.moved.map(({ sku, qty }) => ({ sku, qty })) }]
        : [];
      const { next, added } = withLines(context, change.lines, entries);
      const rejectedBy = refusedByNode && !context.rejectedBy?.includes(event.nodeId) ? { rejectedBy: [...(context.rejectedBy ?? []), event.nodeId] } : {};
      enqueue(assign({ ...next, ...rejectedBy }));
      enqueue(emit(decided(added, change.moved)));
    }),
    placeWaiting: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'reroute.assign') return;
      const value = self.getSnapshot().value;
      const inReview = typeof value === 'object' && (value as { order?: string }).order === 'exception';
      const placed = value === 'held' ? 'held' : inReview ? 'allocated' : 'released';
      const lines = applyAssignments(context.lines, event.from, event.assignments, placed);
      if (!lines) {
        enqueue(emit(refused('the assignments ask for more than is waiting', { from: event.from })));
        return;
      }
      const waitingBefore = context.lines.filter((l) => l.status === 'backordered').reduce((sum, l) => sum + l.qty, 0);
      const backordered = lines.filter((l) => l.status === 'backordered');
      const entries: NewHistoryEntry[] = [];
      if (event.assignments.length > 0) {
        entries.push({ at: iso(event.at), type: event.from === 'backordered' ? 'order.backorder_filled' : 'order.rerouted', lines: event.assignments.map(({ sku, qty, nodeId }) => ({ sku, qty, nodeId })) });
      }
      if (backordered.reduce((sum, l) => sum + l.qty, 0) > waitingBefore) {
        entries.push({ at: iso(event.at), type: 'order.backordered', lines: backordered.map(({ sku, qty }) => ({ sku, qty })) });
      }
      const { next, added } = withLines(context, lines, entries);
      enqueue(assign({ ...next, ...acceptDeadlines(context.acceptBy, lines, event.at, event.acceptWithinMs) }));
      enqueue(emit(decided(added)));
    }),
    refuseInState: enqueueActions(({ event, self, enqueue }) => {
      const state = self.getSnapshot().value;
      enqueue(emit(refused(`${event.type} is not possible in state ${JSON.stringify(state)}`, { state })));
    }),
  },
}).createMachine({
  id: 'order',
  context: ({ input }) => input,
  initial: 'held',
  states: {
    held: {
      on: {
        confirm: [
          {
            // The confirm and its dispatch in one step, straight to `released`: the same two
            // assignments and history entries as `confirm` then `dispatch`, with no settling.
            guard: 'releasesAtOnce',
            target: 'order.released',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const confirmed = confirming(context, event);
              // The record as the confirm's assign leaves it, which is what a dispatch would see.
              const allocated: OrderRecord = Object.assign({}, context, confirmed.assignment);
              const released = dispatching(allocated, event.at, event.dispatch?.acceptWithinMs);
              // One assign for both: the dispatch's is made from the whole record as the confirm's
              // leaves it, so it is the record the two would make in turn.
              enqueue(assign(released.assignment));
              enqueue(emit({ type: 'decided', history: [...confirmed.added, ...released.added], release: [], ship: [], releasedAtOnce: { confirmEntries: confirmed.added.length } }));
            }),
          },
          {
            guard: 'beforeDeadline',
            target: 'order',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const { assignment, added } = confirming(context, event);
              enqueue(assign(assignment));
              enqueue(emit(decided(added)));
            }),
          },
          { actions: emit(refused('the hold has expired', { state: 'held', expired: true })) },
        ],
        'hold.release': {
          target: 'dropped',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { next, added } = withLines(context, setStatus(setStatus(context.lines, 'held', 'cancelled'), 'backordered', 'cancelled'), [{ at: iso(event.at), type: 'reservation.released' }]);
            enqueue(assign(next));
            enqueue(emit(decided(added, stockMovesOf(context.lines.filter((l) => l.status === 'held')))));
          }),
        },
        expire: [
          {
            guard: 'pastDeadline',
            target: 'expired',
            actions: enqueueActions(({ context, event, enqueue }) => {
              const { next, added } = withLines(context, setStatus(setStatus(context.lines, 'held', 'cancelled'), 'backordered', 'cancelled'), [{ at: iso(event.at), type: 'reservation.expired' }]);
              enqueue(assign(next));
              enqueue(emit(decided(added, stockMovesOf(context.lines.filter((l) => l.status === 'held')))));
            }),
          },
          { actions: emit(refused('the hold has not reached its deadline', { state: 'held' })) },
        ],
        'reroute.release': { actions: 'giveBack' },
        'reroute.assign': { actions: 'placeWaiting' },
        '*': { guard: 'isCommand', actions: 'refuseInState' },
      },
    },
    expired: { type: 'final' },
    dropped: { type: 'final' },
    order: {
      initial: 'settling',
      on: {
        'node.event': {
          target: '.settling',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const change = applyNodeEvent(context.lines, event.nodeId, event.event, event.lines);
            if (!change.ok) {
              enqueue(emit(refused(change.reason, { ...change.details, nodeId: event.nodeId })));
              return;
            }
            const entry: NewHistoryEntry = {
              at: iso(event.at),
              type: `order.${event.event}`,
              nodeId: event.nodeId,
              lines: change.moved.map(({ sku, qty }) => ({ sku, qty })),
              ...(event.trackingId ? { trackingId: event.trackingId } : {}),
            };
            const { next, added } = withLines(context, change.lines, [entry]);
            enqueue(assign(next));
            enqueue(emit(decided(added, [], event.event === 'shipped' ? change.moved : [])));
          }),
        },
        cancel: {
          target: '.settling',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const change = applyCancel(context.lines, event.lines);
            if (!change.ok) {
              enqueue(emit(refused(change.reason, change.details)));
              return;
            }
            const whole = orderStatusOf(change.lines) === 'cancelled';
            const entry: NewHistoryEntry = {
              at: iso(event.at),
              type: whole ? 'order.cancelled' : 'order.lines_cancelled',
              lines: change.moved.map(({ sku, qty }) => ({ sku, qty })),
            };
            const { next, added } = withLines(context, change.lines, [entry]);
            enqueue(assign(next));
            enqueue(emit(decided(added, change.moved.filter((m) => m.nodeId !== ''))));
          }),
        },
        // Released to the nodes: every allocated line (others may be backordered or under way).
        dispatch: {
          guard: 'hasAllocatedLines',
          target: '.settling',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const { assignment, added } = dispatching(context, event.at, event.acceptWithinMs);
            enqueue(assign(assignment));
            enqueue(emit(decided(added)));
          }),
        },
        'promise.set': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const changed = event.promise.deliveryBy !== context.promise.deliveryBy;
            const entries: NewHistoryEntry[] = changed ? [{ at: iso(event.at), type: 'order.promise_changed', deliveryBy: event.promise.deliveryBy, reason: event.reason }] : [];
            const { next, added } = withLines(context, context.lines, entries);
            enqueue(assign({ ...next, promise: event.promise }));
            enqueue(emit(decided(added)));
          }),
        },
        'promise.delay': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const shipment = context.promise.shipments.find((s) => s.nodeId === event.nodeId);
            const open = context.lines.some((l) => l.nodeId === event.nodeId && l.status !== 'delivered' && l.status !== 'cancelled');
            if (!shipment || !open) {
              enqueue(emit(refused(`no undelivered shipment from ${event.nodeId}`, { nodeId: event.nodeId })));
              return;
            }
            const shipments = context.promise.shipments.map((s) => (s.nodeId === event.nodeId ? { ...s, deliveryBy: event.deliveryBy } : s));
            const deliveryBy = shipments.reduce((latest, s) => (s.deliveryBy > latest ? s.deliveryBy : latest), shipments[0].deliveryBy);
            const { next, added } = withLines(context, context.lines, [{ at: iso(event.at), type: 'order.promise_changed', nodeId: event.nodeId, deliveryBy, ...(event.reason ? { reason: event.reason } : {}) }]);
            enqueue(assign({ ...next, promise: { ...context.promise, deliveryBy, shipments } }));
            enqueue(emit(decided(added)));
          }),
        },
        'reroute.release': { target: '.settling', actions: 'giveBack' },
        'reroute.assign': { target: '.settling', actions: 'placeWaiting' },
        '*': { guard: 'isCommand', actions: 'refuseInState' },
      },
      states: {
        // Transient: the order's status is derived from its lines after every change.
        settling: {
          always: [
            { guard: 'isCancelled', target: 'cancelled' },
            { guard: 'inReview', target: 'exception' },
            { guard: 'isDelivered', target: 'delivered' },
            { guard: 'isShipped', target: 'shipped' },
            { guard: 'isPartiallyShipped', target: 'partially_shipped' },
            { guard: 'isBackordered', target: 'backordered' },
            { guard: 'isReleased', target: 'released' },
            { target: 'allocated' },
          ],
        },
        allocated: {},
        // Held for a person: the stock stays reserved, nothing is released to a node.
        exception: {
          on: {
            'review.approve': {
              target: 'settling',
              actions: enqueueActions(({ context, event, enqueue }) => {
                const { next, added } = withLines(context, context.lines, [{ at: iso(event.at), type: 'order.approved' }]);
                enqueue(assign({ ...next, review: { ...context.review!, status: 'approved' as const } }));
                enqueue(emit(decided(added)));
              }),
            },
            'review.reject': {
              target: 'settling',
              actions: enqueueActions(({ context, event, enqueue }) => {
                const change = applyCancel(context.lines);
                const lines = change.ok ? change.lines : context.lines;
                const moved = change.ok ? change.moved.filter((m) => m.nodeId !== '') : [];
                const { next, added } = withLines(context, lines, [{ at: iso(event.at), type: 'order.cancelled', reason: 'review_rejected' }]);
                enqueue(assign({ ...next, review: { ...context.review!, status: 'rejected' as const } }));
                enqueue(emit(decided(added, moved)));
              }),
            },
            'node.event': { actions: 'refuseInState' },
            dispatch: { actions: 'refuseInState' },
          },
        },
        released: {},
        partially_shipped: {},
        backordered: {},
        shipped: {},
        delivered: { type: 'final' },
        cancelled: { type: 'final' },
      },
    },
  },
});
