import type { Random } from './random.js';

// What the run knows it holds: every 2xx hold and order it created, with the lines the engine
// answered (sku, node, quantity, status), followed through confirm, release, cancel and the node
// events. At the end this is the audit's expectation: the units the run's live holds and orders
// keep reserved per SKU and node, the units shipped, and a sample of hold ids to read back.
//
// Records that can no longer hold anything (released, expired, cancelled or delivered) are folded
// into totals and dropped, so memory follows what is live, not how long the run is.

export interface Line {
  sku: string;
  nodeId: string | null;
  qty: number;
  status: string;
}

export type RecordState = 'held' | 'confirmed' | 'released' | 'expired';

export interface HoldRecord {
  reservationId: string;
  orderId: string | undefined;
  customerId: string;
  state: RecordState;
  lines: Line[];
  expiresAtMs: number;
  /** An operation on it is in flight: no other one may start. */
  busy: boolean;
  /** An operation on it got no answer: its state is read back by the audit. */
  uncertain: boolean;
  sampled: boolean;
}

/** Line statuses whose units count in the node's `reserved` (held or allocated, not shipped). */
const reservedStatuses = new Set(['held', 'allocated', 'released', 'accepted', 'picked', 'packed']);
/** Line statuses whose units have left `onHand`. */
const shippedStatuses = new Set(['shipped', 'delivered']);

export const isReservedStatus = (status: string): boolean => reservedStatuses.has(status);
export const isShippedStatus = (status: string): boolean => shippedStatuses.has(status);

export const unitKey = (sku: string, nodeId: string): string => `${sku}\t${nodeId}`;
export const splitUnitKey = (key: string): [string, string] => key.split('\t') as [string, string];

/** A create (hold or order) that got no answer: replayed by the audit with the same Idempotency-Key. */
export interface UnknownCreate {
  kind: 'hold' | 'order';
  path: string;
  body: { customerId: string; [field: string]: unknown };
  idempotencyKey: string;
}

export type Units = Array<[sku: string, nodeId: string, qty: number]>;

export interface SampledHold {
  reservationId: string;
  /** What the run expects GET /v1/reservations/{id} to say. */
  expected: RecordState;
  expiresAtMs: number;
  /** For held and confirmed: the units it should show, per SKU and node (cancelled lines left out). */
  allocations: Units;
  uncertain: boolean;
}

export interface LedgerSummary {
  /** Units reserved by the run's confirmed orders, per `sku\tnode`. */
  reserved: Record<string, number>;
  /** Holds still held (they may expire). */
  held: Array<{ reservationId: string; expiresAtMs: number; units: Units }>;
  /** Units shipped by the run's orders, per `sku\tnode` (they left onHand). */
  shipped: Record<string, number>;
  /** Records whose last operation got no answer. */
  uncertain: Array<{ reservationId: string }>;
  unknownCreates: UnknownCreate[];
  unknownCreatesOverflow: number;
  sample: SampledHold[];
  counts: Record<string, number>;
  /** Units held or ordered per `customer\tsku`, when the scenario tracks purchase limits. */
  customerUnits: Record<string, number>;
}

export interface RunLedgerOptions {
  sampleSize: number;
  random: Random;
  trackCustomers: boolean;
  /** Unknown creates kept for the audit's replay; past it they are only counted. */
  unknownCreatesMax?: number;
}

const add = (map: Map<string, number>, key: string, by: number): void => {
  const next = (map.get(key) ?? 0) + by;
  if (next === 0) map.delete(key);
  else map.set(key, next);
};

export class RunLedger {
  private readonly live = new Map<string, HoldRecord>();
  private readonly expiryQueue: HoldRecord[] = [];
  private expiryHead = 0;
  private readonly shipped = new Map<string, number>();
  private readonly customerUnits = new Map<string, number>();
  private readonly unknownCreates: UnknownCreate[] = [];
  private unknownCreatesOverflow = 0;
  private readonly sample: HoldRecord[] = [];
  private created = 0;
  readonly counts: Record<string, number> = {};

  constructor(private readonly options: RunLedgerOptions) {}

  private count(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by;
  }

  get liveCount(): number {
    return this.live.size;
  }

  /** A 201 to POST /v1/reservations. */
  held(body: any, customerId: string): HoldRecord {
    const lines: Line[] = (body.allocations as Array<{ sku: string; qty: number; nodeId: string | null }>).map((a) => ({ sku: a.sku, nodeId: a.nodeId, qty: a.qty, status: 'held' }));
    const record = this.create(body.reservationId, undefined, customerId, 'held', lines, Date.parse(body.expiresAt));
    this.expiryQueue.push(record);
    this.count('holds');
    return record;
  }

  /** A 201 to POST /v1/orders. */
  ordered(body: any, customerId: string): HoldRecord {
    const record = this.create(body.reservationId, body.orderId, customerId, 'confirmed', linesOf(body), Infinity);
    this.count('orders');
    return record;
  }

  private create(reservationId: string, orderId: string | undefined, customerId: string, state: RecordState, lines: Line[], expiresAtMs: number): HoldRecord {
    const record: HoldRecord = { reservationId, orderId, customerId, state, lines, expiresAtMs, busy: false, uncertain: false, sampled: false };
    this.live.set(reservationId, record);
    this.count('units', lines.reduce((sum, line) => sum + line.qty, 0));
    this.customers(record, +1);
    this.offerToSample(record);
    return record;
  }

  /** A 201 to POST /v1/reservations/{id}/confirm. */
  confirmed(record: HoldRecord, orderBody: any): void {
    record.state = 'confirmed';
    record.orderId = orderBody.orderId;
    record.expiresAtMs = Infinity;
    this.setLines(record, linesOf(orderBody));
    this.count('confirms');
  }

  /** A 200 to DELETE /v1/reservations/{id}. */
  released(record: HoldRecord): void {
    this.customers(record, -1);
    record.state = 'released';
    this.count('releases');
    this.fold(record);
  }

  /** A 200 to a cancel or a node event: the order's lines as the engine answered them. */
  orderChanged(record: HoldRecord, orderBody: any, operation: 'cancels' | 'events'): void {
    this.setLines(record, linesOf(orderBody));
    this.count(operation);
    if (record.lines.every((line) => !isReservedStatus(line.status) && line.status !== 'shipped')) this.fold(record);
  }

  /** The operation on `record` got no answer: the audit reads it back. */
  uncertain(record: HoldRecord): void {
    record.uncertain = true;
    record.busy = false;
    this.count('uncertain');
  }

  unknownCreate(create: UnknownCreate): void {
    if (this.unknownCreates.length < (this.options.unknownCreatesMax ?? 10_000)) this.unknownCreates.push(create);
    else this.unknownCreatesOverflow++;
  }

  /**
   * Holds whose deadline passed more than `graceMs` ago are taken as expired (the engine sweeps
   * every 250 ms). Holds are kept in creation order; with one TTL per run that is expiry order.
   */
  expire(nowMs: number, graceMs: number): void {
    while (this.expiryHead < this.expiryQueue.length) {
      const record = this.expiryQueue[this.expiryHead];
      if (record.state === 'held' && !record.uncertain) {
        // A hold being confirmed or released waits for its answer; one not yet due ends the scan.
        if (record.busy || record.expiresAtMs + graceMs > nowMs) break;
        this.customers(record, -1);
        record.state = 'expired';
        this.count('expired');
        this.fold(record);
      }
      this.expiryHead++;
    }
    if (this.expiryHead > 1024 && this.expiryHead * 2 > this.expiryQueue.length) {
      this.expiryQueue.splice(0, this.expiryHead);
      this.expiryHead = 0;
    }
  }

  private setLines(record: HoldRecord, lines: Line[]): void {
    this.customers(record, -1);
    record.lines = lines;
    this.customers(record, +1);
  }

  /** Customer limits count live holds and orders, cancelled lines excluded. */
  private customers(record: HoldRecord, sign: 1 | -1): void {
    if (!this.options.trackCustomers || record.state === 'released' || record.state === 'expired') return;
    for (const line of record.lines) {
      if (line.status !== 'cancelled') add(this.customerUnits, `${record.customerId}\t${line.sku}`, sign * line.qty);
    }
  }

  private fold(record: HoldRecord): void {
    for (const line of record.lines) {
      if (isShippedStatus(line.status) && line.nodeId) add(this.shipped, unitKey(line.sku, line.nodeId), line.qty);
    }
    this.live.delete(record.reservationId);
  }

  /** Reservoir sampling (algorithm R): every 2xx create equally likely to be read back. */
  private offerToSample(record: HoldRecord): void {
    this.created++;
    const size = this.options.sampleSize;
    if (this.sample.length < size) {
      record.sampled = true;
      this.sample.push(record);
      return;
    }
    const slot = this.options.random.int(this.created);
    if (slot < size) {
      this.sample[slot].sampled = false;
      record.sampled = true;
      this.sample[slot] = record;
    }
  }

  summary(): LedgerSummary {
    const reserved = new Map<string, number>();
    const shipped = new Map(this.shipped);
    const held: LedgerSummary['held'] = [];
    const uncertain: LedgerSummary['uncertain'] = [];
    for (const record of this.live.values()) {
      if (record.uncertain) {
        uncertain.push({ reservationId: record.reservationId });
        continue;
      }
      if (record.state === 'held') {
        held.push({ reservationId: record.reservationId, expiresAtMs: record.expiresAtMs, units: reservedUnits(record.lines) });
        continue;
      }
      for (const line of record.lines) {
        if (!line.nodeId) continue;
        if (isReservedStatus(line.status)) add(reserved, unitKey(line.sku, line.nodeId), line.qty);
        if (isShippedStatus(line.status)) add(shipped, unitKey(line.sku, line.nodeId), line.qty);
      }
    }
    return {
      reserved: Object.fromEntries(reserved),
      held,
      shipped: Object.fromEntries(shipped),
      uncertain,
      unknownCreates: [...this.unknownCreates],
      unknownCreatesOverflow: this.unknownCreatesOverflow,
      sample: this.sample.map((record) => ({
        reservationId: record.reservationId,
        expected: record.state,
        expiresAtMs: record.expiresAtMs,
        allocations: record.state === 'held' || record.state === 'confirmed' ? shownUnits(record.lines) : [],
        uncertain: record.uncertain,
      })),
      counts: { ...this.counts },
      customerUnits: Object.fromEntries(this.customerUnits),
    };
  }
}

export function linesOf(orderBody: any): Line[] {
  return (orderBody.lines as Array<{ sku: string; qty: number; nodeId: string | null; status: string }>).map((l) => ({ sku: l.sku, qty: l.qty, nodeId: l.nodeId, status: l.status }));
}

/** Units per SKU and node, summed, of the lines that pass `keep`. */
export function unitsOf(lines: readonly Line[], keep: (line: Line) => boolean): Units {
  const sums = new Map<string, number>();
  for (const line of lines) if (line.nodeId && keep(line)) add(sums, unitKey(line.sku, line.nodeId), line.qty);
  return [...sums].map(([key, qty]) => [...splitUnitKey(key), qty] as [string, string, number]).sort(compareUnits);
}

const reservedUnits = (lines: readonly Line[]): Units => unitsOf(lines, (line) => isReservedStatus(line.status));
/** What GET /v1/reservations/{id} shows of a held or confirmed record: every line but the cancelled. */
const shownUnits = (lines: readonly Line[]): Units => unitsOf(lines, (line) => line.status !== 'cancelled');

export const compareUnits = (a: [string, string, number], b: [string, string, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]);

/** Adds up worker summaries; the merged sample is cut back to `sampleSize` at random. */
export function mergeSummaries(summaries: readonly LedgerSummary[], sampleSize: number, random: Random): LedgerSummary {
  const sumInto = (target: Record<string, number>, source: Record<string, number>): void => {
    for (const [key, value] of Object.entries(source)) target[key] = (target[key] ?? 0) + value;
  };
  const merged: LedgerSummary = { reserved: {}, held: [], shipped: {}, uncertain: [], unknownCreates: [], unknownCreatesOverflow: 0, sample: [], counts: {}, customerUnits: {} };
  for (const s of summaries) {
    sumInto(merged.reserved, s.reserved);
    sumInto(merged.shipped, s.shipped);
    sumInto(merged.counts, s.counts);
    sumInto(merged.customerUnits, s.customerUnits);
    merged.held.push(...s.held);
    merged.uncertain.push(...s.uncertain);
    merged.unknownCreates.push(...s.unknownCreates);
    merged.unknownCreatesOverflow += s.unknownCreatesOverflow;
    merged.sample.push(...s.sample);
  }
  while (merged.sample.length > sampleSize) merged.sample.splice(random.int(merged.sample.length), 1);
  return merged;
}
