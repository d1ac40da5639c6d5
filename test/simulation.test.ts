// Shows the order's whole life holds up under thousands of orders and everything that happens to
// them: node answers (accepted … delivered, short picks, rejections, carrier delays), outages
// (paused, offline, back online), cancels whole and partial, restocks and shrinkage, acceptance
// deadlines passing, holds expiring, and restarts. After every step: no unit is promised twice and
// reserved adds up to the live holds and orders (`audit()`), every live order is final or waits for
// a named reason (its hold deadline, a node's acceptance deadline, stock, a review), and each
// position's onHand is exactly the counts and adjustments made minus the units shipped from it.
// How: one real Engine on LMDB in a temp dir with a simulated clock, driven by a seeded PRNG
// (OO_SIM_SEED, OO_SIM_STEPS); expected refusals are EngineErrors with a known code, anything
// else fails with the seed and the step.
import { afterAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../engine/clock.js';
import { isEngineError } from '../engine/errors.js';
import { mulberry32 } from '../engine/prng.js';
import type { OrderView } from '../engine/views.js';
import { openEngine, seededIds, tempDir, type TestEngine } from './support/fixtures.js';

const seed = Number(process.env.OO_SIM_SEED ?? 20_261_129);
const steps = Number(process.env.OO_SIM_STEPS ?? 2_000);
const hourMs = 3_600_000;
const acceptWithinMs = 4 * hourMs;

const nodes = [
  { nodeId: 'chi', type: 'warehouse', location: { lat: 41.88, lon: -87.63 }, capacityPerDay: 400 },
  { nodeId: 'dal', type: 'warehouse', location: { lat: 32.78, lon: -96.8 } },
  { nodeId: 'ewr', type: 'warehouse', location: { lat: 40.73, lon: -74.17 } },
  { nodeId: 'st-nyc', type: 'store', location: { lat: 40.75, lon: -73.99 }, capacityPerDay: 60 },
  { nodeId: 'st-lax', type: 'store', location: { lat: 34.05, lon: -118.24 } },
] as const;
const skus = ['S-1', 'S-2', 'S-3', 'S-4', 'S-5', 'S-6'];
const destinations = [{ lat: 41.9, lon: -87.7 }, { lat: 40.7, lon: -73.9 }, { lat: 34.0, lon: -118.3 }, { lat: 29.76, lon: -95.37 }];
const strategies = [undefined, undefined, 'closest', 'cheapest', 'fastest', 'fewest_shipments', 'priority'] as const;
const expectedRefusals = new Set(['INSUFFICIENT_STOCK', 'INVALID_STATE', 'NOT_FOUND', 'PURCHASE_LIMIT', 'PICKUP_UNAVAILABLE']);

const dirs: Array<{ remove(): void }> = [];
afterAll(() => { for (const dir of dirs) dir.remove(); });

/**
 * Runs the simulation on a new temp dir; throws at the first broken promise. Returns the orders
 * made, a count per outcome and every outcome in order (what a replay of the seed must repeat).
 */
async function simulate(seed: number, steps: number): Promise<{ ids: string[]; counts: Record<string, number>; outcomes: string[] }> {
  const dir = tempDir('oo-sim-');
  dirs.push(dir);
  const random = mulberry32(seed);
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const clock = new SimulatedClock(Date.UTC(2026, 0, 5, 14, 0, 0));
  // Ids from the seed too (one stream across restarts, so none repeats): the engine takes orders
  // in id order in places, and crypto ids would make the same seed run differently.
  const settings = { acceptWithinMs, idRandom: seededIds(seed ^ 0x5eed) };
  let te: TestEngine = await openEngine(dir.path, clock, undefined, settings);
  const engine = () => te.engine;

  for (const { nodeId, ...definition } of nodes) await engine().putNode(nodeId, { name: nodeId, priority: nodeId.startsWith('st') ? 5 : 1, ...definition });
  /** onHand per `sku@node` as the simulation made it: counts, adjustments, minus what shipped. */
  const onHand = new Map<string, number>();
  for (const sku of skus) {
    for (const { nodeId } of nodes) {
      const units = int(20, 200);
      await engine().setStock(nodeId, sku, { onHand: units, safetyStock: int(0, 2) });
      onHand.set(`${sku}@${nodeId}`, units);
    }
  }
  await engine().putSku('S-6', { maxPerCustomer: 6 });

  const ids: string[] = [];
  const counts: Record<string, number> = {};
  const outcomes: string[] = [];
  const count = (what: string) => { counts[what] = (counts[what] ?? 0) + 1; outcomes.push(what); };
  let step = 0;
  let op = '';
  const shippedAt = (order: OrderView | undefined): Map<string, number> => {
    const out = new Map<string, number>();
    for (const l of order?.lines ?? []) if (l.nodeId && (l.status === 'shipped' || l.status === 'delivered')) out.set(`${l.sku}@${l.nodeId}`, (out.get(`${l.sku}@${l.nodeId}`) ?? 0) + l.qty);
    return out;
  };
  /** Runs one operation: a refusal must be an expected code; anything else fails the run. */
  const attempt = async <T,>(what: string, run: () => Promise<T>): Promise<T | undefined> => {
    op = what;
    try {
      const result = await run();
      count(`${what} ok`);
      return result;
    } catch (error) {
      if (!isEngineError(error) || !expectedRefusals.has(error.code)) throw new Error(`seed ${seed}, step ${step} (${what}): ${String(error)}`);
      count(`${what} ${error.code}`);
      return undefined;
    }
  };
  const liveOrder = async (): Promise<OrderView | undefined> => {
    for (let tries = 0; tries < 4 && ids.length > 0; tries++) {
      const id = ids[Math.floor(random() * ids.length)];
      const order = await engine().getOrder(id).catch(() => undefined);
      if (order && !['delivered', 'cancelled'].includes(order.status)) return order;
    }
    return undefined;
  };
  const cart = () => ({
    customerId: `c-${int(1, 2_000)}`,
    destination: pick(destinations),
    lines: Array.from({ length: int(1, 3) }, () => ({ sku: pick(skus), qty: int(1, 4) })),
    ...(random() < 0.15 ? { allowSplit: false } : {}),
    ...(random() < 0.15 ? { maxShipments: int(1, 2) } : {}),
    ...(random() < 0.1 ? { fulfillment: { type: 'pickup' as const, nodeId: pick(['st-nyc', 'st-lax', 'chi']) } } : {}),
    ...((s) => (s ? { strategy: s } : {}))(pick(strategies)),
  });

  for (step = 0; step < steps; step++) {
    // Past 200 live orders, nodes catch up: half the steps ship and deliver three of them (the
    // audit reads every live order after every step, so the live set stays bounded).
    const roll = engine().stats().liveOrders > 200 && random() < 0.5 ? -1 : random();
    if (roll < 0) for (let k = 0; k < 3; k++) {
      const order = await liveOrder();
      for (const nodeId of new Set((order?.lines ?? []).filter((l) => l.nodeId && !['shipped', 'delivered', 'cancelled'].includes(l.status)).map((l) => l.nodeId!))) {
        const before = shippedAt(await engine().getOrder(order!.orderId));
        const shipped = await attempt('event shipped', () => engine().nodeEvent(nodeId, { orderId: order!.orderId, type: 'shipped' }));
        if (!shipped) continue;
        for (const [key, qty] of shippedAt(shipped)) {
          const more = qty - (before.get(key) ?? 0);
          if (more > 0) onHand.set(key, onHand.get(key)! - more);
        }
        await attempt('event delivered', () => engine().nodeEvent(nodeId, { orderId: order!.orderId, type: 'delivered' }));
      }
    } else if (roll < 0.2) {
      // Checkouts arrive together: a few orders in one step, sharing one ledger batch.
      const placed = await Promise.all(Array.from({ length: int(3, 9) }, () => attempt('order', () => engine().createOrder(cart()))));
      for (const answer of placed) if (answer) ids.push(answer.body.orderId);
    } else if (roll < 0.28) {
      const held = await attempt('hold', () => engine().createReservation({ ...cart(), ttlSeconds: int(60, 3600) }));
      if (held && random() < 0.7) {
        const confirmed = await attempt('confirm', () => engine().confirmReservation(held.body.reservationId, {}));
        if (confirmed) ids.push(confirmed.body.orderId);
      } else if (held && random() < 0.5) await attempt('release', () => engine().releaseReservation(held.body.reservationId));
    } else if (roll < 0.62) {
      const order = await liveOrder();
      if (!order) continue;
      const atNodes = [...new Set(order.lines.filter((l) => l.nodeId).map((l) => l.nodeId!))];
      if (atNodes.length === 0) continue;
      const nodeId = pick(atNodes);
      const type = pick(['accepted', 'picked', 'packed', 'shipped', 'shipped', 'shipped', 'delivered', 'delivered', 'delivered', 'rejected', 'delayed'] as const);
      const line = pick(order.lines.filter((l) => l.nodeId === nodeId));
      const lines = random() < 0.3 ? [{ sku: line.sku, qty: int(1, line.qty) }] : undefined;
      const before = shippedAt(order);
      const after = await attempt(`event ${type}`, () => engine().nodeEvent(nodeId, { orderId: order.orderId, type, ...(lines ? { lines } : {}), ...(type === 'delayed' ? { delayDays: int(1, 3) } : {}) }));
      if (after) {
        // Units shipped leave onHand at their node.
        for (const [key, qty] of shippedAt(after)) {
          const more = qty - (before.get(key) ?? 0);
          if (more > 0) onHand.set(key, onHand.get(key)! - more);
        }
      }
    } else if (roll < 0.67) {
      const order = await liveOrder();
      if (!order) continue;
      const line = pick(order.lines);
      await attempt('cancel', () => engine().cancelOrder(order.orderId, random() < 0.5 ? undefined : [{ sku: line.sku, qty: int(1, line.qty) }]));
    } else if (roll < 0.7) {
      const { nodeId } = pick(nodes);
      await attempt('status', () => engine().setNodeStatus(nodeId, pick(['online', 'online', 'online', 'paused', 'offline'] as const)));
    } else if (roll < 0.78) {
      const sku = pick(skus);
      const { nodeId } = pick(nodes);
      const delta = int(20, 120);
      if (await attempt('restock', () => engine().adjustStock(nodeId, sku, { delta, reason: 'received' }))) onHand.set(`${sku}@${nodeId}`, onHand.get(`${sku}@${nodeId}`)! + delta);
    } else if (roll < 0.82) {
      // A count, often below what is reserved there: the newest allocations move (shrinkage).
      const sku = pick(skus);
      const { nodeId } = pick(nodes);
      const units = int(0, 12);
      if (await attempt('count', () => engine().setStock(nodeId, sku, { onHand: units }))) onHand.set(`${sku}@${nodeId}`, units);
    } else if (roll < 0.97) {
      // Time passes: holds expire, acceptance deadlines fire.
      clock.increment(random() < 0.8 ? int(1, 30) * 60_000 : int(3, 9) * hourMs);
      await attempt('sweep', () => engine().sweepExpiries());
    } else {
      op = 'restart';
      await te.stop();
      clock.increment(int(0, 120) * 60_000);
      te = await openEngine(dir.path, clock, undefined, settings);
      const report = await engine().sweepExpiries();
      expect(report).toBeGreaterThanOrEqual(0);
      count('restart');
    }

    const audit = await engine().audit();
    if (!audit.ok) throw new Error(`seed ${seed}, step ${step} (${op}): ${audit.problems.join('; ')}`);
    if (step % 10 === 0 || op === 'restart' || op.startsWith('event') || op === 'count' || op === 'restock') {
      for (const sku of skus) {
        for (const position of (await engine().getInventory(sku)).nodes) {
          if (position.onHand !== onHand.get(`${sku}@${position.nodeId}`)) throw new Error(`seed ${seed}, step ${step} (${op}): ${sku}@${position.nodeId} onHand ${position.onHand}, expected ${onHand.get(`${sku}@${position.nodeId}`)}`);
        }
      }
    }
  }

  // With every node online and time moving on, nothing is left waiting on a node that will not answer.
  for (const { nodeId } of nodes) await engine().setNodeStatus(nodeId, 'online');
  clock.increment(acceptWithinMs * 3);
  await engine().sweepExpiries();
  const audit = await engine().audit();
  if (!audit.ok) throw new Error(`seed ${seed}, at the end: ${audit.problems.join('; ')}`);
  await te.stop();
  return { ids, counts, outcomes };
}

describe('lifecycle simulation (seeded)', () => {
  it(`${steps} steps of orders, node events, outages, cancels, restocks, deadlines and restarts keep every promise`, async () => {
    const { ids, counts } = await simulate(seed, steps);
    console.log(`simulation seed ${seed}: ${ids.length} orders`, JSON.stringify(counts));
    // The run did what it says: thousands of orders, and every kind of event.
    expect(ids.length).toBeGreaterThan(steps * 0.4);
    for (const what of ['order ok', 'confirm ok', 'event shipped ok', 'event delivered ok', 'event rejected ok', 'cancel ok', 'status ok', 'restock ok', 'count ok', 'restart']) {
      expect(counts[what] ?? 0, what).toBeGreaterThan(0);
    }
  }, 240_000);

  it('replays a seed exactly: the same outcomes, step by step, and the same order ids', async () => {
    const first = await simulate(seed + 1, 300);
    const second = await simulate(seed + 1, 300);
    expect(first.outcomes.length).toBeGreaterThan(300);
    expect(second.outcomes).toEqual(first.outcomes);
    expect(second.ids).toEqual(first.ids);
  }, 120_000);
});
