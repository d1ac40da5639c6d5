import { availableOf, type NodeRecord, type OrderLine, type OrderSnapshot, type Position, type ReservationStatus, type RoutingExplanation, type StoredRouting } from '../actors/domain.js';
import { orderIdOf, reservationIdOf } from './ids.js';
import { iso } from './iso.js';

// What the API returns, shaped from records. Pure.

export interface NodeView extends Omit<NodeRecord, 'createdAt' | 'updatedAt'> {
  createdAt: string;
  updatedAt: string;
}

export const nodeView = (node: NodeRecord): NodeView => ({
  ...node,
  createdAt: new Date(node.createdAt).toISOString(),
  updatedAt: new Date(node.updatedAt).toISOString(),
});

export interface InventoryNodeView {
  nodeId: string;
  onHand: number;
  safetyStock: number;
  reserved: number;
  available: number;
  status: string;
}

export interface InventoryView {
  sku: string;
  available: number;
  nodes: InventoryNodeView[];
}

export function inventoryView(sku: string, positions: Readonly<Record<string, Position>>, nodesById: ReadonlyMap<string, NodeRecord>): InventoryView {
  const nodes: InventoryNodeView[] = Object.keys(positions).sort().map((nodeId) => {
    const p = positions[nodeId];
    return { nodeId, onHand: p.onHand, safetyStock: p.safetyStock, reserved: p.reserved, available: availableOf(p), status: nodesById.get(nodeId)?.status ?? 'offline' };
  });
  const available = nodes.filter((n) => n.status === 'online').reduce((sum, n) => sum + n.available, 0);
  return { sku, available, nodes };
}

export function reservationStatusOf(snapshot: OrderSnapshot): ReservationStatus {
  switch (snapshot.state) {
    case 'held':
      return 'held';
    case 'expired':
      return 'expired';
    case 'dropped':
      return 'released';
    default:
      return 'confirmed';
  }
}

/** A backordered line has no node yet: shown as `nodeId: null`. */
export const allocationsOf = (lines: readonly OrderLine[]) => lines.map(({ sku, qty, nodeId }) => ({ sku, qty, nodeId: nodeId || null }));

export function reservationView(snapshot: OrderSnapshot) {
  const { record } = snapshot;
  const status = reservationStatusOf(snapshot);
  // A hold that ended keeps showing what it had held, for the record.
  const lines = status === 'held' || status === 'confirmed' ? record.lines.filter((l) => l.status !== 'cancelled') : record.lines;
  const view: {
    reservationId: string; status: ReservationStatus; customerId: string; channel: string; createdAt: string; expiresAt: string;
    allocations: Array<{ sku: string; qty: number; nodeId: string | null }>; promise: OrderSnapshot['record']['promise']; orderId?: string; parts?: OrderSnapshot['record']['parts'];
  } = {
    reservationId: reservationIdOf(record.coreId),
    status,
    customerId: record.customerId,
    channel: record.channel,
    createdAt: iso(record.createdAt),
    expiresAt: iso(record.expiresAt),
    allocations: allocationsOf(lines),
    promise: record.promise,
  };
  // Set after, not spread in (one object fewer per spread on the hold path); the same fields, in order.
  if (status === 'confirmed') view.orderId = orderIdOf(record.coreId);
  if (record.parts !== undefined) view.parts = record.parts;
  return view;
}

export function orderView(snapshot: OrderSnapshot) {
  const { record } = snapshot;
  return {
    orderId: orderIdOf(record.coreId),
    reservationId: reservationIdOf(record.coreId),
    status: snapshot.state,
    customerId: record.customerId,
    channel: record.channel,
    destination: record.destination,
    lines: record.lines.map(({ sku, qty, nodeId, status }) => ({ sku, qty, nodeId: nodeId || null, status })),
    promise: record.promise,
    history: record.history,
    ...(record.routing !== undefined ? { routing: routingView(record.routing) } : {}),
    createdAt: new Date(record.createdAt).toISOString(),
    ...(record.confirmedAt !== undefined ? { confirmedAt: new Date(record.confirmedAt).toISOString() } : {}),
    ...(record.externalId !== undefined ? { externalId: record.externalId } : {}),
    ...(record.fulfillment !== undefined ? { fulfillment: record.fulfillment } : {}),
    ...(record.parts !== undefined ? { parts: record.parts } : {}),
  };
}

export type ReservationView = ReturnType<typeof reservationView>;
export type OrderView = ReturnType<typeof orderView>;

const why = (took: number, qty: number, available: number): string =>
  took === qty ? 'served the whole line'
    : took > 0 ? 'split: gave part of the line'
    : available < qty ? 'not enough for the whole line'
    : 'outscored';

/** The routing explanation as the API shows it, from the record's compact form (older records pass as they are). */
export function routingView(routing: StoredRouting | RoutingExplanation): RoutingExplanation {
  if (!('compact' in routing)) return routing;
  const { compact: _compact, lines, ...rest } = routing;
  return {
    ...rest,
    lines: lines.map((line) => {
      const took = new Map(line.chosen);
      const candidates: RoutingExplanation['lines'][number]['candidates'] = line.candidates.map(([nodeId, distanceKm, available, carrierId, promisedAtMs, score, cost, speed, lateness, capacity, rejection]) => {
        const given = took.get(nodeId) ?? 0;
        return { nodeId, distanceKm, available, took: given, why: why(given, line.qty, available), carrierId, promisedAt: new Date(promisedAtMs).toISOString(), score, terms: { cost, speed, lateness, capacity, rejection } };
      });
      // A pickup's own store is chosen without being a scored candidate: shown all the same.
      for (const [nodeId, given] of line.chosen) {
        if (!candidates.some((c) => c.nodeId === nodeId)) candidates.unshift({ nodeId, distanceKm: 0, available: given, took: given, why: why(given, line.qty, given) });
      }
      return {
        sku: line.sku,
        qty: line.qty,
        chosen: line.chosen.map(([nodeId, qty]) => ({ nodeId, qty })),
        candidates,
        rejected: line.rejected.map(([nodeId, reason]) => ({ nodeId, reason })),
        ...(line.rejectedOmitted ? { rejectedOmitted: line.rejectedOmitted } : {}),
      };
    }),
  };
}
