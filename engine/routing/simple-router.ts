import type { DeliveryPromise, Destination, NodeRecord, Shipment } from '../../actors/domain.js';
import { distanceKm } from '../geo.js';

// First routing: the nearest online nodes first (ties by priority, then id, so the same inputs
// always give the same plan). The SKU actor walks this order and takes the first node that can
// serve a line whole, splitting across the next ones when allowed. The routing issue replaces it.

export interface RouteRequest {
  destination: Destination;
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string };
}

export function rankCandidates(nodes: readonly NodeRecord[], request: RouteRequest): string[] {
  if (request.fulfillment?.type === 'pickup' && request.fulfillment.nodeId) {
    const store = nodes.find((n) => n.nodeId === request.fulfillment?.nodeId && n.status === 'online');
    return store ? [store.nodeId] : [];
  }
  return nodes
    .filter((node) => node.status === 'online')
    .map((node) => ({ node, km: distanceKm(node.location, request.destination) }))
    .sort((a, b) => a.km - b.km || a.node.priority - b.node.priority || (a.node.nodeId < b.node.nodeId ? -1 : 1))
    .map(({ node }) => node.nodeId);
}

const dayMs = 24 * 3600 * 1000;
const handlingDays = 1;

/** Carrier transit by distance band, in days (ground service). */
export function transitDays(km: number): number {
  if (km <= 150) return 1;
  if (km <= 600) return 2;
  if (km <= 1500) return 3;
  if (km <= 3000) return 4;
  return 5;
}

export function promiseFor(
  nodeIds: readonly string[],
  nodesById: ReadonlyMap<string, NodeRecord>,
  destination: Destination,
  nowMs: number,
): DeliveryPromise {
  const shipments: Shipment[] = [];
  for (const nodeId of new Set(nodeIds)) {
    const node = nodesById.get(nodeId);
    const km = node ? distanceKm(node.location, destination) : 0;
    const days = handlingDays + transitDays(km);
    shipments.push({ nodeId, distanceKm: Math.round(km), deliveryBy: new Date(nowMs + days * dayMs).toISOString() });
  }
  const latest = shipments.reduce((max, s) => (s.deliveryBy > max ? s.deliveryBy : max), new Date(nowMs).toISOString());
  return { deliveryBy: latest, shipments };
}
