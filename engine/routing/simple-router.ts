import type { Destination, NodeRecord } from '../../actors/domain.js';

// The nearest online nodes first (ties by priority, then id, so the same inputs always give the
// same order). No longer how holds are sourced (engine/sourcing.ts is): the last resort of a
// reroute that no plan can place, and the closest-with-stock baseline of the routing bench.

export interface RouteRequest {
  destination: Destination;
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
}
