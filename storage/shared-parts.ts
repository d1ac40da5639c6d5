import type { Database } from 'lmdb';
import type { OrderRecord, OrderSnapshot } from '../actors/domain.js';
import { assert } from '../engine/assert.js';
import { setRecent } from '../engine/recent-map.js';

// Parts of order records that many records share by identity (===): holds of one cart shape in
// one event-loop turn share one plan, so their records carry the very same routing explanation
// (the largest part of a hold record) and delivery promise. Such a part is written once, to its own database under a
// number, and each record stores the number in its place; reads put the part back.
//
// A part only one record of a batch carries stays inline, as every record was written before this
// existed, so old data reads as it always did and a record that shares nothing costs no extra
// write. A part is known by its number once its transaction has committed (`written`), never
// before: a batch that failed leaves no record pointing at a part that is not on disk. Parts are
// never removed, as orders are never removed.

/** The fields of a record that may be stored as a shared part's number. */
export const sharedFields = ['routing', 'promise'] as const;
type SharedField = (typeof sharedFields)[number];

/** An order as the orders database holds it: a shared field may be a part's number. */
export type StoredOrder = Omit<OrderSnapshot, 'record'> & { record: Omit<OrderRecord, SharedField> & { [F in SharedField]?: OrderRecord[F] | number } };

/** What one batch writes: the parts it writes first, and the number of each part it refers to. */
export interface SharedPartsPlan {
  fresh: Array<[number, object]>;
  numbers: Map<object, number>;
}

export class SharedParts {
  /** Parts on disk, by identity: a record written later that carries one refers to it. */
  private readonly numbers = new WeakMap<object, number>();
  /** Parts written or read back, by number, newest last; past the bound the oldest goes. */
  private readonly cache = new Map<number, object>();
  private nextNumber: number;

  constructor(
    private readonly db: Database<object, number>,
    private readonly cachedMax: number,
  ) {
    let last = 0;
    for (const key of db.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextNumber = last + 1;
  }

  /** Numbers the parts that two or more of a batch's records carry, or that are already on disk. */
  plan(orders: Iterable<OrderSnapshot>): SharedPartsPlan {
    const carriers = new Map<object, number>();
    for (const { record } of orders) {
      for (const field of sharedFields) {
        const part = record[field];
        if (part !== undefined && !this.numbers.has(part)) carriers.set(part, (carriers.get(part) ?? 0) + 1);
      }
    }
    const fresh: Array<[number, object]> = [];
    const numbers = new Map<object, number>();
    for (const [part, count] of carriers) {
      if (count < 2) continue;
      const number = this.nextNumber++;
      numbers.set(part, number);
      fresh.push([number, part]);
    }
    return { fresh, numbers };
  }

  /** The value to write for `snapshot`: itself, or a copy whose shared parts are numbers. */
  stored(snapshot: OrderSnapshot, plan: SharedPartsPlan): OrderSnapshot | StoredOrder {
    const { record } = snapshot;
    const routing = this.numberOf(record.routing, plan);
    const promise = this.numberOf(record.promise, plan);
    if (routing === undefined && promise === undefined) return snapshot;
    // A copy keeps the fields in their order, so the record keeps its msgpackr structure.
    const stored: StoredOrder['record'] = { ...record };
    if (routing !== undefined) stored.routing = routing;
    if (promise !== undefined) stored.promise = promise;
    return { state: snapshot.state, record: stored };
  }

  private numberOf(part: object | undefined, plan: SharedPartsPlan): number | undefined {
    return part === undefined ? undefined : (this.numbers.get(part) ?? plan.numbers.get(part));
  }

  /** The batch that wrote `fresh` has committed: later records may refer to these parts. */
  written(fresh: ReadonlyArray<[number, object]>): void {
    for (const [number, part] of fresh) {
      this.numbers.set(part, number);
      setRecent(this.cache, number, part, this.cachedMax);
    }
  }

  /** Puts the parts back into a record just read (a fresh object, so it is completed in place). */
  resolve(stored: StoredOrder): OrderSnapshot {
    const record = stored.record;
    if (typeof record.routing === 'number') record.routing = this.part(record.routing) as OrderRecord['routing'];
    if (typeof record.promise === 'number') record.promise = this.part(record.promise) as OrderRecord['promise'];
    return stored as OrderSnapshot;
  }

  private part(number: number): object {
    const cached = this.cache.get(number);
    if (cached !== undefined) return cached;
    const part = this.db.get(number);
    // A record refers only to a part written in its own transaction or an earlier one.
    assert(part !== undefined, `shared part ${number} is missing: the ledger disagrees with itself`);
    this.numbers.set(part, number);
    setRecent(this.cache, number, part, this.cachedMax);
    return part;
  }
}
