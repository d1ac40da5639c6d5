import { terminalOrderStates, type OrderSnapshot, type SkuRecord } from '../actors/domain.js';
import type { LineRequest } from '../actors/order/lines.js';
import { EngineError } from './errors.js';

// In-memory views derived from the live holds and orders, kept in step with every change of a
// record (`track(before, after)`) and rebuilt from the ledger at start. Bounded by what is live.

/** Per-customer purchase limits (`maxPerCustomer`), counted across live holds and orders. */
export class PurchaseLimits {
  private readonly limits = new Map<string, number>();
  /** Units of limited SKUs per `sku\0customerId` in live records, not cancelled. */
  private readonly purchased = new Map<string, number>();

  /** The limits at start, with nothing counted yet: start-up tracks each live record. */
  load(skus: Iterable<SkuRecord>): void {
    for (const sku of skus) if (sku.maxPerCustomer !== undefined) this.limits.set(sku.sku, sku.maxPerCustomer);
    this.purchased.clear();
  }

  /** Sets or clears a SKU's limit; recounts from `live` when the set of limited SKUs changed. */
  setLimit(sku: string, maxPerCustomer: number | undefined, live: () => Iterable<OrderSnapshot>): void {
    const had = this.limits.has(sku);
    if (maxPerCustomer !== undefined) this.limits.set(sku, maxPerCustomer);
    else this.limits.delete(sku);
    if (had !== (maxPerCustomer !== undefined)) this.recount(live());
  }

  /** The refusal for a cart that would take a customer past a limit, or undefined. */
  check(customerId: string, lines: readonly LineRequest[]): EngineError | undefined {
    for (const { sku, qty } of lines) {
      const max = this.limits.get(sku);
      if (max === undefined) continue;
      const already = this.purchased.get(`${sku}\u0000${customerId}`) ?? 0;
      if (already + qty > max) {
        return new EngineError('PURCHASE_LIMIT', `at most ${max} of ${sku} per customer`, { sku, maxPerCustomer: max, requested: qty, alreadyHeld: already });
      }
    }
    return undefined;
  }

  track(before: OrderSnapshot | undefined, after: OrderSnapshot): void {
    if (this.limits.size === 0) return;
    const was = this.units(before);
    const now = this.units(after);
    for (const key of new Set([...was.keys(), ...now.keys()])) {
      const total = (this.purchased.get(key) ?? 0) + (now.get(key) ?? 0) - (was.get(key) ?? 0);
      if (total > 0) this.purchased.set(key, total);
      else this.purchased.delete(key);
    }
  }

  private recount(live: Iterable<OrderSnapshot>): void {
    this.purchased.clear();
    if (this.limits.size === 0) return;
    for (const snapshot of live) this.track(undefined, snapshot);
  }

  private units(snapshot: OrderSnapshot | undefined): Map<string, number> {
    const units = new Map<string, number>();
    if (!snapshot || terminalOrderStates.has(snapshot.state)) return units;
    for (const line of snapshot.record.lines) {
      if (line.status === 'cancelled' || !this.limits.has(line.sku)) continue;
      const key = `${line.sku}\u0000${snapshot.record.customerId}`;
      units.set(key, (units.get(key) ?? 0) + line.qty);
    }
    return units;
  }
}

/** Which records wait for which SKU (backordered lines): filled oldest first when stock arrives. */
export class BackorderIndex {
  private readonly waiting = new Map<string, Set<string>>();

  /** Forgets every record: start-up then tracks each live one. */
  clear(): void {
    this.waiting.clear();
  }

  /** Core ids of the records with backordered lines of `sku`. */
  recordsWaitingFor(sku: string): string[] {
    return [...(this.waiting.get(sku) ?? [])];
  }

  track(before: OrderSnapshot | undefined, after: OrderSnapshot): void {
    const was = skusBackordered(before);
    const now = skusBackordered(after);
    const coreId = after.record.coreId;
    for (const sku of now) {
      if (was.has(sku)) continue;
      let set = this.waiting.get(sku);
      if (!set) this.waiting.set(sku, (set = new Set()));
      set.add(coreId);
    }
    for (const sku of was) {
      if (now.has(sku)) continue;
      const set = this.waiting.get(sku);
      set?.delete(coreId);
      if (set?.size === 0) this.waiting.delete(sku);
    }
  }
}

function skusBackordered(snapshot: OrderSnapshot | undefined): Set<string> {
  if (!snapshot || terminalOrderStates.has(snapshot.state)) return new Set();
  return new Set(snapshot.record.lines.filter((l) => l.status === 'backordered').map((l) => l.sku));
}
