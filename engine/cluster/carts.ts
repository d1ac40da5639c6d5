import type { CartPart, DeliveryPromise, OrderLine } from '../../actors/domain.js';
import { orderStatusOf, type LineRequest } from '../../actors/order/lines.js';
import type { OrderView, ReservationView } from '../views.js';

// A cart spanning partitions, the pure part: how its lines split into a home and parts, and how
// the views of the home and its parts read as one cart. No IO; the coordinator does the calls.
//
// The home is the lowest partition among the cart's SKUs: its hold carries the public id and the
// list of parts. Each other partition holds its own lines as a part, a normal hold there.

export interface CartSplit<L extends { sku: string }> {
  home: number;
  /** Every partition of the cart (home included), ascending, with its lines in the cart's order. */
  partitions: Array<{ partition: number; lines: L[] }>;
}

export function splitCart<L extends { sku: string }>(lines: readonly L[], partitionOf: (sku: string) => number): CartSplit<L> {
  const byPartition = new Map<number, L[]>();
  for (const line of lines) {
    const partition = partitionOf(line.sku);
    let list = byPartition.get(partition);
    if (!list) byPartition.set(partition, (list = []));
    list.push(line);
  }
  const partitions = [...byPartition.entries()].sort(([a], [b]) => a - b).map(([partition, list]) => ({ partition, lines: list }));
  return { home: partitions[0]?.partition ?? 0, partitions };
}

/**
 * The idempotency key of a part hold, derived from the client's: a repeat finds the same part.
 * After a part was given back (the cart was refused, or it expired before its home was made), the
 * next try derives from the part it replaces, so it holds anew rather than replay a dead hold;
 * every repeat derives the same chain, so concurrent repeats still meet on one hold.
 */
export function partKey(clientKey: string, partition: number, replaced: readonly string[]): string {
  return [`${clientKey}#p${partition}`, ...replaced].join('~');
}

/** One promise for the cart: every part's shipments; the whole cart is there when the last one is. */
export function mergePromises(promises: readonly DeliveryPromise[]): DeliveryPromise {
  const [first, ...rest] = promises;
  if (!first) throw new Error('mergePromises needs at least one promise');
  if (rest.length === 0) return first;
  const latest = (values: ReadonlyArray<string | undefined>): string | undefined =>
    values.reduce<string | undefined>((max, v) => (v !== undefined && (max === undefined || v > max) ? v : max), undefined);
  const costs = promises.map((p) => p.totalCost);
  const sameCurrency = promises.every((p) => p.currency === first.currency);
  const readyBy = latest(promises.map((p) => p.readyBy));
  return {
    deliveryBy: latest(promises.map((p) => p.deliveryBy))!,
    ...(readyBy !== undefined ? { readyBy } : {}),
    shipments: promises.flatMap((p) => p.shipments),
    ...(costs.every((c) => c !== undefined) && sameCurrency ? { totalCost: costs.reduce<number>((sum, c) => sum + c!, 0), currency: first.currency! } : {}),
  };
}

type Publicly<T> = Omit<T, 'parts'>;

/** The cart as one reservation: the home's status, deadline and id; every partition's allocations. */
export function mergeReservation(home: ReservationView, parts: readonly ReservationView[]): Publicly<ReservationView> {
  const { parts: _parts, ...view } = home;
  if (parts.length === 0) return view;
  return {
    ...view,
    allocations: [...home.allocations, ...parts.flatMap((p) => p.allocations)],
    promise: mergePromises([home.promise, ...parts.map((p) => p.promise)]),
  };
}

/**
 * The cart as one order: the home's id, history and routing; every partition's lines. Its status
 * follows from all the lines, as one order's does; a part held for review makes it `exception`.
 */
export function mergeOrder(home: OrderView, parts: readonly OrderView[]): Publicly<OrderView> {
  const { parts: _parts, ...view } = home;
  if (parts.length === 0) return view;
  const lines = [...home.lines, ...parts.flatMap((p) => p.lines)];
  const all = [home, ...parts];
  const status = all.some((v) => v.status === 'exception')
    ? 'exception'
    : all.every((v) => v.status === home.status)
      ? home.status
      : orderStatusOf(lines as OrderLine[]);
  return { ...view, status, lines, promise: mergePromises(all.map((v) => v.promise)) };
}

/** The parts a view lists (none for a single-partition cart). */
export const partsOf = (view: { parts?: CartPart[] }): CartPart[] => view.parts ?? [];

/** A partial cancel or node event's lines, per partition. */
export function linesByPartition(lines: readonly LineRequest[], partitionOf: (sku: string) => number): Map<number, LineRequest[]> {
  return new Map(splitCart(lines, partitionOf).partitions.map(({ partition, lines: list }) => [partition, list]));
}
