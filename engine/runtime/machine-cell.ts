import type { AnyActorScope, AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';

// An XState machine run without an actor: its snapshot, and XState's own `machine.transition`
// (the macrostep an actor runs for each event) over a small actor scope of its own. For machines
// that are pure deciders, such as the order machine: no children, no delayed events, no sendTo;
// what they decide comes out as emitted events, delivered to the `on('*')` listeners after the
// step, as an actor delivers them. An actor costs far more to make and to stop (its system,
// mailbox, bound methods), and the order runtime restores one per order it touches.
//
// It behaves as a started root actor for such a machine: `self.getSnapshot()` in actions is the
// snapshot before the event; once done (a final state) or errored it ignores events; an action
// that throws leaves it errored and the error reported unhandled (as xstate's
// reportUnhandledError). Not for machines that spawn, delay or send: its inert system throws when
// asked to schedule or relay an event.

export class MachineCell<TMachine extends AnyStateMachine> {
  private snapshot: SnapshotFrom<TMachine>;
  private readonly listeners: Array<(emitted: unknown) => void> = [];
  private readonly deferred: Array<() => void> = [];
  private readonly scope: AnyActorScope;
  /** Events sent while a step runs (from a listener), handled after it, as an actor's mailbox does. */
  private queue: Array<EventFromLogic<TMachine>> | undefined;

  constructor(
    private readonly machine: TMachine,
    snapshot: SnapshotFrom<TMachine>,
  ) {
    this.snapshot = snapshot;
    this.scope = {
      self: this as never,
      id: '',
      sessionId: '',
      logger: console.log,
      defer: (fn) => {
        this.deferred.push(fn);
      },
      emit: (emitted) => {
        for (const listener of this.listeners) {
          try {
            listener(emitted);
          } catch (error) {
            reportUnhandled(error);
          }
        }
      },
      system: inertSystem,
      stopChild: () => {},
      actionExecutor: (action) => {
        action.exec?.(action.info, action.params);
      },
    };
  }

  getSnapshot(): SnapshotFrom<TMachine> {
    return this.snapshot;
  }

  /** Listens to what the machine emits (only '*', all of it, is offered). */
  on(type: '*', listener: (emitted: unknown) => void): void {
    if (type !== '*') throw new Error('MachineCell offers on("*") only');
    this.listeners.push(listener);
  }

  start(): this {
    return this;
  }

  stop(): this {
    this.queue = undefined;
    return this;
  }

  send(event: EventFromLogic<TMachine>): void {
    if (this.queue) {
      this.queue.push(event);
      return;
    }
    this.queue = [event];
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue?.shift()) this.step(next);
    } finally {
      this.queue = undefined;
    }
  }

  private step(event: EventFromLogic<TMachine>): void {
    if ((this.snapshot as { status: string }).status !== 'active') return;
    let next: SnapshotFrom<TMachine>;
    try {
      next = this.machine.transition(this.snapshot, event, this.scope) as SnapshotFrom<TMachine>;
    } catch (error) {
      this.deferred.length = 0;
      this.snapshot = { ...(this.snapshot as object), status: 'error', error } as SnapshotFrom<TMachine>;
      reportUnhandled(error);
      return;
    }
    this.snapshot = next;
    for (let fn = this.deferred.shift(); fn !== undefined; fn = this.deferred.shift()) fn();
  }
}

function reportUnhandled(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

/** The system a cell's scope names: no inspection, no scheduler, no registry (none is used). */
const inertSystem = {
  _sendInspectionEvent: () => {},
  _bookId: () => '',
  _register: () => '',
  _unregister: () => {},
  _relay: () => {
    throw new Error('MachineCell: a machine that sends events to actors needs an actor');
  },
  get: () => undefined,
  getAll: () => ({}),
  _set: () => {},
  inspect: () => ({ unsubscribe: () => {} }),
  start: () => {},
  scheduler: {
    schedule: () => {
      throw new Error('MachineCell: a machine with delayed events needs an actor');
    },
    cancel: () => {},
    cancelAll: () => {},
  },
  getSnapshot: () => ({ _scheduledEvents: {} }),
  _snapshot: { _scheduledEvents: {} },
  _logger: console.log,
  _clock: { setTimeout, clearTimeout },
} as unknown as AnyActorScope['system'];
