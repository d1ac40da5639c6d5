import type { HistoryEntry, OrderSnapshot } from '../actors/domain.js';
import type { LineRequest } from '../actors/order/lines.js';
import { orderIdOf, reservationIdOf } from './ids.js';
import { iso } from './iso.js';
import type { StoredEvent } from './ledger.js';
import { allocationsOf, reservationView, type ReservationView } from './views.js';

// What one step of the engine decided, before it is durable: the answer, the events to publish,
// and the in-flight marks to end. A step's decisions are all staged in one synchronous turn, so
// they share one ledger batch.

export interface Decision<T> {
  body: T;
  events: StoredEvent[];
  /** Ends the in-flight marks of the actors involved, once durable. */
  done: Array<() => void>;
  /** Actors to passivate once durable (final orders live on disk only). */
  passivate?: string[];
  instructions?: Array<{ nodeId: string; message: unknown }>;
}

export const emptyDecision = (): Decision<undefined> => ({ body: undefined, events: [], done: [] });

/** A decision with no in-flight marks: frozen, so adding one fails loudly. */
const noMarks: Array<() => void> = Object.freeze([]) as unknown as Array<() => void>;

/**
 * A new hold's decision. Its answer and its event are made from its snapshot when first read: for
 * a hold of a turn, once its batch is durable. Made when the hold was decided, they were kept
 * alive by every hold in flight for the whole commit, and the young-generation GCs in between
 * copied them (~1.2 KB a hold). The snapshot is the one written, and nothing changes it.
 */
export class HeldDecision implements Decision<ReservationView> {
  readonly done = noMarks;
  private view: ReservationView | undefined;
  private announced: StoredEvent[] | undefined;

  constructor(private readonly snapshot: OrderSnapshot) {}

  get body(): ReservationView {
    return (this.view ??= reservationView(this.snapshot));
  }

  get events(): StoredEvent[] {
    return (this.announced ??= [orderEvent(this.snapshot, this.snapshot.record.history[0])]);
  }
}

/** Two decisions of one step as one: the given body, everything else of both. */
export function merge<A, B, T>(a: Decision<A>, b: Decision<B> | undefined, body: T): Decision<T> {
  if (!b) {
    // Field by field, not spread: a spread leaves out what a class's getters give (HeldDecision).
    const single: Decision<T> = { body, events: a.events, done: a.done };
    if (a.passivate) single.passivate = a.passivate;
    if (a.instructions) single.instructions = a.instructions;
    return single;
  }
  return {
    body,
    events: [...a.events, ...b.events],
    done: [...a.done, ...b.done],
    passivate: [...(a.passivate ?? []), ...(b.passivate ?? [])],
    instructions: [...(a.instructions ?? []), ...(b.instructions ?? [])],
  };
}

export const heldBefore = (snapshot: OrderSnapshot | undefined): boolean => snapshot === undefined || snapshot.state === 'held';

export const isOrder = (snapshot: OrderSnapshot): boolean => snapshot.state !== 'held' && snapshot.state !== 'expired' && snapshot.state !== 'dropped';

export const orderTopic = (coreId: string): string => `order:${orderIdOf(coreId)}`;



/**
 * An order's stream events are its history entries: the entry's seq is the event's seq on
 * `order:<orderId>`, so a client that missed some can read them back from the order itself.
 */
export function orderEvent(snapshot: OrderSnapshot, entry: HistoryEntry): StoredEvent {
  const { record } = snapshot;
  const data: Record<string, unknown> = {
    orderId: orderIdOf(record.coreId),
    reservationId: reservationIdOf(record.coreId),
    status: snapshot.state === 'held' ? 'held' : snapshot.state === 'dropped' ? 'released' : snapshot.state,
  };
  // The entry's details after those, then a hold's deadline and allocations: copied field by
  // field rather than spread (no rest object, no object per spread: this runs once per hold).
  for (const key in entry) {
    if (key !== 'seq' && key !== 'at' && key !== 'type') data[key] = entry[key as keyof HistoryEntry];
  }
  if (snapshot.state === 'held') {
    data.expiresAt = iso(record.expiresAt);
    data.allocations = allocationsOf(record.lines);
  }
  return { topic: orderTopic(record.coreId), seq: entry.seq, type: entry.type, at: Date.parse(entry.at), data };
}

/** Lines of the same SKU are one line: the sum of their quantities. Order of first appearance. */
export function mergeLineRequests(lines: readonly LineRequest[]): LineRequest[] {
  if (lines.length === 1) return [{ sku: lines[0].sku, qty: lines[0].qty }];
  const bySku = new Map<string, number>();
  for (const { sku, qty } of lines) bySku.set(sku, (bySku.get(sku) ?? 0) + qty);
  return [...bySku].map(([sku, qty]) => ({ sku, qty }));
}
