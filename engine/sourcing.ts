import type { DeliveryPromise, Destination, NodeRecord, OrderSnapshot, Position, RoutingExplanation, Shipment, StoredCandidate, StoredRouting } from '../actors/domain.js';
import { availableOf, terminalOrderStates } from '../actors/domain.js';
import type { CapacityPeers } from './capacity-peers.js';
import { EngineError } from './errors.js';
import { distanceKm } from './geo.js';
import type { Ledger } from './ledger.js';
import {
  localDate,
  observedTransitDays,
  plan,
  prepareNetwork,
  promiseOptions,
  promisesFrom,
  RejectionTracker,
  routingLimits,
  groundService,
  startDayOf,
  nodeDistanceKm,
  TransitLearner,
  validateRoutingNode,
  type CarrierService,
  type Fulfillment,
  type LineExplanation,
  type Plan,
  type PlanContext,
  type PlanFailure,
  type PlanResult,
  type RoutingNetwork,
  type PreparedNode,
  type RoutingNode,
  type RoutingRequest,
  type StockView,
  type Strategy,
  type TransitLearnerState,
} from './routing/mod.js';

// The engine's side of routing: the pure sourcing module (engine/routing) fed with what only the
// engine knows — the network as it stands, today's capacity use per node, recent rejection rates
// and transit learned from deliveries — and its plans turned into what an order record keeps
// (promise, explanation). Plans are computed and taken in the same synchronous step as the
// holds, so the stock a plan saw is the stock the SKU actors hold it from.

export interface SourcingPolicy {
  /** The strategy when the request names none and its channel has none. Default `blend`. */
  defaultStrategy: Strategy;
  /** Per channel (web, app, store, b2b, marketplace, social). Default: b2b → fewest_shipments. */
  channelStrategies: Readonly<Record<string, Strategy>>;
  /** Pickup lines the store lacks: transferred from other nodes (`allow`) or refused. Default allow. */
  pickupTransfers: 'allow' | 'refuse';
}

export const defaultSourcingPolicy: SourcingPolicy = Object.freeze({
  defaultStrategy: 'blend',
  channelStrategies: Object.freeze({ b2b: 'fewest_shipments' }),
  pickupTransfers: 'allow',
}) as SourcingPolicy;

/** What a hold asks of routing, as kept on the record so that reroutes plan the same way. */
export interface SourcingRequest {
  destination: Destination;
  lines: ReadonlyArray<{ sku: string; qty: number }>;
  channel?: string;
  strategy?: Strategy;
  allowSplit?: boolean;
  maxShipments?: number;
  /** ISO date or instant the shopper needs it by. */
  deliveryBy?: string;
  deliveryByPolicy?: 'required' | 'preferred';
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string; transfers?: 'allow' | 'refuse' };
  excludeNodeIds?: readonly string[];
}

const learnerMetaKey = 'routing.learner';
const rejectionsMetaKey = 'routing.rejections';
/** Deliveries and node answers between two saves of what was learned. */
const learningSaveEvery = 50;

/**
 * Orders taken per node and local day, for `capacityPerDay`. A record counts once at each node it
 * has lines at, from the moment lines are assigned there; it gives the count back when those
 * lines are cancelled or move away (reroute, expiry, release) on the same local day. Shipped and
 * delivered lines keep counting: the node did that work today.
 *
 * Where a record counted is read from the record itself: at the nodes its lines hold stock at
 * before the change, on each node's local date of the record's creation. Only a node counted on
 * another date (lines moved there on a later day) is remembered, per record: almost every record
 * costs the counter nothing. Bounded by the live records that moved across a day, and the nodes.
 */
export class CapacityCounter {
  private readonly counts = new Map<string, { localDate: string; used: number }>();
  /** Records counted at a node on another local date than their creation's: node id → date. */
  private readonly movedOnLaterDay = new Map<string, Map<string, string>>();
  /** activeNodes' answer for a record at one node, per node (as `counts`, one entry per node). */
  private readonly oneNode = new Map<string, readonly string[]>();

  constructor(readonly todayAt: (nodeId: string, atMs: number) => string | undefined) {}

  /** Forgets every count: start-up then counts each live record (`count`). */
  clear(): void {
    this.counts.clear();
    this.movedOnLaterDay.clear();
  }

  /** Counts one live record while rebuilding at start: on the local day it was created. */
  count(snapshot: OrderSnapshot, nowMs: number): void {
    this.apply(undefined, snapshot, snapshot.record.createdAt, nowMs);
  }

  /** A record changed from `before` (undefined: it is new) to `after`. */
  track(before: OrderSnapshot | undefined, after: OrderSnapshot, nowMs: number): void {
    this.apply(before, after, nowMs, nowMs);
  }

  private apply(before: OrderSnapshot | undefined, after: OrderSnapshot, countedAtMs: number, nowMs: number): void {
    const coreId = after.record.coreId;
    const was = before ? this.activeNodes(before) : noNodes;
    const active = this.activeNodes(after);
    const moved = this.movedOnLaterDay.get(coreId);
    for (const nodeId of was) {
      if (active.includes(nodeId)) continue;
      const date = moved?.get(nodeId) ?? this.todayAt(nodeId, after.record.createdAt);
      const count = this.counts.get(nodeId);
      if (date !== undefined && count && count.localDate === date && count.used > 0) count.used--;
      moved?.delete(nodeId);
    }
    for (const nodeId of active) {
      if (was.includes(nodeId)) continue;
      const date = this.todayAt(nodeId, countedAtMs);
      if (date === undefined) continue;
      // Only today's count matters to routing; a count of another day starts over.
      if (countedAtMs !== nowMs && date !== this.todayAt(nodeId, nowMs)) continue;
      const count = this.counts.get(nodeId);
      if (count && count.localDate === date) count.used++;
      else this.counts.set(nodeId, { localDate: date, used: 1 });
      if (date !== this.todayAt(nodeId, after.record.createdAt)) {
        let dates = this.movedOnLaterDay.get(coreId);
        if (!dates) this.movedOnLaterDay.set(coreId, (dates = new Map()));
        dates.set(nodeId, date);
      }
    }
    if (moved && (moved.size === 0 || terminalOrderStates.has(after.state))) this.movedOnLaterDay.delete(coreId);
  }

  /**
   * The nodes whose capacity a record takes: where it has lines not cancelled and not moved away
   * (a few; an array beats a Set). Most records have them at one node: that node's one frozen
   * array, not an array per record (this runs for every hold).
   */
  private activeNodes(snapshot: OrderSnapshot): readonly string[] {
    if (snapshot.state === 'expired' || snapshot.state === 'dropped') return noNodes;
    let only: string | undefined;
    let several: string[] | undefined;
    for (const line of snapshot.record.lines) {
      if (line.nodeId === '' || line.status === 'cancelled' || line.status === 'backordered' || line.status === 'rerouting') continue;
      if (only === undefined) only = line.nodeId;
      else if (line.nodeId !== only && !several?.includes(line.nodeId)) (several ??= [only]).push(line.nodeId);
    }
    if (several) return several;
    if (only === undefined) return noNodes;
    let one = this.oneNode.get(only);
    if (!one) this.oneNode.set(only, (one = Object.freeze([only])));
    return one;
  }

  asMap(): ReadonlyMap<string, { localDate: string; used: number }> {
    return this.counts;
  }

  usedOn(nodeId: string, date: string): number {
    const count = this.counts.get(nodeId);
    return count && count.localDate === date ? count.used : 0;
  }
}

const noNodes: readonly string[] = Object.freeze([]);

export class Sourcing {
  private network: RoutingNetwork | undefined;
  readonly capacity: CapacityCounter;
  /** The last local date asked per node (one entry per node of the network; emptied when it changes). */
  private readonly todayAt = new Map<string, { node: PreparedNode; atMs: number; date: string }>();
  private rejections = new RejectionTracker();
  private learner = new TransitLearner();
  private unsaved = 0;

  constructor(
    private readonly nodes: () => Iterable<NodeRecord>,
    private readonly ledger: Ledger,
    private readonly currency: { base: string; rates: Readonly<Record<string, number>> },
    readonly policy: SourcingPolicy = defaultSourcingPolicy,
    /** In a cluster: the other partitions' and engines' counts, which a node's cap includes. */
    private readonly peers?: { id: string; peers: CapacityPeers },
  ) {
    this.capacity = new CapacityCounter((nodeId, atMs) => {
      const node = this.prepared().get(nodeId);
      if (!node) return undefined;
      // A turn asks this for every hold at the same node and instant: the last answer per node is kept.
      const last = this.todayAt.get(nodeId);
      if (last !== undefined && last.node === node && last.atMs === atMs) return last.date;
      const date = startDayOf(node, atMs).todayDate;
      this.todayAt.set(nodeId, { node, atMs, date });
      return date;
    });
    peers?.peers.register(peers.id, () => this.capacity.asMap());
  }

  /** Restores what was learned; today's capacity use starts empty (start-up counts each live record into it). */
  load(): void {
    const learner = this.ledger.getMeta<TransitLearnerState>(learnerMetaKey);
    if (learner) this.learner = TransitLearner.fromSnapshot(learner);
    this.rejections = RejectionTracker.fromSnapshot(this.ledger.getMeta<Array<[string, number]>>(rejectionsMetaKey) ?? []);
    this.network = undefined;
    this.capacity.clear();
  }

  /** A node changed: the network is prepared again on next use (and the local dates kept per node go with it). */
  invalidate(): void {
    this.network = undefined;
    this.todayAt.clear();
  }

  prepared(): RoutingNetwork {
    if (this.network) return this.network;
    const nodes: RoutingNode[] = [];
    for (const node of this.nodes()) {
      const routingNode = routingNodeOf(node);
      // A node stored before its routing fields were checked still routes, on the defaults.
      if (validateRoutingNode(routingNode).length === 0) nodes.push(routingNode);
      else nodes.push({ nodeId: node.nodeId, type: node.type, location: node.location, status: node.status, priority: node.priority });
    }
    this.network = prepareNetwork(nodes, { currency: this.currency.base, exchangeRates: this.currency.rates });
    return this.network;
  }

  strategyFor(request: Pick<SourcingRequest, 'strategy' | 'channel'>): Strategy {
    return request.strategy ?? (request.channel ? this.policy.channelStrategies[request.channel] : undefined) ?? this.policy.defaultStrategy;
  }

  routingRequest(request: SourcingRequest): RoutingRequest {
    const deliveryByMs = request.deliveryBy !== undefined ? deliveryByMsOf(request.deliveryBy) : undefined;
    const fulfillment = fulfillmentOf(request.fulfillment, this.policy);
    return {
      destination: { lat: request.destination.lat, lon: request.destination.lon },
      lines: request.lines,
      strategy: this.strategyFor(request),
      ...(request.allowSplit !== undefined ? { allowSplit: request.allowSplit } : {}),
      ...(request.maxShipments !== undefined ? { maxShipments: request.maxShipments } : {}),
      ...(deliveryByMs !== undefined ? { deliveryByMs } : {}),
      ...(request.deliveryByPolicy ? { deliveryByPolicy: request.deliveryByPolicy } : {}),
      ...(fulfillment ? { fulfillment } : {}),
      ...(request.excludeNodeIds && request.excludeNodeIds.length > 0 ? { excludeNodeIds: request.excludeNodeIds } : {}),
    };
  }

  context(nowMs: number): PlanContext {
    return { nowMs, capacityUsed: this.capacityUsed(nowMs), rejectionRates: this.rejections.asMap(), learner: this.learner };
  }

  /** What routing counts against a node's cap: this counter's orders, and in a cluster everyone else's. */
  private capacityUsed(nowMs: number): PlanContext['capacityUsed'] {
    const own = this.capacity.asMap();
    const shared = this.peers;
    if (!shared) return own;
    const counter = this.capacity;
    return {
      get(nodeId: string) {
        const mine = own.get(nodeId);
        const localDate = counter.todayAt(nodeId, nowMs);
        if (localDate === undefined) return mine;
        const used = (mine?.localDate === localDate ? mine.used : 0) + shared.peers.othersUsed(shared.id, nodeId, localDate);
        return { localDate, used };
      },
    } as unknown as PlanContext['capacityUsed'];
  }

  plan(request: SourcingRequest, stock: StockView, nowMs: number): PlanResult {
    return plan(this.routingRequest(request), this.prepared(), stock, this.context(nowMs));
  }

  options(request: SourcingRequest, stock: StockView, nowMs: number) {
    return promiseOptions(this.routingRequest(request), this.prepared(), stock, this.context(nowMs));
  }

  /** The promise an order keeps: one shipment per planned shipment, with its carrier and dates. */
  promiseOf(planned: Plan): DeliveryPromise {
    return {
      deliveryBy: planned.promisedAt,
      ...(planned.fulfillment === 'pickup' ? { readyBy: planned.promisedAt } : {}),
      shipments: planned.shipments.map(shipmentOf),
      totalCost: planned.totalCost,
      currency: planned.currency,
    };
  }

  /**
   * A shipment from `nodeId` to the destination from now, on its fastest service (a line moved
   * there without a plan of its own, the last resort of a reroute). Undefined when no service reaches.
   */
  shipmentFrom(nodeId: string, destination: Destination, nowMs: number): Shipment | undefined {
    const node = this.prepared().get(nodeId);
    if (!node) return undefined;
    const offers = promisesFrom(node, { lat: destination.lat, lon: destination.lon }, nowMs, this.learner);
    const best = offers.reduce<(typeof offers)[number] | undefined>((a, b) => (a === undefined || b.deliveryByMs < a.deliveryByMs ? b : a), undefined);
    if (!best) return undefined;
    const carrier = node.carriers.find((c) => c.id === best.carrierId)!;
    return {
      nodeId,
      distanceKm: Math.round(distanceKm(node.node.location, destination) * 10) / 10,
      deliveryBy: best.deliveryBy,
      kind: 'delivery',
      carrierId: best.carrierId,
      serviceLevel: carrier.service.level,
      shipDate: best.shipDate,
    };
  }

  /** The record's explanation: per line the chosen nodes, the candidates by term, the rejected ones. */
  explanation(planned: Plan, request: SourcingRequest, excluded: RoutingExplanation['excluded']): StoredRouting {
    return {
      compact: 1,
      strategy: planned.strategy,
      fulfillment: planned.fulfillment,
      ...(request.allowSplit === false ? { allowSplit: false } : {}),
      ...(request.maxShipments !== undefined ? { maxShipments: request.maxShipments } : {}),
      ...(request.deliveryBy !== undefined ? { deliveryBy: request.deliveryBy } : {}),
      totalCost: planned.totalCost,
      currency: planned.currency,
      lines: planned.explanation.lines.map(explainLine),
      excluded,
    };
  }

  /** A node answered an order: its recent rejection rate moves. */
  observeAnswer(nodeId: string, rejected: boolean): void {
    this.rejections.observe(nodeId, rejected);
    this.learned();
  }

  /**
   * A shipment was delivered: its carrier's transit estimate learns the days it took (carrier
   * days in the node's timezone, from the shipped event to now).
   */
  observeDelivery(snapshot: OrderSnapshot, nodeId: string, deliveredAtMs: number): boolean {
    const shipment = snapshot.record.promise.shipments.find((s) => s.nodeId === nodeId);
    if (!shipment?.carrierId) return false;
    const shipped = [...snapshot.record.history].reverse().find((entry) => entry.type === 'order.shipped' && entry.nodeId === nodeId)
      ?? [...snapshot.record.history].reverse().find((entry) => entry.type === 'order.shipped' || entry.type === 'order.partially_shipped');
    const node = this.prepared().get(nodeId);
    const carrier = node?.carriers.find((c) => c.id === shipment.carrierId);
    if (!shipped || !node || !carrier) return false;
    const actualTransitDays = observedTransitDays(Date.parse(shipped.at), deliveredAtMs, node.timezone, carrier.service.deliveryDays);
    const learned = this.learner.observe({ service: carrier.service, distanceKm: shipment.distanceKm, actualTransitDays });
    if (learned) this.learned();
    return learned;
  }

  private learned(): void {
    if (++this.unsaved < learningSaveEvery) return;
    this.save();
  }

  /** Stages what was learned into the ledger (written with the next batch). */
  save(): void {
    this.unsaved = 0;
    this.ledger.putMeta(learnerMetaKey, this.learner.snapshot());
    this.ledger.putMeta(rejectionsMetaKey, this.rejections.snapshot());
  }

  /** The nearest online node that takes pickups, preferring one that holds every line; undefined when none does. */
  nearestPickupPoint(destination: Destination, lines: ReadonlyArray<{ sku: string; qty: number }>, stock: StockView): string | undefined {
    const points = this.prepared().nodes
      .filter((node) => node.node.status === 'online' && node.pickupCapable)
      .map((node) => ({ nodeId: node.nodeId, km: nodeDistanceKm(node, destination) }))
      .sort((a, b) => a.km - b.km || (a.nodeId < b.nodeId ? -1 : 1));
    const holdsAll = points.find(({ nodeId }) => lines.every(({ sku, qty }) => (stock.get(sku)?.get(nodeId) ?? 0) >= qty));
    return (holdsAll ?? points[0])?.nodeId;
  }

  /** GET /v1/carriers: every carrier service in the network, the nodes using it, and what was learned. */
  carriers() {
    const network = this.prepared();
    const byId = new Map<string, { service: CarrierService; nodes: string[] }>();
    for (const node of network.nodes) {
      for (const carrier of node.carriers) {
        const entry = byId.get(carrier.id);
        if (entry) entry.nodes.push(node.nodeId);
        else byId.set(carrier.id, { service: carrier.service, nodes: [node.nodeId] });
      }
    }
    return {
      currency: network.currency,
      carriers: [...byId].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, { service, nodes }]) => ({
        id,
        level: service.level,
        cost: service.cost,
        ...(service.pickupDays ? { pickupDays: service.pickupDays } : {}),
        deliveryDays: service.deliveryDays ?? [1, 2, 3, 4, 5],
        nodes: nodes.sort(),
        bands: service.transit.map((band, index) => {
          const estimate = this.learner.estimate(id, index);
          return {
            maxKm: band.maxKm,
            nominalDays: band.days,
            promisedDays: this.learner.transitDaysFor(id, index, band.days),
            ...(estimate ? { learned: { deliveries: estimate.samples, meanDays: Math.round(estimate.meanDays * 100) / 100 } } : {}),
          };
        }),
      })),
    };
  }

  /** Node stats for ops: today's capacity use in the node's own day, and its recent rejection rate. */
  nodeStats(nodeId: string, nowMs: number) {
    const node = this.prepared().get(nodeId);
    const date = node ? startDayOf(node, nowMs).todayDate : localDate(nowMs, 'UTC');
    const used = this.capacity.usedOn(nodeId, date);
    const capacityPerDay = node?.node.capacityPerDay;
    return {
      nodeId,
      localDate: date,
      ordersToday: used,
      ...(capacityPerDay !== undefined ? { capacityPerDay, capacityLeft: Math.max(0, capacityPerDay - used) } : {}),
      recentRejectionRate: Math.round(this.rejections.rate(nodeId) * 1000) / 1000,
    };
  }
}

/** The error a failed plan answers with. */
export function planError(failure: PlanFailure): EngineError {
  const code = failure.code === 'VALIDATION_FAILED' ? 'VALIDATION_FAILED' : failure.code;
  const constraints = failure.lines.flatMap((line) => line.rejected.map((r) => r.reason));
  const atCapacity = constraints.includes('at_capacity');
  return new EngineError(code, failure.message, {
    ...failure.details,
    reason: failure.reason,
    ...(atCapacity ? { constraints: [...new Set(constraints)] } : {}),
  });
}

/** A StockView over the SKU actors' positions: available = onHand − safetyStock − reserved. */
export function stockViewOf(positionsOf: (sku: string) => Readonly<Record<string, Position>>): StockView {
  const cache = new Map<string, Map<string, number>>();
  return {
    get(sku) {
      let view = cache.get(sku);
      if (!view) {
        view = new Map();
        for (const [nodeId, p] of Object.entries(positionsOf(sku))) view.set(nodeId, availableOf(p));
        cache.set(sku, view);
      }
      return view;
    },
  };
}

function routingNodeOf(node: NodeRecord): RoutingNode {
  return {
    nodeId: node.nodeId,
    type: node.type,
    location: node.location,
    status: node.status,
    priority: node.priority,
    ...(node.capacityPerDay !== undefined ? { capacityPerDay: node.capacityPerDay } : {}),
    ...(node.cutoff ? { cutoff: node.cutoff } : {}),
    ...(node.timezone ? { timezone: node.timezone } : {}),
    ...(node.handlingDays !== undefined ? { handlingDays: node.handlingDays } : {}),
    ...(node.workingDays ? { workingDays: node.workingDays as RoutingNode['workingDays'] } : {}),
    // Any node may be a pickup point unless marked otherwise (the contract names no node type for
    // pickups, and the engine took them anywhere before routing); stores are the usual ones.
    pickupCapable: node.pickupCapable ?? true,
    ...(node.openingHours ? { openingHours: node.openingHours as RoutingNode['openingHours'] } : {}),
    ...(node.carriers && node.carriers.length > 0 ? { carriers: node.carriers.map((carrier, i) => carrierOf(carrier, i)) } : {}),
  };
}

/**
 * A carrier given by name alone (a string, or an object with only a name) is a standard ground
 * service under that id; an object with any of `level`, `cost`, `transit` is a full service, and
 * is checked as one.
 */
function carrierOf(carrier: unknown, index: number): CarrierService {
  if (typeof carrier === 'string') return { ...groundService, id: carrier };
  const given = (carrier ?? {}) as Record<string, unknown>;
  if ('level' in given || 'cost' in given || 'transit' in given) return given as unknown as CarrierService;
  const name = [given.id, given.name, given.carrier, given.service].find((v): v is string => typeof v === 'string' && v.length > 0);
  return { ...groundService, id: name ?? `carrier-${index + 1}` };
}

/**
 * The problems with a node's routing fields (carriers, cutoff, hours…), each naming its field;
 * a carrier priced in a currency the engine has no rate for is one too.
 */
export function routingProblems(node: NodeRecord, currency: { base: string; rates: Readonly<Record<string, number>> }): string[] {
  const routingNode = routingNodeOf(node);
  const problems = validateRoutingNode(routingNode);
  for (const [i, carrier] of (routingNode.carriers ?? []).entries()) {
    const code = carrier.cost?.currency;
    if (code && code !== currency.base && currency.rates[code] === undefined) problems.push(`carriers[${i}].cost.currency ${code} has no exchange rate to ${currency.base}`);
  }
  return problems;
}

function fulfillmentOf(fulfillment: SourcingRequest['fulfillment'], policy: SourcingPolicy): Fulfillment | undefined {
  if (!fulfillment || fulfillment.type === 'delivery') return undefined;
  if (!fulfillment.nodeId) throw new EngineError('VALIDATION_FAILED', 'a pickup names its store', { field: 'fulfillment.nodeId' });
  return { type: 'pickup', nodeId: fulfillment.nodeId, transfers: fulfillment.transfers ?? policy.pickupTransfers };
}

/** `2026-12-24` means by the end of that day (UTC); an instant means that instant. */
export function deliveryByMsOf(deliveryBy: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(deliveryBy) ? Date.parse(`${deliveryBy}T23:59:59.999Z`) : Date.parse(deliveryBy);
  if (Number.isNaN(ms)) throw new EngineError('VALIDATION_FAILED', 'deliveryBy is not a date', { field: 'deliveryBy' });
  return ms;
}

function shipmentOf(s: Plan['shipments'][number]): Shipment {
  return {
    nodeId: s.nodeId,
    distanceKm: s.distanceKm,
    deliveryBy: s.promisedAt,
    kind: s.kind,
    ...(s.carrierId ? { carrierId: s.carrierId } : {}),
    serviceLevel: s.serviceLevel,
    shipDate: s.shipDate,
    cost: s.cost,
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function explainLine(line: LineExplanation): StoredRouting['lines'][number] {
  const candidates: StoredCandidate[] = new Array(line.candidates.length);
  for (let i = 0; i < line.candidates.length; i++) {
    const c = line.candidates[i];
    const t = c.terms;
    candidates[i] = [c.nodeId, Math.round(c.distanceKm), c.available, c.carrierId, c.promisedAtMs, round2(c.score), t.cost, t.speed, t.lateness, t.capacity, t.rejection];
  }
  const rejectedMax = Math.min(line.rejected.length, routingLimits.explainRejectedMaxDefault);
  const rejected: Array<[string, string]> = new Array(rejectedMax);
  for (let i = 0; i < rejectedMax; i++) rejected[i] = [line.rejected[i].nodeId, line.rejected[i].reason];
  let omitted = false;
  for (const _ in line.rejectedOmitted) {
    omitted = true;
    break;
  }
  return {
    sku: line.sku,
    qty: line.qty,
    chosen: line.chosen.map((c) => [c.nodeId, c.qty]),
    candidates,
    rejected,
    ...(omitted ? { rejectedOmitted: line.rejectedOmitted as Record<string, number> } : {}),
  };
}
