import type { Bus } from '../bus/bus.js';
import type { Answer, Engine } from '../engine.js';
import type { EngineApi } from '../engine-api.js';
import { EngineError, isEngineError, notFound } from '../errors.js';
import type { StoredEvent } from '../ledger.js';
import type { OrderView, ReservationView } from '../views.js';
import { CartCoordinator } from './cart-coordinator.js';
import { mergeQuotes, type Quote } from './cart-quotes.js';
import { linesByPartition, partsOf, splitCart } from './carts.js';
import { errorFromWire, commandSubject, type CommandOp, type CommandReply } from './protocol.js';
import { partitionOfId, partitionOfSku } from './partitions.js';
import { GatewayStreamBus, StreamSeqs } from './stream-seqs.js';

// A stateless gateway's engine: every call goes over the bus to the engine that owns its
// partition, and comes back with that engine's answer or refusal.
//
//   SKU stock, inventory, SKU config, holds   the SKU's partition (a cart: its SKUs' one partition)
//   a reservation or order by id              the partition its id names (`rsv_p3-…`)
//   node config and status                    every partition; 2xx only when each acknowledged
//   node reads                                the first partition that answers
//
// A partition nobody serves fails fast: NATS answers "no responders" at once when no engine is
// subscribed, and a short timeout covers an engine that hangs; either is PARTITION_UNAVAILABLE
// (503, Retry-After). A cart whose SKUs live in several partitions is held at each (parts first,
// then its home, the lowest partition) by the CartCoordinator: all or nothing, and read, confirmed,
// released, cancelled and told of node events by its home id as one cart; a delivery quote
// (POST /v1/promise) asks each partition for its lines and combines the options (cart-quotes.ts).

export interface ClusterClientOptions {
  bus: Bus;
  partitionCount: number;
  /** How long a command may wait for its engine's answer. */
  requestTimeoutMs: number;
}

type Api = Pick<Engine, 'putNode' | 'setNodeStatus' | 'putSku' | 'setStock' | 'adjustStock' | 'getInventory' | 'createReservation' | 'confirmReservation' | 'getReservation' | 'releaseReservation' | 'createOrder' | 'getOrder' | 'cancelOrder' | 'approveOrder' | 'rejectOrder' | 'nodeEvent' | 'listNodes' | 'getNode' | 'quote' | 'stats' | 'nodeStats' | 'carriers'>;
type Result<K extends keyof Api> = Awaited<ReturnType<Api[K]>>;

const noActors = { active: 0, spawned: 0, passivated: 0, inflight: 0, inflightMaxActor: 0 };

export class ClusterClient implements EngineApi {
  readonly bus: Bus;
  readonly events: { lastSeq(topic: string): number };
  /** A gateway has no ledger: nothing to wait for (engines publish only what is durable), no batches, no SKUs of its own. */
  readonly ledger = { durable: async (): Promise<void> => {}, onBatch: (): void => {}, listSkus: (): Iterable<string> => [] };
  private readonly partitionCount: number;
  private readonly requestTimeoutMs: number;
  private readonly raw: Bus;
  private readonly carts: CartCoordinator;

  constructor(options: ClusterClientOptions) {
    const seqs = new StreamSeqs();
    this.raw = options.bus;
    this.bus = new GatewayStreamBus(options.bus, seqs);
    this.events = { lastSeq: (topic) => seqs.lastSeq(topic) };
    this.partitionCount = options.partitionCount;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.carts = new CartCoordinator((partition, op, args) => this.send(partition, op, args), (sku) => this.skuPartition(sku));
  }

  // ---- nodes: every partition ---------------------------------------------------------------

  async putNode(nodeId: string, definition: Parameters<Engine['putNode']>[1]): Promise<Result<'putNode'>> {
    const answers = await this.everyPartition('putNode', [nodeId, definition]) as Array<Result<'putNode'>>;
    // A retry after a partial failure finds the node created in some partitions: created if any did.
    return { node: answers[0].node, created: answers.some((a) => a.created) };
  }

  async setNodeStatus(nodeId: string, status: Parameters<Engine['setNodeStatus']>[1]): Promise<Result<'setNodeStatus'>> {
    return (await this.everyPartition('setNodeStatus', [nodeId, status]))[0] as Result<'setNodeStatus'>;
  }

  /** The nodes with their stats added up over the partitions (each counts the orders it took). */
  async listNodes(): Promise<Result<'listNodes'>> {
    const answers = await this.everyPartition('listNodes', []) as Array<Result<'listNodes'>>;
    return answers[0].map((node) => ({ ...node, stats: sumStats(answers.map((nodes) => nodes.find((n) => n.nodeId === node.nodeId)?.stats)) }));
  }

  async getNode(nodeId: string): Promise<Result<'getNode'>> {
    const answers = await this.everyPartition('getNode', [nodeId]) as Array<Result<'getNode'>>;
    return { ...answers[0], stats: sumStats(answers.map((node) => node.stats)) };
  }

  async nodeStats(nodeId: string): Promise<Result<'nodeStats'>> {
    return sumStats(await this.everyPartition('nodeStats', [nodeId]) as Array<Result<'nodeStats'>>);
  }

  /** What partition 0 (or the first one served) learned: each partition learns from its own orders' deliveries. */
  carriers(): Promise<Result<'carriers'>> {
    return this.anyPartition('carriers', []) as Promise<Result<'carriers'>>;
  }

  // ---- SKUs and stock: the SKU's partition ----------------------------------------------------

  async putSku(sku: string, definition: Parameters<Engine['putSku']>[1]): Promise<Result<'putSku'>> {
    return this.send(this.skuPartition(sku), 'putSku', [sku, definition]) as Promise<Result<'putSku'>>;
  }

  async setStock(nodeId: string, sku: string, stock: Parameters<Engine['setStock']>[2]): Promise<Result<'setStock'>> {
    return this.send(this.skuPartition(sku), 'setStock', [nodeId, sku, stock]) as Promise<Result<'setStock'>>;
  }

  async adjustStock(nodeId: string, sku: string, adjustment: Parameters<Engine['adjustStock']>[2]): Promise<Result<'adjustStock'>> {
    return this.send(this.skuPartition(sku), 'adjustStock', [nodeId, sku, adjustment]) as Promise<Result<'adjustStock'>>;
  }

  async getInventory(sku: string): Promise<Result<'getInventory'>> {
    return this.send(this.skuPartition(sku), 'getInventory', [sku]) as Promise<Result<'getInventory'>>;
  }

  // ---- checkout: the cart's partition, then the id's -----------------------------------------

  async createReservation(...args: Parameters<Engine['createReservation']>): Promise<Result<'createReservation'>> {
    const split = splitCart(args[0].lines, (sku) => this.skuPartition(sku));
    if (split.partitions.length > 1) return this.carts.createReservation(args[0], split, args[1]) as Promise<Result<'createReservation'>>;
    return this.send(split.home, 'createReservation', args) as Promise<Result<'createReservation'>>;
  }

  async createOrder(...args: Parameters<Engine['createOrder']>): Promise<Result<'createOrder'>> {
    const split = splitCart(args[0].lines, (sku) => this.skuPartition(sku));
    if (split.partitions.length > 1) return this.carts.createOrder(args[0], split, args[1]) as Promise<Result<'createOrder'>>;
    return this.send(split.home, 'createOrder', args) as Promise<Result<'createOrder'>>;
  }

  /** One partition's cart: its engine's quote. A cart spanning partitions: each quotes its lines, combined per strategy. */
  async quote(request: Parameters<Engine['quote']>[0]): Promise<Result<'quote'>> {
    const split = splitCart(request.lines, (sku) => this.skuPartition(sku));
    if (split.partitions.length <= 1) return this.send(split.home, 'quote', [request]) as Promise<Result<'quote'>>;
    const quotes = await Promise.all(split.partitions.map(({ partition, lines }) => this.send(partition, 'quote', [{ ...request, lines }]) as Promise<Quote>));
    return mergeQuotes(quotes);
  }

  /** A plain confirm; a cart's home refuses it (its parts come first), and its coordinator confirms the cart. */
  async confirmReservation(...args: Parameters<Engine['confirmReservation']>): Promise<Result<'confirmReservation'>> {
    const home = this.idPartition(args[0], 'reservation');
    try {
      const answer = await this.send(home, 'confirmReservation', args) as Answer<OrderView>;
      return { ...answer, body: await this.carts.orderOf(answer.body) } as Result<'confirmReservation'>;
    } catch (error) {
      if (!(isEngineError(error) && error.details.reason === 'cart-parts')) throw error;
      return this.carts.confirmReservation(home, args[0], args[1], args[2]) as Promise<Result<'confirmReservation'>>;
    }
  }

  async getReservation(id: string): Promise<Result<'getReservation'>> {
    const home = await this.send(this.idPartition(id, 'reservation'), 'getReservation', [id]) as ReservationView;
    return this.carts.reservationOf(home) as Promise<Result<'getReservation'>>;
  }

  /** The home first (a confirmed cart is refused there, as any order), then its parts. */
  async releaseReservation(id: string): Promise<Result<'releaseReservation'>> {
    const home = await this.send(this.idPartition(id, 'reservation'), 'releaseReservation', [id]) as ReservationView;
    return this.carts.releaseParts(home) as Promise<Result<'releaseReservation'>>;
  }

  async getOrder(id: string): Promise<Result<'getOrder'>> {
    const home = await this.send(this.idPartition(id, 'order'), 'getOrder', [id]) as OrderView;
    return this.carts.orderOf(home) as Promise<Result<'getOrder'>>;
  }

  /**
   * Lines all of the id's partition (or none given): cancelled there, and a whole cancel of a cart
   * goes on to its parts. Lines of other partitions: the cart's parts are read first.
   */
  async cancelOrder(...args: Parameters<Engine['cancelOrder']>): Promise<Result<'cancelOrder'>> {
    const [orderId, lines] = args;
    const home = this.idPartition(orderId, 'order');
    if (lines && [...linesByPartition(lines, (sku) => this.skuPartition(sku)).keys()].some((p) => p !== home)) {
      const view = await this.send(home, 'getOrder', [orderId]) as OrderView;
      if (partsOf(view).length > 0) return this.carts.cancel(home, view, lines, false) as Promise<Result<'cancelOrder'>>;
    }
    const view = await this.send(home, 'cancelOrder', args) as OrderView;
    if (lines || partsOf(view).length === 0) return this.carts.orderOf(view) as Promise<Result<'cancelOrder'>>;
    return this.carts.cancel(home, view, undefined, true) as Promise<Result<'cancelOrder'>>;
  }

  async approveOrder(id: string): Promise<Result<'approveOrder'>> {
    return this.send(this.idPartition(id, 'order'), 'approveOrder', [id]) as Promise<Result<'approveOrder'>>;
  }

  async rejectOrder(id: string): Promise<Result<'rejectOrder'>> {
    return this.send(this.idPartition(id, 'order'), 'rejectOrder', [id]) as Promise<Result<'rejectOrder'>>;
  }

  /** A plain order's event goes to its partition; a cart's to the partitions with lines at the node. */
  async nodeEvent(...args: Parameters<Engine['nodeEvent']>): Promise<Result<'nodeEvent'>> {
    const [nodeId, request] = args;
    const home = this.idPartition(request.orderId, 'order');
    const elsewhere = request.lines !== undefined && [...linesByPartition(request.lines, (sku) => this.skuPartition(sku)).keys()].some((p) => p !== home);
    if (elsewhere) {
      const view = await this.send(home, 'getOrder', [request.orderId]) as OrderView;
      return this.carts.nodeEvent(home, view, nodeId, request, false) as Promise<Result<'nodeEvent'>>;
    }
    try {
      const view = await this.send(home, 'nodeEvent', args) as OrderView;
      if (request.lines !== undefined || partsOf(view).length === 0) return this.carts.orderOf(view) as Promise<Result<'nodeEvent'>>;
      return this.carts.nodeEvent(home, view, nodeId, request, true) as Promise<Result<'nodeEvent'>>;
    } catch (error) {
      // The home's lines could not take it (none at the node, or none in a state to): a cart's parts may.
      if (!(isEngineError(error) && error.code === 'INVALID_STATE') || request.lines !== undefined) throw error;
      const view = await this.send(home, 'getOrder', [request.orderId]) as OrderView;
      if (partsOf(view).length === 0) throw error;
      return this.carts.nodeEvent(home, view, nodeId, request, true, error) as Promise<Result<'nodeEvent'>>;
    }
  }

  // ---- what a gateway does not have ------------------------------------------------------------

  /** The actors live in the engines: a gateway has none (its /metrics shows its own HTTP and streams). */
  stats(): ReturnType<Engine['stats']> {
    return { skuActors: noActors, orderActors: noActors, nodeActors: noActors, ledgerPendingWrites: 0, liveOrders: 0 };
  }

  /** An order's history is in its engine; a client resuming an order topic here is told to resync. */
  orderEventsAfter(): StoredEvent[] | undefined {
    return undefined;
  }

  // ---- routing ---------------------------------------------------------------------------------

  /** Sends one command to one partition; the engine's refusal is rethrown as it was. */
  async send(partition: number, op: CommandOp, args: unknown[]): Promise<unknown> {
    let reply: CommandReply;
    try {
      reply = await this.raw.request(commandSubject(partition), { op, args }, { timeoutMs: this.requestTimeoutMs }) as CommandReply;
    } catch (error) {
      if (isEngineError(error) && error.code === 'UNAVAILABLE') {
        throw new EngineError('PARTITION_UNAVAILABLE', `partition ${partition} is not served now`, { partition, reason: error.details.reason }, 1);
      }
      throw error;
    }
    if (!reply.ok) throw errorFromWire(reply.error);
    return reply.value;
  }

  /** Every partition, at once: the answers in partition order, or the first refusal (503 naming each missing partition). */
  private async everyPartition(op: CommandOp, args: unknown[]): Promise<unknown[]> {
    const settled = await Promise.allSettled(Array.from({ length: this.partitionCount }, (_, p) => this.send(p, op, args)));
    const missing = settled.flatMap((s, p) => (s.status === 'rejected' && isEngineError(s.reason) && s.reason.code === 'PARTITION_UNAVAILABLE' ? [p] : []));
    if (missing.length > 0) {
      throw new EngineError('PARTITION_UNAVAILABLE', `partitions ${missing.join(', ')} are not served now; the change reached the others: repeat it`, { partitions: missing }, 1);
    }
    const refused = settled.find((s) => s.status === 'rejected');
    if (refused) throw (refused as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value);
  }

  /** The first partition that answers (in order); 503 when none does. */
  private async anyPartition(op: CommandOp, args: unknown[]): Promise<unknown> {
    for (let p = 0; p < this.partitionCount; p++) {
      try {
        return await this.send(p, op, args);
      } catch (error) {
        if (!(isEngineError(error) && error.code === 'PARTITION_UNAVAILABLE')) throw error;
      }
    }
    throw new EngineError('PARTITION_UNAVAILABLE', 'no partition is served now', {}, 1);
  }

  private skuPartition(sku: string): number {
    return partitionOfSku(sku, this.partitionCount);
  }

  private idPartition(id: string, what: 'reservation' | 'order'): number {
    const partition = partitionOfId(id, this.partitionCount);
    if (partition === undefined) throw notFound(what, id);
    return partition;
  }
}

type NodeStats = ReturnType<Engine['nodeStats']>;

/**
 * One node's stats over the partitions: each counts only the orders it took today, so the node's
 * day is their sum; its rejection rate is the highest any partition saw (the cautious reading).
 */
function sumStats(parts: ReadonlyArray<NodeStats | undefined>): NodeStats {
  const known = parts.filter((p): p is NodeStats => p !== undefined);
  const first = known[0]!;
  const ordersToday = known.reduce((sum, p) => sum + (p.localDate === first.localDate ? p.ordersToday : 0), 0);
  return {
    ...first,
    ordersToday,
    ...(first.capacityPerDay !== undefined ? { capacityLeft: Math.max(0, first.capacityPerDay - ordersToday) } : {}),
    recentRejectionRate: Math.max(...known.map((p) => p.recentRejectionRate)),
  };
}
