import { createActor, type Actor, type SnapshotFrom, type StateValue } from 'xstate';
import type { OrderMachineState, OrderSnapshot } from '../actors/domain.js';
import { orderMachine } from '../actors/order/order.machine.js';
import { MachineCell } from './runtime/machine-cell.js';

// The ledger keeps an order as { state, record }: a flat state name and the machine's context.
// These convert between that and the machine's own (nested) state value.

const topLevel: ReadonlySet<string> = new Set(['held', 'expired', 'dropped']);

export function toOrderMachineValue(state: OrderMachineState): StateValue {
  return topLevel.has(state) ? state : { order: state };
}

export function fromOrderMachineValue(value: StateValue): OrderMachineState {
  if (typeof value === 'string') return value as OrderMachineState;
  const inner = (value as { order?: StateValue }).order;
  if (typeof inner !== 'string' || inner === 'settling') throw new Error(`unexpected order state ${JSON.stringify(value)}`);
  return inner as OrderMachineState;
}

export function orderSnapshotOf(snapshot: SnapshotFrom<typeof orderMachine>): OrderSnapshot {
  return { state: fromOrderMachineValue(snapshot.value), record: snapshot.context };
}

export function restoreOrderActor(snapshot: OrderSnapshot): Actor<typeof orderMachine> {
  const state = orderMachine.resolveState({ value: toOrderMachineValue(snapshot.state), context: snapshot.record });
  // The input is ignored when a snapshot is given; xstate types still ask for one.
  return createActor(orderMachine, { snapshot: state, input: snapshot.record });
}

/**
 * The order machine at `snapshot`, run as a MachineCell (the engine's order runtime): the same
 * transitions and decisions as `restoreOrderActor`, without an actor to make and stop per order.
 */
export function restoreOrderCell(snapshot: OrderSnapshot): MachineCell<typeof orderMachine> {
  return new MachineCell(orderMachine, orderMachine.resolveState({ value: toOrderMachineValue(snapshot.state), context: snapshot.record }));
}
