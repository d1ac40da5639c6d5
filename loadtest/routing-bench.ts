import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { allocate } from '../actors/sku-inventory/allocate.js';
import type { Position } from '../actors/domain.js';
import { addDaysIn, dayOfDate, firstDayIn } from '../engine/routing/calendar.js';
import { TransitLearner } from '../engine/routing/learning.js';
import type { BlendWeights, Plan, RoutingNode, Strategy } from '../engine/routing/model.js';
import { prepareNetwork, type PreparedNode, type RoutingNetwork } from '../engine/routing/network.js';
import { carrierDays, nodeDistanceKm, startDayOf } from '../engine/routing/promise.js';
import { plan } from '../engine/routing/sourcing.js';
import { StockTable } from '../engine/routing/stock.js';
import { CandidateRanker } from '../engine/routing/simple-router.js';
import { mulberry32 } from '../engine/prng.js';

// `npm run bench:routing [-- --orders 50000 --seed 20260302 --decisions 10000 --rounds 5 --arms 5 --speed 0.75]`:
// the sourcing engine against two naive baselines on one seeded week of orders, then its
// decision rate. Prints a Markdown table.
//
// The world: 56 nodes in real US places (11 warehouses, 3 3PLs, 42 stores), 1,200 SKUs, orders
// of 1–5 lines with Zipf demand (s = 1) and destinations drawn by metro population (50 metros,
// jittered), spread over Monday 2026-03-02 .. Sunday 2026-03-08 (the US DST change is that
// Sunday). Stock is sized from the expected demand and consumed as orders are planned; each arm
// plays the same orders on its own copy of stock and its own capacity counts.
//
// The arms:
//   blend + learning   plan() with the default strategy; capacity counted per node and local day;
//                      a TransitLearner fed the simulated deliveries as they arrive. It first plays
//                      a week of history (own stock copy, not tallied) so the measured week starts
//                      from a learner in steady state, as one restored from its snapshot would.
//   blend              the same without learning (nominal transit bands)
//   blend, speed $2.5  the blend + learning with the speed weight at $2.5/day instead of $0.75:
//                      the dial between cost and promise
//   closest            the engine before routing was wired in: nodes ranked by distance (CandidateRanker), each line taken by
//                      the SKU actor's allocate() (first node that serves it whole, else split in
//                      order), ground service, capacity not looked at
//   priority           a fixed node-priority list (priority, then id), otherwise as closest
//
// The carriers are simulated: actual transit = the service's nominal days for the distance band
// + a seeded noise (−1 sometimes, +1 more often the longer the distance, +2 rarely), and the
// economy service is one day slower than advertised beyond 1,600 km (what learning can find).
// The dice are seeded per order and node, so every arm sees the same luck for the same shipment.
// A node over its capacityPerDay ships the excess one working day later per capacity's worth.
// On time: the whole order delivered on or before its promised day.

// ---- seeded randomness (only here, never in the module): mulberry32 from engine/prng.ts --------

const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};

const ordersTotal = argument('orders', 50_000);
const seed = argument('seed', 20_260_302);
const throughputOrders = argument('decisions', 10_000);
const skuCount = 1_200;
// `--speed 2`: the blend's speed weight ($ per day) for the sourcing arms, to see the dial.
const speedWeight = process.argv.includes('--speed') ? argument('speed', 0.75) : undefined;
const rand = mulberry32(seed);
const uniform = (min: number, max: number): number => min + rand() * (max - min);
const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// ---- the network ---------------------------------------------------------------------------

const LA = 'America/Los_Angeles';
const DEN = 'America/Denver';
const PHX = 'America/Phoenix';
const CHI = 'America/Chicago';
const NY = 'America/New_York';

// prettier-ignore
const warehouses: Array<[string, number, number, string, number, string, number]> = [
  ['wh-ontario-ca',   34.0633, -117.6509, LA,  1_100, '17:00', 1],
  ['wh-reno-nv',      39.5296, -119.8138, LA,    700, '16:00', 2],
  ['wh-kent-wa',      47.3809, -122.2348, LA,    600, '16:00', 2],
  ['wh-phoenix-az',   33.4484, -112.0740, PHX,   600, '16:00', 2],
  ['wh-aurora-co',    39.7294, -104.8319, DEN,   500, '16:00', 3],
  ['wh-dallas-tx',    32.7767,  -96.7970, CHI, 1_000, '16:00', 1],
  ['wh-joliet-il',    41.5250,  -88.0817, CHI,   900, '16:00', 1],
  ['wh-columbus-oh',  39.9612,  -82.9988, NY,    800, '16:30', 2],
  ['wh-atlanta-ga',   33.7490,  -84.3880, NY,    800, '15:30', 2],
  ['wh-orlando-fl',   28.5383,  -81.3792, NY,    600, '15:30', 3],
  ['wh-allentown-pa', 40.6084,  -75.4902, NY,  1_200, '17:00', 1],
];

// prettier-ignore
const thirdParty: Array<[string, number, number, string, number, string, number]> = [
  ['3pl-memphis-tn',    35.1495,  -90.0490, CHI, 500, '15:00', 4],
  ['3pl-louisville-ky', 38.2527,  -85.7585, NY,  500, '15:00', 4],
  ['3pl-saltlake-ut',   40.7608, -111.8910, DEN, 400, '15:00', 4],
];

// Metros: [id, lat, lon, timezone, population in millions, has a store]
// prettier-ignore
const metros: Array<[string, number, number, string, number, boolean]> = [
  ['new-york', 40.7128, -74.0060, NY, 19.5, true], ['los-angeles', 34.0522, -118.2437, LA, 13.0, true],
  ['chicago', 41.8781, -87.6298, CHI, 9.4, true], ['dallas', 32.7767, -96.7970, CHI, 7.6, true],
  ['houston', 29.7604, -95.3698, CHI, 7.1, true], ['washington', 38.9072, -77.0369, NY, 6.3, true],
  ['philadelphia', 39.9526, -75.1652, NY, 6.2, true], ['miami', 25.7617, -80.1918, NY, 6.1, true],
  ['atlanta', 33.7490, -84.3880, NY, 6.1, true], ['boston', 42.3601, -71.0589, NY, 4.9, true],
  ['phoenix', 33.4484, -112.0740, PHX, 4.9, true], ['san-francisco', 37.7749, -122.4194, LA, 4.7, true],
  ['riverside', 33.9806, -117.3755, LA, 4.6, false], ['detroit', 42.3314, -83.0458, NY, 4.3, true],
  ['seattle', 47.6062, -122.3321, LA, 4.0, true], ['minneapolis', 44.9778, -93.2650, CHI, 3.7, true],
  ['san-diego', 32.7157, -117.1611, LA, 3.3, true], ['tampa', 27.9506, -82.4572, NY, 3.2, true],
  ['denver', 39.7392, -104.9903, DEN, 3.0, true], ['baltimore', 39.2904, -76.6122, NY, 2.8, true],
  ['st-louis', 38.6270, -90.1994, CHI, 2.8, true], ['orlando', 28.5383, -81.3792, NY, 2.7, true],
  ['charlotte', 35.2271, -80.8431, NY, 2.7, true], ['san-antonio', 29.4241, -98.4936, CHI, 2.6, true],
  ['portland', 45.5152, -122.6784, LA, 2.5, true], ['sacramento', 38.5816, -121.4944, LA, 2.4, true],
  ['pittsburgh', 40.4406, -79.9959, NY, 2.4, true], ['austin', 30.2672, -97.7431, CHI, 2.3, true],
  ['las-vegas', 36.1699, -115.1398, LA, 2.3, true], ['cincinnati', 39.1031, -84.5120, NY, 2.3, true],
  ['kansas-city', 39.0997, -94.5786, CHI, 2.2, true], ['columbus', 39.9612, -82.9988, NY, 2.1, false],
  ['indianapolis', 39.7684, -86.1581, NY, 2.1, true], ['cleveland', 41.4993, -81.6944, NY, 2.1, true],
  ['san-jose', 37.3382, -121.8863, LA, 2.0, true], ['nashville', 36.1627, -86.7816, CHI, 2.0, true],
  ['virginia-beach', 36.8529, -75.9780, NY, 1.8, false], ['providence', 41.8240, -71.4128, NY, 1.7, false],
  ['jacksonville', 30.3322, -81.6557, NY, 1.6, true], ['milwaukee', 43.0389, -87.9065, CHI, 1.6, true],
  ['raleigh', 35.7796, -78.6382, NY, 1.4, true], ['oklahoma-city', 35.4676, -97.5164, CHI, 1.4, true],
  ['memphis', 35.1495, -90.0490, CHI, 1.3, false], ['richmond', 37.5407, -77.4360, NY, 1.3, true],
  ['louisville', 38.2527, -85.7585, NY, 1.3, false], ['new-orleans', 29.9511, -90.0715, CHI, 1.3, true],
  ['salt-lake-city', 40.7608, -111.8910, DEN, 1.3, true], ['hartford', 41.7658, -72.6734, NY, 1.2, false],
  ['buffalo', 42.8864, -78.8784, NY, 1.1, false], ['albuquerque', 35.0844, -106.6504, DEN, 0.9, true],
];

function buildNodes(): RoutingNode[] {
  const nodes: RoutingNode[] = [];
  const toNode = (type: 'warehouse' | '3pl', [nodeId, lat, lon, timezone, capacityPerDay, time, priority]: (typeof warehouses)[number]): RoutingNode =>
    ({ nodeId, type, location: { lat, lon }, status: 'online', priority, capacityPerDay, cutoff: { time, timezone } });
  for (const row of warehouses) nodes.push(toNode('warehouse', row));
  for (const row of thirdParty) nodes.push(toNode('3pl', row));
  for (const [id, lat, lon, timezone, population, hasStore] of metros) {
    if (!hasStore) continue;
    nodes.push({
      nodeId: `st-${id}`,
      type: 'store',
      location: { lat: lat + 0.02, lon: lon + 0.02 },
      status: 'online',
      priority: 6,
      capacityPerDay: Math.round(25 + population * 6),
      cutoff: { time: '14:00', timezone },
    });
  }
  return nodes;
}

// ---- catalogue, stock and orders -----------------------------------------------------------

interface Order {
  atMs: number;
  destination: { lat: number; lon: number };
  lines: Array<{ sku: string; qty: number; unitWeightKg: number }>;
}

const skus = Array.from({ length: skuCount }, (_, i) => `SKU-${String(i + 1).padStart(5, '0')}`);
const unitWeightKg = skus.map(() => Math.round(Math.exp(uniform(Math.log(0.2), Math.log(8))) * 10) / 10);
// Zipf over a seeded permutation of the catalogue: rank r has weight 1 / r.
const rankToSku = skus.map((_, i) => i);
for (let i = rankToSku.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [rankToSku[i], rankToSku[j]] = [rankToSku[j], rankToSku[i]];
}
const zipfCdf: number[] = [];
{
  let sum = 0;
  for (let r = 1; r <= skuCount; r++) zipfCdf.push((sum += 1 / r));
  for (let r = 0; r < skuCount; r++) zipfCdf[r] /= sum;
}
const skuToRank = new Int32Array(skuCount);
rankToSku.forEach((skuIndex, rank) => (skuToRank[skuIndex] = rank));
const demandShare = (skuIndex: number): number => {
  const rank = skuToRank[skuIndex];
  return zipfCdf[rank] - (rank > 0 ? zipfCdf[rank - 1] : 0);
};
function drawSku(): number {
  const u = rand();
  let lo = 0;
  let hi = zipfCdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (zipfCdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return rankToSku[lo];
}

const populationTotal = metros.reduce((sum, metro) => sum + metro[4], 0);
function drawDestination(): { lat: number; lon: number } {
  let u = rand() * populationTotal;
  for (const [, lat, lon, , population] of metros) {
    u -= population;
    if (u <= 0) return { lat: lat + gaussian() * 0.25, lon: lon + gaussian() * 0.3 };
  }
  return { lat: metros[0][1], lon: metros[0][2] };
}

const startMs = Date.parse('2026-03-02T06:00:00Z'); // Monday 00:00 in Chicago
const weekMs = 7 * 86_400_000;

function drawLines(count: number): Order['lines'] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(drawSku());
  return [...chosen].map((i) => {
    const u = rand();
    return { sku: skus[i], qty: u < 0.8 ? 1 : u < 0.95 ? 2 : 3, unitWeightKg: unitWeightKg[i] };
  });
}

function drawOrders(count: number, fromMs: number): Order[] {
  const orders: Order[] = [];
  for (let i = 0; i < count; i++) {
    const u = rand();
    const lineCount = u < 0.4 ? 1 : u < 0.7 ? 2 : u < 0.9 ? 3 : u < 0.97 ? 4 : 5;
    orders.push({ atMs: Math.floor(fromMs + (i / count) * weekMs + rand() * 1_000), destination: drawDestination(), lines: drawLines(lineCount) });
  }
  return orders;
}

function buildStock(nodes: readonly RoutingNode[], orders: readonly Order[]): StockTable {
  const unitsPerOrder = orders.reduce((sum, order) => sum + order.lines.reduce((s, line) => s + line.qty, 0), 0) / Math.max(1, orders.length);
  const expectedUnits = (skuIndex: number): number => demandShare(skuIndex) * ordersTotal * unitsPerOrder;
  const stock = new StockTable();
  for (const node of nodes) {
    for (let i = 0; i < skuCount; i++) {
      const expected = expectedUnits(i);
      if (node.type === 'warehouse') {
        if (rand() < 0.85) stock.set(skus[i], node.nodeId, Math.ceil(expected * uniform(0.1, 0.3)) + Math.floor(uniform(5, 40)));
      } else if (node.type === '3pl') {
        if (rand() < 0.5) stock.set(skus[i], node.nodeId, Math.ceil(expected * uniform(0.05, 0.15)) + Math.floor(uniform(5, 30)));
      } else {
        // Stores carry the popular items more often, a few units each.
        const carries = Math.min(0.9, 0.1 + demandShare(i) * 60);
        if (rand() < carries) stock.set(skus[i], node.nodeId, Math.floor(uniform(1, 16)));
      }
    }
  }
  return stock;
}

// ---- the simulated carriers and nodes -------------------------------------------------------

interface Tally {
  served: number;
  refused: number;
  cost: number;
  shipments: number;
  onTimeOrders: number;
  promisedDays: number;
  capacityLateShipments: number;
  releases: Map<string, number>;
}

const newTally = (): Tally => ({ served: 0, refused: 0, cost: 0, shipments: 0, onTimeOrders: 0, promisedDays: 0, capacityLateShipments: 0, releases: new Map() });

interface Delivery {
  dueMs: number;
  serviceId: string;
  distanceKm: number;
  actualDays: number;
}

class DeliveryQueue {
  private readonly heap: Delivery[] = [];
  push(delivery: Delivery): void {
    const heap = this.heap;
    heap.push(delivery);
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (heap[parent].dueMs <= heap[i].dueMs) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  }
  popDue(nowMs: number): Delivery | undefined {
    const heap = this.heap;
    if (heap.length === 0 || heap[0].dueMs > nowMs) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l].dueMs < heap[m].dueMs) m = l;
        if (r < heap.length && heap[r].dueMs < heap[m].dueMs) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  }
}

/** Noise of the simulated carriers, seeded per shipment so that every arm sees the same dice for the same shipment. */
function simulatedTransitDays(serviceId: string, nominalDays: number, km: number, dice: () => number): number {
  let days = nominalDays;
  if (serviceId === 'economy' && km > 1_600) days += 1;
  const u = dice();
  const late = 0.05 + 0.1 * Math.min(1, km / 4_000);
  if (u < 0.02) days += 2;
  else if (u < 0.02 + late) days += 1;
  else if (nominalDays >= 2 && u > 0.9) days -= 1;
  return Math.max(0, days);
}

const hashDice = (orderIndex: number, nodeIndex: number): (() => number) => mulberry32((seed ^ Math.imul(orderIndex + 1, 0x9e3779b1) ^ Math.imul(nodeIndex + 1, 0x85ebca6b)) >>> 0);

interface ShipmentOutcome {
  onTime: boolean;
  promisedDays: number;
}

/**
 * Releases a shipment at `node` and plays the carrier: the shipment ships `slip` working days
 * late when the node is over capacity today, then travels the simulated transit.
 */
function ship(tally: Tally, node: PreparedNode, serviceId: string, km: number, promisedDay: number, nowMs: number, orderIndex: number, learnQueue?: DeliveryQueue): ShipmentOutcome {
  const { today, startDay } = startDayOf(node, nowMs);
  const key = `${node.nodeId}|${today}`;
  const released = tally.releases.get(key) ?? 0;
  tally.releases.set(key, released + 1);
  const capacity = node.node.capacityPerDay ?? Infinity;
  const slip = Math.floor(released / capacity);
  if (slip > 0) tally.capacityLateShipments++;
  const carrier = node.carriers.find((c) => c.id === serviceId)!;
  const nominal = carrierDays(node, carrier, km, startDay)!;
  const handover = firstDayIn(carrier.pickupMask, addDaysIn(node.workingMask, nominal.shipDay, slip));
  const actualDays = simulatedTransitDays(serviceId, nominal.transitDays, km, hashDice(orderIndex, node.index));
  const deliveredDay = actualDays === 0 ? firstDayIn(carrier.deliveryMask, handover) : addDaysIn(carrier.deliveryMask, handover, actualDays);
  learnQueue?.push({ dueMs: (deliveredDay + 1) * 86_400_000, serviceId, distanceKm: km, actualDays });
  return { onTime: deliveredDay <= promisedDay, promisedDays: promisedDay - today };
}

// ---- the arms -----------------------------------------------------------------------------

interface Arm {
  name: string;
  run(order: Order, orderIndex: number, tally: Tally): void;
}

/**
 * plan() with `strategy`. With a learner, the arm first plays a week of history (its own stock
 * copy and capacity counts, not tallied) so that the measured week starts from a learner in
 * steady state, as a deployed one restored from its snapshot would; the deliveries of the
 * history's last days keep arriving during the measured week.
 */
function sourcingArm(
  name: string,
  network: RoutingNetwork,
  stock: StockTable,
  strategy: Strategy,
  learner?: TransitLearner,
  history?: { orders: Order[]; stock: StockTable },
  weights: Partial<BlendWeights> | undefined = speedWeight === undefined ? undefined : { speed: speedWeight },
): Arm {
  const queue = learner ? new DeliveryQueue() : undefined;
  const services = new Map(network.nodes.flatMap((node) => node.carriers.map((c) => [c.id, c.service] as const)));
  const play = (order: Order, orderIndex: number, tally: Tally, onStock: StockTable, capacityUsed: Map<string, { localDate: string; used: number }>): void => {
    if (learner && queue) {
      for (let due = queue.popDue(order.atMs); due; due = queue.popDue(order.atMs)) {
        learner.observe({ service: services.get(due.serviceId)!, distanceKm: due.distanceKm, actualTransitDays: due.actualDays });
      }
    }
    const result = plan({ destination: order.destination, lines: order.lines, strategy }, network, onStock, { nowMs: order.atMs, learner, capacityUsed, weights });
    if (!result.ok) {
      tally.refused++;
      return;
    }
    account(network, onStock, result.plan, order, orderIndex, tally, capacityUsed, queue);
  };
  if (learner && history) {
    const capacityUsed = new Map<string, { localDate: string; used: number }>();
    const scratchTally = newTally();
    const historyStock = history.stock.clone();
    history.orders.forEach((order, i) => play(order, ordersTotal + i, scratchTally, historyStock, capacityUsed));
  }
  const capacityUsed = new Map<string, { localDate: string; used: number }>();
  return { name, run: (order, orderIndex, tally) => play(order, orderIndex, tally, stock, capacityUsed) };
}

function account(network: RoutingNetwork, stock: StockTable, chosen: Plan, order: Order, orderIndex: number, tally: Tally, capacityUsed: Map<string, { localDate: string; used: number }>, queue?: DeliveryQueue): void {
  for (const allocation of chosen.allocations) {
    if (!stock.take(allocation.sku, allocation.nodeId, allocation.qty)) throw new Error(`plan took more ${allocation.sku} than ${allocation.nodeId} has`);
  }
  let onTime = true;
  let promisedDays = 0;
  for (const shipment of chosen.shipments) {
    const node = network.get(shipment.nodeId)!;
    const { today } = startDayOf(node, order.atMs);
    const localDate = new Date(today * 86_400_000).toISOString().slice(0, 10);
    const used = capacityUsed.get(node.nodeId);
    capacityUsed.set(node.nodeId, used && used.localDate === localDate ? { localDate, used: used.used + 1 } : { localDate, used: 1 });
    const km = nodeDistanceKm(node, order.destination);
    const outcome = ship(tally, node, shipment.carrierId, km, dayOfDate(shipment.deliveryDate)!, order.atMs, orderIndex, queue);
    onTime &&= outcome.onTime;
    promisedDays = Math.max(promisedDays, outcome.promisedDays);
  }
  tally.served++;
  tally.cost += chosen.totalCost;
  tally.shipments += chosen.shipments.length;
  tally.promisedDays += promisedDays;
  if (onTime) tally.onTimeOrders++;
}

/** Today's engine: a ranking of node ids, the SKU actor's allocate(), ground service, no capacity. */
function naiveArm(name: string, network: RoutingNetwork, stock: StockTable, rank: (order: Order) => string[]): Arm {
  const positions = (sku: string): Record<string, Position> => {
    const record: Record<string, Position> = {};
    stock.get(sku)?.forEach((available, nodeId) => (record[nodeId] = { onHand: available, safetyStock: 0, reserved: 0 }));
    return record;
  };
  return {
    name,
    run(order, orderIndex, tally) {
      const candidates = rank(order);
      const taken: Array<{ sku: string; nodeId: string; qty: number }> = [];
      for (const line of order.lines) {
        const allocations = allocate(positions(line.sku), line.qty, candidates, true);
        if (!allocations) {
          tally.refused++;
          return;
        }
        for (const a of allocations) taken.push({ sku: line.sku, ...a });
      }
      const weightByNode = new Map<string, number>();
      for (const t of taken) {
        if (!stock.take(t.sku, t.nodeId, t.qty)) throw new Error('baseline over-took');
        const line = order.lines.find((l) => l.sku === t.sku)!;
        weightByNode.set(t.nodeId, (weightByNode.get(t.nodeId) ?? 0) + t.qty * line.unitWeightKg);
      }
      let onTime = true;
      let promisedDays = 0;
      for (const [nodeId, weightKg] of weightByNode) {
        const node = network.get(nodeId)!;
        const km = nodeDistanceKm(node, order.destination);
        const { startDay } = startDayOf(node, order.atMs);
        const ground = node.carriers.find((c) => c.id === 'ground')!;
        const promised = carrierDays(node, ground, km, startDay)!;
        tally.cost += ground.base + ground.perKm * km + ground.perKg * weightKg;
        const outcome = ship(tally, node, 'ground', km, promised.deliveryDay, order.atMs, orderIndex);
        onTime &&= outcome.onTime;
        promisedDays = Math.max(promisedDays, outcome.promisedDays);
      }
      tally.served++;
      tally.shipments += weightByNode.size;
      tally.promisedDays += promisedDays;
      if (onTime) tally.onTimeOrders++;
    },
  };
}

// ---- run -----------------------------------------------------------------------------------

function overCapacity(network: RoutingNetwork, tally: Tally): { nodeDays: number; nodes: number } {
  let nodeDays = 0;
  const nodes = new Set<string>();
  for (const [key, released] of tally.releases) {
    const nodeId = key.slice(0, key.indexOf('|'));
    if (released > (network.get(nodeId)!.node.capacityPerDay ?? Infinity)) {
      nodeDays++;
      nodes.add(nodeId);
    }
  }
  return { nodeDays, nodes: nodes.size };
}

interface Rate {
  /** Decisions per second of wall time in plan(), median round and best round. */
  medianPerSecond: number;
  bestPerSecond: number;
  p50Us: number;
  p99Us: number;
  count: number;
  rounds: number;
}

/**
 * Decisions per second for 3-line orders with the default strategy: `rounds` rounds of the same
 * orders, each on a fresh copy of the stock (consumed as planned) and fresh capacity counts.
 * On a shared machine other processes steal time slices, so the best round estimates what one
 * core does and the median what this run saw; both are printed.
 */
function throughput(network: RoutingNetwork, baseStock: StockTable): Rate {
  const rounds = argument('rounds', 5);
  const orders = Array.from({ length: throughputOrders }, (_, i) => ({ atMs: startMs + i * 10_000, destination: drawDestination(), lines: drawLines(3) }));
  const learner = new TransitLearner();
  const rates: number[] = [];
  const latencies = new Float64Array(orders.length * rounds);
  for (let round = -1; round < rounds; round++) {
    // Round −1 warms the JIT up and is not counted.
    const stock = baseStock.clone();
    const capacityUsed = new Map<string, { localDate: string; used: number }>();
    let busyMs = 0;
    for (let i = 0; i < orders.length; i++) {
      const order = orders[i];
      const began = performance.now();
      const result = plan({ destination: order.destination, lines: order.lines }, network, stock, { nowMs: order.atMs, learner, capacityUsed });
      const took = performance.now() - began;
      busyMs += took;
      if (round >= 0) latencies[round * orders.length + i] = took * 1000;
      if (!result.ok) continue;
      for (const a of result.plan.allocations) stock.take(a.sku, a.nodeId, a.qty);
      for (const shipment of result.plan.shipments) {
        const node = network.get(shipment.nodeId)!;
        const { todayDate } = startDayOf(node, order.atMs);
        const used = capacityUsed.get(node.nodeId);
        capacityUsed.set(node.nodeId, { localDate: todayDate, used: used && used.localDate === todayDate ? used.used + 1 : 1 });
      }
    }
    if (round >= 0) rates.push(orders.length / (busyMs / 1000));
  }
  rates.sort((a, b) => a - b);
  latencies.sort();
  return {
    medianPerSecond: rates[Math.floor(rates.length / 2)],
    bestPerSecond: rates[rates.length - 1],
    p50Us: latencies[Math.floor(latencies.length / 2)],
    p99Us: latencies[Math.floor(latencies.length * 0.99)],
    count: orders.length,
    rounds,
  };
}

function main(): void {
  const nodes = buildNodes();
  const orders = drawOrders(ordersTotal, startMs);
  const stock = buildStock(nodes, orders);
  const history = { orders: drawOrders(ordersTotal, startMs - weekMs), stock: buildStock(nodes, orders) };
  const network = prepareNetwork(nodes);
  const byDistance = new CandidateRanker(nodes.map(({ nodeId, type, location, status, priority }) => ({ nodeId, type, name: nodeId, location, status, priority, createdAt: 0, updatedAt: 0 })));
  const byPriority = [...nodes].sort((a, b) => a.priority - b.priority || (a.nodeId < b.nodeId ? -1 : 1)).map((node) => node.nodeId);
  const arms: Arm[] = [
    sourcingArm('blend + learning (default)', network, stock.clone(), 'blend', new TransitLearner(), history),
    sourcingArm('blend, no learning', network, stock.clone(), 'blend'),
    sourcingArm('blend + learning, speed weight $2.5/day', network, stock.clone(), 'blend', new TransitLearner(), history, { speed: 2.5 }),
    naiveArm('closest with stock (before routing)', network, stock.clone(), (order) => byDistance.rank({ destination: order.destination })),
    naiveArm('fixed priority list', network, stock.clone(), () => byPriority),
  ];
  const rows: string[] = [];
  // `--arms 0` measures the decision rate alone.
  for (const arm of arms.slice(0, argument('arms', arms.length))) {
    const tally = newTally();
    const began = performance.now();
    orders.forEach((order, i) => arm.run(order, i, tally));
    const seconds = (performance.now() - began) / 1000;
    const over = overCapacity(network, tally);
    rows.push(
      `| ${arm.name} | ${tally.served} | ${tally.refused} | ${tally.cost.toFixed(0)} | ${(tally.cost / tally.served).toFixed(2)} | ${(tally.shipments / tally.served).toFixed(3)} | ${((100 * tally.onTimeOrders) / tally.served).toFixed(1)}% | ${(tally.promisedDays / tally.served).toFixed(2)} | ${over.nodeDays} (${over.nodes} nodes) | ${tally.capacityLateShipments} | ${seconds.toFixed(1)} |`,
    );
  }
  const rate = throughput(network, stock);
  const cpu = (process.env.BENCH_CPU ?? '') || `${process.arch}, Node ${process.version}`;
  console.log(`## Routing bench — seed ${seed}, ${ordersTotal} orders, ${network.nodes.length} nodes, ${skuCount} SKUs (${cpu})\n`);
  console.log('| arm | served | refused | shipping cost ($) | $/order | shipments/order | on time | promised days | node-days over capacity | shipments late by capacity | run (s) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log(
    `\nDecisions, 3-line orders, default strategy, one core: **${Math.round(rate.bestPerSecond).toLocaleString('en-US')}/s** best round, ` +
      `${Math.round(rate.medianPerSecond).toLocaleString('en-US')}/s median round (${rate.rounds} rounds × ${rate.count} decisions; ` +
      `p50 ${rate.p50Us.toFixed(1)} µs, p99 ${rate.p99Us.toFixed(1)} µs per plan(); load average at the end ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs).`,
  );
}

/** The seeded world without running the arms (for profiling the decision path). */
export function benchWorld(): { network: RoutingNetwork; stock: StockTable; orders: Order[] } {
  const nodes = buildNodes();
  const orders = drawOrders(ordersTotal, startMs);
  return { network: prepareNetwork(nodes), stock: buildStock(nodes, orders), orders: Array.from({ length: throughputOrders }, (_, i) => ({ atMs: startMs + i * 10_000, destination: drawDestination(), lines: drawLines(3) })) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
