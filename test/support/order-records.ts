import type { LineStatus, OrderLine, OrderRecord } from '../../actors/domain.js';

// Hand-made order records for the order machine's tests (pure: no engine, no ledger): a hold of
// customer c1 made at T0, due at `deadline`, shipping to Chicago.

export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
export const ttlMs = 900_000;
export const deadline = T0 + ttlMs;
export const iso = (ms: number): string => new Date(ms).toISOString();

export const line = (sku: string, qty: number, nodeId: string, status: LineStatus): OrderLine => ({ sku, qty, nodeId, status });

/** A hold's record with these lines (history: reservation.held), and `extra` fields over it. */
export function holdRecord(lines: OrderLine[] = [line('A', 2, 'n1', 'held'), line('B', 1, 'n2', 'held')], extra: Partial<OrderRecord> = {}): OrderRecord {
  return {
    coreId: 'core1',
    customerId: 'c1',
    channel: 'web',
    destination: { lat: 41.9, lon: -87.7 },
    createdAt: T0,
    expiresAt: deadline,
    lines,
    promise: { deliveryBy: iso(T0 + 3 * 86_400_000), shipments: [] },
    history: [{ seq: 1, at: iso(T0), type: 'reservation.held' }],
    ...extra,
  };
}
