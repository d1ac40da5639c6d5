import type { NodeRecord, OrderSnapshot, Position, SkuRecord } from '../actors/domain.js';

// The ledger is the engine's truth: stock positions, orders (holds included), idempotency
// records and the event log. The engine declares it; storage/ implements it on LMDB.
// Reads are synchronous (memory-mapped). Writes are staged and grouped: everything staged in one
// event-loop turn commits in one transaction, and `durable()` resolves when it is on disk.

export interface StoredEvent {
  topic: string;
  seq: number;
  type: string;
  at: number;
  data: unknown;
}

export interface IdempotencyRecord {
  fingerprint: string;
  status: number;
  body: unknown;
  at: number;
}

/** A durable timer: it survives a restart, and the engine's sweep fires it when due. */
export interface DurableTimer {
  dueAt: number;
  kind: 'accept';
  coreId: string;
  nodeId: string;
}

export interface PositionRow {
  sku: string;
  nodeId: string;
  position: Position;
}

export interface Ledger {
  positionsOf(sku: string): Record<string, Position>;
  allPositions(): Iterable<PositionRow>;
  getOrder(coreId: string): OrderSnapshot | undefined;
  /** Orders (and holds) not yet in a final state. */
  liveOrders(): Iterable<OrderSnapshot>;
  liveOrderCount(): number;
  getNode(nodeId: string): NodeRecord | undefined;
  listNodes(): NodeRecord[];
  getSku(sku: string): SkuRecord | undefined;
  /** SKUs that have stock positions. */
  listSkus(): Iterable<string>;
  /** SKU catalogue records (`PUT /v1/skus`). */
  skuRecords(): Iterable<SkuRecord>;
  getIdempotency(scope: string, key: string): IdempotencyRecord | undefined;
  /** Idempotency records written before `beforeMs`, oldest first. */
  oldIdempotency(beforeMs: number, limit: number): Array<{ scope: string; key: string }>;
  lastSeq(topic: string): number;
  readEvents(topic: string, afterSeq: number, limit: number): StoredEvent[];
  /** Holds whose deadline is at or before `nowMs`, earliest first. */
  dueExpiries(nowMs: number, limit: number): Array<{ coreId: string; expiresAt: number }>;
  getMeta<T>(key: string): T | undefined;
  /** Timers due at or before `nowMs`, earliest first. */
  dueTimers(nowMs: number, limit: number): DurableTimer[];

  putPosition(sku: string, nodeId: string, position: Position): void;
  /**
   * `isNew` spares a read when the caller knows the order was never written. Records may share
   * their `routing` and `promise` objects (holds of one plan): the ledger then stores one copy,
   * known by the object's identity, so such an object must never change once a record carries it.
   * A new live hold (`isNew`, state `held`) is written with its expiry entry at `expiresAt`, which
   * keeps it live until it leaves `held`: the caller need not `setExpiry` it (doing so writes nothing more).
   */
  putOrder(snapshot: OrderSnapshot, live: boolean, isNew?: boolean): void;
  setExpiry(coreId: string, expiresAt: number): void;
  clearExpiry(coreId: string, expiresAt: number): void;
  setTimer(timer: DurableTimer): void;
  clearTimer(timer: DurableTimer): void;
  putNode(record: NodeRecord): void;
  putSku(record: SkuRecord): void;
  putIdempotency(scope: string, key: string, record: IdempotencyRecord): void;
  removeIdempotency(scope: string, key: string): void;
  appendEvent(event: StoredEvent): void;
  /** Drops the topic's events with seq below `fromSeq`. */
  pruneEvents(topic: string, fromSeq: number): void;
  putMeta(key: string, value: unknown): void;

  /** Resolves when every write staged so far is committed and flushed to disk. */
  durable(): Promise<void>;
  /** Writes staged and not yet known to be on disk. */
  pendingWrites(): number;
  /** Hears of every batch once durable: how many writes it carried and how long it took to disk. */
  /** After each batch is durable: its writes, how long it took from the start of its flush, and how long its oldest write waited (staged → durable). */
  onBatch(listener: (writes: number, durableMs: number, waitedMs: number) => void): void;
  close(): Promise<void>;
}
