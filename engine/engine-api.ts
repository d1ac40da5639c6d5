import type { Bus } from './bus/bus.js';
import type { Engine } from './engine.js';
import type { Ledger, StoredEvent } from './ledger.js';

// What the gateway needs of an engine. The Engine itself has it (one process, `OO_ROLE=all`), and
// so has the cluster's client (`OO_ROLE=gateway`), which forwards each call over the bus to the
// partition that owns it. Reads that are synchronous in one process may be answered later in a
// cluster: the gateway awaits them.

type MaybePromise<T> = T | Promise<T>;

export type EngineApi = Pick<
  Engine,
  | 'putNode' | 'setNodeStatus' | 'putSku' | 'setStock' | 'adjustStock' | 'getInventory'
  | 'createReservation' | 'confirmReservation' | 'getReservation' | 'releaseReservation'
  | 'createOrder' | 'getOrder' | 'cancelOrder' | 'approveOrder' | 'rejectOrder' | 'nodeEvent'
  | 'stats'
> & {
  readonly bus: Bus;
  readonly events: { lastSeq(topic: string): number };
  readonly ledger: Pick<Ledger, 'durable' | 'onBatch' | 'listSkus'>;
  listNodes(): MaybePromise<ReturnType<Engine['listNodes']>>;
  getNode(nodeId: string): MaybePromise<ReturnType<Engine['getNode']>>;
  quote(request: Parameters<Engine['quote']>[0]): MaybePromise<ReturnType<Engine['quote']>>;
  nodeStats(nodeId: string): MaybePromise<ReturnType<Engine['nodeStats']>>;
  carriers(): MaybePromise<ReturnType<Engine['carriers']>>;
  orderEventsAfter(orderId: string, afterSeq: number): StoredEvent[] | undefined;
};
