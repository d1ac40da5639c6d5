import { mapLimit, type ApiClient } from './http-client.js';
import { isReservedStatus, isShippedStatus, linesOf, splitUnitKey, unitKey, unitsOf, type LedgerSummary, type SampledHold, type Units } from './run-ledger.js';
import type { Catalogue } from './scenarios/catalogue.js';

// After every run, the audit through the API alone:
//   1. reserved adds up: per SKU and node, what `reserved` moved by since the snapshot taken before
//      the run equals the units of the holds and orders the run created and knows to be live. A
//      refused request that held anything, a hold counted twice, a lost release: each shows here,
//      so this is also "nothing refused was held".
//   2. onHand moved only by the run's shipments.
//   3. reserved <= onHand - safetyStock at every node of every SKU of the run (and `available` is
//      max(0, onHand - safetyStock - reserved), the top-level sum over online nodes).
//   4. every 2xx hold id reads back (GET /v1/reservations/{id}, a sample of up to --audit-sample)
//      with the status and the units the run expects.
//   5. per-customer limits held (flash sale): no customer holds more than maxPerCustomer.
//   6. every outcome is known: a create that got no answer is replayed with its Idempotency-Key
//      (the engine answers the first answer, or does it now: either way the outcome is known), a
//      record whose last step got no answer is read back.
// Before counting, holds at their deadline are waited out, so none expires between the
// expectation and the snapshot.

export interface NodePosition {
  onHand: number;
  safetyStock: number;
  reserved: number;
  available: number;
  status: string;
}

export interface InventorySnapshot {
  takenAtMs: number;
  skus: Record<string, { available: number; nodes: Record<string, NodePosition> }>;
}

export interface AuditCheck {
  name: string;
  pass: boolean;
  summary: string;
  /** The first problems found (bounded). */
  problems: string[];
}

export interface AuditResult {
  pass: boolean;
  checks: AuditCheck[];
  expected: { reservedUnits: number; shippedUnits: number; liveHolds: number; expiredHolds: number; readBack: number };
  actual: { reservedDelta: number; onHandDelta: number };
  durationMs: number;
}

export interface AuditInput {
  api: ApiClient;
  /** The token the run's holds were made with (an idempotent replay is scoped by role). */
  checkoutToken: string;
  catalogue: Catalogue;
  before: InventorySnapshot;
  ledger: LedgerSummary;
  /** Holds due to expire within this long are waited out; later ones count as live. */
  expiryWaitMaxMs?: number;
}

const problemsMax = 20;
const expiryGraceMs = 3_000;
const readConcurrency = 8;

export async function snapshotInventory(api: ApiClient, skus: readonly string[]): Promise<InventorySnapshot> {
  const takenAtMs = Date.now();
  const entries = await mapLimit(skus, readConcurrency, async (sku) => {
    const body = await api.expect([200], 'GET', `/v1/inventory/${sku}`);
    const nodes: Record<string, NodePosition> = {};
    for (const n of body.nodes as Array<NodePosition & { nodeId: string }>) {
      nodes[n.nodeId] = { onHand: n.onHand, safetyStock: n.safetyStock, reserved: n.reserved, available: n.available, status: n.status };
    }
    return [sku, { available: body.available as number, nodes }] as const;
  });
  return { takenAtMs, skus: Object.fromEntries(entries) };
}

class Check {
  readonly problems: string[] = [];
  failures = 0;
  constructor(readonly name: string) {}
  fail(problem: string): void {
    this.failures++;
    if (this.problems.length < problemsMax) this.problems.push(problem);
  }
  done(summary: string): AuditCheck {
    const more = this.failures > this.problems.length ? [`… and ${this.failures - this.problems.length} more`] : [];
    return { name: this.name, pass: this.failures === 0, summary, problems: [...this.problems, ...more] };
  }
}

const addUnits = (target: Map<string, number>, units: Units): void => {
  for (const [sku, nodeId, qty] of units) target.set(unitKey(sku, nodeId), (target.get(unitKey(sku, nodeId)) ?? 0) + qty);
};

interface Expectation {
  reserved: Map<string, number>;
  shipped: Map<string, number>;
  held: Array<{ reservationId: string; expiresAtMs: number; units: Units }>;
  unresolved: string[];
}

/** Turns the ledger (plus read-backs and replays for what got no answer) into expected units. */
async function expectationOf(input: AuditInput): Promise<Expectation> {
  const { api, ledger } = input;
  const reserved = new Map(Object.entries(ledger.reserved));
  const shipped = new Map(Object.entries(ledger.shipped));
  const held = [...ledger.held];
  const unresolved: string[] = [];
  if (ledger.unknownCreatesOverflow > 0) unresolved.push(`${ledger.unknownCreatesOverflow} creates without an answer were not kept for replay`);

  await mapLimit(ledger.unknownCreates, readConcurrency, async (create) => {
    const answer = await api.call('POST', create.path, create.body, { token: input.checkoutToken, idempotencyKey: create.idempotencyKey }).catch(() => undefined);
    if (!answer || answer.status >= 500) return void unresolved.push(`replay of ${create.idempotencyKey}: ${answer ? answer.status : 'no answer'}`);
    if (answer.status !== 201) return; // refused: it held nothing
    if (create.kind === 'hold') {
      held.push({ reservationId: answer.body.reservationId, expiresAtMs: Date.parse(answer.body.expiresAt), units: (answer.body.allocations as Array<{ sku: string; nodeId: string; qty: number }>).map((a) => [a.sku, a.nodeId, a.qty]) });
    } else {
      const lines = linesOf(answer.body);
      addUnits(reserved, unitsOf(lines, (l) => isReservedStatus(l.status)));
      addUnits(shipped, unitsOf(lines, (l) => isShippedStatus(l.status)));
    }
  });

  await mapLimit(ledger.uncertain, readConcurrency, async ({ reservationId }) => {
    const hold = await api.call('GET', `/v1/reservations/${reservationId}`).catch(() => undefined);
    if (!hold || hold.status !== 200) return void unresolved.push(`read-back of ${reservationId}: ${hold ? hold.status : 'no answer'}`);
    if (hold.body.status === 'held') {
      held.push({ reservationId, expiresAtMs: Date.parse(hold.body.expiresAt), units: (hold.body.allocations as Array<{ sku: string; nodeId: string; qty: number }>).map((a) => [a.sku, a.nodeId, a.qty]) });
    } else if (hold.body.status === 'confirmed') {
      const order = await api.call('GET', `/v1/orders/${hold.body.orderId}`).catch(() => undefined);
      if (!order || order.status !== 200) return void unresolved.push(`read-back of ${hold.body.orderId}: ${order ? order.status : 'no answer'}`);
      const lines = linesOf(order.body);
      addUnits(reserved, unitsOf(lines, (l) => isReservedStatus(l.status)));
      addUnits(shipped, unitsOf(lines, (l) => isShippedStatus(l.status)));
    }
  });
  return { reserved, shipped, held, unresolved };
}

export async function audit(input: AuditInput): Promise<AuditResult> {
  const started = Date.now();
  const { api, catalogue, before, ledger } = input;
  const expectation = await expectationOf(input);

  // Holds at their deadline: wait them out, so each is clearly live or clearly expired.
  const waitMaxMs = input.expiryWaitMaxMs ?? 20_000;
  const now = Date.now();
  const dueSoon = expectation.held.filter((h) => h.expiresAtMs > now - expiryGraceMs && h.expiresAtMs <= now + waitMaxMs);
  if (dueSoon.length > 0) {
    const until = Math.max(...dueSoon.map((h) => h.expiresAtMs)) + expiryGraceMs;
    await new Promise((done) => setTimeout(done, Math.max(0, until - Date.now())));
  }
  const cutoffMs = now + waitMaxMs;
  const live = expectation.held.filter((h) => h.expiresAtMs > cutoffMs);
  const expiredIds = new Set(expectation.held.filter((h) => h.expiresAtMs <= cutoffMs).map((h) => h.reservationId));
  const expectedReserved = new Map(expectation.reserved);
  for (const hold of live) addUnits(expectedReserved, hold.units);

  const after = await snapshotInventory(api, catalogue.skus);
  const checks: AuditCheck[] = [];

  // 1 and 2: deltas per SKU and node.
  const reservedCheck = new Check('successful holds add up to reserved (nothing refused was held)');
  const onHandCheck = new Check('onHand moved only by the run\'s shipments');
  let reservedDelta = 0;
  let onHandDelta = 0;
  const keys = new Set<string>([...expectedReserved.keys(), ...expectation.shipped.keys()]);
  for (const sku of catalogue.skus) for (const nodeId of Object.keys({ ...before.skus[sku]?.nodes, ...after.skus[sku]?.nodes })) keys.add(unitKey(sku, nodeId));
  for (const key of [...keys].sort()) {
    const [sku, nodeId] = splitUnitKey(key);
    const was = before.skus[sku]?.nodes[nodeId];
    const is = after.skus[sku]?.nodes[nodeId];
    const moved = (is?.reserved ?? 0) - (was?.reserved ?? 0);
    const expected = expectedReserved.get(key) ?? 0;
    reservedDelta += moved;
    if (moved !== expected) reservedCheck.fail(`${sku} @ ${nodeId}: reserved moved by ${moved}, the run's live holds and orders account for ${expected}`);
    const onHandMoved = (is?.onHand ?? 0) - (was?.onHand ?? 0);
    const shipped = expectation.shipped.get(key) ?? 0;
    onHandDelta += onHandMoved;
    if (onHandMoved !== -shipped) onHandCheck.fail(`${sku} @ ${nodeId}: onHand moved by ${onHandMoved}, the run shipped ${shipped}`);
  }
  const expectedTotal = [...expectedReserved.values()].reduce((a, b) => a + b, 0);
  const shippedTotal = [...expectation.shipped.values()].reduce((a, b) => a + b, 0);
  checks.push(reservedCheck.done(`reserved moved by ${reservedDelta} units; the run's live holds and orders account for ${expectedTotal}`));
  checks.push(onHandCheck.done(`onHand moved by ${onHandDelta}; the run shipped ${shippedTotal}`));

  // 3: the invariant, everywhere the run touched.
  const invariant = new Check('reserved <= onHand - safetyStock everywhere');
  let positions = 0;
  for (const sku of catalogue.skus) {
    const inventory = after.skus[sku];
    if (!inventory) continue;
    let onlineAvailable = 0;
    for (const [nodeId, p] of Object.entries(inventory.nodes)) {
      positions++;
      if (p.reserved > p.onHand - p.safetyStock) invariant.fail(`${sku} @ ${nodeId}: reserved ${p.reserved} > onHand ${p.onHand} - safetyStock ${p.safetyStock}`);
      if (p.reserved < 0) invariant.fail(`${sku} @ ${nodeId}: reserved ${p.reserved} < 0`);
      if (p.available !== Math.max(0, p.onHand - p.safetyStock - p.reserved)) invariant.fail(`${sku} @ ${nodeId}: available ${p.available} != max(0, ${p.onHand} - ${p.safetyStock} - ${p.reserved})`);
      if (p.status === 'online') onlineAvailable += p.available;
    }
    if (inventory.available !== onlineAvailable) invariant.fail(`${sku}: available ${inventory.available} != ${onlineAvailable}, the sum over its online nodes`);
  }
  checks.push(invariant.done(`${positions} positions of ${catalogue.skus.length} SKUs`));

  // 4: read-back.
  checks.push(await readBack(api, ledger.sample, expiredIds, cutoffMs));

  // 5: purchase limits.
  if (Object.keys(catalogue.maxPerCustomer).length > 0) {
    const limits = new Check('no customer holds more than maxPerCustomer');
    let customers = 0;
    for (const [key, units] of Object.entries(ledger.customerUnits)) {
      const [customerId, sku] = key.split('\t');
      const max = catalogue.maxPerCustomer[sku];
      customers++;
      if (max !== undefined && units > max) limits.fail(`${customerId} holds ${units} of ${sku}, over its limit of ${max}`);
    }
    checks.push(limits.done(`${customers} customer–SKU pairs with units held`));
  }

  // 6: outcomes.
  const known = new Check('every request\'s outcome is known');
  for (const problem of expectation.unresolved) known.fail(problem);
  checks.push(known.done(`${ledger.unknownCreates.length} creates without an answer replayed, ${ledger.uncertain.length} records read back`));

  return {
    pass: checks.every((c) => c.pass),
    checks,
    expected: { reservedUnits: expectedTotal, shippedUnits: shippedTotal, liveHolds: live.length, expiredHolds: expiredIds.size, readBack: ledger.sample.length },
    actual: { reservedDelta, onHandDelta },
    durationMs: Date.now() - started,
  };
}

async function readBack(api: ApiClient, sample: readonly SampledHold[], expiredIds: ReadonlySet<string>, cutoffMs: number): Promise<AuditCheck> {
  const check = new Check('every 2xx hold id reads back');
  await mapLimit(sample, readConcurrency, async (expected) => {
    const answer = await api.call('GET', `/v1/reservations/${expected.reservationId}`).catch(() => undefined);
    if (!answer || answer.status !== 200) return check.fail(`${expected.reservationId}: ${answer ? `${answer.status} ${answer.code ?? ''}` : 'no answer'}`);
    if (expected.uncertain) return; // its state was read back for the counts already
    let status: string = expected.expected;
    if (status === 'held' && (expiredIds.has(expected.reservationId) || expected.expiresAtMs <= cutoffMs)) status = 'expired';
    if (answer.body.status !== status) return check.fail(`${expected.reservationId}: status ${answer.body.status}, expected ${status}`);
    if (status !== 'held' && status !== 'confirmed') return;
    const shown = unitsOf((answer.body.allocations as Array<{ sku: string; nodeId: string | null; qty: number }>).map((a) => ({ ...a, status: 'held' })), () => true);
    if (JSON.stringify(shown) !== JSON.stringify(expected.allocations)) {
      check.fail(`${expected.reservationId}: allocations ${JSON.stringify(shown)}, expected ${JSON.stringify(expected.allocations)}`);
    }
  });
  return check.done(`${sample.length} hold ids read back (a uniform sample of the run's 2xx holds and orders)`);
}

export function formatAudit(result: AuditResult): string {
  const lines = [`audit: ${result.pass ? 'PASS' : 'FAIL'} (${result.checks.filter((c) => c.pass).length}/${result.checks.length} checks, ${result.durationMs} ms)`];
  for (const check of result.checks) {
    lines.push(`  ${check.pass ? 'ok  ' : 'FAIL'} ${check.name}: ${check.summary}`);
    for (const problem of check.problems) lines.push(`         - ${problem}`);
  }
  return lines.join('\n');
}
