import { createActor, type AnyStateMachine, type EventFromLogic, type SnapshotFrom } from 'xstate';
import type { Clock, TimerHandle } from '../clock.js';
import { overloaded } from '../errors.js';

// Runs one kind of actor in-process: spawns an actor on its first message (restoring it from the
// ledger), delivers messages one at a time, tracks what each has in flight (accepted, not yet
// durable), and passivates idle actors so memory stays bounded. Machines stay pure: what they
// decide comes back to the caller as the events they emit, and the caller persists it.

/** What the runtime asks of an actor: an XState actor, or a MachineCell (runtime/machine-cell.ts). */
export interface RuntimeActor<TLogic extends AnyStateMachine> {
  send(event: EventFromLogic<TLogic>): void;
  getSnapshot(): SnapshotFrom<TLogic>;
  on(type: '*', listener: (emitted: unknown) => void): unknown;
  start(): unknown;
  stop(): unknown;
}

export interface ActorKind<TLogic extends AnyStateMachine, TEmitted> {
  name: string;
  logic: TLogic;
  /** Creates the actor for `key` from what the ledger holds; undefined when there is none. */
  restore(key: string): RuntimeActor<TLogic> | undefined;
  /** Live actors kept at most; past it, the least recently used idle ones are passivated. */
  maxActors: number;
  /** Commands accepted by one actor and not yet durable; past it, OVERLOADED. */
  inflightMax: number;
  idleMs: number;
  isEmitted(event: unknown): event is TEmitted;
}

interface Entry<TLogic extends AnyStateMachine, TEmitted> {
  actor: RuntimeActor<TLogic>;
  inflight: number;
  lastUsedMs: number;
  emitted: TEmitted[];
}

export interface RuntimeStats {
  active: number;
  spawned: number;
  passivated: number;
  /** Commands accepted and not yet durable, over all actors, and at the busiest one (its mailbox). */
  inflight: number;
  inflightMaxActor: number;
}

export class ActorRuntime<TLogic extends AnyStateMachine, TEmitted> {
  private readonly entries = new Map<string, Entry<TLogic, TEmitted>>();
  private spawned = 0;
  private passivated = 0;
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private readonly kind: ActorKind<TLogic, TEmitted>,
    private readonly clock: Clock,
  ) {}

  /** Starts the periodic passivation of idle actors. */
  start(): void {
    const sweep = (): void => {
      this.passivateIdle();
      this.sweepTimer = this.clock.setTimeout(sweep, Math.max(1_000, this.kind.idleMs / 4));
    };
    this.sweepTimer = this.clock.setTimeout(sweep, Math.max(1_000, this.kind.idleMs / 4));
  }

  stop(): void {
    this.sweepTimer?.cancel();
    for (const entry of this.entries.values()) entry.actor.stop();
    this.entries.clear();
  }

  /**
   * Delivers `event` and returns what the actor emitted while handling it; undefined when no
   * actor exists for `key`. Throws OVERLOADED when the actor has too much in flight.
   */
  send(key: string, event: EventFromLogic<TLogic>): TEmitted[] | undefined {
    const entry = this.entry(key);
    if (!entry) return undefined;
    if (entry.inflight >= this.kind.inflightMax) {
      throw overloaded(`${this.kind.name} ${key} has ${entry.inflight} commands in flight`);
    }
    entry.emitted = [];
    entry.actor.send(event);
    const emitted = entry.emitted;
    entry.emitted = [];
    return emitted;
  }

  snapshot(key: string): SnapshotFrom<TLogic> | undefined {
    return this.entry(key)?.actor.getSnapshot();
  }

  /** The live actor's snapshot, without spawning one. */
  peek(key: string): SnapshotFrom<TLogic> | undefined {
    return this.entries.get(key)?.actor.getSnapshot();
  }

  /** Marks `count` commands as accepted and not yet durable; the returned function ends them. */
  begin(key: string, count = 1): () => void {
    const entry = this.entries.get(key);
    if (!entry) return () => {};
    entry.inflight += count;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      entry.inflight -= count;
    };
  }

  /** Whether the actor for `key` may accept `more` commands besides those in flight (its mailbox bound). */
  admits(key: string, more: number): boolean {
    return (this.entries.get(key)?.inflight ?? 0) + more <= this.kind.inflightMax;
  }

  /** Drops the live actor for `key` (its state is in the ledger). */
  passivate(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || entry.inflight > 0) return;
    entry.actor.stop();
    this.entries.delete(key);
    this.passivated++;
  }

  stats(): RuntimeStats {
    let inflight = 0;
    let inflightMaxActor = 0;
    for (const entry of this.entries.values()) {
      inflight += entry.inflight;
      if (entry.inflight > inflightMaxActor) inflightMaxActor = entry.inflight;
    }
    return { active: this.entries.size, spawned: this.spawned, passivated: this.passivated, inflight, inflightMaxActor };
  }

  passivateIdle(): void {
    const idleBefore = this.clock.now() - this.kind.idleMs;
    for (const [key, entry] of this.entries) {
      // Map order is least recently used first: stop at the first recent entry.
      if (entry.lastUsedMs > idleBefore) break;
      if (entry.inflight === 0) this.passivate(key);
    }
  }

  private entry(key: string): Entry<TLogic, TEmitted> | undefined {
    let entry = this.entries.get(key);
    if (entry) {
      // Re-insert to keep the map in least-recently-used order.
      this.entries.delete(key);
      this.entries.set(key, entry);
      entry.lastUsedMs = this.clock.now();
      return entry;
    }
    const actor = this.kind.restore(key);
    if (!actor) return undefined;
    const created: Entry<TLogic, TEmitted> = { actor, inflight: 0, lastUsedMs: this.clock.now(), emitted: [] };
    actor.on('*', (emitted: unknown) => {
      if (this.kind.isEmitted(emitted)) created.emitted.push(emitted);
    });
    actor.start();
    this.entries.set(key, created);
    this.spawned++;
    if (this.entries.size > this.kind.maxActors) this.evictOverflow();
    return created;
  }

  /**
   * Passivates the least recently used idle actors down to a little under the bound (1/64 of it
   * under): the map keeps the slots of what it deleted at its head until it rehashes, and every
   * walk from the head steps over them, so one walk per many spawns, not one per spawn.
   */
  private evictOverflow(): void {
    const keep = this.kind.maxActors - Math.floor(this.kind.maxActors / 64);
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= keep) return;
      if (entry.inflight === 0) this.passivate(key);
    }
  }
}

export { createActor };
