import { admitAll, buildLine, nodeEval, type LineState, type SearchContext } from './candidates.js';
import { dateOfDay, isValidTimeZone, localTime } from './calendar.js';
import { explainLines } from './explain.js';
import { routingLimits } from './limits.js';
import {
  strategies,
  type Allocation,
  type FailureCode,
  type FailureReason,
  type LineExplanation,
  type Plan,
  type PlanContext,
  type PlanResult,
  type PlannedShipment,
  type RoutingLine,
  type RoutingRequest,
  type StockView,
  type Strategy,
} from './model.js';
import type { PreparedNode, RoutingNetwork } from './network.js';
import { storeReadyAt } from './promise.js';
import { measure, type PlanEval } from './scoring.js';
import { search, type SearchOutcome } from './search.js';
import { blendWeights } from './strategies.js';

// plan(request, network, stock, context): where each line of an order comes from, on which
// carrier service, promised by when, and why. Pure and deterministic: the clock is
// `context.nowMs`, every ranking breaks its ties by node id, and nothing is read from anywhere
// else, so the same inputs give the same plan. Expected refusals (sold out, a pickup that cannot
// be served) are results with a stable code, never exceptions.

const round2 = (value: number): number => Math.round(value * 100) / 100;

interface Settings {
  strategy: Strategy;
  allowSplit: boolean;
  maxShipments: number;
  topK: number;
  rejectedMax: number;
}

function failure(code: FailureCode, reason: FailureReason, message: string, details: Record<string, unknown> = {}, lines: LineExplanation[] = []): PlanResult {
  return { ok: false, failure: { code, reason, message, details, lines } };
}

const invalid = (field: string, message: string): PlanResult => failure('VALIDATION_FAILED', 'invalid_request', message, { field });

function validate(request: RoutingRequest, context: PlanContext): PlanResult | undefined {
  if (!Number.isFinite(context.nowMs)) return invalid('nowMs', 'nowMs must be an epoch time in ms');
  const { destination, lines } = request;
  if (!destination || !(destination.lat >= -90 && destination.lat <= 90 && destination.lon >= -180 && destination.lon <= 180)) {
    return invalid('destination', 'destination must be a lat/lon');
  }
  if (destination.timezone !== undefined && !isValidTimeZone(destination.timezone)) return invalid('destination.timezone', 'not an IANA timezone');
  if (!Array.isArray(lines) || lines.length === 0 || lines.length > routingLimits.linesMax) return invalid('lines', `1 to ${routingLimits.linesMax} lines`);
  for (const [i, line] of lines.entries()) {
    if (typeof line.sku !== 'string' || line.sku.length === 0) return invalid(`lines[${i}].sku`, 'sku is empty');
    if (!Number.isInteger(line.qty) || line.qty < 1 || line.qty > routingLimits.qtyMax) return invalid(`lines[${i}].qty`, `qty must be 1..${routingLimits.qtyMax}`);
    if (line.unitWeightKg !== undefined && !(Number.isFinite(line.unitWeightKg) && line.unitWeightKg >= 0)) return invalid(`lines[${i}].unitWeightKg`, 'weight must be ≥ 0');
  }
  if (request.strategy !== undefined && !strategies.includes(request.strategy)) return invalid('strategy', 'unknown strategy');
  const max = request.maxShipments;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= routingLimits.maxShipmentsMax)) return invalid('maxShipments', `maxShipments must be 1..${routingLimits.maxShipmentsMax}`);
  if (request.deliveryByMs !== undefined && !Number.isFinite(request.deliveryByMs)) return invalid('deliveryByMs', 'deliveryByMs must be an epoch time in ms');
  const fulfillment = request.fulfillment;
  if (fulfillment && fulfillment.type !== 'delivery' && !(fulfillment.type === 'pickup' && typeof fulfillment.nodeId === 'string')) return invalid('fulfillment', 'delivery, or pickup with a nodeId');
  return undefined;
}

/** Lines with the same SKU become one (quantities and weights added), in order of first appearance. */
function mergeLines(lines: readonly RoutingLine[]): RoutingLine[] {
  const bySku = new Map<string, { qty: number; weightKg: number }>();
  for (const line of lines) {
    const merged = bySku.get(line.sku) ?? { qty: 0, weightKg: 0 };
    merged.qty += line.qty;
    merged.weightKg += line.qty * (line.unitWeightKg ?? 1);
    bySku.set(line.sku, merged);
  }
  return [...bySku].map(([sku, { qty, weightKg }]) => ({ sku, qty, unitWeightKg: weightKg / qty }));
}

function makeContext(
  request: RoutingRequest,
  network: RoutingNetwork,
  context: PlanContext,
  strategy: Strategy,
  transferTo: PreparedNode | undefined,
): SearchContext {
  const excluded = new Set(request.excludeNodeIds ?? []);
  if (transferTo) excluded.add(transferTo.nodeId);
  return {
    network,
    strategy,
    weights: blendWeights(context.weights),
    nowMs: context.nowMs,
    learner: context.learner,
    destination: transferTo ? { ...transferTo.node.location, timezone: transferTo.timezone } : request.destination,
    transferTo,
    prepMinutes: context.pickupPrepMinutes ?? routingLimits.pickupPrepMinutesDefault,
    deliveryByMs: request.deliveryByMs,
    hardDeliveryBy: (request.deliveryByPolicy ?? 'required') === 'required',
    excluded,
    capacityUsed: context.capacityUsed,
    rejectionRates: context.rejectionRates,
    evals: new Array(network.nodes.length),
  };
}

function shipmentsOf(lines: readonly LineState[], best: PlanEval, kind: 'delivery' | 'transfer'): PlannedShipment[] {
  return best.shipments.map((shipment) => {
    const offer = shipment.ev.offers[shipment.offerIndex];
    const { schedule } = offer;
    const nodeIndex = shipment.ev.node.index;
    const shipmentLines: Array<{ sku: string; qty: number }> = [];
    best.assignment.forEach((parts, i) => {
      for (const part of parts) if (part.node === nodeIndex) shipmentLines.push({ sku: lines[i].sku, qty: part.qty });
    });
    return {
      nodeId: shipment.ev.node.nodeId,
      kind,
      carrierId: schedule.carrier.id,
      serviceLevel: schedule.carrier.service.level,
      distanceKm: Math.round(shipment.ev.distanceKm * 10) / 10,
      weightKg: round2(shipment.weightKg),
      cost: round2(shipment.cost),
      shipDate: dateOfDay(schedule.shipDay),
      deliveryDate: dateOfDay(schedule.deliveryDay),
      transitDays: schedule.transitDays,
      promisedAtMs: offer.promisedAtMs,
      promisedAt: new Date(offer.promisedAtMs).toISOString(),
      lines: shipmentLines,
    };
  });
}

function allocationsOf(lines: readonly LineState[], best: PlanEval): Allocation[] {
  const allocations: Allocation[] = [];
  best.assignment.forEach((parts, i) => {
    for (const part of parts) allocations.push({ sku: lines[i].sku, nodeId: lines[i].byNode.get(part.node)!.ev.node.nodeId, qty: part.qty });
  });
  return allocations;
}

function searchFailure(outcome: Exclude<SearchOutcome, { ok: true }>, lines: readonly LineState[], explanation: LineExplanation[], settings: Settings): PlanResult {
  if (outcome.reason === 'not_enough_stock') {
    const line = lines[outcome.lineIndex!];
    return failure('INSUFFICIENT_STOCK', 'not_enough_stock', `not enough ${line.sku} for ${line.qty} at the nodes allowed to serve it`, { sku: line.sku, requested: line.qty, available: line.totalAvailable }, explanation);
  }
  if (outcome.reason === 'no_single_node') {
    return failure('INSUFFICIENT_STOCK', 'no_single_node', 'no single node can serve the whole order and splitting is not allowed', { allowSplit: false }, explanation);
  }
  return failure('INSUFFICIENT_STOCK', 'over_max_shipments', `the order cannot be served in ${settings.maxShipments} shipments or fewer`, { maxShipments: settings.maxShipments, exact: outcome.exact ?? false }, explanation);
}

/**
 * Candidates evaluated in full per line before the search: the strategy's topK and a margin for
 * the quick key's approximation; every holder for fewest_shipments (its exact search needs all).
 */
const evaluateMaxOf = (settings: Settings): number => (settings.strategy === 'fewest_shipments' ? Infinity : settings.topK + 2);

/** Searches on the evaluated candidates; when that fails and holders are pending, once more with all of them. */
function searchLines(ctx: SearchContext, states: LineState[], settings: Settings, maxShipments: number): SearchOutcome {
  const input = { ctx, lines: states, allowSplit: settings.allowSplit, maxShipments, topK: settings.topK };
  const outcome = search(input);
  if (outcome.ok || states.every((state) => state.pending.evs.length === 0)) return outcome;
  for (const state of states) admitAll(ctx, state);
  return search(input);
}

function planDelivery(request: RoutingRequest, network: RoutingNetwork, stock: StockView, context: PlanContext, lines: RoutingLine[], settings: Settings): PlanResult {
  const ctx = makeContext(request, network, context, settings.strategy, undefined);
  const states = lines.map((line, i) => buildLine(ctx, stock, line, i, evaluateMaxOf(settings)));
  const outcome = searchLines(ctx, states, settings, settings.maxShipments);
  const explain = (assignment?: PlanEval['assignment']): LineExplanation[] =>
    explainLines({ lines: states, assignment, maxShipments: settings.maxShipments, topK: settings.topK, rejectedMax: settings.rejectedMax });
  if (!outcome.ok) return searchFailure(outcome, states, explain(), settings);
  const { best } = outcome;
  const plan: Plan = {
    strategy: settings.strategy,
    fulfillment: 'delivery',
    allocations: allocationsOf(states, best),
    shipments: shipmentsOf(states, best, 'delivery'),
    promisedAtMs: best.measures.latestMs,
    promisedAt: new Date(best.measures.latestMs).toISOString(),
    totalCost: round2(best.measures.cost),
    currency: network.currency,
    terms: best.measures.terms,
    explanation: {
      lines: explain(best.assignment),
      search: {
        poolSize: outcome.poolSize,
        plansCompared: outcome.plansCompared,
        improvements: outcome.improvements,
        ...(outcome.fewestShipmentsExact !== undefined ? { fewestShipmentsExact: outcome.fewestShipmentsExact } : {}),
      },
    },
  };
  return { ok: true, plan };
}

const pickupFailure = (reason: FailureReason, message: string, details: Record<string, unknown> = {}, lines: LineExplanation[] = []): PlanResult =>
  failure('PICKUP_UNAVAILABLE', reason, message, details, lines);

/**
 * Pickup at a store: what the store holds is picked there (ready within its opening hours); the
 * rest comes by transfer from other nodes when the request allows it, ready when the transfer has
 * arrived; or the request is refused with PICKUP_UNAVAILABLE. The store's own pick counts as one
 * of maxShipments. allowSplit false: the store serves everything, or one node transfers everything.
 */
function planPickup(request: RoutingRequest, network: RoutingNetwork, stock: StockView, context: PlanContext, lines: RoutingLine[], settings: Settings): PlanResult {
  const fulfillment = request.fulfillment as { type: 'pickup'; nodeId: string; transfers?: 'allow' | 'refuse' };
  const store = network.get(fulfillment.nodeId);
  if (!store) return pickupFailure('unknown_store', `no node ${fulfillment.nodeId}`, { nodeId: fulfillment.nodeId });
  if (!store.pickupCapable) return pickupFailure('not_pickup_capable', `${store.nodeId} does not offer pickup`, { nodeId: store.nodeId });
  const localCtx = makeContext({ ...request, excludeNodeIds: [] }, network, context, settings.strategy, undefined);
  localCtx.destination = { ...store.node.location, timezone: store.timezone };
  const storeEval = nodeEval(localCtx, store);
  if (storeEval.reason === 'offline' || storeEval.reason === 'paused' || storeEval.reason === 'at_capacity') {
    return pickupFailure('store_unavailable', `${store.nodeId} cannot take pickups now (${storeEval.reason})`, { nodeId: store.nodeId, constraint: storeEval.reason });
  }
  const readyMs = storeReadyAt(store, context.nowMs, localCtx.prepMinutes);
  if (readyMs === undefined) return pickupFailure('store_unavailable', `${store.nodeId} has no opening hours long enough to pick`, { nodeId: store.nodeId, constraint: 'opening_hours' });

  // A store excluded from sourcing (it rejected these lines) still takes the pickup, by transfer only.
  const storeExcluded = request.excludeNodeIds?.includes(store.nodeId) ?? false;
  const atStore = lines.map((line) => (storeExcluded ? 0 : Math.max(0, Math.floor(stock.get(line.sku)?.get(store.nodeId) ?? 0))));
  const allThere = lines.every((line, i) => atStore[i] >= line.qty);
  const localQty = lines.map((line, i) => (settings.allowSplit ? Math.min(line.qty, atStore[i]) : allThere ? line.qty : 0));
  const usesStore = localQty.some((qty) => qty > 0);
  if (usesStore && localCtx.deliveryByMs !== undefined && localCtx.hardDeliveryBy && readyMs > localCtx.deliveryByMs) {
    return pickupFailure('store_unavailable', `${store.nodeId} cannot have it ready by the date asked`, { nodeId: store.nodeId, constraint: 'misses_delivery_by' });
  }
  const rest = lines.map((line, i) => ({ ...line, qty: line.qty - localQty[i] })).filter((line) => line.qty > 0);
  const transferCtx = makeContext(request, network, context, settings.strategy, store);
  const transferStates = rest.map((line, i) => buildLine(transferCtx, stock, line, i, evaluateMaxOf(settings)));
  const explainTransfers = (assignment?: PlanEval['assignment']): LineExplanation[] =>
    explainLines({ lines: transferStates, assignment, maxShipments: settings.maxShipments, topK: settings.topK, rejectedMax: settings.rejectedMax });

  if (rest.length > 0 && fulfillment.transfers === 'refuse') {
    for (const state of transferStates) admitAll(transferCtx, state);
    const refused = explainTransfers().map((line) => ({
      ...line,
      candidates: [],
      rejected: [...line.candidates.map((c) => ({ nodeId: c.nodeId, reason: 'transfer_refused' as const })), ...line.rejected].slice(0, settings.rejectedMax),
    }));
    return pickupFailure('transfer_refused', `${store.nodeId} lacks some lines and transfers are refused`, { nodeId: store.nodeId, missing: rest.map(({ sku, qty }) => ({ sku, qty })) }, refused);
  }

  let transfer: Extract<SearchOutcome, { ok: true }> | undefined;
  if (rest.length > 0) {
    const maxTransfers = settings.maxShipments - (usesStore ? 1 : 0);
    const outcome = maxTransfers < 1
      ? ({ ok: false, reason: 'over_max_shipments' } as const)
      : searchLines(transferCtx, transferStates, settings, maxTransfers);
    if (!outcome.ok) return searchFailure(outcome, transferStates, explainTransfers(), settings);
    transfer = outcome;
  }

  const shipments: PlannedShipment[] = [];
  const allocations: Allocation[] = [];
  const today = localTime(context.nowMs, store.timezone).dayNumber;
  if (usesStore) {
    const storeLines = lines.map((line, i) => ({ sku: line.sku, qty: localQty[i] })).filter((line) => line.qty > 0);
    for (const line of storeLines) allocations.push({ sku: line.sku, nodeId: store.nodeId, qty: line.qty });
    shipments.push({
      nodeId: store.nodeId,
      kind: 'pickup',
      carrierId: '',
      serviceLevel: 'in_store',
      distanceKm: 0,
      weightKg: round2(lines.reduce((sum, line, i) => sum + localQty[i] * (line.unitWeightKg ?? 1), 0)),
      cost: 0,
      shipDate: dateOfDay(today),
      deliveryDate: dateOfDay(localTime(readyMs, store.timezone).dayNumber),
      transitDays: 0,
      promisedAtMs: readyMs,
      promisedAt: new Date(readyMs).toISOString(),
      lines: storeLines,
    });
  }
  if (transfer) {
    allocations.push(...allocationsOf(transferStates, transfer.best));
    shipments.push(...shipmentsOf(transferStates, transfer.best, 'transfer'));
  }
  const parts = [
    ...(usesStore ? [{ cost: 0, promisedAtMs: readyMs, capacityTerm: storeEval.capacityTerm, rejectionTerm: storeEval.rejectionTerm }] : []),
    ...(transfer?.best.shipments.map((s) => ({ cost: s.cost, promisedAtMs: s.promisedAtMs, capacityTerm: s.ev.capacityTerm, rejectionTerm: s.ev.rejectionTerm })) ?? []),
  ];
  const measures = measure(localCtx, parts, transfer?.best.measures.kmUnits ?? 0, (transfer?.best.measures.priorityUnits ?? 0) + (usesStore ? store.node.priority : 0));
  const transferExplanation = transfer ? explainTransfers(transfer.best.assignment) : [];
  const explanation = lines.map((line, i): LineExplanation => {
    const moved = transferExplanation.find((entry) => entry.sku === line.sku);
    const local = localQty[i] > 0 ? [{ nodeId: store.nodeId, qty: localQty[i] }] : [];
    return {
      sku: line.sku,
      qty: line.qty,
      chosen: [...local, ...(moved?.chosen ?? [])],
      candidates: moved?.candidates ?? [],
      rejected: moved?.rejected ?? [],
      rejectedOmitted: moved?.rejectedOmitted ?? {},
      eligibleNotShown: moved?.eligibleNotShown ?? 0,
      holdersNotEvaluated: moved?.holdersNotEvaluated ?? 0,
      nodesWithoutStock: moved?.nodesWithoutStock ?? 0,
    };
  });
  return {
    ok: true,
    plan: {
      strategy: settings.strategy,
      fulfillment: 'pickup',
      allocations,
      shipments,
      promisedAtMs: measures.latestMs,
      promisedAt: new Date(measures.latestMs).toISOString(),
      totalCost: round2(measures.cost),
      currency: network.currency,
      terms: measures.terms,
      explanation: {
        lines: explanation,
        search: { poolSize: transfer?.poolSize ?? 0, plansCompared: transfer?.plansCompared ?? 0, improvements: transfer?.improvements ?? 0 },
      },
    },
  };
}

/**
 * Plans an order: the allocations per line (in the order the SKU actor should try the nodes),
 * the shipments with carrier, cost and promise, and the explanation. Never takes more than
 * `stock` shows available, never uses a node that is not online, at capacity, excluded or unable
 * to keep a required deliveryBy, and never plans more than maxShipments shipments.
 */
export function plan(request: RoutingRequest, network: RoutingNetwork, stock: StockView, context: PlanContext): PlanResult {
  const problem = validate(request, context);
  if (problem) return problem;
  const allowSplit = request.allowSplit ?? true;
  const settings: Settings = {
    strategy: request.strategy ?? 'blend',
    allowSplit,
    maxShipments: allowSplit ? (request.maxShipments ?? routingLimits.maxShipmentsDefault) : 1,
    topK: Math.min(routingLimits.topKMax, Math.max(1, Math.floor(context.topK ?? routingLimits.topKDefault))),
    rejectedMax: Math.max(0, Math.floor(context.explainRejectedMax ?? routingLimits.explainRejectedMaxDefault)),
  };
  const lines = mergeLines(request.lines);
  return request.fulfillment?.type === 'pickup'
    ? planPickup(request, network, stock, context, lines, settings)
    : planDelivery(request, network, stock, context, lines, settings);
}

export interface PromiseOption {
  /** The strategies that lead to this plan (identical plans are listed once). */
  strategies: Strategy[];
  plan: Plan;
}

/**
 * POST /v1/promise: the fastest, cheapest and fewest-shipments options for a cart, holding
 * nothing. The failure is the one of the first strategy when none of them can serve.
 */
export function promiseOptions(
  request: RoutingRequest,
  network: RoutingNetwork,
  stock: StockView,
  context: PlanContext,
): { ok: true; options: PromiseOption[] } | { ok: false; failure: Extract<PlanResult, { ok: false }>['failure'] } {
  const options: PromiseOption[] = [];
  let firstFailure: Extract<PlanResult, { ok: false }>['failure'] | undefined;
  for (const strategy of ['fastest', 'cheapest', 'fewest_shipments'] as const) {
    const result = plan({ ...request, strategy }, network, stock, context);
    if (!result.ok) {
      firstFailure ??= result.failure;
      continue;
    }
    const key = JSON.stringify(result.plan.shipments.map((s) => [s.nodeId, s.carrierId, s.lines]));
    const same = options.find((option) => JSON.stringify(option.plan.shipments.map((s) => [s.nodeId, s.carrierId, s.lines])) === key);
    if (same) same.strategies.push(strategy);
    else options.push({ strategies: [strategy], plan: result.plan });
  }
  return options.length > 0 ? { ok: true, options } : { ok: false, failure: firstFailure! };
}
