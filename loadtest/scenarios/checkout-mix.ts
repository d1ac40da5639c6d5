import { operationNames, type OperationName } from '../options.js';
import type { Random } from '../random.js';
import type { HoldRecord } from '../run-ledger.js';
import type { Operation, Traffic } from '../runner.js';
import { isAnswer, type Result } from '../stats.js';
import { ZipfSampler } from '../zipf.js';
import { destinationOf } from './catalogue.js';
import type { Tokens, WorkerContext } from './types.js';

// The checkout traffic of `steady`, `soak` and `fanout`: each arrival is one request, chosen by
// the mix's weights among
//   hold     POST /v1/reservations (1–3 lines, SKUs by Zipf popularity)
//   confirm  POST /v1/reservations/{id}/confirm   (the oldest open hold of this worker)
//   release  DELETE /v1/reservations/{id}
//   order    POST /v1/orders (hold and confirm in one)
//   cancel   POST /v1/orders/{id}/cancel          (an order not yet shipped)
//   event    POST /v1/nodes/{node}/events: accepted (sometimes), shipped, then delivered
//   read     GET /v1/inventory/{sku}
// An operation that needs a hold or an order this worker does not have becomes a hold or an
// order. One operation at a time per record (`busy`), so the worker's view of each record is the
// engine's last answer about it. Holds left unconfirmed stay held until their TTL.

/** Records kept waiting for a next step, per worker; past the bound the oldest are left as they are. */
const pendingHoldsMax = 10_000;
const fulfilmentMax = 50_000;
/** A hold this close to its deadline is not confirmed any more (it would race its expiry). */
const confirmMarginMs = 3_000;

class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

function weightedChooser(mix: Record<OperationName, number>, random: Random): () => OperationName {
  const names = operationNames.filter((name) => mix[name] > 0);
  const total = names.reduce((sum, name) => sum + mix[name], 0);
  return () => {
    let u = random.next() * total;
    for (const name of names) {
      u -= mix[name];
      if (u < 0) return name;
    }
    return names[names.length - 1];
  };
}

/** The next node event for `record`: its first node with something left to do (none: it is done). */
export function nextNodeEvent(record: HoldRecord, acceptFirst: boolean): { nodeId: string; type: 'accepted' | 'shipped' | 'delivered' } | undefined {
  for (const line of record.lines) {
    if (!line.nodeId) continue;
    if (line.status === 'released' || line.status === 'allocated') return { nodeId: line.nodeId, type: acceptFirst ? 'accepted' : 'shipped' };
    if (line.status === 'accepted' || line.status === 'picked' || line.status === 'packed') return { nodeId: line.nodeId, type: 'shipped' };
  }
  const shipped = record.lines.find((line) => line.status === 'shipped' && line.nodeId);
  return shipped ? { nodeId: shipped.nodeId!, type: 'delivered' } : undefined;
}

const hasNextStep = (record: HoldRecord): boolean => nextNodeEvent(record, false) !== undefined;

const cancellable = (record: HoldRecord): boolean => record.lines.some((l) => ['released', 'allocated', 'accepted', 'picked', 'packed', 'backordered'].includes(l.status));

export function checkoutTraffic(context: WorkerContext): Traffic {
  const { options, catalogue, tokens, ledger, random } = context;
  const popularity = new ZipfSampler(catalogue.skus.length, options.zipf, random);
  const choose = weightedChooser(options.mix, random);
  const pendingHolds = new Fifo<HoldRecord>();
  const fulfilment = new Fifo<HoldRecord>();
  const partnerTokens = new Map(catalogue.nodes.map((n) => [n.nodeId, n.partnerToken]));
  const customers = Math.max(1, options.buyers);

  const cartOf = () => {
    const r = random.next();
    const skuCount = Math.min(catalogue.skus.length, r < 0.7 ? 1 : r < 0.9 ? 2 : 3);
    return {
      customerId: `lt-${catalogue.runId}-c${random.int(customers)}`,
      destination: destinationOf(random),
      lines: popularity.sampleDistinct(skuCount).map((rank) => ({ sku: catalogue.skus[rank], qty: random.chance(0.85) ? 1 : 2 })),
    };
  };

  /** Takes the oldest pending hold that is still held and not about to expire. */
  const takeHold = (nowMs: number): HoldRecord | undefined => {
    for (let record = pendingHolds.shift(); record; record = pendingHolds.shift()) {
      if (record.state === 'held' && !record.uncertain && record.expiresAtMs - nowMs > confirmMarginMs) return record;
    }
    return undefined;
  };
  const takeOrder = (want: (record: HoldRecord) => boolean): HoldRecord | undefined => {
    // Bounded: look at a few; the ones passed over go back to the end.
    for (let looked = 0; looked < 8 && fulfilment.size > 0; looked++) {
      const record = fulfilment.shift()!;
      if (record.state !== 'confirmed' || record.uncertain) continue;
      if (want(record)) return record;
      if (hasNextStep(record)) fulfilment.push(record);
    }
    return undefined;
  };
  const keepPending = (record: HoldRecord): void => {
    if (pendingHolds.size < pendingHoldsMax) pendingHolds.push(record);
  };
  const keepInFulfilment = (record: HoldRecord): void => {
    if (fulfilment.size < fulfilmentMax && hasNextStep(record)) fulfilment.push(record);
  };

  /** Settles an operation on an existing record: its answer, or its outcome unknown. */
  const onRecord = (record: HoldRecord, result: Result, ok: (body: any) => void, requeue: () => void): void => {
    record.busy = false;
    if (!isAnswer(result)) return ledger.uncertain(record);
    if (result.status >= 200 && result.status < 300) return ok(result.body);
    // 409: the record is not in the state this worker thinks (it expired, say): read it back later.
    if (result.status === 409) return ledger.uncertain(record);
    // Anything else (503 OVERLOADED, …) changed nothing: the record waits for another turn.
    requeue();
  };

  const create = (kind: 'hold' | 'order', index: number): Operation => {
    const body = { ...cartOf(), ...(kind === 'hold' ? { ttlSeconds: catalogue.holdTtlSeconds } : { externalId: `lt-${catalogue.runId}-${index}` }) };
    const path = kind === 'hold' ? '/v1/reservations' : '/v1/orders';
    const idempotencyKey = `lt-${catalogue.runId}-${index}`;
    return {
      name: kind,
      request: { method: 'POST', path, token: tokens.checkout, body, idempotencyKey },
      settle(result) {
        if (!isAnswer(result)) return ledger.unknownCreate({ kind, path, body, idempotencyKey });
        if (result.status !== 201) return;
        if (kind === 'hold') keepPending(ledger.held(result.body, body.customerId));
        else keepInFulfilment(ledger.ordered(result.body, body.customerId));
      },
    };
  };

  const operations: Record<OperationName, (index: number, nowMs: number) => Operation> = {
    hold: (index) => create('hold', index),
    order: (index) => create('order', index),
    confirm(index, nowMs) {
      const record = takeHold(nowMs);
      if (!record) return create('hold', index);
      record.busy = true;
      return {
        name: 'confirm',
        request: { method: 'POST', path: `/v1/reservations/${record.reservationId}/confirm`, token: tokens.checkout, body: {}, idempotencyKey: `lt-${catalogue.runId}-${index}` },
        settle: (result) => onRecord(record, result, (order) => {
          ledger.confirmed(record, order);
          keepInFulfilment(record);
        }, () => keepPending(record)),
      };
    },
    release(index, nowMs) {
      const record = takeHold(nowMs);
      if (!record) return create('hold', index);
      record.busy = true;
      return {
        name: 'release',
        request: { method: 'DELETE', path: `/v1/reservations/${record.reservationId}`, token: tokens.checkout },
        settle: (result) => onRecord(record, result, () => ledger.released(record), () => keepPending(record)),
      };
    },
    cancel(index) {
      const record = takeOrder(cancellable);
      if (!record) return create('order', index);
      record.busy = true;
      return {
        name: 'cancel',
        request: { method: 'POST', path: `/v1/orders/${record.orderId}/cancel`, token: tokens.checkout, body: {} },
        settle: (result) => onRecord(record, result, (order) => {
          ledger.orderChanged(record, order, 'cancels');
          keepInFulfilment(record);
        }, () => keepInFulfilment(record)),
      };
    },
    event(index) {
      const record = takeOrder(hasNextStep);
      // Some orders are accepted before they ship; the rest skip straight to shipped.
      const step = record && nextNodeEvent(record, random.chance(0.3));
      if (!record || !step) return create('order', index);
      record.busy = true;
      return {
        name: `event:${step.type}`,
        request: { method: 'POST', path: `/v1/nodes/${step.nodeId}/events`, token: partnerTokens.get(step.nodeId) ?? eventToken(tokens), body: { orderId: record.orderId, type: step.type } },
        settle: (result) => onRecord(record, result, (order) => {
          ledger.orderChanged(record, order, 'events');
          keepInFulfilment(record);
        }, () => keepInFulfilment(record)),
      };
    },
    read() {
      const sku = catalogue.skus[popularity.sample()];
      return { name: 'read', request: { method: 'GET', path: `/v1/inventory/${sku}`, token: tokens.checkout }, settle: () => {} };
    },
  };

  return { next: (index, nowMs) => operations[choose()](index, nowMs) };
}

function eventToken(tokens: Tokens): string {
  if (!tokens.ops) throw new Error('node events need the ops token (or partner tokens from nodes this run created)');
  return tokens.ops;
}

