import { availableOf, type DeliveryPromise, type Position, type StockMove, type StoredRouting } from '../actors/domain.js';
import type { StockView } from './routing/mod.js';
import type { ReservationRequest } from './engine.js';

// Holds arriving in one event-loop turn are decided together (up to limits.holdTurnMax; the rest
// in the next turn), one after another in one synchronous step (nothing else can run in between):
//
// - Every hold plans against the turn's stock table: the SKU actors' positions as the turn found
//   them, less what earlier holds of the turn took. Its units are taken in the table at once; at
//   the end of the turn they are taken at each SKU actor in one command, and its positions written
//   once. Every hold was checked against the table, so the sum fits: the actors, still the single
//   writers of their positions, check it again.
// - One plan per cart shape. A flash sale sends thousands of identical carts (same lines, same
//   destination, same options); the first is planned, the others take the same units from the same
//   nodes while those still have them. Within the turn nothing the plan read changes except the
//   stock it takes, and less stock at the chosen nodes cannot make another plan better, so the
//   plan is still the one routing would choose. Plans whose nodes have a daily capacity are not
//   shared: each hold raises the node's capacity term. Pickups (the pickup point depends on the
//   stock) and carts with parts in other partitions are planned each time.

/** A plan that holds of the same cart shape in this turn reuse: the units, the promise, the explanation. */
export interface SharedPlan {
  moves: readonly StockMove[];
  promise: DeliveryPromise;
  routing: StoredRouting;
  /** Frozen once a second hold takes it: the ledger stores a shared object once, by identity (storage/shared-parts.ts), so it must never change. */
  frozen?: boolean;
}

/** Freezes a plan's promise and explanation, all the way down, the first time it is shared. */
export function freezeShared(plan: SharedPlan): void {
  if (plan.frozen) return;
  deepFreeze(plan.promise);
  deepFreeze(plan.routing);
  plan.frozen = true;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}

export class HoldTurn {
  /** By cart shape; bounded by the holds queued for the turn. */
  readonly plans = new Map<string, SharedPlan>();
  /** Units taken in this turn and not yet applied at the SKU actors: SKU → node → units. */
  readonly pending = new Map<string, Map<string, number>>();
  /** Holds per SKU among the pending units (their in-flight marks at the actor). */
  readonly pendingHolds = new Map<string, number>();
  /** Units available per SKU and node: the actors' positions less the turn's takes. */
  private readonly available = new Map<string, Map<string, number>>();
  /** The stock table as routing reads it. */
  readonly stock: StockView = { get: (sku) => this.availableOf(sku) };

  constructor(
    readonly nowMs: number,
    private readonly positionsOf: (sku: string) => Readonly<Record<string, Position>>,
  ) {}

  availableOf(sku: string): Map<string, number> {
    let table = this.available.get(sku);
    if (!table) {
      table = new Map();
      const positions = this.positionsOf(sku);
      for (const nodeId in positions) table.set(nodeId, availableOf(positions[nodeId]));
      this.available.set(sku, table);
    }
    return table;
  }

  /** Whether every move still fits in the table. */
  fits(moves: readonly StockMove[]): boolean {
    for (const { sku, nodeId, qty } of moves) if ((this.availableOf(sku).get(nodeId) ?? 0) < qty) return false;
    return true;
  }

  /** Takes the units in the table (they must fit); applied at the actors by drain(). */
  add(moves: readonly StockMove[]): void {
    for (let i = 0; i < moves.length; i++) {
      const { sku, nodeId, qty } = moves[i];
      const table = this.availableOf(sku);
      table.set(nodeId, (table.get(nodeId) ?? 0) - qty);
      let byNode = this.pending.get(sku);
      if (!byNode) this.pending.set(sku, (byNode = new Map()));
      byNode.set(nodeId, (byNode.get(nodeId) ?? 0) + qty);
      // One hold per SKU, however many of its nodes the plan splits it over.
      if (!skuBefore(moves, i, sku)) this.pendingHolds.set(sku, (this.pendingHolds.get(sku) ?? 0) + 1);
    }
  }

  /** Takes the pending units out of the turn (to apply them at the actors). */
  drain(): Array<{ sku: string; holds: number; allocations: Array<{ nodeId: string; qty: number }> }> {
    const out: Array<{ sku: string; holds: number; allocations: Array<{ nodeId: string; qty: number }> }> = [];
    for (const [sku, byNode] of this.pending) {
      out.push({ sku, holds: this.pendingHolds.get(sku) ?? 0, allocations: [...byNode].map(([nodeId, qty]) => ({ nodeId, qty })) });
    }
    this.pending.clear();
    this.pendingHolds.clear();
    this.available.clear();
    return out;
  }
}

function skuBefore(moves: readonly StockMove[], end: number, sku: string): boolean {
  for (let i = 0; i < end; i++) if (moves[i].sku === sku) return true;
  return false;
}

/**
 * What a hold's plan depends on, as one string; undefined when the hold is planned on its own
 * (pickups, carts with parts elsewhere). The customer, the TTL and the currency do not change a plan.
 */
export function cartShape(request: ReservationRequest): string | undefined {
  if (request.fulfillment?.type === 'pickup' || (request.parts && request.parts.length > 0)) return undefined;
  const { destination } = request;
  // The common cart names no option: a shorter key (a string is built per hold), marked apart
  // from the long form so the two never meet.
  let key = request.channel === undefined && request.strategy === undefined && request.allowSplit === undefined && request.maxShipments === undefined
    && request.deliveryBy === undefined && request.deliveryByPolicy === undefined && request.fulfillment === undefined
    ? `\u0001${destination.lat}\u0000${destination.lon}`
    : `${destination.lat}\u0000${destination.lon}\u0000${request.channel ?? ''}\u0000${request.strategy ?? ''}\u0000${request.allowSplit ?? ''}\u0000${request.maxShipments ?? ''}\u0000${request.deliveryBy ?? ''}\u0000${request.deliveryByPolicy ?? ''}\u0000${request.fulfillment?.type ?? ''}\u0000${request.fulfillment?.transfers ?? ''}`;
  for (const line of request.lines) key += `\u0000${line.sku}\u0000${line.qty}`;
  return key;
}
