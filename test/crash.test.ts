// Shows promises 1-3 of the contract survive kill -9: the built engine runs in a child process on a
// temp data dir; 64 concurrent HTTP clients hold, order, confirm, release, ship and cancel (and send
// some bad input) while the engine is SIGKILLed mid-load. After each restart on the same data dir,
// every acknowledged hold, order and event reads back as acknowledged (a request in flight at the
// kill may have landed or not; creates are resolved by retrying their Idempotency-Key, as a client
// would), each node's onHand and reserved equal what the read-back records add up to, and the
// restart's "recovered" log line reports positionsRepaired 0. The cycle runs three times on one data
// dir. A second test kills the engine with 10-second holds outstanding, waits past their deadline,
// and shows they come back expired with their units available again.
import { afterEach, describe, expect, it } from 'vitest';
import { call, startEngineProcess, tempDir, type EngineProcess } from './support/fixtures.js';
import { mulberry32 } from '../engine/prng.js';

// ---- the network under test --------------------------------------------------------------------

const nodes = [
  { nodeId: 'chi-1', type: 'warehouse', location: { lat: 41.88, lon: -87.63 } },
  { nodeId: 'dal-1', type: 'warehouse', location: { lat: 32.78, lon: -96.8 } },
  { nodeId: 'ewr-1', type: 'store', location: { lat: 40.73, lon: -74.17 } },
] as const;

/** onHand and safetyStock per SKU and node. Some are scarce, so refusals happen under load. */
const initialStock: Record<string, Record<string, { onHand: number; safetyStock: number }>> = {
  'SKU-A': { 'chi-1': { onHand: 150, safetyStock: 0 }, 'dal-1': { onHand: 100, safetyStock: 5 }, 'ewr-1': { onHand: 60, safetyStock: 0 } },
  'SKU-B': { 'chi-1': { onHand: 80, safetyStock: 2 }, 'dal-1': { onHand: 80, safetyStock: 2 }, 'ewr-1': { onHand: 80, safetyStock: 2 } },
  'SKU-C': { 'chi-1': { onHand: 30, safetyStock: 3 }, 'dal-1': { onHand: 20, safetyStock: 0 }, 'ewr-1': { onHand: 12, safetyStock: 1 } },
  'SKU-D': { 'chi-1': { onHand: 250, safetyStock: 0 }, 'dal-1': { onHand: 0, safetyStock: 0 }, 'ewr-1': { onHand: 40, safetyStock: 10 } },
};
const skus = Object.keys(initialStock);

const positionKey = (sku: string, nodeId: string): string => `${sku}@${nodeId}`;

interface Tokens {
  ops: string;
  checkout: string;
  partners: Record<string, string>;
}

async function setUpNetwork(engine: EngineProcess): Promise<Tokens> {
  const partners: Record<string, string> = {};
  for (const { nodeId, ...definition } of nodes) {
    const created = await call(engine.url, engine.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, definition);
    expect(created.status).toBe(201);
    partners[nodeId] = created.body.partnerToken as string;
  }
  for (const [sku, byNode] of Object.entries(initialStock)) {
    for (const [nodeId, stock] of Object.entries(byNode)) {
      expect((await call(engine.url, engine.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, stock)).status).toBe(200);
    }
  }
  return { ops: engine.tokens.ops, checkout: engine.tokens.checkout, partners };
}

// ---- what the clients were told: the model the read-back is checked against --------------------

interface Line {
  sku: string;
  qty: number;
  nodeId: string;
  status: string;
}

interface HistoryEntry {
  seq: number;
  type: string;
  nodeId?: string;
}

interface OrderState {
  status: string;
  lines: Line[];
  history: HistoryEntry[];
}

/** An operation whose request was in flight when the engine died: it may have landed or not. */
type Pending = { op: 'confirm' } | { op: 'release' } | { op: 'ship'; nodeId: string } | { op: 'cancel' };

/** One checkout: a hold that may become an order. Only one request at a time touches it. */
interface Checkout {
  reservationId: string;
  orderId: string;
  phase: 'held' | 'released' | 'order';
  /** The hold's allocations as acknowledged (phase held). */
  allocations: Array<{ sku: string; qty: number; nodeId: string }>;
  /** The order as last acknowledged or read back (phase order). */
  order?: OrderState;
  pending?: Pending;
  busy: boolean;
  /** The create that made it, to replay its Idempotency-Key after a restart. */
  created: UnknownCreate;
}

/** A create whose answer was lost in the kill: retried with the same key after the restart. */
interface UnknownCreate {
  path: '/v1/reservations' | '/v1/orders';
  body: unknown;
  key: string;
}

interface Model {
  checkouts: Checkout[];
  unknownCreates: UnknownCreate[];
  /** Answers by request kind and status/code, for the report. */
  answers: Record<string, number>;
  /** Answers no client should get; the test ends with this empty. */
  unexpected: string[];
  inventoryReads: number;
}

const newModel = (): Model => ({ checkouts: [], unknownCreates: [], answers: {}, unexpected: [], inventoryReads: 0 });

const orderIdFor = (reservationId: string): string => `ord_${reservationId.slice(4)}`;

const liveLineStatuses = new Set(['allocated', 'released', 'accepted', 'picked', 'packed']);
const shippedLineStatuses = new Set(['shipped', 'delivered']);

function orderStateOf(body: { status: string; lines: Line[]; history: HistoryEntry[] }): OrderState {
  return {
    status: body.status,
    lines: body.lines.map(({ sku, qty, nodeId, status }) => ({ sku, qty, nodeId, status })),
    history: body.history.map(({ seq, type, nodeId }) => ({ seq, type, ...(nodeId !== undefined ? { nodeId } : {}) })),
  };
}

const sortLines = <T extends { sku: string; nodeId: string; qty: number }>(lines: readonly T[]): T[] =>
  [...lines].sort((a, b) => `${a.sku}${a.nodeId}${(a as { status?: string }).status ?? ''}${a.qty}`.localeCompare(`${b.sku}${b.nodeId}${(b as { status?: string }).status ?? ''}${b.qty}`));

// ---- the load ----------------------------------------------------------------------------------

const destinations = [
  { lat: 41.9, lon: -87.7 },
  { lat: 32.9, lon: -96.9 },
  { lat: 40.7, lon: -74.0 },
  { lat: 39.1, lon: -94.6 },
  { lat: 34.05, lon: -118.24, country: 'US' },
  { lat: 47.6, lon: -122.3, postalCode: '98101' },
];

interface LoadOptions {
  url: string;
  tokens: Tokens;
  model: Model;
  random: () => number;
  /** Workers, each with one request in flight. */
  concurrency: number;
  /** Acknowledged writes after which the engine is killed. */
  killAfterAcks: number;
  kill(): Promise<void>;
  tag: string;
}

/**
 * Runs `concurrency` clients against the engine until `killAfterAcks` writes are acknowledged,
 * then kills the engine with requests still in flight. Returns once every client has stopped.
 */
async function loadUntilKilled(options: LoadOptions): Promise<{ acks: number; inFlightAtKill: number; elapsedMs: number }> {
  const { url, tokens, model, random, tag } = options;
  let acks = 0;
  let killed = false;
  let killing: Promise<void> | undefined;
  let inFlightAtKill = 0;
  let serial = 0;
  const started = performance.now();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const count = (kind: string, status: number, code?: string): void => {
    const key = `${kind} ${status}${code ? ` ${code}` : ''}`;
    model.answers[key] = (model.answers[key] ?? 0) + 1;
  };
  const killNow = (): void => {
    if (killing) return;
    killed = true;
    killing = options.kill();
  };
  let killScheduled = false;
  const acknowledged = (): void => {
    acks++;
    if (acks < options.killAfterAcks || killScheduled) return;
    // A few milliseconds on, so the kill lands at some point of the next group commit, with every
    // client's request in flight, not just as a batch's answers go out.
    killScheduled = true;
    setTimeout(killNow, Math.floor(random() * 8));
  };
  /** Sends one request; undefined when it got no answer (the engine died under it). */
  const send = async (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    try {
      return await call(url, token, method, path, body, headers);
    } catch (error) {
      if (!killed) model.unexpected.push(`${method} ${path}: no answer before the kill: ${String(error)}`);
      inFlightAtKill++;
      return undefined;
    }
  };
  const expectAnswer = (kind: string, answer: { status: number; body: any; headers: Headers }, allowed: readonly string[]): void => {
    const code = answer.body?.error?.code as string | undefined;
    count(kind, answer.status, code);
    const got = `${answer.status}${code ? ` ${code}` : ''}`;
    if (!allowed.includes(got)) model.unexpected.push(`${kind}: ${got} ${JSON.stringify(answer.body).slice(0, 300)}`);
    if (answer.status === 503 && !answer.headers.get('retry-after')) model.unexpected.push(`${kind}: 503 without Retry-After`);
  };
  const refusals = ['409 INSUFFICIENT_STOCK', '503 OVERLOADED'];

  const randomLines = (): Array<{ sku: string; qty: number }> => {
    const first = pick(skus);
    const lines = [{ sku: first, qty: 1 + Math.floor(random() * 3) }];
    if (random() < 0.5) {
      const second = pick(skus.filter((s) => s !== first));
      lines.push({ sku: second, qty: 1 + Math.floor(random() * 2) });
    }
    return lines;
  };

  const create = async (path: UnknownCreate['path']): Promise<void> => {
    const body = {
      customerId: `${tag}-c${Math.floor(random() * 500)}`,
      destination: pick(destinations),
      lines: randomLines(),
      ...(random() < 0.3 ? { allowSplit: false } : {}),
      ...(path === '/v1/orders' ? { externalId: `${tag}-ext-${serial}` } : {}),
    };
    const key = `${tag}-create-${serial++}`;
    const answer = await send(tokens.checkout, 'POST', path, body, { 'idempotency-key': key });
    if (!answer) {
      model.unknownCreates.push({ path, body, key });
      return;
    }
    expectAnswer(`POST ${path}`, answer, ['201', ...refusals]);
    if (answer.status !== 201) return;
    acknowledged();
    model.checkouts.push(checkoutFromCreate({ path, body, key }, answer.body));
  };

  /** One request on one checkout; the checkout is busy until it is answered. */
  const onCheckout = async (checkout: Checkout, pending: Pending, run: () => Promise<void>): Promise<void> => {
    checkout.busy = true;
    checkout.pending = pending;
    try {
      await run();
    } finally {
      checkout.busy = false;
    }
  };

  const confirm = (checkout: Checkout) => onCheckout(checkout, { op: 'confirm' }, async () => {
    const answer = await send(tokens.checkout, 'POST', `/v1/reservations/${checkout.reservationId}/confirm`, random() < 0.5 ? { payment: { method: 'card' } } : {});
    if (!answer) return;
    checkout.pending = undefined;
    expectAnswer('confirm', answer, ['201', '503 OVERLOADED']);
    if (answer.status !== 201) return;
    acknowledged();
    checkout.phase = 'order';
    checkout.order = orderStateOf(answer.body);
  });

  const release = (checkout: Checkout) => onCheckout(checkout, { op: 'release' }, async () => {
    const answer = await send(tokens.checkout, 'DELETE', `/v1/reservations/${checkout.reservationId}`);
    if (!answer) return;
    checkout.pending = undefined;
    expectAnswer('release', answer, ['200', '503 OVERLOADED']);
    if (answer.status !== 200) return;
    acknowledged();
    checkout.phase = 'released';
  });

  const ship = (checkout: Checkout, nodeId: string) => onCheckout(checkout, { op: 'ship', nodeId }, async () => {
    // The node's own partner token: a warehouse system reporting its shipment.
    const answer = await send(tokens.partners[nodeId], 'POST', `/v1/nodes/${nodeId}/events`, { orderId: checkout.orderId, type: 'shipped', trackingId: `trk-${serial++}` });
    if (!answer) return;
    checkout.pending = undefined;
    expectAnswer('shipped', answer, ['200', '503 OVERLOADED']);
    if (answer.status !== 200) return;
    acknowledged();
    checkout.order = orderStateOf(answer.body);
  });

  const cancel = (checkout: Checkout) => onCheckout(checkout, { op: 'cancel' }, async () => {
    const live = checkout.order!.lines.filter((l) => liveLineStatuses.has(l.status));
    // Sometimes one unit of one line only: a partial cancel splits the line.
    const body = random() < 0.4 ? { lines: [{ sku: pick(live).sku, qty: 1 }] } : {};
    const answer = await send(tokens.checkout, 'POST', `/v1/orders/${checkout.orderId}/cancel`, body);
    if (!answer) return;
    checkout.pending = undefined;
    expectAnswer('cancel', answer, ['200', '503 OVERLOADED']);
    if (answer.status !== 200) return;
    acknowledged();
    checkout.order = orderStateOf(answer.body);
  });

  const badInput = async (): Promise<void> => {
    const bad = pick([
      { path: '/v1/reservations', body: { customerId: 'bad', destination: destinations[0], lines: [{ sku: 'SKU-A', qty: 0 }] }, want: '400 VALIDATION_FAILED' },
      { path: '/v1/reservations', body: { customerId: 'bad', destination: destinations[0], lines: [{ sku: 'SKU-A', qty: 1 }], ttlSeconds: 5 }, want: '400 VALIDATION_FAILED' },
      { path: '/v1/reservations', body: { customerId: 'bad', destination: destinations[0], lines: [{ sku: 'SKU-A', qty: 10_000 }] }, want: '409 INSUFFICIENT_STOCK' },
      { path: '/v1/orders', body: { customerId: 'bad', destination: { lat: 91, lon: 0 }, lines: [{ sku: 'SKU-B', qty: 1 }] }, want: '400 VALIDATION_FAILED' },
      { path: '/v1/orders', body: '{"customerId": "bad", ', want: '400 BAD_REQUEST' },
    ] as const);
    const answer = await send(tokens.checkout, 'POST', bad.path, bad.body);
    if (answer) expectAnswer(`bad ${bad.path}`, answer, [bad.want]);
  };

  /** Promise 1 at every instant: each inventory read during the load keeps reserved <= onHand - safetyStock. */
  const readInventory = async (): Promise<void> => {
    const answer = await send(tokens.checkout, 'GET', `/v1/inventory/${pick(skus)}`);
    if (!answer) return;
    if (answer.status !== 200) {
      model.unexpected.push(`GET inventory: ${answer.status}`);
      return;
    }
    model.inventoryReads++;
    for (const n of answer.body.nodes as Array<{ nodeId: string; onHand: number; safetyStock: number; reserved: number }>) {
      if (n.reserved > n.onHand - n.safetyStock || n.reserved < 0) model.unexpected.push(`${answer.body.sku}@${n.nodeId} overcommitted: ${JSON.stringify(n)}`);
    }
  };

  const step = async (): Promise<void> => {
    const idle = model.checkouts.filter((c) => !c.busy && !c.pending);
    const held = idle.filter((c) => c.phase === 'held');
    const orders = idle.filter((c) => c.phase === 'order' && c.order!.lines.some((l) => liveLineStatuses.has(l.status)));
    const roll = random();
    if (roll < 0.3) return create('/v1/reservations');
    if (roll < 0.4) return create('/v1/orders');
    if (roll < 0.6 && held.length > 0) return confirm(pick(held));
    if (roll < 0.65 && held.length > 0) return release(pick(held));
    if (roll < 0.8 && orders.length > 0) {
      const checkout = pick(orders);
      return ship(checkout, pick(checkout.order!.lines.filter((l) => liveLineStatuses.has(l.status))).nodeId);
    }
    if (roll < 0.9 && orders.length > 0) return cancel(pick(orders));
    if (roll < 0.95) return badInput();
    if (roll < 0.98) return readInventory();
    return create('/v1/reservations');
  };

  const worker = async (): Promise<void> => {
    while (!killed) await step();
  };
  // A bound on the load in case acknowledgements stall: the kill comes after 20 s at the latest.
  const deadline = setTimeout(killNow, 20_000);
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  clearTimeout(deadline);
  await killing;
  return { acks, inFlightAtKill, elapsedMs: Math.round(performance.now() - started) };
}

// ---- after a restart: resolve what was in flight, read everything back, check ------------------

async function inParallel<T>(items: readonly T[], concurrency: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Retries each create whose answer was lost, with its Idempotency-Key, as a client would: one that
 * landed before the kill answers with its first answer (created before the kill); one that did not
 * is made now, or refused. Either way the client then knows every checkout that exists.
 */
async function resolveUnknownCreates(engine: EngineProcess, model: Model, killedAtMs: number): Promise<{ landed: number; createdNow: number; refused: number }> {
  const counts = { landed: 0, createdNow: 0, refused: 0 };
  const unknown = model.unknownCreates.splice(0);
  await inParallel(unknown, 16, async (create) => {
    const answer = await call(engine.url, engine.tokens.checkout, 'POST', create.path, create.body, { 'idempotency-key': create.key });
    if (answer.status === 409) {
      expect(answer.body.error.code).toBe('INSUFFICIENT_STOCK');
      counts.refused++;
      return;
    }
    expect(answer.status, `retry of ${create.key}`).toBe(201);
    if (Date.parse(answer.body.createdAt as string) < killedAtMs) counts.landed++;
    else counts.createdNow++;
    model.checkouts.push(checkoutFromCreate(create, answer.body));
  });
  return counts;
}

/** A repeat of an acknowledged create with its key answers as the first time and holds nothing more. */
async function replayAcknowledgedCreates(engine: EngineProcess, model: Model, sample: number): Promise<void> {
  for (const checkout of model.checkouts.slice(-sample)) {
    const { path, body, key } = checkout.created;
    const answer = await call(engine.url, engine.tokens.checkout, 'POST', path, body, { 'idempotency-key': key });
    expect(answer.status, `replay of ${key}`).toBe(201);
    expect(answer.body.reservationId, `replay of ${key}`).toBe(checkout.reservationId);
    // The same key with another body is refused, and changes nothing.
    const other = await call(engine.url, engine.tokens.checkout, 'POST', path, { ...(body as object), customerId: 'someone-else' }, { 'idempotency-key': key });
    expect(other.status, `mismatched replay of ${key}`).toBe(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_MISMATCH');
  }
}

function checkoutFromCreate(created: UnknownCreate, body: any): Checkout {
  if (created.path === '/v1/reservations') {
    return { reservationId: body.reservationId, orderId: orderIdFor(body.reservationId), phase: 'held', allocations: body.allocations, busy: false, created };
  }
  return { reservationId: body.reservationId, orderId: body.orderId, phase: 'order', allocations: [], order: orderStateOf(body), busy: false, created };
}

/**
 * Reads back every checkout the clients know of and checks it against what they were told; a
 * request in flight at the kill may show or not, but nothing else may differ. The model then
 * takes the read-back state, for the next cycle.
 */
async function readBackCheckouts(engine: EngineProcess, model: Model): Promise<{ landed: number; lost: number }> {
  const { url } = engine;
  const token = engine.tokens.viewer;
  let landed = 0;
  let lost = 0;
  await inParallel(model.checkouts, 32, async (checkout) => {
    const what = `${checkout.reservationId} (acknowledged ${checkout.phase}, in flight: ${checkout.pending?.op ?? 'nothing'})`;
    const reservation = await call(url, token, 'GET', `/v1/reservations/${checkout.reservationId}`);
    expect(reservation.status, what).toBe(200);
    if (checkout.phase === 'held') {
      const status = reservation.body.status as string;
      if (status === 'held') {
        expect(sortLines(reservation.body.allocations), what).toEqual(sortLines(checkout.allocations));
        if (checkout.pending) lost++;
      } else if (status === 'confirmed') {
        expect(checkout.pending?.op, what).toBe('confirm');
        const order = await call(url, token, 'GET', `/v1/orders/${checkout.orderId}`);
        expect(order.status, what).toBe(200);
        expect(order.body.status, what).toBe('released');
        expect(sortLines(order.body.lines), what).toEqual(sortLines(checkout.allocations.map((a) => ({ ...a, status: 'released' }))));
        checkout.phase = 'order';
        checkout.order = orderStateOf(order.body);
        landed++;
      } else {
        expect(status, what).toBe('released');
        expect(checkout.pending?.op, what).toBe('release');
        checkout.phase = 'released';
        landed++;
      }
    } else if (checkout.phase === 'released') {
      expect(reservation.body.status, what).toBe('released');
    } else {
      expect(reservation.body.status, what).toBe('confirmed');
      expect(reservation.body.orderId, what).toBe(checkout.orderId);
      const answer = await call(url, token, 'GET', `/v1/orders/${checkout.orderId}`);
      expect(answer.status, what).toBe(200);
      const read = orderStateOf(answer.body);
      const known = checkout.order!;
      // The acknowledged history is there, entry for entry.
      expect(read.history.slice(0, known.history.length), what).toEqual(known.history);
      if (read.history.length === known.history.length) {
        expect(read.status, what).toBe(known.status);
        expect(sortLines(read.lines), what).toEqual(sortLines(known.lines));
        if (checkout.pending) lost++;
      } else {
        // One more step: only the request in flight at the kill may have added it.
        expect(read.history.length, what).toBe(known.history.length + 1);
        const added = read.history[read.history.length - 1];
        if (checkout.pending?.op === 'ship') expect(added, what).toMatchObject({ type: 'order.shipped', nodeId: checkout.pending.nodeId });
        else if (checkout.pending?.op === 'cancel') expect(['order.cancelled', 'order.lines_cancelled'], what).toContain(added.type);
        else expect.unreachable(`${what}: history grew by ${JSON.stringify(added)} with nothing in flight`);
        landed++;
      }
      checkout.order = read;
    }
    checkout.pending = undefined;
  });
  return { landed, lost };
}

/** Per node and SKU: onHand and reserved equal what the read-back holds and orders add up to. */
async function checkInventory(engine: EngineProcess, model: Model): Promise<void> {
  const reserved = new Map<string, number>();
  const shipped = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, qty: number) => map.set(key, (map.get(key) ?? 0) + qty);
  for (const checkout of model.checkouts) {
    if (checkout.phase === 'held') for (const a of checkout.allocations) add(reserved, positionKey(a.sku, a.nodeId), a.qty);
    if (checkout.phase !== 'order') continue;
    for (const line of checkout.order!.lines) {
      if (liveLineStatuses.has(line.status)) add(reserved, positionKey(line.sku, line.nodeId), line.qty);
      if (shippedLineStatuses.has(line.status)) add(shipped, positionKey(line.sku, line.nodeId), line.qty);
    }
  }
  for (const sku of skus) {
    const inventory = await call(engine.url, engine.tokens.viewer, 'GET', `/v1/inventory/${sku}`);
    expect(inventory.status).toBe(200);
    const byNode = new Map((inventory.body.nodes as Array<{ nodeId: string; onHand: number; safetyStock: number; reserved: number; available: number }>).map((n) => [n.nodeId, n]));
    let available = 0;
    for (const [nodeId, stock] of Object.entries(initialStock[sku])) {
      const key = positionKey(sku, nodeId);
      const position = byNode.get(nodeId);
      expect(position, key).toBeDefined();
      expect({ key, onHand: position!.onHand, reserved: position!.reserved, safetyStock: position!.safetyStock }).toEqual({
        key,
        onHand: stock.onHand - (shipped.get(key) ?? 0),
        reserved: reserved.get(key) ?? 0,
        safetyStock: stock.safetyStock,
      });
      expect(position!.reserved, key).toBeLessThanOrEqual(position!.onHand - position!.safetyStock);
      expect(position!.available, key).toBe(Math.max(0, position!.onHand - position!.safetyStock - position!.reserved));
      available += position!.available;
    }
    expect(inventory.body.available, sku).toBe(available);
  }
}

// ---- the tests ---------------------------------------------------------------------------------

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A child engine that is SIGKILLed at cleanup if a test left it running. */
async function start(dataDir: string): Promise<EngineProcess> {
  const engine = await startEngineProcess(dataDir);
  cleanups.push(async () => {
    if (engine.child.exitCode === null && engine.child.signalCode === null) await engine.kill9();
  });
  return engine;
}

describe('kill -9 under load', () => {
  it('keeps every acknowledged hold, order and event, cycle after cycle', async () => {
    const seed = Number(process.env.OO_TEST_SEED ?? Date.now() % 1_000_000);
    const random = mulberry32(seed);
    console.log(`crash test seed ${seed} (OO_TEST_SEED=${seed} replays the client choices)`);
    const dir = tempDir('oo-crash-');
    cleanups.push(() => dir.remove());
    let engine = await start(dir.path);
    const tokens = await setUpNetwork(engine);
    const model = newModel();
    const cycles = 3;
    let inFlightAtKills = 0;
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const running = engine;
      const load = await loadUntilKilled({
        url: running.url,
        tokens,
        model,
        random,
        concurrency: 64,
        killAfterAcks: 150 + Math.floor(random() * 150),
        kill: () => running.kill9(),
        tag: `k${cycle}`,
      });
      expect(running.child.signalCode).toBe('SIGKILL');
      const killedAtMs = Date.now();
      const unknownCreates = model.unknownCreates.length;
      inFlightAtKills += load.inFlightAtKill;

      engine = await start(dir.path);
      const recovery = engine.recovery();
      expect(recovery.positionsRepaired, `seed ${seed}, cycle ${cycle}`).toBe(0);
      expect(recovery.expiredAtStart, `seed ${seed}, cycle ${cycle}`).toBe(0);
      expect(engine.tokens).toMatchObject({ ops: tokens.ops, checkout: tokens.checkout });

      // Inventory first, from the records the clients were told about and have read back.
      const readBack = await readBackCheckouts(engine, model);
      const retried = await resolveUnknownCreates(engine, model, killedAtMs);
      await replayAcknowledgedCreates(engine, model, 10);
      await checkInventory(engine, model);
      expect(model.unexpected, `seed ${seed}, cycle ${cycle}`).toEqual([]);
      console.log(`cycle ${cycle}: ${load.acks} writes acknowledged in ${load.elapsedMs} ms, ${load.inFlightAtKill} in flight at the kill ` +
        `(${unknownCreates} creates: ${retried.landed} had landed, ${retried.createdNow} made on retry, ${retried.refused} refused on retry; ` +
        `other requests: ${readBack.landed} landed, ${readBack.lost} did not); recovered ${JSON.stringify(recovery)}`);
    }
    // The kills did catch requests mid-flight, so the "either way, but consistent" path was exercised.
    expect(inFlightAtKills, `seed ${seed}`).toBeGreaterThan(0);
    // The partner tokens were signed before the first kill and still work after the last.
    const someNode = nodes[0].nodeId;
    expect((await call(engine.url, tokens.partners[someNode], 'POST', `/v1/nodes/${someNode}/events`, { orderId: 'ord_000000000nonexistent', type: 'shipped' })).status).toBe(404);
    expect((await call(engine.url, tokens.partners[someNode], 'POST', `/v1/nodes/${nodes[1].nodeId}/events`, { orderId: 'ord_000000000nonexistent', type: 'shipped' })).status).toBe(403);
    console.log(`answers over ${cycles} cycles: ${JSON.stringify(model.answers)}; ${model.inventoryReads} inventory reads under load; ${model.checkouts.length} checkouts checked`);
    await engine.stop();
  }, 80_000);

  it('expires holds whose deadline passed while the engine was down', async () => {
    const dir = tempDir('oo-crash-expiry-');
    cleanups.push(() => dir.remove());
    let engine = await start(dir.path);
    const { ops, checkout } = engine.tokens;
    expect((await call(engine.url, ops, 'PUT', '/v1/nodes/chi-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } })).status).toBe(201);
    expect((await call(engine.url, ops, 'PUT', '/v1/inventory/chi-1/SKU-E', { onHand: 12, safetyStock: 2 })).status).toBe(200);
    const destination = { lat: 41.9, lon: -87.7 };
    const hold = (qty: number, ttlSeconds?: number) =>
      call(engine.url, checkout, 'POST', '/v1/reservations', { customerId: `c-${qty}-${ttlSeconds}`, destination, lines: [{ sku: 'SKU-E', qty }], ...(ttlSeconds ? { ttlSeconds } : {}) });

    // Boundary: below the contract's 10-second minimum is refused, and holds nothing.
    const tooShort = await hold(1, 9);
    expect(tooShort.status).toBe(400);
    expect(tooShort.body.error.code).toBe('VALIDATION_FAILED');

    const short = [await hold(2, 10), await hold(3, 10), await hold(1, 10)];
    const confirmedLater = await hold(2, 10);
    const long = await hold(1);
    for (const answer of [...short, confirmedLater, long]) expect(answer.status).toBe(201);
    const order = await call(engine.url, checkout, 'POST', `/v1/reservations/${confirmedLater.body.reservationId}/confirm`, {});
    expect(order.status).toBe(201);
    const before = await call(engine.url, checkout, 'GET', '/v1/inventory/SKU-E');
    expect(before.body.nodes[0]).toMatchObject({ onHand: 12, safetyStock: 2, reserved: 9, available: 1 });

    await engine.kill9();
    const deadline = Math.max(...short.map((a) => Date.parse(a.body.expiresAt as string)));
    await new Promise((done) => setTimeout(done, Math.max(0, deadline - Date.now()) + 250));
    engine = await start(dir.path);
    const recovery = engine.recovery();
    expect(recovery).toMatchObject({ positionsRepaired: 0, expiredAtStart: short.length, liveOrders: 2 });

    for (const answer of short) {
      const read = await call(engine.url, checkout, 'GET', `/v1/reservations/${answer.body.reservationId}`);
      expect(read.status).toBe(200);
      expect(read.body.status).toBe('expired');
      const late = await call(engine.url, checkout, 'POST', `/v1/reservations/${answer.body.reservationId}/confirm`, {});
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('INVALID_STATE');
    }
    expect((await call(engine.url, checkout, 'GET', `/v1/reservations/${long.body.reservationId}`)).body.status).toBe('held');
    expect((await call(engine.url, checkout, 'GET', `/v1/reservations/${confirmedLater.body.reservationId}`)).body.status).toBe('confirmed');
    expect((await call(engine.url, checkout, 'GET', `/v1/orders/${order.body.orderId}`)).body.status).toBe('released');
    const after = await call(engine.url, checkout, 'GET', '/v1/inventory/SKU-E');
    expect(after.body.nodes[0]).toMatchObject({ onHand: 12, safetyStock: 2, reserved: 3, available: 7 });
    expect(after.body.available).toBe(7);

    // The units are really free again: all 7 can be held, and not one more.
    const oneTooMany = await hold(8);
    expect(oneTooMany.status).toBe(409);
    expect(oneTooMany.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect((await hold(7)).status).toBe(201);
    expect((await call(engine.url, checkout, 'GET', '/v1/inventory/SKU-E')).body.nodes[0]).toMatchObject({ reserved: 10, available: 0 });
    await engine.stop();
  }, 60_000);
});
