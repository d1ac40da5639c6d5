import { createActor } from 'xstate';
import type { Allocation, Destination, NodeRecord, NodeStatus, OrderLine, OrderRecord, OrderSnapshot, RoutingExplanation, StockMove } from '../actors/domain.js';
import { availableOf, lineHoldsStock, terminalOrderStates } from '../actors/domain.js';
import { fulfillmentNodeMachine, type FulfillmentNodeDecision, type NodeDefinition } from '../actors/fulfillment-node/fulfillment-node.machine.js';
import type { Assignment, LineRequest, NodeEventType } from '../actors/order/lines.js';
import { orderMachine, type OrderDecision, type OrderEvent, type RerouteReason } from '../actors/order/order.machine.js';
import { skuInventoryMachine, type SkuInventoryDecision, type SkuInventoryEvent } from '../actors/sku-inventory/sku-inventory.machine.js';
import { allocate, totalAvailable } from '../actors/sku-inventory/allocate.js';
import { assert } from './assert.js';
import { distanceKm } from './geo.js';
import { subjectToken, type Bus } from './bus/bus.js';
import { MemoryBus } from './bus/memory-bus.js';
import { SystemClock, type Clock, type TimerHandle } from './clock.js';
import { EngineError, invalidState, notFound, overloaded } from './errors.js';
import { EventLog } from './event-log.js';
import { coreIdOf, newCoreId, orderIdOf } from './ids.js';
import type { Ledger, StoredEvent } from './ledger.js';
import { limits } from './limits.js';
import { silentLogger, type Logger } from './logger.js';
import { BackorderIndex, PurchaseLimits } from './read-models.js';
import { auditLedger, repairPositions, type AuditReport } from './recovery.js';
import { orderValue, ReviewPolicy, type ReviewRules } from './review.js';
import { emptyDecision, heldBefore, isOrder, merge, mergeLineRequests, orderEvent, type Decision } from './decision.js';
import { orderSnapshotOf, restoreOrderActor } from './order-snapshot.js';
import { CandidateRanker, promiseFor, transitDays } from './routing/simple-router.js';
import { prepareNetwork, promiseOptions, validateRoutingNode, type RoutingNetwork, type RoutingNode } from './routing/mod.js';
import { ActorRuntime } from './runtime/actor-runtime.js';
import { inventoryView, nodeView, orderView, reservationView, type InventoryView, type NodeView, type OrderView, type ReservationView } from './views.js';

// The engine: turns requests into commands for the actors, persists what they decide through the
// ledger, answers only once that is durable, and publishes the events after. Everything a request
// decides happens in one synchronous step, so all its writes land in one ledger transaction.

/** The bounds an engine may be given tighter than engine/limits.ts (tests of what happens at them). */
export type EngineBounds = Pick<typeof limits, 'actorInflightMax' | 'ledgerPendingWritesMax' | 'skuActorsMax' | 'orderActorsMax' | 'actorIdleMs' | 'orderActorIdleMs'>;

export interface EngineOptions {
  ledger: Ledger;
  clock?: Clock;
  bus?: Bus;
  logger?: Logger;
  bounds?: Partial<EngineBounds>;
  /** How long a node has to accept released lines before they go elsewhere. Default 4 hours. */
  acceptWithinMs?: number;
  /** Rules that send an order to review (`exception`) instead of releasing it. Default: none. */
  review?: ReviewRules;
  /** The base currency and the rates that convert others into it (1 unit = rate base units). */
  currency?: { base: string; rates: Record<string, number> };
  /** Policy: a confirmation must carry `payment.status: "authorized"`. Default off. */
  requireAuthorizedPayment?: boolean;
  /** Put before every new core id (a cluster partition's `p3-`), so an id tells who owns it. Default none. */
  idPrefix?: string;
}

export interface ReservationRequest {
  customerId: string;
  channel?: string;
  destination: Destination;
  /** Unit prices are optional; with them the order has a value (for review rules). */
  lines: Array<LineRequest & { unitPrice?: number }>;
  /** ISO 4217 code of the unit prices; default: the base currency. */
  currency?: string;
  ttlSeconds?: number;
  allowSplit?: boolean;
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string };
}

export interface ConfirmRequest {
  payment?: Record<string, unknown>;
  externalId?: string;
}

export interface NodeEventRequest {
  orderId: string;
  type: NodeEventType | 'rejected' | 'delayed';
  /** With `delayed`: the new delivery date (ISO), or days later than promised. */
  deliveryBy?: string;
  delayDays?: number;
  reason?: string;
  lines?: LineRequest[];
  trackingId?: string;
}

/** Where a repeat of the same request must find the first answer. */
export interface IdempotencyKey {
  scope: string;
  key: string;
  fingerprint: string;
}

export interface Answer<T> {
  status: number;
  body: T;
  replayed: boolean;
}



export type { AuditReport };

export interface RecoveryReport {
  liveOrders: number;
  positionsRepaired: number;
  expiredAtStart: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

type SkuRuntime = ActorRuntime<typeof skuInventoryMachine, SkuInventoryDecision>;
type OrderRuntime = ActorRuntime<typeof orderMachine, OrderDecision>;
type NodeRuntime = ActorRuntime<typeof fulfillmentNodeMachine, FulfillmentNodeDecision>;

export class Engine {
  readonly ledger: Ledger;
  readonly clock: Clock;
  readonly bus: Bus;
  readonly events: EventLog;
  private readonly logger: Logger;
  private readonly skus: SkuRuntime;
  private readonly orders: OrderRuntime;
  private readonly nodes: NodeRuntime;
  /** Read model of the network for routing: every node, kept in step with its actor. */
  private readonly nodesById = new Map<string, NodeRecord>();
  /** Ranks online nodes for a destination; rebuilt when a node changes. */
  private ranker = new CandidateRanker([]);
  /** The routing module's network (quotes); dropped when a node changes, rebuilt on next use. */
  private network: RoutingNetwork | undefined;
  /** Nodes not online, for routing explanations; dropped when a node changes. */
  private excluded: RoutingExplanation['excluded'] | undefined;
  private readonly idempotencyInflight = new Map<string, { fingerprint: string; answer: Promise<Answer<unknown>> }>();
  private readonly dirtySkus = new Set<string>();
  private readonly purchaseLimits = new PurchaseLimits();
  private readonly backorders = new BackorderIndex();
  private dirtyFlushScheduled = false;
  /** The periodic timers, by name: each re-arms itself, so one handle per name is all there is. */
  private readonly timers = new Map<'sweep' | 'idempotency', TimerHandle>();
  private sweepChain: Promise<number> = Promise.resolve(0);
  private stopped = false;
  private fatalError: unknown;
  private fatalListeners: Array<(error: unknown) => void> = [];

  private readonly bounds: EngineBounds;
  private readonly acceptWithinMs: number;
  private readonly review: ReviewPolicy;
  private readonly requireAuthorizedPayment: boolean;
  private readonly currency: { base: string; rates: Record<string, number> };
  private readonly idPrefix: string;

  constructor(options: EngineOptions) {
    this.idPrefix = options.idPrefix ?? '';
    this.bounds = { ...limits, ...options.bounds };
    this.acceptWithinMs = options.acceptWithinMs ?? 4 * 3600 * 1000;
    this.review = new ReviewPolicy(options.review);
    this.requireAuthorizedPayment = options.requireAuthorizedPayment ?? false;
    this.currency = options.currency ?? { base: 'USD', rates: {} };
    const bounds = this.bounds;
    this.ledger = options.ledger;
    this.clock = options.clock ?? new SystemClock();
    this.logger = options.logger ?? silentLogger;
    this.bus = options.bus ?? new MemoryBus((error, subject) => this.logger.error({ err: error, subject }, 'bus handler failed'));
    this.events = new EventLog(this.ledger, this.bus);
    const ledger = this.ledger;
    this.skus = new ActorRuntime({
      name: 'sku',
      logic: skuInventoryMachine,
      restore: (sku) => createActor(skuInventoryMachine, { input: { sku, positions: ledger.positionsOf(sku) } }),
      maxActors: bounds.skuActorsMax,
      inflightMax: bounds.actorInflightMax,
      idleMs: bounds.actorIdleMs,
      isEmitted: (e): e is SkuInventoryDecision => isDecision(e),
    }, this.clock);
    this.orders = new ActorRuntime({
      name: 'order',
      logic: orderMachine,
      restore: (coreId) => {
        const snapshot = ledger.getOrder(coreId);
        return snapshot ? restoreOrderActor(snapshot) : undefined;
      },
      maxActors: bounds.orderActorsMax,
      inflightMax: bounds.actorInflightMax,
      idleMs: bounds.orderActorIdleMs,
      isEmitted: (e): e is OrderDecision => isDecision(e),
    }, this.clock);
    this.nodes = new ActorRuntime({
      name: 'node',
      logic: fulfillmentNodeMachine,
      restore: (nodeId) => {
        const record = ledger.getNode(nodeId);
        return record ? createActor(fulfillmentNodeMachine, { input: record }) : undefined;
      },
      maxActors: 10_000,
      inflightMax: bounds.actorInflightMax,
      idleMs: bounds.actorIdleMs,
      isEmitted: (e): e is FulfillmentNodeDecision => isDecision(e),
    }, this.clock);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Recovers from the ledger (repairs, expiries due while down), then starts the timers. */
  async start(): Promise<RecoveryReport> {
    for (const node of this.ledger.listNodes()) this.nodesById.set(node.nodeId, node);
    this.ranker = new CandidateRanker(this.nodesById.values());
    this.network = undefined;
    this.excluded = undefined;
    this.purchaseLimits.load(this.ledger.skuRecords(), this.ledger.liveOrders());
    this.backorders.load(this.ledger.liveOrders());
    const positionsRepaired = repairPositions(this.ledger, this.logger);
    const expiredAtStart = await this.sweepExpiries();
    for (const runtime of [this.skus, this.orders, this.nodes]) runtime.start();
    this.scheduleSweep();
    this.scheduleIdempotencyCleanup();
    await this.ledger.durable();
    const report = { liveOrders: this.ledger.liveOrderCount(), positionsRepaired, expiredAtStart };
    this.logger.info(report, 'recovered');
    return report;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    await this.ledger.durable().catch(() => {});
    for (const runtime of [this.skus, this.orders, this.nodes]) runtime.stop();
  }

  /** Called when the ledger fails a write: memory and disk may disagree, so nothing more is acknowledged. */
  onFatal(listener: (error: unknown) => void): void {
    this.fatalListeners.push(listener);
  }

  stats() {
    return {
      skuActors: this.skus.stats(),
      orderActors: this.orders.stats(),
      nodeActors: this.nodes.stats(),
      ledgerPendingWrites: this.ledger.pendingWrites(),
      liveOrders: this.ledger.liveOrderCount(),
    };
  }

  // ---- nodes and SKUs --------------------------------------------------------------------------

  async putNode(nodeId: string, definition: NodeDefinition): Promise<{ node: NodeView; created: boolean }> {
    this.checkLoad();
    const now = this.clock.now();
    const existing = this.nodesById.get(nodeId) ?? this.ledger.getNode(nodeId);
    let record: NodeRecord;
    let eventTypes: string[];
    const done: Array<() => void> = [];
    if (!existing) {
      record = { ...definition, nodeId, name: definition.name || nodeId, priority: definition.priority ?? 10, status: definition.status ?? 'online', createdAt: now, updatedAt: now };
      eventTypes = ['node.created'];
    } else {
      const decisions = this.nodes.send(nodeId, { type: 'define', at: now, definition });
      assert(decisions && decisions[0]?.type === 'decided', `node ${nodeId} refused a definition`);
      done.push(this.nodes.begin(nodeId));
      record = this.nodes.snapshot(nodeId)!.context;
      eventTypes = decisions[0].events.map((e) => e.type);
    }
    this.ledger.putNode(record);
    this.nodesById.set(nodeId, record);
    this.ranker = new CandidateRanker(this.nodesById.values());
    this.network = undefined;
    this.excluded = undefined;
    const events = eventTypes.map((type) => this.events.append(`node:${nodeId}`, type, now, nodeView(record)));
    await this.commit({ body: undefined, events, done });
    return { node: nodeView(record), created: !existing };
  }

  async setNodeStatus(nodeId: string, status: NodeStatus): Promise<NodeView> {
    this.checkLoad();
    const now = this.clock.now();
    const decisions = this.nodes.send(nodeId, { type: 'status.set', at: now, status });
    if (!decisions) throw notFound('node', nodeId);
    const done = [this.nodes.begin(nodeId)];
    const record = this.nodes.snapshot(nodeId)!.context;
    this.ledger.putNode(record);
    this.nodesById.set(nodeId, record);
    this.ranker = new CandidateRanker(this.nodesById.values());
    this.network = undefined;
    this.excluded = undefined;
    let decision: Decision<undefined> = { body: undefined, events: [this.events.append(`node:${nodeId}`, 'node.status', now, { nodeId, status, previous: decisions[0]?.events[0]?.previous })], done };
    if (status === 'offline') {
      // What the node has not shipped goes elsewhere (paused nodes keep their work, take no new).
      for (const snapshot of [...this.ledger.liveOrders()]) {
        if (!snapshot.record.lines.some((l) => l.nodeId === nodeId && lineHoldsStock(l))) continue;
        decision = merge(decision, this.reroute(snapshot.record.coreId, nodeId, 'offline'), undefined);
      }
    }
    await this.commit(decision);
    return nodeView(record);
  }

  listNodes(): NodeView[] {
    return [...this.nodesById.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)).map(nodeView);
  }

  getNode(nodeId: string): NodeView {
    const node = this.nodesById.get(nodeId);
    if (!node) throw notFound('node', nodeId);
    return nodeView(node);
  }

  async putSku(sku: string, definition: { name?: string; maxPerCustomer?: number }): Promise<{ sku: string; name?: string; maxPerCustomer?: number; created: boolean }> {
    this.checkLoad();
    const created = !this.ledger.getSku(sku);
    const record = { sku, ...definition, updatedAt: this.clock.now() };
    this.ledger.putSku(record);
    this.purchaseLimits.setLimit(sku, definition.maxPerCustomer, () => this.ledger.liveOrders());
    await this.commit(emptyDecision());
    return { sku, ...definition, created };
  }

  // ---- inventory -------------------------------------------------------------------------------

  async setStock(nodeId: string, sku: string, stock: { onHand: number; safetyStock?: number }): Promise<InventoryView> {
    return this.changeStock(nodeId, sku, { type: 'stock.set', nodeId, onHand: stock.onHand, ...(stock.safetyStock !== undefined ? { safetyStock: stock.safetyStock } : {}) }, 'count');
  }

  async adjustStock(nodeId: string, sku: string, adjustment: { delta: number; reason: string }): Promise<InventoryView> {
    return this.changeStock(nodeId, sku, { type: 'stock.adjust', nodeId, delta: adjustment.delta }, adjustment.reason);
  }

  async getInventory(sku: string): Promise<InventoryView> {
    const positions = this.skus.peek(sku)?.context.positions ?? this.ledger.positionsOf(sku);
    if (Object.keys(positions).length === 0 && !this.ledger.getSku(sku)) throw notFound('sku', sku);
    const view = inventoryView(sku, positions, this.nodesById);
    // Show nothing that is not yet durable: wait for whatever was staged when this was read.
    await this.ledger.durable();
    return view;
  }

  private async changeStock(nodeId: string, sku: string, command: SkuInventoryEvent & { type: 'stock.set' | 'stock.adjust' }, reason: string): Promise<InventoryView> {
    this.checkLoad();
    if (!this.nodesById.has(nodeId)) throw notFound('node', nodeId);
    let decision: Decision<undefined> = emptyDecision();
    let stocked = this.skus.send(sku, command)![0];
    let moved: string[] = [];
    if (stocked?.type === 'refused' && this.shrinkage(sku, command) > 0) {
      // Less stock than is reserved here: the newest allocations give their units back first, so
      // no instant shows more promised than exists; then they go elsewhere, in the same step.
      const taken = this.giveBackNewest(sku, command);
      decision = taken.decision;
      moved = taken.owners;
      stocked = this.skus.send(sku, command)![0];
      assert(stocked?.type === 'decided', `stock of ${sku}@${nodeId} still refused after giving back ${moved.length} allocations`);
    }
    if (!stocked || stocked.type === 'refused') {
      throw new EngineError('INVALID_STATE', stocked?.reason ?? 'stock change refused', stocked?.details ?? {});
    }
    decision.done.push(this.skus.begin(sku));
    this.persistPositions(sku, stocked.changedNodeIds);
    for (const coreId of moved) decision = merge(decision, this.placeWaiting(coreId, 'rerouting', [nodeId]), undefined);
    decision = merge(decision, this.fillBackorders(sku), undefined);
    const positions = this.skus.snapshot(sku)!.context.positions;
    decision.events.push(this.events.append(`sku:${sku}`, 'inventory.changed', this.clock.now(), { ...inventoryView(sku, positions, this.nodesById), nodeId, reason }));
    const view = inventoryView(sku, positions, this.nodesById);
    await this.commit(decision);
    return view;
  }

  /** How many reserved units the count leaves without stock (0: it fits, or it is refused for another reason). */
  private shrinkage(sku: string, command: SkuInventoryEvent & { type: 'stock.set' | 'stock.adjust' }): number {
    const p = this.skus.snapshot(sku)!.context.positions[command.nodeId];
    if (!p) return 0;
    const onHand = command.type === 'stock.set' ? command.onHand : p.onHand + command.delta;
    const safetyStock = command.type === 'stock.set' ? (command.safetyStock ?? p.safetyStock) : p.safetyStock;
    if (onHand < 0 || safetyStock < 0) return 0;
    return Math.max(0, p.reserved - Math.max(0, onHand - safetyStock));
  }

  /**
   * Gives back the newest allocations of `sku` at the command's node until the new count leaves
   * nothing reserved without stock. Returns the records that gave units back (now rerouting).
   */
  private giveBackNewest(sku: string, command: SkuInventoryEvent & { type: 'stock.set' | 'stock.adjust' }): { decision: Decision<undefined>; owners: string[] } {
    const { nodeId } = command;
    const atNode = (snapshot: OrderSnapshot) => snapshot.record.lines.filter((l) => l.sku === sku && l.nodeId === nodeId && lineHoldsStock(l)).reduce((sum, l) => sum + l.qty, 0);
    const holders = [...this.ledger.liveOrders()]
      .map((stored) => this.orderSnapshot(stored.record.coreId) ?? stored)
      .filter((snapshot) => atNode(snapshot) > 0)
      .sort((a, b) => b.record.createdAt - a.record.createdAt || (a.record.coreId < b.record.coreId ? 1 : -1));
    let decision: Decision<undefined> = emptyDecision();
    const owners: string[] = [];
    for (const holder of holders) {
      const deficit = this.shrinkage(sku, command);
      if (deficit === 0) break;
      const qty = Math.min(deficit, atNode(holder));
      decision = merge(decision, this.orderStep(holder.record.coreId, { type: 'reroute.release', at: this.clock.now(), nodeId, reason: 'shrinkage', lines: [{ sku, qty }] }), undefined);
      owners.push(holder.record.coreId);
    }
    return { decision, owners };
  }

  /**
   * Moves a record's unshipped lines at `nodeId` (all of them, or the requested quantities) to the
   * next best nodes with stock; what no node has waits as a backorder. One synchronous step.
   */
  private reroute(coreId: string, nodeId: string, reason: RerouteReason, lines?: LineRequest[]): Decision<OrderView> {
    const given = this.orderStep(coreId, { type: 'reroute.release', at: this.clock.now(), nodeId, reason, ...(lines ? { lines } : {}) });
    const placed = this.placeWaiting(coreId, 'rerouting', [nodeId]);
    return merge(given, placed, placed?.body ?? given.body);
  }

  /** Places a record's waiting lines (rerouting or backordered) at the best nodes that have the stock. */
  private placeWaiting(coreId: string, from: 'rerouting' | 'backordered', exclude: readonly string[]): Decision<OrderView> | undefined {
    const snapshot = this.orderSnapshot(coreId)!;
    const waiting = mergeLineRequests(snapshot.record.lines.filter((l) => l.status === from).map(({ sku, qty }) => ({ sku, qty })));
    if (waiting.length === 0) return undefined;
    const rejectedBy = snapshot.record.rejectedBy ?? [];
    const candidates = this.ranker.rank({ destination: snapshot.record.destination }).filter((id) => !exclude.includes(id) && !rejectedBy.includes(id));
    const done: Array<() => void> = [];
    const assignments: Assignment[] = [];
    for (const { sku, qty } of waiting) assignments.push(...this.takeStock(coreId, sku, qty, candidates, done));
    // Backorders with still nothing to place stay as they are: no step, no event.
    if (from === 'backordered' && assignments.length === 0) return undefined;
    const placed = this.orderStep(coreId, { type: 'reroute.assign', at: this.clock.now(), from, assignments, acceptWithinMs: this.acceptWithinMs });
    const repromised = this.repromise(coreId, from === 'backordered' ? 'backorder filled' : 'rerouted');
    const step = repromised ? merge(placed, repromised, repromised.body) : placed;
    return { ...step, done: [...step.done, ...done] };
  }

  /**
   * After lines moved, the promise follows them: shipments from nodes that still have lines keep
   * their dates, new nodes get one from now, nodes with nothing left drop out. Held orders only
   * change their record; orders record `order.promise_changed` when the date moves.
   */
  private repromise(coreId: string, reason: string): Decision<OrderView> | undefined {
    const snapshot = this.orderSnapshot(coreId)!;
    if (snapshot.state === 'held' || terminalOrderStates.has(snapshot.state)) return undefined;
    const { record } = snapshot;
    const nodes = new Set(record.lines.filter((l) => l.nodeId !== '' && l.status !== 'cancelled').map((l) => l.nodeId));
    const kept = record.promise.shipments.filter((s) => nodes.has(s.nodeId));
    const added = promiseFor([...nodes].filter((n) => !kept.some((s) => s.nodeId === n)), this.nodesById, record.destination, this.clock.now()).shipments;
    const shipments = [...kept, ...added];
    if (shipments.length === record.promise.shipments.length && added.length === 0) return undefined;
    const deliveryBy = shipments.reduce((latest, s) => (s.deliveryBy > latest ? s.deliveryBy : latest), shipments[0]?.deliveryBy ?? record.promise.deliveryBy);
    return this.orderStep(coreId, { type: 'promise.set', at: this.clock.now(), promise: { deliveryBy, shipments }, reason });
  }

  /** Takes up to `qty` of `sku` from the candidates, nearest first; stages the positions. */
  private takeStock(ownerId: string, sku: string, qty: number, candidates: readonly string[], done: Array<() => void>): Assignment[] {
    const take = Math.min(qty, totalAvailable(this.skus.snapshot(sku)!.context.positions, candidates));
    if (take <= 0) return [];
    const decision = this.skus.send(sku, { type: 'hold', ownerId, qty: take, candidates, allowSplit: true })![0];
    assert(decision?.type === 'decided' && decision.outcome === 'held', `taking ${take} ${sku} that was available failed`);
    done.push(this.skus.begin(sku));
    this.persistPositions(sku, decision.changedNodeIds);
    return decision.allocations.map((a) => ({ sku, qty: a.qty, nodeId: a.nodeId }));
  }

  /** Stock arrived: backordered lines of `sku` are placed, oldest record first, while it lasts. */
  private fillBackorders(sku: string): Decision<undefined> | undefined {
    const waiting = this.backorders.recordsWaitingFor(sku);
    if (waiting.length === 0) return undefined;
    const records = waiting.map((coreId) => this.orderSnapshot(coreId)).filter((s): s is OrderSnapshot => s !== undefined)
      .sort((a, b) => a.record.createdAt - b.record.createdAt || (a.record.coreId < b.record.coreId ? -1 : 1));
    let decision: Decision<undefined> | undefined;
    const everywhere = this.ranker.online();
    for (const record of records) {
      const positions = this.skus.snapshot(sku)!.context.positions;
      if (totalAvailable(positions, everywhere) === 0) break;
      const candidates = everywhere.filter((id) => !(record.record.rejectedBy ?? []).includes(id));
      if (totalAvailable(positions, candidates) === 0) continue;
      const placed = this.placeWaiting(record.record.coreId, 'backordered', []);
      if (placed) decision = merge(decision ?? emptyDecision(), placed, undefined);
    }
    return decision;
  }

  // ---- checkout --------------------------------------------------------------------------------

  createReservation(request: ReservationRequest, idempotency?: IdempotencyKey): Promise<Answer<ReservationView>> {
    return this.idempotent(idempotency, 201, () => this.hold(request));
  }

  confirmReservation(reservationId: string, request: ConfirmRequest, idempotency?: IdempotencyKey): Promise<Answer<OrderView>> {
    return this.idempotent(idempotency, 201, () => {
      this.checkPayment(request);
      return this.confirm(this.coreIdFor(reservationId, 'rsv_', 'reservation'), request);
    });
  }

  /** By policy, only an authorized payment confirms; checked before anything is held or changed. */
  private checkPayment(request: ConfirmRequest): void {
    if (!this.requireAuthorizedPayment || request.payment?.status === 'authorized') return;
    throw invalidState('the payment must be authorized to confirm', { field: 'payment.status', required: 'authorized', status: request.payment?.status ?? null });
  }

  /** A reservation and its confirmation in one step: both or neither. */
  createOrder(request: ReservationRequest & ConfirmRequest, idempotency?: IdempotencyKey): Promise<Answer<OrderView>> {
    return this.idempotent(idempotency, 201, () => {
      this.checkPayment(request);
      const held = this.hold(request);
      const coreId = coreIdOf(held.body.reservationId)!;
      const confirmed = this.confirm(coreId, request);
      return { ...confirmed, events: [...held.events, ...confirmed.events], done: [...held.done, ...confirmed.done] };
    });
  }

  async getReservation(reservationId: string): Promise<ReservationView> {
    const coreId = this.coreIdFor(reservationId, 'rsv_', 'reservation');
    const expiry = this.expireIfDue(coreId);
    if (expiry) await this.commit(expiry);
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot) throw notFound('reservation', reservationId);
    await this.ledger.durable();
    return reservationView(snapshot);
  }

  async releaseReservation(reservationId: string): Promise<ReservationView> {
    this.checkLoad();
    const coreId = this.coreIdFor(reservationId, 'rsv_', 'reservation');
    const expiry = this.expireIfDue(coreId);
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot) throw notFound('reservation', reservationId);
    if (snapshot.state !== 'held') {
      if (snapshot.state === 'expired' || snapshot.state === 'dropped') {
        if (expiry) await this.commit(expiry);
        await this.ledger.durable();
        return reservationView(snapshot);
      }
      throw invalidState(`reservation ${reservationId} is confirmed; cancel the order instead`, { status: 'confirmed', orderId: orderIdOf(coreId) });
    }
    const decision = this.orderStep(coreId, { type: 'hold.release', at: this.clock.now() });
    await this.commit(decision);
    return reservationView(this.orderSnapshot(coreId)!);
  }

  async getOrder(orderId: string): Promise<OrderView> {
    const coreId = this.coreIdFor(orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', orderId);
    await this.ledger.durable();
    return orderView(snapshot);
  }

  async cancelOrder(orderId: string, lines?: LineRequest[]): Promise<OrderView> {
    this.checkLoad();
    const coreId = this.coreIdFor(orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', orderId);
    const decision = this.orderStep(coreId, { type: 'cancel', at: this.clock.now(), ...(lines ? { lines } : {}) });
    await this.commit(decision);
    return decision.body;
  }

  /** A person approves an order held for review: it is released to its nodes now. */
  async approveOrder(orderId: string): Promise<OrderView> {
    this.checkLoad();
    const coreId = this.coreIdFor(orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', orderId);
    let decision = this.orderStep(coreId, { type: 'review.approve', at: this.clock.now() });
    if (this.orderSnapshot(coreId)!.record.lines.some((l) => l.status === 'allocated')) {
      const dispatched = this.orderStep(coreId, { type: 'dispatch', at: this.clock.now(), acceptWithinMs: this.acceptWithinMs });
      decision = merge(decision, dispatched, dispatched.body);
    }
    await this.commit(decision);
    return decision.body;
  }

  /** A person rejects an order held for review: it is cancelled and its stock returns. */
  async rejectOrder(orderId: string): Promise<OrderView> {
    this.checkLoad();
    const coreId = this.coreIdFor(orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', orderId);
    const decision = this.orderStep(coreId, { type: 'review.reject', at: this.clock.now() });
    await this.commit(decision);
    return decision.body;
  }

  async nodeEvent(nodeId: string, request: NodeEventRequest): Promise<OrderView> {
    this.checkLoad();
    if (!this.nodesById.has(nodeId)) throw notFound('node', nodeId);
    const coreId = this.coreIdFor(request.orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', request.orderId);
    if (!snapshot.record.lines.some((line) => line.nodeId === nodeId)) {
      throw invalidState(`order ${request.orderId} has no lines at node ${nodeId}`, { nodeId });
    }
    if (request.type === 'delayed') {
      // A carrier delay: the shipment's promise moves, and the order's stream hears of it.
      const shipment = snapshot.record.promise.shipments.find((s) => s.nodeId === nodeId);
      const current = Date.parse(shipment?.deliveryBy ?? snapshot.record.promise.deliveryBy);
      const given = request.deliveryBy !== undefined ? Date.parse(request.deliveryBy) : undefined;
      if (given !== undefined && Number.isNaN(given)) throw new EngineError('VALIDATION_FAILED', 'deliveryBy is not a date', { field: 'deliveryBy' });
      const deliveryBy = new Date(given ?? current + (request.delayDays ?? 1) * 86_400_000).toISOString();
      const decision = this.orderStep(coreId, { type: 'promise.delay', at: this.clock.now(), nodeId, deliveryBy, ...(request.reason ? { reason: request.reason } : {}) });
      await this.commit(decision);
      return decision.body;
    }
    if (request.type === 'rejected') {
      // The node gives the lines back: they go to the next best node with stock, or wait as backorders.
      const decision = this.reroute(coreId, nodeId, 'rejected', request.lines);
      await this.commit(decision);
      return decision.body;
    }
    const decision = this.orderStep(coreId, {
      type: 'node.event',
      at: this.clock.now(),
      nodeId,
      event: request.type,
      ...(request.lines ? { lines: request.lines } : {}),
      ...(request.trackingId ? { trackingId: request.trackingId } : {}),
    });
    await this.commit(decision);
    return decision.body;
  }

  /**
   * Delivery options for a cart, from the stock as it stands: the fastest, the cheapest and the
   * fewest-shipments plans of the routing module (identical plans listed once). Holds nothing.
   */
  quote(request: Omit<ReservationRequest, 'customerId'>) {
    const stock = {
      get: (sku: string): ReadonlyMap<string, number> => {
        const positions = this.skus.peek(sku)?.context.positions ?? this.ledger.positionsOf(sku);
        return new Map(Object.entries(positions).map(([nodeId, p]) => [nodeId, availableOf(p)]));
      },
    };
    const result = promiseOptions(
      { destination: request.destination, lines: mergeLineRequests(request.lines), allowSplit: request.allowSplit ?? true, ...(request.fulfillment?.type === 'pickup' && request.fulfillment.nodeId ? { fulfillment: { type: 'pickup' as const, nodeId: request.fulfillment.nodeId } } : {}) },
      this.routingNetwork(),
      stock,
      { nowMs: this.clock.now() },
    );
    if (!result.ok) {
      const code = result.failure.code === 'VALIDATION_FAILED' ? 'VALIDATION_FAILED' : 'INSUFFICIENT_STOCK';
      throw new EngineError(code, result.failure.reason, { ...result.failure.details, reason: result.failure.code });
    }
    return {
      options: result.options.map(({ strategies, plan }) => ({
        type: strategies[0],
        strategies,
        deliveryBy: plan.promisedAt,
        totalCost: plan.totalCost,
        currency: plan.currency,
        shipments: plan.shipments.map(({ nodeId, carrierId, serviceLevel, distanceKm, cost, shipDate, promisedAt, lines }) => ({ nodeId, carrierId, serviceLevel, distanceKm, cost, shipDate, deliveryBy: promisedAt, lines })),
        allocations: plan.allocations.map(({ sku, nodeId, qty }) => ({ sku, nodeId, qty })),
      })),
    };
  }

  /** The routing module's view of the network, rebuilt when a node changes. */
  private routingNetwork(): RoutingNetwork {
    if (this.network) return this.network;
    const nodes: RoutingNode[] = [];
    for (const node of this.nodesById.values()) {
      const routingNode: RoutingNode = {
        nodeId: node.nodeId, type: node.type, location: node.location, status: node.status, priority: node.priority,
        ...(node.capacityPerDay !== undefined ? { capacityPerDay: node.capacityPerDay } : {}),
        ...(node.cutoff ? { cutoff: node.cutoff } : {}),
        ...(node.carriers && node.carriers.length > 0 ? { carriers: node.carriers as RoutingNode['carriers'] } : {}),
      };
      // A node whose carriers (or cutoff) the routing module cannot use still routes, on the defaults.
      if (validateRoutingNode(routingNode).length === 0) nodes.push(routingNode);
      else {
        const { carriers: _carriers, cutoff: _cutoff, ...plain } = routingNode;
        if (validateRoutingNode(plain).length === 0) nodes.push(plain);
      }
    }
    this.network = prepareNetwork(nodes, { currency: this.currency.base });
    return this.network;
  }

  /** An order topic's events after `afterSeq`, read back from the order's history. */
  orderEventsAfter(orderId: string, afterSeq: number): StoredEvent[] | undefined {
    const coreId = coreIdOf(orderId);
    const snapshot = coreId ? this.orderSnapshot(coreId) : undefined;
    if (!snapshot) return undefined;
    return snapshot.record.history.filter((entry) => entry.seq > afterSeq).map((entry) => orderEvent(snapshot, entry));
  }

  // ---- audit -----------------------------------------------------------------------------------

  /**
   * Checks the invariants against the ledger as it stands on disk: every position holds
   * `reserved <= onHand - safetyStock`, and reserved equals what live holds and orders hold.
   */
  async audit(): Promise<AuditReport> {
    await this.ledger.durable();
    return auditLedger(this.ledger);
  }

  // ---- internals: decisions --------------------------------------------------------------------

  private hold(request: ReservationRequest): Decision<ReservationView> {
    this.checkLoad();
    const now = this.clock.now();
    const lines = mergeLineRequests(request.lines);
    const overLimit = this.purchaseLimits.check(request.customerId, lines);
    if (overLimit) throw overLimit;
    if (request.currency !== undefined && request.currency !== this.currency.base && this.currency.rates[request.currency] === undefined) {
      throw new EngineError('VALIDATION_FAILED', `no exchange rate for ${request.currency}`, { field: 'currency' });
    }
    const allowSplit = request.allowSplit ?? true;
    let candidates = this.ranker.rank(request);
    if (!allowSplit) candidates = this.singleNodeFor(lines, candidates);
    const coreId = this.idPrefix + newCoreId(now);
    const held: StockMove[] = [];
    const explained: RoutingExplanation['lines'] = [];
    for (const { sku, qty } of lines) {
      const decision = this.skus.send(sku, { type: 'hold', ownerId: coreId, qty, candidates, allowSplit })![0];
      if (!decision || decision.type === 'refused' || decision.outcome !== 'held') {
        // All lines or none: give back what this request took. Nothing was written yet.
        this.giveBack(coreId, held);
        const details = decision?.type === 'refused' ? decision.details : { sku, requested: qty };
        throw new EngineError('INSUFFICIENT_STOCK', `not enough ${sku} to hold ${qty}`, details);
      }
      for (const a of decision.allocations) held.push({ sku, nodeId: a.nodeId, qty: a.qty });
      explained.push(this.explainLine(sku, qty, decision.allocations, request.destination));
    }
    const done: Array<() => void> = [];
    for (const sku of new Set(held.map((m) => m.sku))) {
      done.push(this.skus.begin(sku));
      this.persistPositions(sku, [...new Set(held.filter((m) => m.sku === sku).map((m) => m.nodeId))]);
    }
    const ttlSeconds = request.ttlSeconds ?? limits.ttlSecondsDefault;
    const amount = orderValue(request.lines, request.currency, this.currency.rates, this.currency.base);
    const record: OrderRecord = {
      coreId,
      customerId: request.customerId,
      channel: request.channel ?? 'web',
      destination: request.destination,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      lines: held.map((m): OrderLine => ({ ...m, status: 'held' })),
      promise: promiseFor(held.map((m) => m.nodeId), this.nodesById, request.destination, now),
      history: [{ seq: 1, at: iso(now), type: 'reservation.held' }],
      routing: { strategy: allowSplit ? 'nearest' : 'nearest_single_node', lines: explained, excluded: this.excludedNodes() },
      ...(request.fulfillment ? { fulfillment: request.fulfillment } : {}),
      ...(amount !== undefined ? { value: { amount, currency: this.currency.base } } : {}),
    };
    // A hold is born as a record in state `held`, the order machine's initial state; its actor is
    // spawned on its first event (confirm, release, expiry), which keeps the hot path lean.
    const snapshot: OrderSnapshot = { state: 'held', record };
    this.ledger.putOrder(snapshot, true, true);
    this.purchaseLimits.track(undefined, snapshot);
    this.ledger.setExpiry(coreId, record.expiresAt);
    const body = reservationView(snapshot);
    return { body, events: [orderEvent(snapshot, record.history[0])], done };
  }

  private confirm(coreId: string, request: ConfirmRequest): Decision<OrderView> {
    this.checkLoad();
    const expiry = this.expireIfDue(coreId);
    if (expiry) {
      // The deadline passed before the sweep got to it: it expires now, and that is kept.
      void this.commit(expiry);
      throw invalidState('the hold has expired', { status: 'expired' });
    }
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot) throw notFound('reservation', `rsv_${coreId}`);
    if (snapshot.state !== 'held') {
      const status = snapshot.state === 'expired' ? 'expired' : snapshot.state === 'dropped' ? 'released' : 'confirmed';
      throw invalidState(`reservation is ${status}`, { status });
    }
    const now = this.clock.now();
    const reasons = this.review.assess({ customerId: snapshot.record.customerId, destination: snapshot.record.destination, ...(snapshot.record.value ? { value: snapshot.record.value.amount } : {}) }, now);
    const confirmed = this.orderStep(coreId, {
      type: 'confirm',
      at: now,
      ...(reasons.length > 0 ? { review: { reasons } } : {}),
      ...(request.payment ? { payment: request.payment } : {}),
      ...(request.externalId ? { externalId: request.externalId } : {}),
    });
    // Released to its nodes at once: each node gets its fulfillment instruction. (A cart whose
    // every line is backordered has nothing to release yet.)
    const after = this.orderSnapshot(coreId)!;
    if (after.state === 'exception' || !after.record.lines.some((l) => l.status === 'allocated')) return confirmed;
    const dispatched = this.orderStep(coreId, { type: 'dispatch', at: now, acceptWithinMs: this.acceptWithinMs });
    return {
      body: dispatched.body,
      events: [...confirmed.events, ...dispatched.events],
      done: [...confirmed.done, ...dispatched.done],
      instructions: dispatched.instructions ?? [],
    };
  }

  /**
   * Sends `event` to the order actor and stages everything it decided: the record, the stock it
   * releases or ships at the SKU actors, the events. Throws on refusal, having changed nothing.
   */
  private orderStep(coreId: string, event: OrderEvent): Decision<OrderView> {
    const before = this.orderSnapshot(coreId);
    const decisions = this.orders.send(coreId, event);
    if (!decisions) throw notFound('order', orderIdOf(coreId));
    const decision = decisions[0];
    if (!decision || decision.type === 'refused') {
      const state = this.orderSnapshot(coreId)?.state;
      throw invalidState(decision?.reason ?? `${event.type} is not possible in state ${state}`, { ...(decision?.details ?? {}), state });
    }
    const snapshot = this.orderSnapshot(coreId)!;
    this.purchaseLimits.track(before, snapshot);
    this.backorders.track(before, snapshot);
    this.trackAcceptDeadlines(before, snapshot);
    const done = [this.orders.begin(coreId)];
    const touched = new Map<string, Set<string>>();
    const note = (move: StockMove) => {
      let set = touched.get(move.sku);
      if (!set) touched.set(move.sku, (set = new Set()));
      set.add(move.nodeId);
    };
    for (const move of decision.release) {
      const out = this.skus.send(move.sku, { type: 'release', ownerId: coreId, allocations: [{ nodeId: move.nodeId, qty: move.qty }] })![0];
      assert(out?.type === 'decided', `release of ${move.qty} ${move.sku}@${move.nodeId} for ${coreId} refused: the ledger disagrees with itself`);
      note(move);
    }
    for (const move of decision.ship) {
      const out = this.skus.send(move.sku, { type: 'ship', ownerId: coreId, nodeId: move.nodeId, qty: move.qty })![0];
      assert(out?.type === 'decided', `ship of ${move.qty} ${move.sku}@${move.nodeId} for ${coreId} refused: the ledger disagrees with itself`);
      note(move);
    }
    for (const [sku, nodeIds] of touched) {
      done.push(this.skus.begin(sku));
      this.persistPositions(sku, [...nodeIds]);
    }
    const live = !terminalOrderStates.has(snapshot.state);
    this.ledger.putOrder(snapshot, live);
    if (before?.state === 'held' && snapshot.state !== 'held') this.ledger.clearExpiry(coreId, snapshot.record.expiresAt);
    const body = orderView(snapshot);
    const events = decision.history.map((entry) => orderEvent(snapshot, entry));
    const instructions: Array<{ nodeId: string; message: unknown }> = [];
    // What the nodes' systems must hear: new work (released) and work taken back (cancelled).
    if (!heldBefore(before)) {
      const toNodes: Array<['order.released' | 'order.cancelled', StockMove[]]> = [];
      if (event.type === 'dispatch') toNodes.push(['order.released', snapshot.record.lines.filter((l) => l.status === 'released')]);
      if (event.type === 'reroute.assign') toNodes.push(['order.released', event.assignments.map((a) => ({ ...a }))]);
      if (event.type === 'cancel' || (event.type === 'reroute.release' && event.reason !== 'rejected')) toNodes.push(['order.cancelled', decision.release]);
      for (const [type, moves] of toNodes) {
        for (const nodeId of new Set(moves.map((m) => m.nodeId))) {
          const lines = moves.filter((m) => m.nodeId === nodeId).map(({ sku, qty }) => ({ sku, qty }));
          const message = { type, orderId: orderIdOf(coreId), nodeId, lines, destination: snapshot.record.destination, promise: snapshot.record.promise, ...shipping(snapshot.record, nodeId) };
          instructions.push({ nodeId, message });
          events.push(this.events.append(`node:${nodeId}`, type, event.at, message));
        }
      }
    }
    return { body, events, done, instructions, ...(live ? {} : { passivate: [coreId] }) };
  }

  /** The hold's deadline has passed and no sweep has got to it yet: expire it now (staged). */
  private expireIfDue(coreId: string): Decision<OrderView> | undefined {
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || snapshot.state !== 'held' || this.clock.now() < snapshot.record.expiresAt) return undefined;
    return this.orderStep(coreId, { type: 'expire', at: this.clock.now() });
  }

  private giveBack(coreId: string, held: readonly StockMove[]): void {
    for (const move of held) {
      const out = this.skus.send(move.sku, { type: 'release', ownerId: coreId, allocations: [{ nodeId: move.nodeId, qty: move.qty }] })![0];
      assert(out?.type === 'decided', `giving back a tentative hold of ${move.sku} failed`);
    }
  }

  /**
   * Why a line went where it did: the nearest candidates (at most five), what each had available
   * before this hold, and what it gave. Built from the SKU actor's positions after the hold.
   */
  private explainLine(sku: string, qty: number, allocations: readonly Allocation[], destination: Destination): RoutingExplanation['lines'][number] {
    const positions = this.skus.peek(sku)!.context.positions;
    const considered = this.ranker.lastDistances(5);
    // The nodes that gave units are always shown, however far down the ranking they were.
    for (const { nodeId } of allocations) {
      const node = this.nodesById.get(nodeId);
      if (node && !considered.some((c) => c.nodeId === nodeId)) considered.push({ nodeId, distanceKm: Math.round(distanceKm(node.location, destination)) });
    }
    const candidates = considered.map(({ nodeId, distanceKm }) => {
      const took = allocations.find((a) => a.nodeId === nodeId)?.qty ?? 0;
      const p = positions[nodeId];
      const available = (p ? Math.max(0, p.onHand - p.safetyStock - p.reserved) : 0) + took;
      const why = took === qty ? 'served the whole line'
        : took > 0 ? 'split: gave what it had'
        : available === 0 ? 'no stock'
        : available < qty ? 'not enough for the whole line'
        : 'a nearer node served it';
      return { nodeId, distanceKm, available, took, why };
    });
    return { sku, qty, candidates };
  }

  /** Nodes left out of routing and why; computed once per change of the network, not per hold. */
  private excludedNodes(): RoutingExplanation['excluded'] {
    if (this.excluded) return this.excluded;
    const excluded: RoutingExplanation['excluded'] = [];
    for (const node of this.nodesById.values()) if (node.status !== 'online') excluded.push({ nodeId: node.nodeId, reason: node.status });
    this.excluded = excluded.slice(0, 20);
    return this.excluded;
  }

  /** With `allowSplit: false`, the one nearest node that can serve every line, or none. */
  private singleNodeFor(lines: readonly LineRequest[], candidates: readonly string[]): string[] {
    const positionsBySku = new Map(lines.map(({ sku }) => [sku, this.skus.snapshot(sku)!.context.positions]));
    for (const nodeId of candidates) {
      if (lines.every(({ sku, qty }) => allocate(positionsBySku.get(sku)!, qty, [nodeId], false) !== undefined)) return [nodeId];
    }
    return [];
  }

  private persistPositions(sku: string, nodeIds: readonly string[]): void {
    const positions = this.skus.peek(sku)!.context.positions;
    for (const nodeId of nodeIds) this.ledger.putPosition(sku, nodeId, positions[nodeId]);
    this.markDirty(sku);
  }

  private orderSnapshot(coreId: string): OrderSnapshot | undefined {
    const live = this.orders.peek(coreId);
    if (live) return orderSnapshotOf(live);
    return this.ledger.getOrder(coreId);
  }

  private coreIdFor(publicId: string, prefix: 'rsv_' | 'ord_', what: string): string {
    const coreId = publicId.startsWith(prefix) ? coreIdOf(publicId) : undefined;
    if (!coreId) throw notFound(what, publicId);
    return coreId;
  }

  // ---- internals: durability, idempotency, load -----------------------------------------------

  private async idempotent<T>(key: IdempotencyKey | undefined, status: number, decide: () => Decision<T>): Promise<Answer<T>> {
    if (!key) {
      const decision = decide();
      await this.commit(decision);
      return { status, body: decision.body, replayed: false };
    }
    const mapKey = `${key.scope}\u0000${key.key}`;
    const inflight = this.idempotencyInflight.get(mapKey);
    if (inflight) {
      if (inflight.fingerprint !== key.fingerprint) throw mismatch();
      const first = await inflight.answer;
      return { ...(first as Answer<T>), replayed: true };
    }
    const stored = this.ledger.getIdempotency(key.scope, key.key);
    if (stored) {
      if (stored.fingerprint !== key.fingerprint) throw mismatch();
      await this.ledger.durable();
      return { status: stored.status, body: stored.body as T, replayed: true };
    }
    if (this.idempotencyInflight.size >= limits.idempotencyInflightMax) throw overloaded('too many idempotent requests in flight');
    // Only successful answers are kept: a refused request changes nothing, and may be retried.
    const decision = decide();
    this.ledger.putIdempotency(key.scope, key.key, { fingerprint: key.fingerprint, status, body: decision.body, at: this.clock.now() });
    const answer = this.commit(decision).then(() => ({ status, body: decision.body, replayed: false }));
    this.idempotencyInflight.set(mapKey, { fingerprint: key.fingerprint, answer });
    try {
      return await answer;
    } finally {
      this.idempotencyInflight.delete(mapKey);
    }
  }

  /** Waits until everything staged is on disk, then ends in-flight marks and publishes. */
  private async commit<T>(decision: Decision<T>): Promise<void> {
    try {
      await this.ledger.durable();
    } catch (error) {
      this.fail(error);
      throw new EngineError('UNAVAILABLE', 'the ledger could not write; the engine is stopping', {}, 5);
    } finally {
      for (const end of decision.done) end();
    }
    for (const coreId of decision.passivate ?? []) this.orders.passivate(coreId);
    this.events.publish(decision.events);
    for (const { nodeId, message } of decision.instructions ?? []) this.bus.publish(`node.${subjectToken(nodeId)}.instructions`, message);
  }

  private fail(error: unknown): void {
    if (this.fatalError !== undefined) return;
    this.fatalError = error;
    this.logger.fatal({ err: error }, 'ledger write failed');
    for (const listener of this.fatalListeners) listener(error);
  }

  private checkLoad(): void {
    if (this.fatalError !== undefined || this.stopped) throw new EngineError('UNAVAILABLE', 'the engine is stopping', {}, 5);
    if (this.ledger.pendingWrites() >= this.bounds.ledgerPendingWritesMax) throw overloaded('the ledger has too many writes in flight');
  }

  /** One `inventory.changed` per SKU per batch, however many holds touched it. */
  private markDirty(sku: string): void {
    this.dirtySkus.add(sku);
    if (this.dirtyFlushScheduled) return;
    this.dirtyFlushScheduled = true;
    setImmediate(() => {
      this.dirtyFlushScheduled = false;
      const now = this.clock.now();
      const events: StoredEvent[] = [];
      for (const dirty of this.dirtySkus) {
        const positions = this.skus.peek(dirty)?.context.positions ?? this.ledger.positionsOf(dirty);
        events.push(this.events.append(`sku:${dirty}`, 'inventory.changed', now, inventoryView(dirty, positions, this.nodesById)));
      }
      this.dirtySkus.clear();
      this.events.publishWhenDurable(events).catch((error: unknown) => this.fail(error));
    });
  }

  // ---- internals: timers and recovery ---------------------------------------------------------

  private scheduleSweep(): void {
    const run = (): void => {
      if (this.stopped) return;
      this.sweepExpiries()
        .catch((error: unknown) => this.logger.error({ err: error }, 'expiry sweep failed'))
        .finally(() => {
          if (!this.stopped) this.timers.set('sweep', this.clock.setTimeout(run, limits.expirySweepIntervalMs));
        });
    };
    this.timers.set('sweep', this.clock.setTimeout(run, limits.expirySweepIntervalMs));
  }

  /** Acceptance deadlines live in the ledger as durable timers, set and cleared as the record changes. */
  private trackAcceptDeadlines(before: OrderSnapshot | undefined, after: OrderSnapshot): void {
    const was = before?.record.acceptBy ?? {};
    const now = terminalOrderStates.has(after.state) ? {} : (after.record.acceptBy ?? {});
    const coreId = after.record.coreId;
    for (const [nodeId, dueAt] of Object.entries(was)) {
      if (now[nodeId] !== dueAt) this.ledger.clearTimer({ dueAt, kind: 'accept', coreId, nodeId });
    }
    for (const [nodeId, dueAt] of Object.entries(now)) {
      if (was[nodeId] !== dueAt) this.ledger.setTimer({ dueAt, kind: 'accept', coreId, nodeId });
    }
  }

  /** Fires due durable timers: a node that has not accepted in time loses those lines to the next node. */
  private fireDueTimers(): Decision<undefined> {
    let decision = emptyDecision();
    for (const timer of this.ledger.dueTimers(this.clock.now(), limits.expirySweepBatchMax)) {
      const snapshot = this.orderSnapshot(timer.coreId);
      if (!snapshot || snapshot.record.acceptBy?.[timer.nodeId] !== timer.dueAt) {
        this.ledger.clearTimer(timer);
        continue;
      }
      decision = merge(decision, this.reroute(timer.coreId, timer.nodeId, 'unaccepted'), undefined);
    }
    return decision;
  }

  /**
   * Expires every hold whose deadline has passed; returns how many it expired. Sweeps run one at a
   * time: a call while one runs waits for it and then sweeps again, so an awaited sweep has always
   * seen every hold due at the time of the call.
   */
  sweepExpiries(): Promise<number> {
    const next = this.sweepChain.then(() => this.sweepOnce());
    this.sweepChain = next.catch(() => 0);
    return next;
  }

  private async sweepOnce(): Promise<number> {
    if (this.fatalError === undefined && !this.stopped) await this.commit(this.fireDueTimers());
    let expired = 0;
    for (;;) {
      const due = this.ledger.dueExpiries(this.clock.now(), limits.expirySweepBatchMax);
      if (due.length === 0) break;
      const events: StoredEvent[] = [];
      const done: Array<() => void> = [];
      const passivate: string[] = [];
      for (const { coreId, expiresAt } of due) {
        const decision = this.expireIfDue(coreId);
        if (!decision) {
          // Confirmed or released meanwhile: only the index entry is left to drop.
          this.ledger.clearExpiry(coreId, expiresAt);
          continue;
        }
        expired++;
        events.push(...decision.events);
        done.push(...decision.done);
        passivate.push(...(decision.passivate ?? []));
      }
      await this.commit({ body: undefined, events, done, passivate });
      if (due.length < limits.expirySweepBatchMax) break;
    }
    return expired;
  }

  private scheduleIdempotencyCleanup(): void {
    const run = (): void => {
      if (this.stopped) return;
      const old = this.ledger.oldIdempotency(this.clock.now() - limits.idempotencyTtlMs, 10_000);
      for (const { scope, key } of old) this.ledger.removeIdempotency(scope, key);
      if (old.length > 0) void this.ledger.durable().catch((error: unknown) => this.fail(error));
      this.timers.set('idempotency', this.clock.setTimeout(run, 60_000));
    };
    this.timers.set('idempotency', this.clock.setTimeout(run, 60_000));
  }
}

const mismatch = (): EngineError => new EngineError('IDEMPOTENCY_MISMATCH', 'this Idempotency-Key was used with another request body', {});

function isDecision(event: unknown): boolean {
  const type = (event as { type?: unknown } | null)?.type;
  return type === 'decided' || type === 'refused';
}

/**
 * What a node's WMS needs besides the lines: by when it must ship for the promise to hold, and
 * the carrier service (the simple router has one: ground, transit by distance band).
 */
function shipping(record: OrderRecord, nodeId: string): { shipBy?: string; carrierService: string } {
  const shipment = record.promise.shipments.find((s) => s.nodeId === nodeId);
  if (!shipment) return { carrierService: 'ground' };
  const shipBy = Date.parse(shipment.deliveryBy) - transitDays(shipment.distanceKm) * 86_400_000;
  return { shipBy: new Date(shipBy).toISOString(), carrierService: 'ground' };
}
