import type { DeliveryPromise, Destination, NodeRecord, Shipment } from '../../actors/domain.js';
import { distanceKm } from '../geo.js';

// First routing: the nearest online nodes first (ties by priority, then id, so the same inputs
// always give the same plan). The SKU actor walks this order and takes the first node that can
// serve a line whole, splitting across the next ones when allowed. The routing issue replaces it.

export interface RouteRequest {
  destination: Destination;
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string };
}

const toRadians = Math.PI / 180;

/**
 * Ranks the online nodes by distance to a destination. Built once per change of the network and
 * reused for every request: the per-request work is one distance per node and a sort of indexes.
 */
export class CandidateRanker {
  private readonly ids: string[];
  private readonly priorities: Float64Array;
  private readonly latRadians: Float64Array;
  private readonly lonRadians: Float64Array;
  private readonly cosLat: Float64Array;
  private readonly km: Float64Array;
  private readonly order: number[];
  private pickup: string | undefined;

  constructor(nodes: Iterable<NodeRecord>) {
    const online = [...nodes].filter((node) => node.status === 'online').sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    this.ids = online.map((node) => node.nodeId);
    this.priorities = Float64Array.from(online, (node) => node.priority);
    this.latRadians = Float64Array.from(online, (node) => node.location.lat * toRadians);
    this.lonRadians = Float64Array.from(online, (node) => node.location.lon * toRadians);
    this.cosLat = this.latRadians.map(Math.cos);
    this.km = new Float64Array(online.length);
    this.order = online.map((_, i) => i);
  }

  /** Every online node, by id: where stock may be taken from at all. */
  online(): readonly string[] {
    return this.ids;
  }

  rank(request: RouteRequest): string[] {
    this.pickup = undefined;
    if (request.fulfillment?.type === 'pickup' && request.fulfillment.nodeId) {
      const nodeId = request.fulfillment.nodeId;
      this.pickup = nodeId;
      return this.ids.includes(nodeId) ? [nodeId] : [];
    }
    const lat = request.destination.lat * toRadians;
    const lon = request.destination.lon * toRadians;
    const cosLat = Math.cos(lat);
    for (let i = 0; i < this.ids.length; i++) {
      // Haversine, as in geo.ts, with the node's side precomputed.
      const h = Math.sin((this.latRadians[i] - lat) / 2) ** 2 + cosLat * this.cosLat[i] * Math.sin((this.lonRadians[i] - lon) / 2) ** 2;
      this.km[i] = 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
    }
    const { km, priorities } = this;
    // Ids were sorted at build time, so the index breaks the last tie the same way every time.
    this.order.sort((a, b) => km[a] - km[b] || priorities[a] - priorities[b] || a - b);
    const ranked = new Array<string>(this.order.length);
    for (let i = 0; i < this.order.length; i++) ranked[i] = this.ids[this.order[i]];
    return ranked;
  }

  /** Distances of the last `rank()`'s first `count` candidates, in rank order (for explanations). */
  lastDistances(count: number): Array<{ nodeId: string; distanceKm: number }> {
    // A pickup is sourced from its store alone; the distance to the shopper does not apply.
    if (this.pickup !== undefined) return this.ids.includes(this.pickup) ? [{ nodeId: this.pickup, distanceKm: 0 }] : [];
    const out: Array<{ nodeId: string; distanceKm: number }> = [];
    for (let i = 0; i < Math.min(count, this.order.length); i++) {
      const index = this.order[i];
      out.push({ nodeId: this.ids[index], distanceKm: Math.round(this.km[index]) });
    }
    return out;
  }
}

export function rankCandidates(nodes: readonly NodeRecord[], request: RouteRequest): string[] {
  return new CandidateRanker(nodes).rank(request);
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
  let latestMs = nowMs;
  const seen = new Set<string>();
  for (const nodeId of nodeIds) {
    if (seen.has(nodeId)) continue;
    seen.add(nodeId);
    const node = nodesById.get(nodeId);
    const km = node ? distanceKm(node.location, destination) : 0;
    const atMs = nowMs + (handlingDays + transitDays(km)) * dayMs;
    if (atMs > latestMs) latestMs = atMs;
    shipments.push({ nodeId, distanceKm: Math.round(km), deliveryBy: new Date(atMs).toISOString() });
  }
  return { deliveryBy: new Date(latestMs).toISOString(), shipments };
}
