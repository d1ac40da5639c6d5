import { assign, emit, setup } from 'xstate';
import { availableOf, reservationFits, type Allocation, type Position } from '../domain.js';
import { allocate, totalAvailable } from './allocate.js';

// One actor per SKU: the single writer of that SKU's positions at every node. Every command is
// one serialized step (check and write together), which is what makes a double promise impossible:
// the guard `reserved + qty <= onHand - safetyStock` and the increment are never apart.
// The machine does no IO. Each command computes the next positions and its decision in one pure
// function (`decide`); the machine stores both and emits the decision; the runtime persists it.
// (One assign and one emit per command: half the cost of enqueueActions on the hot path.)

export interface SkuInventoryContext {
  sku: string;
  positions: Record<string, Position>;
  /** The decision of the last command, as emitted. */
  decision?: SkuInventoryDecision;
}

export type SkuInventoryEvent =
  | { type: 'hold'; ownerId: string; qty: number; candidates: readonly string[]; allowSplit: boolean }
  /** Holds exactly these units (a routing plan's): all of them, or none when one does not fit. */
  | { type: 'take'; ownerId: string; allocations: readonly Allocation[] }
  | { type: 'release'; ownerId: string; allocations: readonly Allocation[] }
  | { type: 'ship'; ownerId: string; nodeId: string; qty: number }
  | { type: 'stock.set'; nodeId: string; onHand: number; safetyStock?: number }
  | { type: 'stock.adjust'; nodeId: string; delta: number };

export type SkuInventoryDecision =
  | { type: 'decided'; outcome: 'held'; ownerId: string; allocations: Allocation[]; changedNodeIds: string[] }
  | { type: 'decided'; outcome: 'released' | 'shipped' | 'stock.changed'; changedNodeIds: string[] }
  | { type: 'refused'; code: 'INSUFFICIENT_STOCK' | 'INVALID_STATE'; reason: string; details: Record<string, unknown> };

interface Step {
  positions: Record<string, Position>;
  decision: SkuInventoryDecision;
}

const emptyPosition: Position = { onHand: 0, safetyStock: 0, reserved: 0 };

const refuse = (context: SkuInventoryContext, code: 'INSUFFICIENT_STOCK' | 'INVALID_STATE', reason: string, details: Record<string, unknown>): Step =>
  ({ positions: context.positions, decision: { type: 'refused', code, reason, details: { sku: context.sku, ...details } } });

function change(context: SkuInventoryContext, changes: Record<string, Position>, decision: SkuInventoryDecision): Step {
  return { positions: { ...context.positions, ...changes }, decision };
}

/** The whole logic of the SKU actor: the next positions and the decision. Pure. */
export function decide(context: SkuInventoryContext, event: SkuInventoryEvent): Step {
  switch (event.type) {
    case 'hold': {
      if (!Number.isInteger(event.qty) || event.qty <= 0) return refuse(context, 'INVALID_STATE', `cannot hold ${event.qty}`, { qty: event.qty });
      const allocations = allocate(context.positions, event.qty, event.candidates, event.allowSplit);
      if (!allocations) {
        return refuse(context, 'INSUFFICIENT_STOCK', `not enough ${context.sku} to hold ${event.qty}`, { requested: event.qty, available: totalAvailable(context.positions, event.candidates) });
      }
      const changes: Record<string, Position> = {};
      for (const { nodeId, qty } of allocations) {
        const p = context.positions[nodeId];
        changes[nodeId] = { onHand: p.onHand, safetyStock: p.safetyStock, reserved: p.reserved + qty };
      }
      return change(context, changes, { type: 'decided', outcome: 'held', ownerId: event.ownerId, allocations, changedNodeIds: Object.keys(changes) });
    }
    case 'take': {
      const changes: Record<string, Position> = {};
      const allocations: Allocation[] = [];
      for (const { nodeId, qty } of event.allocations) {
        const p = changes[nodeId] ?? context.positions[nodeId];
        if (!Number.isInteger(qty) || qty <= 0) return refuse(context, 'INVALID_STATE', `cannot hold ${qty}`, { nodeId, qty });
        const next = p && { onHand: p.onHand, safetyStock: p.safetyStock, reserved: p.reserved + qty };
        if (!next || !reservationFits(next)) {
          return refuse(context, 'INSUFFICIENT_STOCK', `not enough ${context.sku} at ${nodeId} to hold ${qty}`, { nodeId, requested: qty, available: p ? availableOf(p) : 0 });
        }
        changes[nodeId] = next;
        allocations.push({ nodeId, qty });
      }
      if (allocations.length === 0) return refuse(context, 'INVALID_STATE', 'nothing to hold', {});
      return change(context, changes, { type: 'decided', outcome: 'held', ownerId: event.ownerId, allocations, changedNodeIds: Object.keys(changes) });
    }
    case 'release': {
      const changes: Record<string, Position> = {};
      for (const { nodeId, qty } of event.allocations) {
        const p = changes[nodeId] ?? context.positions[nodeId];
        if (!p || qty <= 0 || p.reserved < qty) {
          return refuse(context, 'INVALID_STATE', `release of ${qty} ${context.sku} at ${nodeId} exceeds what is reserved`, { nodeId, qty, reserved: p?.reserved ?? 0 });
        }
        changes[nodeId] = { ...p, reserved: p.reserved - qty };
      }
      return change(context, changes, { type: 'decided', outcome: 'released', changedNodeIds: Object.keys(changes) });
    }
    case 'ship': {
      const p = context.positions[event.nodeId];
      if (!p || event.qty <= 0 || p.reserved < event.qty || p.onHand < event.qty) {
        return refuse(context, 'INVALID_STATE', `shipping ${event.qty} ${context.sku} at ${event.nodeId} exceeds what is reserved there`, { nodeId: event.nodeId, qty: event.qty });
      }
      const next = { ...p, onHand: p.onHand - event.qty, reserved: p.reserved - event.qty };
      return change(context, { [event.nodeId]: next }, { type: 'decided', outcome: 'shipped', changedNodeIds: [event.nodeId] });
    }
    case 'stock.set':
    case 'stock.adjust': {
      const p = context.positions[event.nodeId] ?? emptyPosition;
      const next: Position = event.type === 'stock.set'
        ? { onHand: event.onHand, safetyStock: event.safetyStock ?? p.safetyStock, reserved: p.reserved }
        : { ...p, onHand: p.onHand + event.delta };
      if (next.onHand < 0 || next.safetyStock < 0 || !reservationFits(next)) {
        const details = event.type === 'stock.set'
          ? { nodeId: event.nodeId, reserved: p.reserved, onHand: next.onHand, safetyStock: next.safetyStock }
          : { nodeId: event.nodeId, reserved: p.reserved, onHand: p.onHand, safetyStock: p.safetyStock, delta: event.delta };
        return refuse(context, 'INVALID_STATE', `${context.sku} at ${event.nodeId}: that would leave less on hand than is reserved or kept as safety stock`, details);
      }
      return change(context, { [event.nodeId]: next }, { type: 'decided', outcome: 'stock.changed', changedNodeIds: [event.nodeId] });
    }
    default:
      return refuse(context, 'INVALID_STATE', `unknown command ${(event as { type: string }).type}`, {});
  }
}

export const skuInventoryMachine = setup({
  types: {
    context: {} as SkuInventoryContext,
    events: {} as SkuInventoryEvent,
    input: {} as Omit<SkuInventoryContext, 'decision'>,
    emitted: {} as SkuInventoryDecision,
  },
}).createMachine({
  id: 'sku-inventory',
  context: ({ input }) => ({ sku: input.sku, positions: { ...input.positions } }),
  initial: 'active',
  states: {
    active: {
      on: {
        '*': {
          // xstate's own events (xstate.*) are not commands.
          guard: ({ event }) => !event.type.startsWith('xstate.'),
          actions: [
            assign(({ context, event }) => decide(context, event)),
            emit(({ context }) => context.decision!),
          ],
        },
      },
    },
  },
});
