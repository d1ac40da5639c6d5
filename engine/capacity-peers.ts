// A node's capacityPerDay is the node's, however many engines route to it. In a cluster each
// partition counts the orders it gives a node, so each partition's routing must also see what
// the others gave: the partitions of one process share their live counters directly (exact), and
// engine processes tell each other their counts over the bus every second (eventual: another
// process's allocations of the last second may be missed, so a node can go over its cap by about
// a second's worth of orders from the other processes, never by a multiple of the cap).

import { setRecent } from './recent-map.js';

/** Per node: the local date counted and the orders taken on it. */
export type NodeCounts = ReadonlyMap<string, { localDate: string; used: number }>;

export interface CapacityPeersOptions {
  /** A remote snapshot older than this is ignored (its engine has stopped telling). */
  staleMs?: number;
  /** Remote engines remembered at most; past it the oldest snapshot is dropped. */
  remotesMax?: number;
  now?: () => number;
}

export class CapacityPeers {
  private readonly local = new Map<string, () => NodeCounts>();
  private readonly remote = new Map<string, { at: number; counts: Map<string, { localDate: string; used: number }> }>();
  private readonly staleMs: number;
  private readonly remotesMax: number;
  private readonly now: () => number;

  constructor(options: CapacityPeersOptions = {}) {
    this.staleMs = options.staleMs ?? 5_000;
    this.remotesMax = options.remotesMax ?? 1_024;
    this.now = options.now ?? Date.now;
  }

  /** A counter in this process (a partition's), read live. */
  register(sourceId: string, counts: () => NodeCounts): void {
    this.local.set(sourceId, counts);
  }

  /** What another engine process says it has counted (its partitions together). */
  setRemote(engineId: string, counts: ReadonlyArray<readonly [string, string, number]>): void {
    setRecent(this.remote, engineId, { at: this.now(), counts: new Map(counts.map(([nodeId, localDate, used]) => [nodeId, { localDate, used }])) }, this.remotesMax);
  }

  /** This process's counts, every local counter added up: what it tells the other engines. */
  localTotals(): Array<[string, string, number]> {
    const totals = new Map<string, { localDate: string; used: number }>();
    for (const counts of this.local.values()) {
      for (const [nodeId, { localDate, used }] of counts()) {
        const total = totals.get(nodeId);
        if (!total || total.localDate < localDate) totals.set(nodeId, { localDate, used });
        else if (total.localDate === localDate) total.used += used;
      }
    }
    return [...totals].map(([nodeId, { localDate, used }]) => [nodeId, localDate, used]);
  }

  /** Orders the node took on `localDate` as counted by everyone but `sourceId`. */
  othersUsed(sourceId: string, nodeId: string, localDate: string): number {
    let used = 0;
    for (const [id, counts] of this.local) {
      if (id === sourceId) continue;
      const count = counts().get(nodeId);
      if (count?.localDate === localDate) used += count.used;
    }
    const freshSince = this.now() - this.staleMs;
    for (const { at, counts } of this.remote.values()) {
      if (at < freshSince) continue;
      const count = counts.get(nodeId);
      if (count?.localDate === localDate) used += count.used;
    }
    return used;
  }
}
