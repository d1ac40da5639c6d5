import type { Bus, Subscription } from '../bus/bus.js';
import type { CapacityPeers } from '../capacity-peers.js';

// Engine processes tell each other how many orders their partitions gave each node today, once a
// second on `cluster.capacity`, so each partition's routing counts a node's cap against the whole
// cluster (see engine/capacity-peers.ts for what the delay allows).

export const capacitySubject = 'cluster.capacity';
/** Nodes one message carries at most (a message stays small; past it the rest wait a round). */
const nodesPerMessageMax = 10_000;

interface CapacityMessage {
  engineId: string;
  counts: Array<[string, string, number]>;
}

export interface CapacityShare {
  stop(): void;
}

export function shareCapacity(bus: Bus, engineId: string, peers: CapacityPeers, everyMs = 1_000): CapacityShare {
  const subscription: Subscription = bus.subscribe(capacitySubject, (_subject, message) => {
    const m = message as Partial<CapacityMessage> | null;
    if (!m || typeof m.engineId !== 'string' || m.engineId === engineId || !Array.isArray(m.counts)) return;
    const counts = m.counts.filter((c): c is [string, string, number] => Array.isArray(c) && typeof c[0] === 'string' && typeof c[1] === 'string' && Number.isInteger(c[2]) && c[2] >= 0);
    peers.setRemote(m.engineId, counts);
  });
  const tell = (): void => bus.publish(capacitySubject, { engineId, counts: peers.localTotals().slice(0, nodesPerMessageMax) } satisfies CapacityMessage);
  const timer = setInterval(tell, everyMs);
  timer.unref();
  tell();
  return {
    stop: () => {
      clearInterval(timer);
      subscription.unsubscribe();
    },
  };
}
