import type { CartPart } from '../../actors/domain.js';
import type { LineRequest } from '../../actors/order/lines.js';
import type { Answer, ConfirmRequest, IdempotencyKey, NodeEventRequest, ReservationRequest } from '../engine.js';
import { EngineError, isEngineError } from '../errors.js';
import { limits } from '../limits.js';
import type { OrderView, ReservationView } from '../views.js';
import { linesByPartition, mergeOrder, mergeReservation, partKey, partsOf, type CartSplit } from './carts.js';
import type { CommandOp } from './protocol.js';

// The coordinator of a cart spanning partitions, run by the gateway that took the request. It
// keeps nothing: what must survive a crash is in the engines' ledgers.
//
//   hold     each non-home partition holds its lines first, as a part (a normal hold with a TTL
//            `partTtlMarginSeconds` longer); then the home holds its lines with the list of its
//            parts. Any refusal: the parts already held are released, and the refusal answered.
//            A crash of the gateway or an engine mid-cart leaves part holds that expire by TTL,
//            after the home's (if it was made).
//   confirm  every part (each under its own key, so a retry replays), then the home; a failure
//            after a part confirmed cancels what confirmed and releases the rest.
//   repeat   the home keeps the client's Idempotency-Key with the answer, so the coordinator asks
//            the home first and replays; part keys are derived from the client's key and body.

export type Send = (partition: number, op: CommandOp, args: unknown[]) => Promise<unknown>;

/** How much longer a part hold lives than its home: the home always expires first. */
export const partTtlMarginSeconds = 10;
/** The home's deadline stays this far inside its parts' (clocks of different hosts, the time the home takes). */
const homeInsidePartsMs = 2_000;
/** Tries at holding one part anew after an earlier try's hold was found given back. */
const partTriesMax = 4;

type Reservation = ReservationView;
type PublicReservation = ReturnType<typeof mergeReservation>;
type PublicOrder = ReturnType<typeof mergeOrder>;

const orderIdOfReservation = (reservationId: string): string => `ord_${reservationId.slice(4)}`;

export class CartCoordinator {
  constructor(
    private readonly send: Send,
    private readonly partitionOf: (sku: string) => number,
  ) {}

  // ---- creating ------------------------------------------------------------------------------

  async createReservation(request: ReservationRequest, split: CartSplit<ReservationRequest['lines'][number]>, idempotency?: IdempotencyKey): Promise<Answer<PublicReservation>> {
    const replay = idempotency ? await this.replayed<Reservation>(split.home, idempotency) : undefined;
    if (replay) return { ...replay, body: await this.reservationOf(replay.body) };
    const held = await this.holdCart(request, split, idempotency, idempotency);
    return { status: 201, body: mergeReservation(held.home, held.parts), replayed: held.replayed };
  }

  /** Hold and confirm in one call: the cart is held as above, then confirmed; a failure releases it all. */
  async createOrder(request: ReservationRequest & ConfirmRequest, split: CartSplit<ReservationRequest['lines'][number]>, idempotency?: IdempotencyKey): Promise<Answer<PublicOrder>> {
    const replay = idempotency ? await this.replayed<OrderView>(split.home, idempotency) : undefined;
    if (replay) return { ...replay, body: await this.orderOf(replay.body) };
    const { payment, externalId, ...hold } = request;
    const holdKey = idempotency ? { ...idempotency, scope: `${idempotency.scope}#hold` } : undefined;
    const held = await this.holdCart(hold, split, undefined, holdKey);
    const confirm: ConfirmRequest = { ...(payment ? { payment } : {}), ...(externalId ? { externalId } : {}) };
    const answer = await this.confirmHeld(split.home, held.home, confirm, idempotency, true);
    return { ...answer, status: 201 };
  }

  /**
   * Holds every part, then the home. `homeKey`: the client's key, kept by the home (a repeat
   * replays); `partsKey`: what part keys (and, without a homeKey, the home's) derive from.
   */
  private async holdCart(request: ReservationRequest, split: CartSplit<ReservationRequest['lines'][number]>, homeKey: IdempotencyKey | undefined, partsKey: IdempotencyKey | undefined): Promise<{ home: Reservation; parts: Reservation[]; replayed: boolean }> {
    const ttlSeconds = request.ttlSeconds ?? limits.ttlSecondsDefault;
    const others = split.partitions.filter((p) => p.partition !== split.home);
    const settled = await Promise.allSettled(others.map(({ partition, lines }) =>
      this.holdOnce(partition, { ...request, lines, ttlSeconds: ttlSeconds + partTtlMarginSeconds }, partsKey, ttlSeconds)));
    const parts = settled.flatMap((s, i) => (s.status === 'fulfilled' ? [{ partition: others[i].partition, view: s.value }] : []));
    const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (refused) {
      await this.releaseAll(parts.map((p) => ({ partition: p.partition, reservationId: p.view.reservationId })));
      throw refused.reason;
    }
    const partList: CartPart[] = parts.map((p) => ({ partition: p.partition, reservationId: p.view.reservationId }));
    // The home's deadline lies inside every part's, so the home always expires first.
    const partsExpireAt = Math.min(...parts.map((p) => Date.parse(p.view.expiresAt)));
    const homeTtlSeconds = Math.max(1, Math.min(ttlSeconds, Math.floor((partsExpireAt - Date.now() - homeInsidePartsMs) / 1000)));
    const homeLines = split.partitions.find((p) => p.partition === split.home)!.lines;
    const homeRequest: ReservationRequest = { ...request, lines: homeLines, ttlSeconds: homeTtlSeconds, parts: partList };
    try {
      if (homeKey) {
        const answer = await this.send(split.home, 'createReservation', [homeRequest, homeKey]) as Answer<Reservation>;
        return { home: answer.body, parts: parts.map((p) => p.view), replayed: answer.replayed };
      }
      const home = await this.holdOnce(split.home, homeRequest, partsKey, ttlSeconds, partList);
      return { home, parts: parts.map((p) => p.view), replayed: false };
    } catch (error) {
      await this.releaseAll(partList);
      throw error;
    }
  }

  /**
   * One hold in one partition, under a key derived from `base` (none: a plain hold). A replayed
   * hold is an earlier try's: used when it is still held for long enough (and lists the same
   * parts); otherwise given back, and held anew under the next key of the chain.
   */
  private async holdOnce(partition: number, request: ReservationRequest, base: IdempotencyKey | undefined, homeTtlSeconds: number, parts?: CartPart[]): Promise<Reservation> {
    if (!base) return ((await this.send(partition, 'createReservation', [request])) as Answer<Reservation>).body;
    const replaced: string[] = [];
    for (let i = 0; i < partTriesMax; i++) {
      const key: IdempotencyKey = { scope: `${base.scope}#part`, key: partKey(`${base.key}#${base.fingerprint}`, partition, replaced), fingerprint: base.fingerprint };
      const answer = await this.send(partition, 'createReservation', [request, key]) as Answer<Reservation>;
      if (!answer.replayed) return answer.body;
      const current = await this.send(partition, 'getReservation', [answer.body.reservationId]) as Reservation;
      // A twin of this request (same key, same body: through another gateway, say) got here first
      // and has confirmed the cart already: this is that cart, and confirming it again replays
      // the twin's order. Holding it anew would leave a hold nobody confirms.
      if (current.status === 'confirmed') return current;
      // A part must outlive the home about to be made; a home (parts given) must list the same parts.
      const usable = parts === undefined
        ? Date.parse(current.expiresAt) - Date.now() >= homeTtlSeconds * 1000
        : JSON.stringify(partsOf(current)) === JSON.stringify(parts);
      if (current.status === 'held' && usable) return current;
      if (current.status === 'held') await this.send(partition, 'releaseReservation', [current.reservationId]);
      replaced.push(current.reservationId.slice(4));
    }
    throw new EngineError('OVERLOADED', `partition ${partition}: could not hold the cart's part anew`, { partition }, 1);
  }

  // ---- confirming ----------------------------------------------------------------------------

  async confirmReservation(home: number, reservationId: string, request: ConfirmRequest, idempotency?: IdempotencyKey): Promise<Answer<PublicOrder>> {
    const replay = idempotency ? await this.replayed<OrderView>(home, idempotency) : undefined;
    if (replay) return { ...replay, body: await this.orderOf(replay.body) };
    const view = await this.send(home, 'getReservation', [reservationId]) as Reservation;
    return this.confirmHeld(home, view, request, idempotency, false);
  }

  /**
   * Confirms every part, then the home. Nothing confirmed yet and a part refuses: the refusal,
   * the cart still held. A failure after something confirmed: what confirmed is cancelled, the
   * rest released (the cart cannot be whole again), and the failure answered.
   */
  private async confirmHeld(home: number, view: Reservation, request: ConfirmRequest, idempotency: IdempotencyKey | undefined, releaseOnRefusal: boolean): Promise<Answer<PublicOrder>> {
    const parts = partsOf(view);
    if (view.status !== 'held' || parts.length === 0) {
      // The engine's own answer: its refusal of a hold that is not held, or a plain confirm.
      const answer = await this.send(home, 'confirmReservation', [view.reservationId, request, idempotency]) as Answer<OrderView>;
      return { ...answer, body: await this.orderOf(answer.body) };
    }
    // Each part learns its home's id as it confirms, in the same write: its events from then on
    // (released, shipped, rerouted, …) are told on the home's order topic too (stream-seqs.ts).
    const partRequest: ConfirmRequest = { ...request, cartHome: orderIdOfReservation(view.reservationId) };
    const settled = await Promise.allSettled(parts.map((part) =>
      this.send(part.partition, 'confirmReservation', [part.reservationId, partRequest, { scope: 'cart#confirm', key: part.reservationId, fingerprint: 'cart' }]) as Promise<Answer<OrderView>>));
    const confirmed = parts.filter((_, i) => settled[i].status === 'fulfilled');
    const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (refused) {
      if (confirmed.length > 0 || releaseOnRefusal) await this.undo(home, view.reservationId, parts, confirmed);
      throw refused.reason;
    }
    let answer: Answer<OrderView>;
    try {
      answer = await this.send(home, 'confirmReservation', [view.reservationId, { ...request, partsConfirmed: true }, idempotency]) as Answer<OrderView>;
    } catch (error) {
      // Another confirm of this cart may have won (its parts are these very orders), or the home
      // confirmed and its answer was lost: then nothing is undone.
      if (!(await this.homeMayHaveConfirmed(home, view.reservationId, error))) await this.undo(home, view.reservationId, parts, parts);
      throw error;
    }
    const partOrders = settled.map((s) => (s as PromiseFulfilledResult<Answer<OrderView>>).value.body);
    return { status: answer.status, body: mergeOrder(answer.body, partOrders), replayed: answer.replayed };
  }

  /**
   * After the home's confirm failed: false only when the home certainly did not confirm (nobody
   * got the command, or it reads as not confirmed). An unanswered read is taken as "may have".
   */
  private async homeMayHaveConfirmed(home: number, reservationId: string, error: unknown): Promise<boolean> {
    if (isEngineError(error) && error.code === 'PARTITION_UNAVAILABLE' && error.details.reason === 'no-responders') return false;
    try {
      return (await this.send(home, 'getReservation', [reservationId]) as Reservation).status === 'confirmed';
    } catch {
      return true;
    }
  }

  /** Compensation: cancels the confirmed parts, releases the home and the other parts. Best effort: what stays held expires by TTL. */
  private async undo(home: number, reservationId: string, parts: readonly CartPart[], confirmed: readonly CartPart[]): Promise<void> {
    const cancelled = new Set(confirmed.map((p) => p.reservationId));
    await Promise.allSettled([
      ...confirmed.map((p) => this.send(p.partition, 'cancelOrder', [orderIdOfReservation(p.reservationId)])),
      this.send(home, 'releaseReservation', [reservationId]),
      ...parts.filter((p) => !cancelled.has(p.reservationId)).map((p) => this.send(p.partition, 'releaseReservation', [p.reservationId])),
    ]);
  }

  // ---- reading and ending --------------------------------------------------------------------

  /** A home's reservation view with its parts merged in; a home no longer held gives back parts still held. */
  async reservationOf(home: Reservation): Promise<PublicReservation> {
    const parts = partsOf(home);
    if (parts.length === 0) return mergeReservation(home, []);
    let views = await Promise.all(parts.map((p) => this.send(p.partition, 'getReservation', [p.reservationId]) as Promise<Reservation>));
    if ((home.status === 'released' || home.status === 'expired') && views.some((v) => v.status === 'held')) {
      views = await Promise.all(parts.map((p, i) => (views[i].status === 'held' ? this.send(p.partition, 'releaseReservation', [p.reservationId]) as Promise<Reservation> : views[i])));
    }
    return mergeReservation(home, views);
  }

  async releaseParts(home: Reservation): Promise<PublicReservation> {
    const parts = partsOf(home);
    const views = await Promise.all(parts.map((p) => this.send(p.partition, 'releaseReservation', [p.reservationId]) as Promise<Reservation>));
    return mergeReservation(home, views);
  }

  async orderOf(home: OrderView): Promise<PublicOrder> {
    const parts = partsOf(home);
    if (parts.length === 0) return mergeOrder(home, []);
    const views = await Promise.all(parts.map((p) => this.send(p.partition, 'getOrder', [orderIdOfReservation(p.reservationId)]) as Promise<OrderView>));
    return mergeOrder(home, views);
  }

  /**
   * Cancels a cart: whole (every partition), or the given lines, each at the partition that owns
   * its SKU. `homeDone`: the home has had its share already (the caller cancelled there first).
   */
  async cancel(home: number, homeView: OrderView, lines: LineRequest[] | undefined, homeDone: boolean): Promise<PublicOrder> {
    const split = lines ? linesByPartition(lines, this.partitionOf) : undefined;
    const targets = this.targets(home, homeView, homeDone);
    if (split && [...split.keys()].some((p) => p !== home && !targets.some((t) => t.partition === p))) {
      // A SKU the cart does not have: the home refuses it, as the engine refuses any such line.
      await this.send(home, 'cancelOrder', [homeView.orderId, lines]);
    }
    const chosen = targets.filter((t) => !split || split.has(t.partition));
    const settled = await Promise.allSettled(chosen.map((t) => this.send(t.partition, 'cancelOrder', [t.orderId, split?.get(t.partition)])));
    const refused = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (refused) throw refused.reason;
    return this.orderOf(await this.send(home, 'getOrder', [homeView.orderId]) as OrderView);
  }

  /**
   * A node's event for a cart: to each partition with lines at that node (given lines, to the
   * partitions owning them). `homeDone`: the home has had it already, and `homeRefusal` is what it
   * answered if it refused. As in one order, lines that cannot take the step are passed over: a
   * state refusal of one partition counts only when no partition took the event.
   */
  async nodeEvent(home: number, homeView: OrderView, nodeId: string, request: NodeEventRequest, homeDone: boolean, homeRefusal?: unknown): Promise<PublicOrder> {
    const split = request.lines ? linesByPartition(request.lines, this.partitionOf) : undefined;
    const chosen = this.targets(home, homeView, homeDone).filter((t) => !split || split.has(t.partition));
    const settled = await Promise.allSettled(chosen.map((t) =>
      this.send(t.partition, 'nodeEvent', [nodeId, { ...request, orderId: t.orderId, ...(split ? { lines: split.get(t.partition) } : {}) }])));
    const stateRefusal = (s: PromiseSettledResult<unknown>): boolean => s.status === 'rejected' && isEngineError(s.reason) && s.reason.code === 'INVALID_STATE';
    const failed = settled.find((s) => s.status === 'rejected' && !stateRefusal(s));
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const taken = (homeDone && homeRefusal === undefined) || settled.some((s) => s.status === 'fulfilled');
    if (!taken) {
      const noLines = (s: PromiseSettledResult<unknown>): boolean => isEngineError((s as PromiseRejectedResult).reason) && (s as PromiseRejectedResult).reason.details.reason === 'no-lines-at-node';
      const telling = settled.find((s) => !noLines(s));
      throw telling ? (telling as PromiseRejectedResult).reason : (homeRefusal ?? (settled[0] as PromiseRejectedResult | undefined)?.reason);
    }
    return this.orderOf(await this.send(home, 'getOrder', [homeView.orderId]) as OrderView);
  }

  /** The orders of a cart, per partition: its home (unless done) and its parts. */
  private targets(home: number, homeView: OrderView, homeDone: boolean): Array<{ partition: number; orderId: string }> {
    const parts = partsOf(homeView).map((p) => ({ partition: p.partition, orderId: orderIdOfReservation(p.reservationId) }));
    return homeDone ? parts : [{ partition: home, orderId: homeView.orderId }, ...parts];
  }

  // ---- idempotency ---------------------------------------------------------------------------

  /** The home's kept answer for the client's key, if the cart was answered before. */
  private async replayed<T>(home: number, idempotency: IdempotencyKey): Promise<Answer<T> | undefined> {
    return (await this.send(home, 'idempotentAnswer', [idempotency])) as Answer<T> | undefined;
  }

  private async releaseAll(parts: readonly CartPart[]): Promise<void> {
    await Promise.allSettled(parts.map((p) => this.send(p.partition, 'releaseReservation', [p.reservationId])));
  }
}
