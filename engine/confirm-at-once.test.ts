// A confirm asks its order machine to release the order in the same step (one machine step instead
// of a confirm then a dispatch). This holds the two ways equal: two engines on the same seeded ids
// and simulated time run the same holds, confirms and orders, one confirming at once and one the
// other way, and must give the same answers and refusals, the same messages on the bus (stream
// events and node instructions, in order), the same stored records, events and timers, and audit.
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from './bus/memory-bus.js';
import { SimulatedClock } from './clock.js';
import { Engine } from './engine.js';
import { silentLogger } from './logger.js';
import { LmdbLedger } from '../storage/lmdb-ledger.js';
import { seededIds, tempDir } from '../test/support/fixtures.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const near = { lat: 41.88, lon: -87.63 };
const far = { lat: 39.1, lon: -84.5 };
const home = { lat: 41.9, lon: -87.7 };

/** Runs the scenario on a fresh engine; returns everything it answered, published and stored. */
async function run(atOnce: boolean) {
  const dir = tempDir();
  const ledger = new LmdbLedger({ path: dir.path });
  const clock = new SimulatedClock();
  const bus = new MemoryBus(undefined, { clock });
  const published: Array<{ subject: string; message: unknown }> = [];
  bus.subscribe('>', (subject, message) => published.push({ subject, message: structuredClone(message) }));
  const engine = new Engine({ ledger, clock, bus, logger: silentLogger, acceptWithinMs: 60_000, idRandom: seededIds(11), review: { maxOrderValue: 100 } });
  (engine as unknown as { confirmReleasesAtOnce: boolean }).confirmReleasesAtOnce = atOnce;
  await engine.start();
  cleanups.push(async () => {
    await engine.stop();
    await ledger.close();
    dir.remove();
  });

  await engine.putNode('near', { type: 'warehouse', name: 'Near', location: near, priority: 1 });
  await engine.putNode('far', { type: 'warehouse', name: 'Far', location: far, priority: 1 });
  for (const [nodeId, sku, onHand] of [['near', 'A', 5], ['far', 'A', 8], ['near', 'B', 5], ['far', 'B', 1], ['near', 'C', 2]] as const) {
    await engine.setStock(nodeId, sku, { onHand });
  }

  const answers: unknown[] = [];
  const answer = async (op: () => Promise<{ status: number; body: unknown }>) => {
    try {
      const { status, body } = await op();
      answers.push({ status, body });
      return body as { reservationId?: string; orderId?: string };
    } catch (error) {
      const { code, message, details } = error as { code?: string; message: string; details?: unknown };
      answers.push({ code, message, details });
      return undefined;
    }
  };

  const plain = await answer(() => engine.createReservation({ customerId: 'c1', destination: home, lines: [{ sku: 'A', qty: 2 }, { sku: 'B', qty: 1 }] }));
  const split = await answer(() => engine.createReservation({ customerId: 'c2', destination: home, lines: [{ sku: 'A', qty: 6 }, { sku: 'B', qty: 1 }] }));
  const reviewed = await answer(() => engine.createReservation({ customerId: 'c3', destination: home, lines: [{ sku: 'A', qty: 1, unitPrice: 500 }] }));
  const waiting = await answer(() => engine.createReservation({ customerId: 'c4', destination: home, lines: [{ sku: 'C', qty: 1 }] }));
  const mixed = await answer(() => engine.createReservation({ customerId: 'c5', destination: home, lines: [{ sku: 'A', qty: 1 }, { sku: 'C', qty: 1 }] }));
  const expiring = await answer(() => engine.createReservation({ customerId: 'c6', destination: home, ttlSeconds: 60, lines: [{ sku: 'B', qty: 1 }] }));
  // The C units are counted away: those holds' C lines wait as backorders (no other node has C).
  await engine.adjustStock('near', 'C', { delta: -2, reason: 'count' });
  clock.increment(30_000);

  await answer(() => engine.confirmReservation(plain!.reservationId!, { payment: { status: 'authorized' }, externalId: 'ext-1' }));
  await answer(() => engine.confirmReservation(split!.reservationId!, {}));
  await answer(() => engine.confirmReservation(reviewed!.reservationId!, {}));
  await answer(() => engine.confirmReservation(waiting!.reservationId!, {}));
  await answer(() => engine.confirmReservation(mixed!.reservationId!, {}));
  await answer(() => engine.confirmReservation(plain!.reservationId!, {}));
  const ordered = await answer(() => engine.createOrder({ customerId: 'c7', destination: home, lines: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }] }));
  clock.increment(31_000);
  await answer(() => engine.confirmReservation(expiring!.reservationId!, {}));
  await answer(() => engine.confirmReservation('rsv_nope', {}));
  // Each order goes on: accepted at a node, then the rest past its acceptance deadline.
  await answer(async () => ({ status: 200, body: await engine.nodeEvent('near', { orderId: ordered!.orderId!, type: 'accepted' }) }));
  clock.increment(60_000);
  await engine.sweepExpiries();

  await ledger.durable();
  const holds = [plain, split, reviewed, waiting, mixed, expiring];
  const orderIds = [...holds.map((h) => h!.reservationId!.replace('rsv_', 'ord_')), ordered!.orderId!];
  const stored = orderIds.map((orderId) => JSON.stringify(ledger.getOrder(orderId.replace('ord_', ''))));
  const views = await Promise.all(orderIds.map((orderId) => engine.getOrder(orderId).catch((error: { code: string }) => error.code)));
  const events = ['near', 'far'].map((nodeId) => ledger.readEvents(`node:${nodeId}`, 0, 1_000));
  const orderEvents = orderIds.map((orderId) => ledger.readEvents(`order:${orderId}`, 0, 1_000));
  const timers = ledger.dueTimers(clock.now() + 365 * 86_400_000, 1_000);
  const audit = await engine.audit();
  return { answers, published, stored, views, events, orderEvents, timers, audit };
}

describe('a confirm released in the same step', () => {
  it('answers, publishes and stores exactly what a confirm then a dispatch does', async () => {
    const atOnce = await run(true);
    const inTwo = await run(false);
    expect(atOnce.audit.ok).toBe(true);
    // The scenario reaches every way a confirm ends: released at once, released with a backorder
    // waiting, held for review, all backordered, a refusal.
    const statuses = atOnce.answers.map((a) => (a as { body?: { status?: string } }).body?.status ?? (a as { code?: string }).code);
    expect(statuses).toEqual(expect.arrayContaining(['released', 'exception', 'backordered', 'INVALID_STATE', 'NOT_FOUND']));
    expect(atOnce.answers).toEqual(inTwo.answers);
    expect(atOnce.published).toEqual(inTwo.published);
    expect(atOnce.stored).toEqual(inTwo.stored);
    expect(atOnce.views).toEqual(inTwo.views);
    expect(atOnce.events).toEqual(inTwo.events);
    expect(atOnce.orderEvents).toEqual(inTwo.orderEvents);
    expect(atOnce.timers).toEqual(inTwo.timers);
    expect(atOnce.published.some(({ subject }) => subject === 'node.near.instructions')).toBe(true);
  });
});
