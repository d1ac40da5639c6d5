// Shows the audit's "no order stuck silently" rule on hand-made records: each live order must wait
// for a named reason that something will end, and a record that does not is reported.
import { describe, expect, it } from 'vitest';
import type { OrderLine, OrderMachineState, OrderRecord, OrderSnapshot } from '../actors/domain.js';
import { waitingProblems } from './recovery.js';

const record = (lines: OrderLine[], extra: Partial<OrderRecord> = {}): OrderRecord => ({
  coreId: 'c1', customerId: 'x', channel: 'web', destination: { lat: 1, lon: 1 }, createdAt: 0, expiresAt: 1,
  lines, promise: { deliveryBy: '2026-01-01T00:00:00.000Z', shipments: [] }, history: [], ...extra,
});
const snap = (state: OrderMachineState, r: OrderRecord): OrderSnapshot => ({ state, record: r });

describe('waitingProblems', () => {
  it('accepts orders that each wait for a named reason', () => {
    expect(waitingProblems(snap('released', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'released' }], { acceptBy: { n1: 5 } })))).toEqual([]);
    expect(waitingProblems(snap('backordered', record([{ sku: 'A', qty: 1, nodeId: '', status: 'backordered' }])))).toEqual([]);
    expect(waitingProblems(snap('exception', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'allocated' }], { review: { status: 'pending', reasons: ['order_value'], at: '' } })))).toEqual([]);
    expect(waitingProblems(snap('held', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'held' }])))).toEqual([]);
  });

  it('reports released lines with no acceptance deadline, lines left rerouting, and an exception with no review', () => {
    expect(waitingProblems(snap('released', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'released' }])))).toHaveLength(1);
    expect(waitingProblems(snap('released', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'rerouting' }])))).toHaveLength(1);
    expect(waitingProblems(snap('exception', record([{ sku: 'A', qty: 1, nodeId: 'n1', status: 'allocated' }])))).toHaveLength(1);
    expect(waitingProblems(snap('backordered', record([{ sku: 'A', qty: 1, nodeId: 'n9', status: 'backordered' }])))).toHaveLength(1);
  });
});
