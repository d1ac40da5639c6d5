import { open, type Database, type RootDatabase } from 'lmdb';
import type { NodeRecord, OrderSnapshot, Position, SkuRecord } from '../actors/domain.js';
import type { OutboxEntry, OutboxStore } from '../engine/cluster/outbox.js';
import type { DurableTimer, IdempotencyRecord, Ledger, PositionRow, StoredEvent } from '../engine/ledger.js';
import { limits } from '../engine/limits.js';
import { SharedParts, type StoredOrder } from './shared-parts.js';

// The ledger on LMDB (lmdb-js, values in msgpackr). One environment, one named database per kind.
//
// Group commit: writes are staged in memory (the last write of a key in a batch wins) and the
// whole batch is applied in one LMDB transaction at the end of the event-loop turn. `durable()`
// resolves when that transaction is committed and flushed: lmdb-js resolves a commit before the
// flush under its default `overlappingSync`, so it waits for `flushed` as well. One fsync serves
// every request of the batch, never one each; a batch is atomic, so one request's writes (its
// positions, its order, its indexes) are all on disk or none are.

const maxSeq = Number.MAX_SAFE_INTEGER;

export interface LmdbLedgerOptions {
  path: string;
  /** Tests of crash safety may turn the map size down; default 64 GiB of address space. */
  mapSize?: number;
}

/** How the ledger opens its LMDB environment (loadtest/ledger-ceiling.ts opens the same). */
export const ledgerEnvironment = { maxDbs: 16, mapSize: 64 * 1024 ** 3 } as const;

export class LmdbLedger implements Ledger, OutboxStore {
  private readonly root: RootDatabase;
  private readonly positions: Database<Position, [string, string]>;
  private readonly orders: Database<OrderSnapshot | StoredOrder, string>;
  /** Parts that many order records share (storage/shared-parts.ts), each written once. */
  private readonly sharedParts: SharedParts;
  private readonly sharedPartsDb: Database<object, number>;
  private readonly live: Database<number, string>;
  private readonly expiry: Database<number, [number, string]>;
  private readonly timers: Database<number, [number, string, string, string]>;
  private readonly nodes: Database<NodeRecord, string>;
  private readonly skus: Database<SkuRecord, string>;
  private readonly idempotency: Database<IdempotencyRecord, [string, string]>;
  private readonly idempotencyByTime: Database<number, [number, string, string]>;
  private readonly events: Database<Omit<StoredEvent, 'topic' | 'seq'>, [string, number]>;
  private readonly meta: Database<unknown, string>;
  /** A cluster engine's outbox (engine/cluster/outbox.ts): messages to publish once durable, by id. */
  private readonly outbox: Database<OutboxEntry, number>;
  private nextOutboxId: number;

  /** The batch being staged: applied in one transaction at the end of the turn. */
  private batch: Batch = newBatch();
  private flushScheduled = false;
  /** Batches issued to lmdb-js and not yet committed (at most limits.ledgerBatchesInFlight). */
  private committing = 0;
  private readonly batchListeners: Array<(writes: number, durableMs: number, waitedMs: number) => void> = [];
  private lastDurable: Promise<void> = Promise.resolve();
  private staged = 0;
  private flushedCount = 0;
  private liveCount: number;
  private failure: unknown;
  /**
   * Read-your-writes: an asynchronous put is invisible to reads until its transaction commits, so
   * records written and not yet committed are served from here. Bounded by what is in flight.
   */
  private readonly uncommittedOrders = new Map<string, OrderSnapshot>();
  private readonly uncommittedNodes = new Map<string, NodeRecord>();
  private readonly uncommittedSkus = new Map<string, SkuRecord>();
  /** How an order is live, as last written (committed or not); cleared at each commit. */
  private readonly liveNow = new Map<string, Liveness>();
  /**
   * The last committed order read, by id, and its state: a confirm reads the hold (to restore its
   * machine) and then writes it, and that write asks whether the committed record is a hold; the
   * answer is kept rather than read and decoded again. Forgotten at each commit.
   */
  private lastReadCoreId: string | undefined;
  private lastReadState: OrderSnapshot['state'] | undefined;

  constructor(options: LmdbLedgerOptions) {
    this.root = open({ path: options.path, ...ledgerEnvironment, mapSize: options.mapSize ?? ledgerEnvironment.mapSize });
    this.positions = this.root.openDB({ name: 'positions' });
    // Orders share their msgpackr record structures (kept under a symbol key, outside the id
    // range), so each value does not describe its own shape: ~15% faster holds, half the bytes.
    this.orders = this.root.openDB({ name: 'orders', sharedStructuresKey: Symbol.for('structures') });
    this.sharedPartsDb = this.root.openDB({ name: 'shared-parts' });
    this.sharedParts = new SharedParts(this.sharedPartsDb, limits.ledgerSharedPartsCachedMax);
    this.live = this.root.openDB({ name: 'live' });
    this.expiry = this.root.openDB({ name: 'expiry' });
    this.timers = this.root.openDB({ name: 'timers' });
    this.nodes = this.root.openDB({ name: 'nodes' });
    this.skus = this.root.openDB({ name: 'skus' });
    this.idempotency = this.root.openDB({ name: 'idempotency' });
    this.idempotencyByTime = this.root.openDB({ name: 'idempotency-by-time' });
    this.events = this.root.openDB({ name: 'events' });
    this.meta = this.root.openDB({ name: 'meta' });
    this.outbox = this.root.openDB({ name: 'outbox' });
    let lastOutboxId = 0;
    for (const key of this.outbox.getKeys({ reverse: true, limit: 1 })) lastOutboxId = key;
    this.nextOutboxId = lastOutboxId + 1;
    this.liveCount = this.live.getKeysCount();
    for (const _ of this.heldByExpiry()) this.liveCount++;
  }

  positionsOf(sku: string): Record<string, Position> {
    const result: Record<string, Position> = {};
    for (const { key, value } of this.positions.getRange({ start: [sku], end: [sku, '\uffff'] })) {
      result[key[1]] = value;
    }
    return result;
  }

  *allPositions(): Iterable<PositionRow> {
    for (const { key, value } of this.positions.getRange()) yield { sku: key[0], nodeId: key[1], position: value };
  }

  getOrder(coreId: string): OrderSnapshot | undefined {
    return this.uncommittedOrders.get(coreId) ?? this.committedOrder(coreId);
  }

  private committedOrder(coreId: string): OrderSnapshot | undefined {
    const stored = this.orders.get(coreId);
    const order = stored === undefined ? undefined : this.sharedParts.resolve(stored);
    this.lastReadCoreId = coreId;
    this.lastReadState = order?.state;
    return order;
  }

  /** The committed order's state, from the last record read when it was this one's (see lastReadCoreId). */
  private committedState(coreId: string): OrderSnapshot['state'] | undefined {
    return this.lastReadCoreId === coreId ? this.lastReadState : this.committedOrder(coreId)?.state;
  }

  /**
   * Every live record, with what is staged and not yet committed (read-your-writes, as getOrder):
   * those in the live index, committed holds live through their expiry entry alone, and what
   * is staged.
   */
  *liveOrders(): Iterable<OrderSnapshot> {
    for (const coreId of this.live.getKeys()) {
      if (this.liveNow.get(coreId) === Liveness.none) continue;
      const order = this.uncommittedOrders.get(coreId) ?? this.committedOrder(coreId);
      if (order) yield order;
    }
    for (const order of this.heldByExpiry()) {
      if (!this.liveNow.has(order.record.coreId)) yield order;
    }
    for (const [coreId, liveness] of this.liveNow) {
      if (liveness === Liveness.none || this.live.doesExist(coreId)) continue;
      const order = this.getOrder(coreId);
      if (order) yield order;
    }
  }

  /**
   * Committed holds with no live index entry: a hold is written with its expiry entry and no live
   * entry (one write fewer per hold) and is live for as long as it is held. Each is found by its
   * own deadline's entry only; holds written before this, with both entries, are in the live index.
   */
  private *heldByExpiry(): Iterable<OrderSnapshot> {
    for (const [expiresAt, coreId] of this.expiry.getKeys()) {
      if (this.live.doesExist(coreId)) continue;
      const order = this.committedOrder(coreId);
      if (order?.state === 'held' && order.record.expiresAt === expiresAt) yield order;
    }
  }

  /** How a committed order is live: by its live index entry, as a hold by its expiry entry, or not. */
  private committedLiveness(coreId: string, expiresAt: number): Liveness {
    if (this.live.doesExist(coreId)) return Liveness.indexed;
    if (!this.expiry.doesExist([expiresAt, coreId])) return Liveness.none;
    return this.committedState(coreId) === 'held' ? Liveness.held : Liveness.none;
  }

  liveOrderCount(): number {
    return this.liveCount;
  }

  getNode(nodeId: string): NodeRecord | undefined {
    return this.uncommittedNodes.get(nodeId) ?? this.nodes.get(nodeId);
  }

  listNodes(): NodeRecord[] {
    const byId = new Map<string, NodeRecord>();
    for (const { value } of this.nodes.getRange()) byId.set(value.nodeId, value);
    for (const [nodeId, record] of this.uncommittedNodes) byId.set(nodeId, record);
    return [...byId.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  }

  getSku(sku: string): SkuRecord | undefined {
    return this.uncommittedSkus.get(sku) ?? this.skus.get(sku);
  }

  *listSkus(): Iterable<string> {
    let previous: string | undefined;
    for (const key of this.positions.getKeys()) {
      if (key[0] !== previous) {
        previous = key[0];
        yield key[0];
      }
    }
  }

  *skuRecords(): Iterable<SkuRecord> {
    for (const { value } of this.skus.getRange()) yield this.uncommittedSkus.get(value.sku) ?? value;
  }

  getIdempotency(scope: string, key: string): IdempotencyRecord | undefined {
    return this.idempotency.get([scope, key]);
  }

  oldIdempotency(beforeMs: number, limit: number): Array<{ scope: string; key: string }> {
    const found: Array<{ scope: string; key: string }> = [];
    for (const key of this.idempotencyByTime.getKeys({ end: [beforeMs], limit })) found.push({ scope: key[1], key: key[2] });
    return found;
  }

  lastSeq(topic: string): number {
    for (const key of this.events.getKeys({ start: [topic, maxSeq], end: [topic, 0], reverse: true, limit: 1 })) return key[1];
    return 0;
  }

  readEvents(topic: string, afterSeq: number, limit: number): StoredEvent[] {
    const found: StoredEvent[] = [];
    for (const { key, value } of this.events.getRange({ start: [topic, afterSeq + 1], end: [topic, maxSeq], limit })) {
      found.push({ topic, seq: key[1], ...value });
    }
    return found;
  }

  dueExpiries(nowMs: number, limit: number): Array<{ coreId: string; expiresAt: number }> {
    const found: Array<{ coreId: string; expiresAt: number }> = [];
    for (const key of this.expiry.getKeys({ end: [nowMs, '\uffff'], limit })) found.push({ coreId: key[1], expiresAt: key[0] });
    return found;
  }

  dueTimers(nowMs: number, limit: number): DurableTimer[] {
    const found: DurableTimer[] = [];
    for (const key of this.timers.getKeys({ end: [nowMs, '\uffff'], limit })) {
      found.push({ dueAt: key[0], kind: key[1] as DurableTimer['kind'], coreId: key[2], nodeId: key[3] });
    }
    return found;
  }

  setTimer(timer: DurableTimer): void {
    this.put(this.timers, [timer.dueAt, timer.kind, timer.coreId, timer.nodeId], 1);
  }

  clearTimer(timer: DurableTimer): void {
    this.remove(this.timers, [timer.dueAt, timer.kind, timer.coreId, timer.nodeId]);
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  putPosition(sku: string, nodeId: string, position: Position): void {
    // A hot SKU's position changes many times a batch; only its last value is written.
    // Keyed per SKU, then node: staging a position allocates nothing once its SKU is in the batch.
    this.staged++;
    const batch = this.batch;
    let byNode = batch.positions.get(sku);
    if (byNode === undefined) batch.positions.set(sku, (byNode = new Map()));
    if (!byNode.has(nodeId)) batch.positionCount++;
    byNode.set(nodeId, position);
    this.scheduleFlush();
  }

  putOrder(snapshot: OrderSnapshot, live: boolean, isNew = false): void {
    const coreId = snapshot.record.coreId;
    // As positions: only an order's last write in a batch is written (it is what reads see).
    this.staged++;
    this.uncommittedOrders.set(coreId, snapshot);
    this.batch.orders.set(coreId, snapshot);
    this.scheduleFlush();
    const was = isNew ? Liveness.none : (this.liveNow.get(coreId) ?? this.committedLiveness(coreId, snapshot.record.expiresAt));
    // A new hold is live through its expiry entry, written here (the engine's setExpiry for it
    // then finds it written): no live index entry. Anything else live is in the index, a hold as
    // soon as it leaves `held`.
    const now = !live ? Liveness.none
      : was === Liveness.indexed ? Liveness.indexed
      : snapshot.state === 'held' && (isNew || was === Liveness.held) ? Liveness.held
      : Liveness.indexed;
    this.liveNow.set(coreId, now);
    if (now === Liveness.held && was !== Liveness.held) this.put(this.expiry, [snapshot.record.expiresAt, coreId], 1);
    if (now === Liveness.indexed && was !== Liveness.indexed) this.put(this.live, coreId, 1);
    else if (was === Liveness.indexed && now !== Liveness.indexed) this.remove(this.live, coreId);
    if (was === Liveness.none && now !== Liveness.none) this.liveCount++;
    else if (was !== Liveness.none && now === Liveness.none) this.liveCount--;
  }

  setExpiry(coreId: string, expiresAt: number): void {
    // A hold live by its expiry entry has that entry already (putOrder wrote it).
    if (this.liveNow.get(coreId) === Liveness.held && this.uncommittedOrders.get(coreId)?.record.expiresAt === expiresAt) return;
    this.put(this.expiry, [expiresAt, coreId], 1);
  }

  clearExpiry(coreId: string, expiresAt: number): void {
    this.remove(this.expiry, [expiresAt, coreId]);
    // A hold live through this entry alone stays live without it (the engine clears a hold's entry
    // after writing it out of `held`; the expiry sweep clears entries it finds nothing due for).
    const staged = this.liveNow.get(coreId);
    if ((staged ?? this.committedLiveness(coreId, expiresAt)) !== Liveness.held) return;
    this.put(this.live, coreId, 1);
    this.liveNow.set(coreId, Liveness.indexed);
    // With no write of its record in flight, nothing else forgets this once it is on disk.
    if (staged === undefined) this.batch.indexedOnly.push(coreId);
  }

  putNode(record: NodeRecord): void {
    this.putVisible(this.uncommittedNodes, this.nodes, record.nodeId, record);
  }

  putSku(record: SkuRecord): void {
    this.putVisible(this.uncommittedSkus, this.skus, record.sku, record);
  }

  putIdempotency(scope: string, key: string, record: IdempotencyRecord): void {
    this.put(this.idempotency, [scope, key], record);
    this.put(this.idempotencyByTime, [record.at, scope, key], 1);
  }

  removeIdempotency(scope: string, key: string): void {
    const record = this.idempotency.get([scope, key]);
    if (!record) return;
    this.remove(this.idempotency, [scope, key]);
    this.remove(this.idempotencyByTime, [record.at, scope, key]);
  }

  appendEvent(event: StoredEvent): void {
    this.put(this.events, [event.topic, event.seq], { type: event.type, at: event.at, data: event.data });
  }

  pruneEvents(topic: string, fromSeq: number): void {
    for (const key of this.events.getKeys({ start: [topic, 0], end: [topic, fromSeq] })) this.remove(this.events, key);
  }

  appendOutbox(entry: OutboxEntry): void {
    this.put(this.outbox, this.nextOutboxId++, entry);
  }

  readOutbox(afterId: number, limit: number): Array<{ id: number; entry: OutboxEntry }> {
    const found: Array<{ id: number; entry: OutboxEntry }> = [];
    for (const { key, value } of this.outbox.getRange({ start: afterId + 1, limit })) found.push({ id: key, entry: value });
    return found;
  }

  removeOutbox(throughId: number): void {
    for (const key of this.outbox.getKeys({ end: throughId + 1 })) this.remove(this.outbox, key);
  }

  putMeta(key: string, value: unknown): void {
    this.put(this.meta, key, value);
  }

  durable(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.batch.size() === 0) return this.lastDurable;
    return this.batch.durable.promise;
  }

  onBatch(listener: (writes: number, durableMs: number, waitedMs: number) => void): void {
    this.batchListeners.push(listener);
  }

  pendingWrites(): number {
    return this.staged - this.flushedCount;
  }

  async close(): Promise<void> {
    await this.durable();
    await this.root.close();
  }

  private put<K extends LmdbKey, V>(db: Database<V, K>, key: K, value: V): void {
    this.staged++;
    this.batch.ops.push(db, key, value);
    this.scheduleFlush();
  }

  private remove<K extends LmdbKey>(db: Database<unknown, K>, key: K): void {
    this.staged++;
    this.batch.ops.push(db, key, removal);
    this.scheduleFlush();
  }

  private putVisible<V>(overlay: Map<string, V>, db: Database<V, string>, key: string, value: V): void {
    overlay.set(key, value);
    this.put(db, key, value);
    const batch = this.batch;
    batch.afterCommit.push(() => {
      if (overlay.get(key) === value) overlay.delete(key);
    });
  }

  /** A batch's orders are on disk: reads of those not written again since go to the database. */
  private ordersCommitted(batch: Batch): void {
    this.lastReadCoreId = undefined;
    for (const [coreId, snapshot] of batch.orders) {
      if (this.uncommittedOrders.get(coreId) !== snapshot) continue;
      this.uncommittedOrders.delete(coreId);
      this.liveNow.delete(coreId);
    }
    for (const coreId of batch.indexedOnly) if (!this.uncommittedOrders.has(coreId)) this.liveNow.delete(coreId);
  }

  private scheduleFlush(): void {
    if (this.batch.stagedAt === 0) this.batch.stagedAt = performance.now();
    if (this.flushScheduled || !this.mayIssue()) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Whether the staged batch may be issued now: while fewer than ledgerBatchesInFlight are
   * committing. The main thread encodes the next batch while the writer thread commits the one
   * before, and each commit's sync to disk overlaps the next commit. A batch of any size goes:
   * making a small one wait for the commit before it (as this did below 200 writes) kept 64 HTTP
   * clients waiting for the rest of that commit and then their own: 24-47% fewer holds/s. (The
   * order of acknowledgements does not change: each batch waits for the one before it to be
   * durable, see flush.) Past the bound, batches grow until one commits, so they are as large as
   * the load.
   */
  private mayIssue(): boolean {
    return this.committing < limits.ledgerBatchesInFlight;
  }

  /** Applies the staged batch in one transaction; resolves its promise once it (and every batch before it) is flushed to disk. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.batch;
    if (batch.size() === 0 || !this.mayIssue()) return;
    this.committing++;
    this.batch = newBatch();
    const stagedNow = this.staged;
    const startedMs = performance.now();
    const writes = batch.size();
    // Asynchronous puts issued in one event-loop turn share one transaction (lmdb-js batches them
    // and runs them on its writer thread, so the main thread only encodes). The last one resolves
    // when the whole transaction has committed.
    // Every write of a failed transaction rejects; the last one carries the failure to durable().
    // lmdb-js answers every unconditional write of one transaction with the same promise, so the
    // handler that keeps a rejection from going unhandled is attached once per promise, not once
    // per write (thousands of reactions, each run at commit, for nothing).
    let committed: Promise<unknown> = Promise.resolve();
    const issued = (write: Promise<unknown>): void => {
      if (write === committed) return;
      committed.catch(ignore);
      committed = write;
    };
    for (const [sku, byNode] of batch.positions) {
      for (const [nodeId, position] of byNode) issued(this.positions.put([sku, nodeId], position));
    }
    const parts = this.sharedParts.plan(batch.orders.values());
    for (const [number, part] of parts.fresh) issued(this.sharedPartsDb.put(number, part));
    for (const [coreId, snapshot] of batch.orders) issued(this.orders.put(coreId, this.sharedParts.stored(snapshot, parts)));
    const ops = batch.ops;
    for (let i = 0; i < ops.length; i += 3) {
      const db = ops[i] as Database<unknown, LmdbKey>;
      const key = ops[i + 1] as LmdbKey;
      const value = ops[i + 2];
      issued(value === removal ? db.remove(key) : db.put(key, value));
    }
    // With lmdb-js's overlappingSync (its default here), a transaction's commit resolves before its
    // sync: the next batch's transaction starts as soon as this one has committed, while this
    // one is synced to disk. Each batch is acknowledged when its own sync is done, in order.
    const previous = this.lastDurable;
    // Counted out of `committing` once: at its commit, or on failure if it never committed (a
    // batch that committed and waits on a failed one before it must not be counted out twice).
    let counted = false;
    const countOut = (): void => {
      if (counted) return;
      counted = true;
      this.committing--;
    };
    const durable = committed.then(() => {
      this.sharedParts.written(parts.fresh);
      this.ordersCommitted(batch);
      for (const after of batch.afterCommit) after();
      countOut();
      if (this.batch.size() > 0) this.scheduleFlush();
      // lmdb-js's `flushed` is a thenable that waits for the sync of whatever transaction is
      // the latest when `then` is called. It is called at this batch's commit: usually this
      // batch's own sync; if the next batch (two may be in flight) has begun by then, that one's,
      // which is later than needed and never sooner, so the answer is still only once on disk.
      const synced = new Promise<void>((resolve, reject) => {
        this.root.flushed.then(() => resolve(), reject);
      });
      return previous.then(() => synced);
    });
    durable.then(
      () => {
        if (stagedNow > this.flushedCount) this.flushedCount = stagedNow;
        const now = performance.now();
        for (const listener of this.batchListeners) listener(writes, now - startedMs, now - batch.stagedAt);
        batch.durable.resolve();
      },
      (error: unknown) => {
        // A failed write means memory and disk disagree: durable() rejects from then on, and the
        // engine stops rather than acknowledge anything more.
        this.failure ??= error;
        countOut();
        batch.durable.reject(error);
      },
    );
    this.lastDurable = batch.durable.promise;
  }
}

type LmdbKey = string | number | Array<string | number>;

/** How an order is live: not at all, by its live index entry, or as a new hold by its expiry entry. */
const enum Liveness {
  none,
  indexed,
  held,
}

const ignore = (): void => {};

/** The value of a staged write that removes its key. */
const removal = Symbol('removal');

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Batch {
  /** Positions by SKU, then node, each with its last write of the batch. */
  positions: Map<string, Map<string, Position>>;
  positionCount: number;
  /** Orders by core id, each with its last write of the batch. */
  orders: Map<string, OrderSnapshot>;
  /** Holds whose liveness moved to the live index with no write of their record (clearExpiry). */
  indexedOnly: string[];
  /**
   * Every other write in the order staged, flat: database, key, value (`removal` to remove), three
   * slots a write instead of an object each, as a batch holds thousands and lives across collections.
   */
  ops: unknown[];
  afterCommit: Array<() => void>;
  durable: Deferred;
  /** When its first write was staged (performance.now()): what its oldest write waited is measured from here. */
  stagedAt: number;
  size(): number;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Nobody may be waiting when a batch fails (the engine learns of it at its next durable()).
  promise.catch(() => {});
  const batch: Batch = {
    positions: new Map(),
    positionCount: 0,
    orders: new Map(),
    indexedOnly: [],
    ops: [],
    afterCommit: [],
    durable: { promise, resolve, reject },
    stagedAt: 0,
    size: () => batch.positionCount + batch.orders.size + batch.ops.length / 3,
  };
  return batch;
}
