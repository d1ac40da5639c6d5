import { createActor } from 'xstate';
import type { Allocation, CartPart, DeliveryPromise, Destination, NodeRecord, NodeStatus, OrderLine, OrderRecord, OrderSnapshot, RoutingExplanation, Shipment, StockMove, StoredRouting } from '../actors/domain.js';
import { lineHoldsStock, terminalOrderStates } from '../actors/domain.js';
import { fulfillmentNodeMachine, type FulfillmentNodeDecision, type NodeDefinition } from '../actors/fulfillment-node/fulfillment-node.machine.js';
import { notYetAccepted, type Assignment, type LineRequest, type NodeEventType } from '../actors/order/lines.js';
import { orderMachine, type OrderDecision, type OrderEvent, type RerouteReason } from '../actors/order/order.machine.js';
import { skuInventoryMachine, type SkuInventoryDecision, type SkuInventoryEvent } from '../actors/sku-inventory/sku-inventory.machine.js';
import { totalAvailable } from '../actors/sku-inventory/allocate.js';
import { Admission } from './admission.js';
import type { CapacityPeers } from './capacity-peers.js';
import { assert } from './assert.js';
import { subjectToken, type Bus } from './bus/bus.js';
import { MemoryBus } from './bus/memory-bus.js';
import { SystemClock, type Clock, type TimerHandle } from './clock.js';
import { EngineError, invalidState, notFound, overloaded } from './errors.js';
import { EventLog } from './event-log.js';
import { cartShape, freezeShared, HoldTurn } from './hold-turn.js';
import { iso } from './iso.js';
import { coreIdOf, newCoreId, orderIdOf, type IdRandom } from './ids.js';
import type { Ledger, StoredEvent } from './ledger.js';
import { limits } from './limits.js';
import { silentLogger, type Logger } from './logger.js';
import { BackorderIndex, PurchaseLimits } from './read-models.js';
import { addReserved, auditLedger, repairPositions, type AuditReport } from './recovery.js';
import { orderValue, ReviewPolicy, type ReviewRules } from './review.js';
import { emptyDecision, HeldDecision, heldBefore, isOrder, merge, mergeLineRequests, orderEvent, type Decision } from './decision.js';
import { orderSnapshotOf, restoreOrderCell } from './order-snapshot.js';
import { CandidateRanker } from './routing/simple-router.js';
import type { StockView, Strategy } from './routing/mod.js';
import { defaultSourcingPolicy, planError, routingProblems, Sourcing, stockViewOf, type SourcingPolicy, type SourcingRequest } from './sourcing.js';
import { ActorRuntime } from './runtime/actor-runtime.js';
import { inventoryView, nodeView, orderView, reservationView, type InventoryView, type NodeView, type OrderView, type ReservationView } from './views.js';

// The engine: turns requests into commands for the actors, persists what they decide through the
// ledger, answers only once that is durable, and publishes the events after. Everything a request
// decides happens in one synchronous step, so all its writes land in one ledger transaction.

/** The bounds an engine may be given tighter than engine/limits.ts (tests of what happens at them). */
export type EngineBounds = Record<'actorInflightMax' | 'ledgerPendingWritesMax' | 'queueDelayMaxMs' | 'queueDelayMinWrites' | 'skuActorsMax' | 'orderActorsMax' | 'actorIdleMs' | 'orderActorIdleMs', number>;

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
  /** Routing: the default strategy, per channel, and pickup transfers. */
  sourcing?: Partial<SourcingPolicy>;
  /** In a cluster: where the other partitions' capacity counts are (a node's cap is the node's). */
  capacityPeers?: { id: string; peers: CapacityPeers };
  /** Put before every new core id (a cluster partition's `p3-`), so an id tells who owns it. Default none. */
  idPrefix?: string;
  /**
   * The random part of new ids (16 hex digits). Default: crypto. Ids made in one millisecond sort by
   * it, and some decisions take orders in id order, so a seeded simulation passes a seeded one.
   */
  idRandom?: IdRandom;
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
  /** At most this many shipments (default 5; 1 with allowSplit false). */
  maxShipments?: number;
  /** Default: the channel's, else the configured default (blend). */
  strategy?: Strategy;
  /** When the shopper needs it: a date (end of that day, UTC) or an instant. */
  deliveryBy?: string;
  /** required (default): nodes that cannot make deliveryBy are not used; preferred: lateness costs. */
  deliveryByPolicy?: 'required' | 'preferred';
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string; transfers?: 'allow' | 'refuse' };
  /** A cluster cart's home: the part holds its coordinator made in other partitions (stored and shown, not acted on). */
  parts?: CartPart[];
}

export interface ConfirmRequest {
  payment?: Record<string, unknown>;
  externalId?: string;
  /**
   * A cluster cart's coordinator has confirmed the home's parts first. A home with parts is not
   * confirmed without it: a gateway that skipped its parts would leave them to expire.
   */
  partsConfirmed?: boolean;
  /** A cluster cart's part, confirmed by its coordinator: the home's order id, kept in the record (see OrderRecord.cartHome). */
  cartHome?: string;
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
  /** Online nodes nearest first: the last resort of a reroute the sourcing plan cannot place. */
  private ranker = new CandidateRanker([]);
  /** Routing: plans, promises, capacity per node-day, what was learned. */
  private readonly sourcing: Sourcing;
  /** Nodes not online, for routing explanations; dropped when a node changes. */
  private excluded: RoutingExplanation['excluded'] | undefined;
  /** Holds waiting for the end of the turn (bounded: past it, OVERLOADED). */
  private holdQueue: TurnItem[] = [];
  private holdTurnScheduled = false;
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
  /** Refuses new work when the staged writes would take too long to drain. */
  private readonly admission: Admission;
  private readonly acceptWithinMs: number;
  private readonly review: ReviewPolicy;
  private readonly requireAuthorizedPayment: boolean;
  private readonly currency: { base: string; rates: Record<string, number> };
  private readonly idPrefix: string;
  private readonly idRandom: IdRandom | undefined;
  /**
   * Whether a confirm asks its machine to release the order in the same step (one machine step,
   * one staged write, instead of a confirm then a dispatch). Always on; the test that holds the
   * two ways equal (engine/confirm-at-once.test.ts) turns it off for the other way.
   */
  private confirmReleasesAtOnce = true;

  constructor(options: EngineOptions) {
    this.idPrefix = options.idPrefix ?? '';
    this.idRandom = options.idRandom;
    this.bounds = { ...limits, ...options.bounds };
    this.acceptWithinMs = options.acceptWithinMs ?? 4 * 3600 * 1000;
    this.review = new ReviewPolicy(options.review);
    this.requireAuthorizedPayment = options.requireAuthorizedPayment ?? false;
    this.currency = options.currency ?? { base: 'USD', rates: {} };
    const bounds = this.bounds;
    this.ledger = options.ledger;
    this.admission = new Admission(this.bounds);
    this.ledger.onBatch((_writes, _durableMs, waitedMs) => this.admission.observe(waitedMs));
    this.sourcing = new Sourcing(() => this.nodesById.values(), this.ledger, this.currency, { ...defaultSourcingPolicy, ...options.sourcing }, options.capacityPeers);
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
        return snapshot ? restoreOrderCell(snapshot) : undefined;
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
    this.excluded = undefined;
    // The read models and the start-up repair are rebuilt in one pass over the live records, so
    // each is read and decoded once (it was once per model: ~1 s per 100k live holds).
    const now = this.clock.now();
    this.sourcing.load();
    this.purchaseLimits.load(this.ledger.skuRecords());
    this.backorders.clear();
    const reserved = new Map<string, number>();
    for (const snapshot of this.ledger.liveOrders()) {
      this.sourcing.capacity.count(snapshot, now);
      this.purchaseLimits.track(undefined, snapshot);
      this.backorders.track(undefined, snapshot);
      addReserved(reserved, snapshot);
    }
    const positionsRepaired = repairPositions(this.ledger, this.logger, reserved);
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
    if (this.fatalError === undefined) this.sourcing.save();
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
    const problems = routingProblems({ ...definition, nodeId, name: definition.name ?? nodeId, priority: definition.priority ?? existing?.priority ?? 10, status: definition.status ?? existing?.status ?? 'online', createdAt: now, updatedAt: now }, this.currency);
    if (problems.length > 0) throw new EngineError('VALIDATION_FAILED', problems[0], { field: fieldOf(problems[0]), problems });
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
    this.sourcing.invalidate();
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
    this.sourcing.invalidate();
    this.excluded = undefined;
    let decision: Decision<undefined> = { body: undefined, events: [this.events.append(`node:${nodeId}`, 'node.status', now, { nodeId, status, previous: decisions[0]?.events[0]?.previous })], done };
    if (status === 'offline' || status === 'paused') {
      // Offline: what the node has not shipped goes elsewhere. Paused: it takes no new work, so
      // what it has not accepted yet (holds, allocations, released lines) goes elsewhere, and
      // what it accepted stays to be finished.
      const moves = status === 'offline' ? lineHoldsStock : (l: OrderLine) => notYetAccepted.has(l.status);
      for (const snapshot of [...this.ledger.liveOrders()]) {
        const current = this.orderSnapshot(snapshot.record.coreId) ?? snapshot;
        if (!current.record.lines.some((l) => l.nodeId === nodeId && moves(l))) continue;
        decision = merge(decision, this.reroute(current.record.coreId, nodeId, status), undefined);
      }
    }
    await this.commit(decision);
    return nodeView(record);
  }

  /** Every node, with its stats today (orders taken against capacityPerDay, recent rejection rate). */
  listNodes() {
    const now = this.clock.now();
    return [...this.nodesById.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1)).map((node) => ({ ...nodeView(node), stats: this.sourcing.nodeStats(node.nodeId, now) }));
  }

  getNode(nodeId: string) {
    const node = this.nodesById.get(nodeId);
    if (!node) throw notFound('node', nodeId);
    return { ...nodeView(node), stats: this.sourcing.nodeStats(nodeId, this.clock.now()) };
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

  /**
   * Places a record's waiting lines (rerouting or backordered) where routing says, planned as the
   * order was (strategy, split, pickup), never at the excluded nodes or those that rejected it.
   * What one plan cannot place is planned line by line; what still has no plan goes to the
   * nearest online nodes with stock; what no node has waits as a backorder.
   */
  private placeWaiting(coreId: string, from: 'rerouting' | 'backordered', exclude: readonly string[]): Decision<OrderView> | undefined {
    const snapshot = this.orderSnapshot(coreId)!;
    const { record } = snapshot;
    const waiting = mergeLineRequests(record.lines.filter((l) => l.status === from).map(({ sku, qty }) => ({ sku, qty })));
    if (waiting.length === 0) return undefined;
    const excluded = [...new Set([...exclude, ...(record.rejectedBy ?? [])])];
    const now = this.clock.now();
    const done: Array<() => void> = [];
    const assignments: Assignment[] = [];
    const planned: Shipment[] = [];
    const base: Omit<SourcingRequest, 'lines'> = {
      destination: record.destination,
      channel: record.channel,
      strategy: (record.routing?.strategy as Strategy | undefined) ?? this.sourcing.strategyFor({ channel: record.channel }),
      ...(record.routing?.allowSplit === false ? { allowSplit: false } : {}),
      ...(record.routing?.maxShipments !== undefined ? { maxShipments: record.routing.maxShipments } : {}),
      ...(record.routing?.deliveryBy !== undefined ? { deliveryBy: record.routing.deliveryBy, deliveryByPolicy: 'preferred' as const } : {}),
      ...(record.fulfillment ? { fulfillment: record.fulfillment } : {}),
      excludeNodeIds: excluded,
    };
    const take = (lines: LineRequest[]): boolean => {
      const result = this.sourcing.plan({ ...base, lines }, this.stockView(), now);
      if (!result.ok) return false;
      for (const move of this.takePlanned(coreId, result.plan.allocations)) assignments.push({ ...move });
      for (const shipment of this.sourcing.promiseOf(result.plan).shipments) planned.push(shipment);
      return true;
    };
    if (!take(waiting)) {
      // The last resort ships toward where the order is collected: the shopper, or the pickup
      // store (unless the order refused transfers to it: then what no plan places waits).
      const pickup = record.fulfillment?.type === 'pickup' ? record.fulfillment : undefined;
      const store = pickup?.nodeId ? this.nodesById.get(pickup.nodeId) : undefined;
      const refusesTransfers = pickup !== undefined && (pickup.transfers ?? this.sourcing.policy.pickupTransfers) === 'refuse';
      const toward = store ? store.location : record.destination;
      const candidates = refusesTransfers ? [] : this.ranker.rank({ destination: toward }).filter((id) => !excluded.includes(id));
      for (const line of waiting) {
        if (take([line])) continue;
        for (const assignment of this.takeStock(coreId, line.sku, line.qty, candidates)) assignments.push(assignment);
      }
      for (const nodeId of new Set(assignments.map((a) => a.nodeId))) {
        if (planned.some((s) => s.nodeId === nodeId)) continue;
        const shipment = this.sourcing.shipmentFrom(nodeId, toward, now);
        if (shipment) planned.push(pickup ? { ...shipment, kind: nodeId === pickup.nodeId ? 'pickup' : 'transfer' } : shipment);
      }
    }
    for (const sku of new Set(assignments.map((a) => a.sku))) {
      done.push(this.skus.begin(sku));
      this.persistPositions(sku, [...new Set(assignments.filter((a) => a.sku === sku).map((a) => a.nodeId))]);
    }
    // Backorders with still nothing to place stay as they are: no step, no event.
    if (from === 'backordered' && assignments.length === 0) return undefined;
    const placed = this.orderStep(coreId, { type: 'reroute.assign', at: now, from, assignments: mergeAssignments(assignments), acceptWithinMs: this.acceptWithinMs }, planned);
    const repromised = this.repromise(coreId, from === 'backordered' ? 'backorder filled' : 'rerouted', planned);
    const step = repromised ? merge(placed, repromised, repromised.body) : placed;
    return { ...step, done: [...step.done, ...done] };
  }

  /**
   * After lines moved, the promise follows them: shipments from nodes that still have lines keep
   * their dates, new nodes get the planned shipment (or their fastest service from now), nodes
   * with nothing left drop out. Held orders only change their record; orders record
   * `order.promise_changed` when the date moves.
   */
  private repromise(coreId: string, reason: string, planned: readonly Shipment[] = []): Decision<OrderView> | undefined {
    const snapshot = this.orderSnapshot(coreId)!;
    if (snapshot.state === 'held' || terminalOrderStates.has(snapshot.state)) return undefined;
    const { record } = snapshot;
    const now = this.clock.now();
    const nodes = new Set(record.lines.filter((l) => l.nodeId !== '' && l.status !== 'cancelled').map((l) => l.nodeId));
    const kept = record.promise.shipments.filter((s) => nodes.has(s.nodeId));
    const added: Shipment[] = [];
    for (const nodeId of nodes) {
      if (kept.some((s) => s.nodeId === nodeId) || added.some((s) => s.nodeId === nodeId)) continue;
      const shipment = planned.find((s) => s.nodeId === nodeId) ?? this.sourcing.shipmentFrom(nodeId, record.destination, now);
      if (shipment) added.push(shipment);
    }
    const shipments = [...kept, ...added];
    if (shipments.length === record.promise.shipments.length && added.length === 0) return undefined;
    const deliveryBy = shipments.reduce((latest, s) => (s.deliveryBy > latest ? s.deliveryBy : latest), shipments[0]?.deliveryBy ?? record.promise.deliveryBy);
    // The plan's cost no longer describes the shipments: it is dropped rather than kept wrong.
    const { totalCost: _cost, currency: _currency, ...promise } = record.promise;
    return this.orderStep(coreId, { type: 'promise.set', at: now, promise: { ...promise, deliveryBy, ...(promise.readyBy !== undefined ? { readyBy: deliveryBy } : {}), shipments }, reason });
  }

  /** The last resort of a reroute: up to `qty` of `sku` from the candidates, nearest first (positions persisted by the caller). */
  private takeStock(ownerId: string, sku: string, qty: number, candidates: readonly string[]): Assignment[] {
    const take = Math.min(qty, totalAvailable(this.skus.snapshot(sku)!.context.positions, candidates));
    if (take <= 0) return [];
    const decision = this.skus.send(sku, { type: 'hold', ownerId, qty: take, candidates, allowSplit: true })![0];
    assert(decision?.type === 'decided' && decision.outcome === 'held', `taking ${take} ${sku} that was available failed`);
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

  /**
   * Holds wait for the end of the event-loop turn, then are decided together in arrival order
   * (engine/hold-turn.ts): the same cart shares one plan and one take per SKU.
   */
  createReservation(request: ReservationRequest, idempotency?: IdempotencyKey): Promise<Answer<ReservationView>> {
    return this.inHoldTurn(idempotency, (turn) => this.hold(request, turn));
  }

  /** Queues a command that holds stock for the end of the turn; answered once its batch is durable. */
  private inHoldTurn<T>(idempotency: IdempotencyKey | undefined, decide: (turn: HoldTurn) => Decision<T>): Promise<Answer<T>> {
    if (this.holdQueue.length >= limits.holdQueueMax) return Promise.reject(overloaded('too many holds waiting for their turn'));
    return new Promise<Answer<T>>((resolve, reject) => {
      this.holdQueue.push({ idempotency, decide, resolve, reject } as TurnItem);
      this.scheduleHoldTurn();
    });
  }

  private scheduleHoldTurn(): void {
    if (this.holdTurnScheduled) return;
    this.holdTurnScheduled = true;
    setImmediate(() => this.runHoldTurn());
  }

  private runHoldTurn(): void {
    this.holdTurnScheduled = false;
    // The first holdTurnMax of the queue; the rest stay in it, in order, for the next turn.
    const queue = this.holdQueue.splice(0, limits.holdTurnMax);
    const turn = new HoldTurn(this.clock.now(), (sku) => this.skus.snapshot(sku)!.context.positions);
    // Commands without an idempotency key are answered together once the batch is durable (what
    // commit() does for one decision); keyed ones go through idempotent() as every command does.
    const decided: Array<{ decision: Decision<unknown>; resolve: (answer: Answer<unknown>) => void; reject: (error: unknown) => void }> = [];
    try {
      for (const { idempotency, decide, resolve, reject } of queue) {
        if (idempotency) {
          this.idempotent(idempotency, 201, () => decide(turn)).then(resolve, reject);
          continue;
        }
        try {
          decided.push({ decision: decide(turn), resolve, reject });
        } catch (error) {
          reject(error);
        }
      }
    } finally {
      this.applyTurnTakes(turn);
      this.appendInventoryChanged();
      // Holds left over wait for a turn of their own, queued after the ledger's flush of this one.
      if (this.holdQueue.length > 0) this.scheduleHoldTurn();
    }
    if (decided.length === 0) return;
    const endAll = (): void => {
      for (const { decision } of decided) for (const end of decision.done) end();
    };
    this.ledger.durable().then(
      () => {
        endAll();
        for (const { decision, resolve } of decided) {
          this.announce(decision);
          resolve({ status: 201, body: decision.body, replayed: false });
        }
      },
      (error: unknown) => {
        endAll();
        this.fail(error);
        const refusal = ledgerFailed();
        for (const { reject } of decided) reject(refusal);
      },
    );
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
    return this.inHoldTurn(idempotency, (turn) => {
      this.checkPayment(request);
      const held = this.hold(request, turn);
      const coreId = coreIdOf(held.body.reservationId)!;
      // Both or neither: nothing may refuse the confirmation once the hold is staged.
      const confirmed = this.confirm(coreId, request, true);
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
    const { snapshot } = this.existingOrder(orderId);
    await this.ledger.durable();
    return orderView(snapshot);
  }

  async cancelOrder(orderId: string, lines?: LineRequest[]): Promise<OrderView> {
    this.checkLoad();
    const { coreId } = this.existingOrder(orderId);
    const decision = this.orderStep(coreId, { type: 'cancel', at: this.clock.now(), ...(lines ? { lines } : {}) });
    await this.commit(decision);
    return decision.body;
  }

  /** A person approves an order held for review: it is released to its nodes now. */
  async approveOrder(orderId: string): Promise<OrderView> {
    this.checkLoad();
    const { coreId } = this.existingOrder(orderId);
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
    const { coreId } = this.existingOrder(orderId);
    const decision = this.orderStep(coreId, { type: 'review.reject', at: this.clock.now() });
    await this.commit(decision);
    return decision.body;
  }

  async nodeEvent(nodeId: string, request: NodeEventRequest): Promise<OrderView> {
    this.checkLoad();
    if (!this.nodesById.has(nodeId)) throw notFound('node', nodeId);
    const { coreId, snapshot } = this.existingOrder(request.orderId);
    if (!snapshot.record.lines.some((line) => line.nodeId === nodeId)) {
      throw invalidState(`order ${request.orderId} has no lines at node ${nodeId}`, { nodeId, reason: 'no-lines-at-node' });
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
      this.sourcing.observeAnswer(nodeId, true);
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
    // What routing learns from: a node's answers, and how long its carrier took to deliver.
    if (request.type === 'accepted') this.sourcing.observeAnswer(nodeId, false);
    if (request.type === 'delivered') this.sourcing.observeDelivery(this.orderSnapshot(coreId)!, nodeId, this.clock.now());
    await this.commit(decision);
    return decision.body;
  }

  /**
   * Delivery options for a cart, from the stock as it stands: the fastest, the cheapest and the
   * fewest-shipments plans of the routing module (identical plans listed once). Holds nothing.
   */
  quote(request: Omit<ReservationRequest, 'customerId'>) {
    const lines = mergeLineRequests(request.lines);
    const stock = this.stockView();
    const fulfillment = this.pickupPoint(request.fulfillment, request.destination, lines, stock);
    const result = this.sourcing.options({ ...request, lines, ...(fulfillment ? { fulfillment } : {}) }, stock, this.clock.now());
    if (!result.ok) throw planError(result.failure);
    return {
      options: result.options.map(({ strategies, plan }) => ({
        type: strategies[0],
        strategies,
        deliveryBy: plan.promisedAt,
        ...(plan.fulfillment === 'pickup' ? { readyBy: plan.promisedAt } : {}),
        totalCost: plan.totalCost,
        currency: plan.currency,
        shipments: plan.shipments.map(({ nodeId, kind, carrierId, serviceLevel, distanceKm, cost, shipDate, promisedAt, lines }) => ({ nodeId, kind, carrierId, serviceLevel, distanceKm, cost, shipDate, deliveryBy: promisedAt, lines })),
        allocations: plan.allocations.map(({ sku, nodeId, qty }) => ({ sku, nodeId, qty })),
      })),
    };
  }

  /** GET /v1/carriers: the network's carrier services and the transit learned from deliveries. */
  carriers() {
    return this.sourcing.carriers();
  }

  /** A node's capacity use today (its own local day) and recent rejection rate. */
  nodeStats(nodeId: string) {
    if (!this.nodesById.has(nodeId)) throw notFound('node', nodeId);
    return this.sourcing.nodeStats(nodeId, this.clock.now());
  }

  /**
   * A pickup that names no node is collected at the nearest node that takes pickups, preferring
   * one that holds the whole cart; the record keeps the node chosen, so reroutes know where.
   */
  private pickupPoint(fulfillment: ReservationRequest['fulfillment'], destination: Destination, lines: readonly LineRequest[], stock: StockView): ReservationRequest['fulfillment'] {
    if (fulfillment?.type !== 'pickup' || fulfillment.nodeId) return fulfillment;
    const nodeId = this.sourcing.nearestPickupPoint(destination, lines, stock);
    if (!nodeId) throw new EngineError('PICKUP_UNAVAILABLE', 'no online node takes pickups', { reason: 'no_pickup_point' });
    return { ...fulfillment, nodeId };
  }

  /** Available units per node, as the SKU actors hold them (spawned on first read). */
  private stockView() {
    return stockViewOf((sku) => this.skus.snapshot(sku)!.context.positions);
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

  /** Holds are always decided in a turn (engine/hold-turn.ts): their units are taken in its stock table. */
  private hold(request: ReservationRequest, turn: HoldTurn): Decision<ReservationView> {
    // Refusals that write nothing come before the load checks: a sold-out buyer hears 409, not
    // 503, however busy the ledger is.
    this.checkAlive();
    const now = turn.nowMs;
    const lines = mergeLineRequests(request.lines);
    const overLimit = this.purchaseLimits.check(request.customerId, lines);
    if (overLimit) throw overLimit;
    if (request.currency !== undefined && request.currency !== this.currency.base && this.currency.rates[request.currency] === undefined) {
      throw new EngineError('VALIDATION_FAILED', `no exchange rate for ${request.currency}`, { field: 'currency' });
    }
    // The same cart earlier in this turn: its plan, while its nodes still have the units.
    const shape = cartShape(request);
    const shared = shape === undefined ? undefined : turn.plans.get(shape);
    if (shared && turn.fits(shared.moves)) {
      freezeShared(shared);
      this.checkLoad();
      this.checkMailboxes(shared.moves, turn);
      turn.add(shared.moves);
      return this.heldRecord(request, now, shared.moves, shared.promise, shared.routing, undefined);
    }
    // Sold out is the common answer of a flash sale: said from the stock, before any routing,
    // when the online nodes together lack a line.
    const stock = turn.stock;
    const online = this.ranker.online();
    for (const { sku, qty } of lines) {
      const table = stock.get(sku);
      let available = 0;
      for (const nodeId of online) available += table?.get(nodeId) ?? 0;
      if (available < qty) throw new EngineError('INSUFFICIENT_STOCK', `not enough ${sku} for ${qty} at the nodes allowed to serve it`, { sku, requested: qty, available, reason: 'not_enough_stock' });
    }
    this.checkLoad();
    const fulfillment = this.pickupPoint(request.fulfillment, request.destination, lines, stock);
    const sourcingRequest: SourcingRequest = {
      destination: request.destination,
      lines,
      ...(request.channel ? { channel: request.channel } : {}),
      ...(request.strategy ? { strategy: request.strategy } : {}),
      ...(request.allowSplit !== undefined ? { allowSplit: request.allowSplit } : {}),
      ...(request.maxShipments !== undefined ? { maxShipments: request.maxShipments } : {}),
      ...(request.deliveryBy !== undefined ? { deliveryBy: request.deliveryBy } : {}),
      ...(request.deliveryByPolicy ? { deliveryByPolicy: request.deliveryByPolicy } : {}),
      ...(fulfillment ? { fulfillment } : {}),
    };
    const planned = this.sourcing.plan(sourcingRequest, stock, now);
    if (!planned.ok) throw planError(planned.failure);
    // Taken in the turn's table now, at the SKU actors when the turn ends.
    const held = bySku(planned.plan.allocations);
    // The plan read this very table: units it lacks are the engine disagreeing with itself.
    assert(turn.fits(held), 'a plan took units the turn does not have');
    this.checkMailboxes(held, turn);
    turn.add(held);
    const promise = this.sourcing.promiseOf(planned.plan);
    const routing = this.sourcing.explanation(planned.plan, sourcingRequest, this.excludedNodes());
    // Shared with the same carts later in the turn, unless a node's daily capacity makes each hold count.
    if (shape !== undefined && held.every((m) => this.sourcing.prepared().get(m.nodeId)?.node.capacityPerDay === undefined)) {
      turn.plans.set(shape, { moves: held, promise, routing });
    }
    return this.heldRecord(request, now, held, promise, routing, fulfillment);
  }

  /** The SKU actors' mailbox bound, counting the turn's holds not yet applied: OVERLOADED past it. */
  private checkMailboxes(moves: readonly StockMove[], turn: HoldTurn): void {
    for (const { sku } of moves) {
      const holds = (turn.pendingHolds.get(sku) ?? 0) + 1;
      if (!this.skus.admits(sku, holds)) throw overloaded(`sku-inventory ${sku} has too many commands in flight`);
    }
  }

  /** Applies the units the turn's holds took at the SKU actors: one take per SKU, positions written once. */
  private applyTurnTakes(turn: HoldTurn): void {
    if (turn.pending.size === 0) return;
    for (const { sku, holds, allocations } of turn.drain()) {
      const decision = this.skus.send(sku, { type: 'take', ownerId: `turn of ${holds} holds`, allocations })![0];
      // Every unit was checked against the positions and the turn's earlier takes: a refusal is the engine disagreeing with itself.
      assert(decision?.type === 'decided' && decision.outcome === 'held', `the SKU actor refused the turn's units of ${sku}: ${decision?.type === 'refused' ? decision.reason : 'no decision'}`);
      const end = this.skus.begin(sku, holds);
      this.ledger.durable().then(end, end);
      this.persistPositions(sku, allocations.map((a) => a.nodeId));
    }
  }

  /** A new hold's record, staged with its indexes, and the decision answering it. */
  private heldRecord(request: ReservationRequest, now: number, held: readonly StockMove[], promise: DeliveryPromise, routing: StoredRouting, fulfillment: ReservationRequest['fulfillment']): Decision<ReservationView> {
    const coreId = this.idPrefix + newCoreId(now, this.idRandom);
    const ttlSeconds = request.ttlSeconds ?? limits.ttlSecondsDefault;
    const amount = orderValue(request.lines, request.currency, this.currency.rates, this.currency.base);
    const record: OrderRecord = {
      coreId,
      customerId: request.customerId,
      channel: request.channel ?? 'web',
      destination: request.destination,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      lines: held.map((m): OrderLine => ({ sku: m.sku, nodeId: m.nodeId, qty: m.qty, status: 'held' })),
      promise,
      history: [{ seq: 1, at: iso(now), type: 'reservation.held' }],
      routing,
    };
    // Set after, not spread in: the same fields in the same order, without an object per spread.
    if (fulfillment) record.fulfillment = fulfillment;
    if (amount !== undefined) record.value = { amount, currency: this.currency.base };
    if (request.parts && request.parts.length > 0) record.parts = request.parts.map(({ partition, reservationId }) => ({ partition, reservationId }));
    // A hold is born as a record in state `held`, the order machine's initial state; its actor is
    // spawned on its first event (confirm, release, expiry), which keeps the hot path lean.
    const snapshot: OrderSnapshot = { state: 'held', record };
    this.ledger.putOrder(snapshot, true, true);
    this.purchaseLimits.track(undefined, snapshot);
    this.sourcing.capacity.track(undefined, snapshot, now);
    // Its expiry entry is written with it (putOrder of a new hold). No in-flight marks of its
    // own: the turn marks its holds at the SKU actors (applyTurnTakes).
    return new HeldDecision(snapshot);
  }

  /** `loadChecked`: the caller checked the load in this same step (a hold confirmed at once), so a refusal cannot leave its hold behind. */
  private confirm(coreId: string, request: ConfirmRequest, loadChecked = false): Decision<OrderView> {
    if (!loadChecked) this.checkLoad();
    // Its machine decides the confirm: restored here, once, so that what follows reads the live
    // snapshot rather than reading and decoding the stored record each time.
    this.orders.snapshot(coreId);
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
    if (snapshot.record.parts && snapshot.record.parts.length > 0 && request.partsConfirmed !== true) {
      throw invalidState('a cart with parts in other partitions is confirmed by its coordinator', { reason: 'cart-parts', parts: snapshot.record.parts });
    }
    const now = this.clock.now();
    const reasons = this.review.assess({ customerId: snapshot.record.customerId, destination: snapshot.record.destination, ...(snapshot.record.value ? { value: snapshot.record.value.amount } : {}) }, now);
    // With `dispatch`, the machine releases the order in the same step when that is what the
    // dispatch below would do (every line allocated, no review): one step instead of two.
    const { snapshot: after, ...confirmed } = this.stageOrderStep(coreId, {
      type: 'confirm',
      at: now,
      ...(this.confirmReleasesAtOnce ? { dispatch: { acceptWithinMs: this.acceptWithinMs } } : {}),
      ...(reasons.length > 0 ? { review: { reasons } } : {}),
      ...(request.payment ? { payment: request.payment } : {}),
      ...(request.externalId ? { externalId: request.externalId } : {}),
      ...(request.cartHome ? { cartHome: request.cartHome } : {}),
    });
    // Released to its nodes at once: each node gets its fulfillment instruction. (A cart whose
    // every line is backordered has nothing to release yet.) The answer is the order as it is
    // after the last step, so the confirm's own view is made only when nothing follows it.
    if (after.state === 'exception' || !after.record.lines.some((l) => l.status === 'allocated')) return { body: orderView(after), ...confirmed };
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
  private orderStep(coreId: string, event: OrderEvent, planned: readonly Shipment[] = []): Decision<OrderView> {
    const { snapshot, ...staged } = this.stageOrderStep(coreId, event, planned);
    return { body: orderView(snapshot), ...staged };
  }

  /** orderStep without its answer: the order's snapshot after the step instead. */
  private stageOrderStep(coreId: string, event: OrderEvent, planned: readonly Shipment[] = []): Omit<Decision<OrderView>, 'body'> & { snapshot: OrderSnapshot } {
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
    this.sourcing.capacity.track(before, snapshot, event.at);
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
    // A confirm released in the same step: its entries are published as a confirm's then a
    // dispatch's would be, the confirm's with the order `allocated` (as it was between the two).
    const atOnce = decision.releasedAtOnce;
    const allocated: OrderSnapshot | undefined = atOnce && { state: 'allocated', record: snapshot.record };
    const events = decision.history.map((entry, i) => orderEvent(allocated && i < atOnce!.confirmEntries ? allocated : snapshot, entry));
    const instructions: Array<{ nodeId: string; message: unknown }> = [];
    // What the nodes' systems must hear: new work (released) and work taken back (cancelled).
    if (!heldBefore(before) || atOnce) {
      const toNodes: Array<['order.released' | 'order.cancelled', StockMove[]]> = [];
      if (event.type === 'dispatch' || atOnce) toNodes.push(['order.released', snapshot.record.lines.filter((l) => l.status === 'released')]);
      if (event.type === 'reroute.assign') toNodes.push(['order.released', event.assignments.map((a) => ({ ...a }))]);
      if (event.type === 'cancel' || (event.type === 'reroute.release' && event.reason !== 'rejected')) toNodes.push(['order.cancelled', decision.release]);
      for (const [type, moves] of toNodes) {
        for (const nodeId of new Set(moves.map((m) => m.nodeId))) {
          const lines = moves.filter((m) => m.nodeId === nodeId).map(({ sku, qty }) => ({ sku, qty }));
          const message = { type, orderId: orderIdOf(coreId), nodeId, lines, destination: snapshot.record.destination, promise: snapshot.record.promise, ...shipping(snapshot.record, nodeId, planned) };
          instructions.push({ nodeId, message });
          events.push(this.events.append(`node:${nodeId}`, type, event.at, message));
        }
      }
    }
    return { snapshot, events, done, instructions, ...(live ? {} : { passivate: [coreId] }) };
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

  /** Nodes left out of routing and why; computed once per change of the network, not per hold. */
  private excludedNodes(): RoutingExplanation['excluded'] {
    if (this.excluded) return this.excluded;
    const excluded: RoutingExplanation['excluded'] = [];
    for (const node of this.nodesById.values()) if (node.status !== 'online') excluded.push({ nodeId: node.nodeId, reason: node.status });
    this.excluded = excluded.slice(0, 20);
    return this.excluded;
  }

  /** Holds a plan's allocations at the SKU actors, one command per SKU: all of them, or none. */
  private takePlanned(ownerId: string, allocations: ReadonlyArray<{ sku: string; nodeId: string; qty: number }>): StockMove[] {
    const bySku = new Map<string, Allocation[]>();
    for (const { sku, nodeId, qty } of allocations) {
      let list = bySku.get(sku);
      if (!list) bySku.set(sku, (list = []));
      list.push({ nodeId, qty });
    }
    const held: StockMove[] = [];
    try {
      for (const [sku, list] of bySku) {
        const decision = this.skus.send(sku, { type: 'take', ownerId, allocations: list })![0];
        // The plan read these very positions in this step: a refusal is the engine disagreeing with itself.
        assert(decision?.type === 'decided' && decision.outcome === 'held', `the SKU actor refused the planned units of ${sku}: ${decision?.type === 'refused' ? decision.reason : 'no decision'}`);
        for (const a of list) held.push({ sku, nodeId: a.nodeId, qty: a.qty });
      }
    } catch (error) {
      // An overloaded SKU actor (or the assertion) after other SKUs took their units: give them back.
      this.giveBack(ownerId, held);
      throw error;
    }
    return held;
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

  /** An order by its public id (a hold not yet confirmed is not one): its core id and snapshot, or NOT_FOUND. */
  private existingOrder(orderId: string): { coreId: string; snapshot: OrderSnapshot } {
    const coreId = this.coreIdFor(orderId, 'ord_', 'order');
    const snapshot = this.orderSnapshot(coreId);
    if (!snapshot || !isOrder(snapshot)) throw notFound('order', orderId);
    return { coreId, snapshot };
  }

  private coreIdFor(publicId: string, prefix: 'rsv_' | 'ord_', what: string): string {
    const coreId = publicId.startsWith(prefix) ? coreIdOf(publicId) : undefined;
    if (!coreId) throw notFound(what, publicId);
    return coreId;
  }

  /**
   * The answer kept for an idempotency key, if any (a cluster cart's coordinator asks the home
   * before holding anything, so a repeat replays instead of holding parts again). The same key
   * with another fingerprint is IDEMPOTENCY_MISMATCH, as on a create.
   */
  async idempotentAnswer(key: IdempotencyKey): Promise<Answer<unknown> | undefined> {
    const inflight = this.idempotencyInflight.get(`${key.scope}\u0000${key.key}`);
    if (inflight) {
      if (inflight.fingerprint !== key.fingerprint) throw mismatch();
      return { ...(await inflight.answer), replayed: true };
    }
    const stored = this.ledger.getIdempotency(key.scope, key.key);
    if (!stored) return undefined;
    if (stored.fingerprint !== key.fingerprint) throw mismatch();
    await this.ledger.durable();
    return { status: stored.status, body: stored.body, replayed: true };
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
      throw ledgerFailed();
    } finally {
      for (const end of decision.done) end();
    }
    this.announce(decision);
  }

  /** Once a decision is durable: final orders leave memory, events and node instructions go out. */
  private announce<T>(decision: Decision<T>): void {
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

  private checkAlive(): void {
    if (this.fatalError !== undefined || this.stopped) throw new EngineError('UNAVAILABLE', 'the engine is stopping', {}, 5);
  }

  private checkLoad(): void {
    this.checkAlive();
    const pending = this.ledger.pendingWrites();
    if (pending >= this.bounds.ledgerPendingWritesMax) throw overloaded('the ledger has too many writes in flight');
    if (!this.admission.admits(pending)) throw overloaded(`writes are waiting ~${Math.round(this.admission.recentWaitMs())} ms for the disk; retry shortly`);
  }

  /** One `inventory.changed` per SKU per batch, however many holds touched it. */
  private markDirty(sku: string): void {
    this.dirtySkus.add(sku);
    if (this.dirtyFlushScheduled) return;
    this.dirtyFlushScheduled = true;
    setImmediate(() => {
      this.dirtyFlushScheduled = false;
      this.appendInventoryChanged();
    });
  }

  /**
   * The `inventory.changed` events of the SKUs marked since the last ones, appended now. A hold
   * turn appends its own at its end, so they go in the turn's ledger batch: appended at the next
   * turn of the loop, they made a batch of one write of their own after each batch of holds,
   * which the next batch of holds then waited behind.
   */
  private appendInventoryChanged(): void {
    if (this.dirtySkus.size === 0) return;
    const now = this.clock.now();
    const events: StoredEvent[] = [];
    for (const dirty of this.dirtySkus) {
      const positions = this.skus.peek(dirty)?.context.positions ?? this.ledger.positionsOf(dirty);
      events.push(this.events.append(`sku:${dirty}`, 'inventory.changed', now, inventoryView(dirty, positions, this.nodesById)));
    }
    this.dirtySkus.clear();
    this.events.publishWhenDurable(events).catch((error: unknown) => this.fail(error));
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
      this.sourcing.observeAnswer(timer.nodeId, true);
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
      let progress = false;
      for (const { coreId, expiresAt } of due) {
        const decision = this.expireIfDue(coreId);
        if (!decision) {
          // A hold still held to this very deadline is not due by the clock now (it stepped
          // back): its entry stays for a later sweep. Otherwise it was confirmed or released
          // meanwhile, and only the index entry is left to drop.
          const snapshot = this.orderSnapshot(coreId);
          if (snapshot?.state === 'held' && snapshot.record.expiresAt === expiresAt) continue;
          this.ledger.clearExpiry(coreId, expiresAt);
          progress = true;
          continue;
        }
        progress = true;
        expired++;
        events.push(...decision.events);
        done.push(...decision.done);
        passivate.push(...(decision.passivate ?? []));
      }
      await this.commit({ body: undefined, events, done, passivate });
      if (due.length < limits.expirySweepBatchMax || !progress) break;
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
 * What a node's WMS needs besides the lines: the local date it must ship by for the promise to
 * hold, and the carrier service the plan chose.
 */
function shipping(record: OrderRecord, nodeId: string, planned: readonly Shipment[]): { shipBy?: string; carrierService?: string; kind?: string } {
  // Lines just moved here have their planned shipment before the record's promise follows them.
  const shipment = planned.find((s) => s.nodeId === nodeId) ?? record.promise.shipments.find((s) => s.nodeId === nodeId);
  if (!shipment) return {};
  return {
    ...(shipment.shipDate ? { shipBy: shipment.shipDate } : {}),
    ...(shipment.carrierId ? { carrierService: shipment.carrierId } : {}),
    ...(shipment.kind ? { kind: shipment.kind } : {}),
  };
}

/** Assignments of the same SKU to the same node, added up (a plan and a fallback may both give one). */
function mergeAssignments(assignments: readonly Assignment[]): Assignment[] {
  const merged = new Map<string, Assignment>();
  for (const a of assignments) {
    const key = `${a.sku}\u0000${a.nodeId}`;
    const existing = merged.get(key);
    if (existing) existing.qty += a.qty;
    else merged.set(key, { ...a });
  }
  return [...merged.values()];
}

/** The field a routing problem names ("cutoff.time is not HH:MM" → cutoff.time). */
const fieldOf = (problem: string): string => problem.split(' ')[0] ?? '(body)';

/** A plan's allocations as stock moves, grouped by SKU in order of first appearance (as the SKU actors take them). */
function bySku(allocations: ReadonlyArray<{ sku: string; nodeId: string; qty: number }>): StockMove[] {
  if (allocations.length === 1) return [{ sku: allocations[0].sku, nodeId: allocations[0].nodeId, qty: allocations[0].qty }];
  const moves: StockMove[] = [];
  const skus: string[] = [];
  for (const { sku } of allocations) if (!skus.includes(sku)) skus.push(sku);
  for (const sku of skus) for (const a of allocations) if (a.sku === sku) moves.push({ sku, nodeId: a.nodeId, qty: a.qty });
  return moves;
}

/** A command waiting for the end of the turn (engine/hold-turn.ts). */
interface TurnItem {
  idempotency: IdempotencyKey | undefined;
  decide: (turn: HoldTurn) => Decision<unknown>;
  resolve: (answer: Answer<unknown>) => void;
  reject: (error: unknown) => void;
}

/** The answer to everyone waiting on a batch the ledger could not write. */
const ledgerFailed = (): EngineError => new EngineError('UNAVAILABLE', 'the ledger could not write; the engine is stopping', {}, 5);
