import { lineHoldsStock, reservationFits, type OrderSnapshot } from '../actors/domain.js';
import type { Ledger } from './ledger.js';
import type { Logger } from './logger.js';

// The invariant checked against the ledger, and the start-up repair that enforces it: `reserved`
// at every (SKU, node) equals what live holds and orders hold there, and fits in what may be
// promised (`reserved <= onHand - safetyStock`).

export interface AuditReport {
  ok: boolean;
  problems: string[];
  positions: number;
  liveOrders: number;
}

const keyOf = (sku: string, nodeId: string): string => `${sku}\u0000${nodeId}`;

/** Units held or allocated and not shipped, per (SKU, node), from the live records. */
export function expectedReserved(ledger: Ledger): Map<string, number> {
  const expected = new Map<string, number>();
  for (const snapshot of ledger.liveOrders()) addReserved(expected, snapshot);
  return expected;
}

/** Adds what one live record holds to `expected` (per `sku\0node`). */
export function addReserved(expected: Map<string, number>, snapshot: OrderSnapshot): void {
  for (const line of snapshot.record.lines) {
    if (!lineHoldsStock(line)) continue;
    const key = keyOf(line.sku, line.nodeId);
    expected.set(key, (expected.get(key) ?? 0) + line.qty);
  }
}

/** Reads every position and live record (call it once everything staged is durable). */
export function auditLedger(ledger: Ledger): AuditReport {
  const problems: string[] = [];
  const expected = expectedReserved(ledger);
  let positions = 0;
  for (const { sku, nodeId, position } of ledger.allPositions()) {
    positions++;
    const key = keyOf(sku, nodeId);
    if (!reservationFits(position)) problems.push(`${sku}@${nodeId}: reserved ${position.reserved} > onHand ${position.onHand} - safetyStock ${position.safetyStock}`);
    if (position.reserved < 0 || position.onHand < 0) problems.push(`${sku}@${nodeId}: negative position`);
    const want = expected.get(key) ?? 0;
    if (want !== position.reserved) problems.push(`${sku}@${nodeId}: reserved ${position.reserved}, live holds and orders add up to ${want}`);
    expected.delete(key);
  }
  for (const [key, qty] of expected) problems.push(`${key.replace('\u0000', '@')}: ${qty} held with no position`);
  for (const snapshot of ledger.liveOrders()) problems.push(...waitingProblems(snapshot));
  return { ok: problems.length === 0, problems: problems.slice(0, 50), positions, liveOrders: ledger.liveOrderCount() };
}

/**
 * No order is stuck silently: every live one waits for a named reason that something will end.
 * Held: its deadline. Released lines: their node's acceptance deadline (a durable timer).
 * Backordered lines: stock arriving. Exception: a person's review. Rerouting never outlives a step.
 */
export function waitingProblems(snapshot: OrderSnapshot): string[] {
  const { record, state } = snapshot;
  const problems: string[] = [];
  const id = record.coreId;
  for (const line of record.lines) {
    if (line.status === 'rerouting') problems.push(`${id}: a line of ${line.sku} was left rerouting`);
    if (line.status === 'backordered' && line.nodeId !== '') problems.push(`${id}: a backordered line names node ${line.nodeId}`);
    if (line.status === 'released' && record.acceptBy?.[line.nodeId] === undefined) problems.push(`${id}: released to ${line.nodeId} with no acceptance deadline`);
  }
  if ((state === 'exception') !== (record.review?.status === 'pending')) problems.push(`${id}: in ${state} with review ${record.review?.status ?? 'none'}`);
  return problems;
}

/**
 * Safety net at start: `reserved` must equal what live holds and orders hold. Every request's
 * writes share one transaction, so this should find nothing; if it does, the records win.
 * `expected`: what the live records hold, if the caller has counted it (expectedReserved); it is
 * consumed. Returns how many positions it rewrote (staged; the caller makes them durable).
 */
export function repairPositions(ledger: Ledger, logger: Logger, expected = expectedReserved(ledger)): number {
  let repaired = 0;
  for (const { sku, nodeId, position } of ledger.allPositions()) {
    const key = keyOf(sku, nodeId);
    const want = expected.get(key) ?? 0;
    expected.delete(key);
    if (position.reserved === want) continue;
    logger.warn({ sku, nodeId, reserved: position.reserved, expected: want }, 'position repaired at start');
    ledger.putPosition(sku, nodeId, { ...position, reserved: want });
    repaired++;
  }
  for (const [key, qty] of expected) {
    const [sku, nodeId] = key.split('\u0000');
    logger.warn({ sku, nodeId, expected: qty }, 'position missing at start');
    ledger.putPosition(sku, nodeId, { onHand: qty, safetyStock: 0, reserved: qty });
    repaired++;
  }
  return repaired;
}
