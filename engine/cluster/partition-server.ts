import type { Bus, Subscription } from '../bus/bus.js';
import type { Engine } from '../engine.js';
import { isEngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import { commandSubject, errorToWire, isCommand, type Command, type CommandReply } from './protocol.js';

// Serves one partition's Engine on the bus: each command on `inv.<p>.cmd` is one call of the
// engine, answered once the engine has answered (so once durable, as in one process). Only the
// owner of the partition's lease starts one; the queue group is a second guard, so that even two
// subscribers would each command be run once.

export class PartitionServer {
  private subscription: Subscription | undefined;

  constructor(
    readonly partition: number,
    private readonly engine: Engine,
    private readonly bus: Bus,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.subscription = this.bus.subscribe(commandSubject(this.partition), (_subject, message, context) => {
      if (!context.expectsReply) return undefined;
      // Returned, so the bus watches it (and reports a failure to its onError).
      return this.run(message).then((reply) => context.reply(reply));
    }, { queue: 'partition-owner' });
  }

  /** Stops taking commands; those in flight still get their answers. */
  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private async run(message: unknown): Promise<CommandReply> {
    if (!isCommand(message)) return { ok: false, error: { code: 'BAD_REQUEST', message: 'not a command this engine serves', details: {} } };
    try {
      return { ok: true, value: await this.call(message) };
    } catch (error) {
      if (isEngineError(error)) return { ok: false, error: errorToWire(error) };
      this.logger.error({ err: error, op: message.op, partition: this.partition }, 'command failed');
      return { ok: false, error: { code: 'INTERNAL', message: 'internal error', details: {} } };
    }
  }

  private call({ op, args }: Command): unknown {
    const engine = this.engine;
    const a = args as never[];
    switch (op) {
      case 'putNode': return engine.putNode(a[0], a[1]);
      case 'setNodeStatus': return engine.setNodeStatus(a[0], a[1]);
      case 'listNodes': return engine.listNodes();
      case 'getNode': return engine.getNode(a[0]);
      case 'putSku': return engine.putSku(a[0], a[1]);
      case 'setStock': return engine.setStock(a[0], a[1], a[2]);
      case 'adjustStock': return engine.adjustStock(a[0], a[1], a[2]);
      case 'getInventory': return engine.getInventory(a[0]);
      case 'createReservation': return engine.createReservation(a[0], a[1]);
      case 'confirmReservation': return engine.confirmReservation(a[0], a[1], a[2]);
      case 'getReservation': return engine.getReservation(a[0]);
      case 'releaseReservation': return engine.releaseReservation(a[0]);
      case 'createOrder': return engine.createOrder(a[0], a[1]);
      case 'getOrder': return engine.getOrder(a[0]);
      case 'cancelOrder': return engine.cancelOrder(a[0], a[1]);
      case 'approveOrder': return engine.approveOrder(a[0]);
      case 'rejectOrder': return engine.rejectOrder(a[0]);
      case 'nodeEvent': return engine.nodeEvent(a[0], a[1]);
      case 'quote': return engine.quote(a[0]);
      case 'stats': return engine.stats();
      case 'nodeStats': return engine.nodeStats(a[0]);
      case 'carriers': return engine.carriers();
      case 'idempotentAnswer': return engine.idempotentAnswer(a[0]);
    }
  }
}
