import { assign, emit, enqueueActions, setup } from 'xstate';
import { reservationFits, type Allocation, type Position } from '../domain.js';
import { allocate, totalAvailable } from './allocate.js';

// One actor per SKU: the single writer of that SKU's positions at every node. Every command is
// one serialized step (check and write together), which is what makes a double promise impossible:
// the guard `reserved + qty <= onHand - safetyStock` and the increment are never apart.
// The machine does no IO. It emits one decision per command; the runtime persists it.

export interface SkuInventoryContext {
  sku: string;
  positions: Record<string, Position>;
}

export type SkuInventoryEvent =
  | { type: 'hold'; ownerId: string; qty: number; candidates: readonly string[]; allowSplit: boolean }
  | { type: 'release'; ownerId: string; allocations: readonly Allocation[] }
  | { type: 'ship'; ownerId: string; nodeId: string; qty: number }
  | { type: 'stock.set'; nodeId: string; onHand: number; safetyStock?: number }
  | { type: 'stock.adjust'; nodeId: string; delta: number };

export type SkuInventoryDecision =
  | { type: 'decided'; outcome: 'held'; ownerId: string; allocations: Allocation[]; changedNodeIds: string[] }
  | { type: 'decided'; outcome: 'released' | 'shipped' | 'stock.changed'; changedNodeIds: string[] }
  | { type: 'refused'; code: 'INSUFFICIENT_STOCK' | 'INVALID_STATE'; reason: string; details: Record<string, unknown> };

const emptyPosition: Position = { onHand: 0, safetyStock: 0, reserved: 0 };

function withPositions(context: SkuInventoryContext, changes: Record<string, Position>): Record<string, Position> {
  return { ...context.positions, ...changes };
}

export const skuInventoryMachine = setup({
  types: {
    context: {} as SkuInventoryContext,
    events: {} as SkuInventoryEvent,
    input: {} as SkuInventoryContext,
    emitted: {} as SkuInventoryDecision,
  },
}).createMachine({
  id: 'sku-inventory',
  context: ({ input }) => ({ sku: input.sku, positions: { ...input.positions } }),
  initial: 'active',
  states: {
    active: {
      on: {
        hold: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const allocations = allocate(context.positions, event.qty, event.candidates, event.allowSplit);
            if (!allocations) {
              enqueue(emit({
                type: 'refused',
                code: 'INSUFFICIENT_STOCK',
                reason: `not enough ${context.sku} to hold ${event.qty}`,
                details: { sku: context.sku, requested: event.qty, available: totalAvailable(context.positions, event.candidates) },
              }));
              return;
            }
            const changes: Record<string, Position> = {};
            for (const { nodeId, qty } of allocations) {
              const p = context.positions[nodeId];
              changes[nodeId] = { ...p, reserved: p.reserved + qty };
            }
            enqueue(assign({ positions: withPositions(context, changes) }));
            enqueue(emit({ type: 'decided', outcome: 'held', ownerId: event.ownerId, allocations, changedNodeIds: Object.keys(changes) }));
          }),
        },
        release: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const changes: Record<string, Position> = {};
            for (const { nodeId, qty } of event.allocations) {
              const p = changes[nodeId] ?? context.positions[nodeId];
              if (!p || p.reserved < qty) {
                enqueue(emit({ type: 'refused', code: 'INVALID_STATE', reason: `release of ${qty} ${context.sku} at ${nodeId} exceeds what is reserved`, details: { sku: context.sku, nodeId, qty, reserved: p?.reserved ?? 0 } }));
                return;
              }
              changes[nodeId] = { ...p, reserved: p.reserved - qty };
            }
            enqueue(assign({ positions: withPositions(context, changes) }));
            enqueue(emit({ type: 'decided', outcome: 'released', changedNodeIds: Object.keys(changes) }));
          }),
        },
        ship: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const p = context.positions[event.nodeId];
            if (!p || p.reserved < event.qty || p.onHand < event.qty) {
              enqueue(emit({ type: 'refused', code: 'INVALID_STATE', reason: `shipping ${event.qty} ${context.sku} at ${event.nodeId} exceeds what is reserved there`, details: { sku: context.sku, nodeId: event.nodeId, qty: event.qty } }));
              return;
            }
            const next = { ...p, onHand: p.onHand - event.qty, reserved: p.reserved - event.qty };
            enqueue(assign({ positions: withPositions(context, { [event.nodeId]: next }) }));
            enqueue(emit({ type: 'decided', outcome: 'shipped', changedNodeIds: [event.nodeId] }));
          }),
        },
        'stock.set': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const p = context.positions[event.nodeId] ?? emptyPosition;
            const next: Position = { onHand: event.onHand, safetyStock: event.safetyStock ?? p.safetyStock, reserved: p.reserved };
            if (!reservationFits(next)) {
              enqueue(emit({ type: 'refused', code: 'INVALID_STATE', reason: `${context.sku} at ${event.nodeId}: ${next.reserved} units are reserved, more than onHand - safetyStock would leave`, details: { sku: context.sku, nodeId: event.nodeId, reserved: next.reserved, onHand: next.onHand, safetyStock: next.safetyStock } }));
              return;
            }
            enqueue(assign({ positions: withPositions(context, { [event.nodeId]: next }) }));
            enqueue(emit({ type: 'decided', outcome: 'stock.changed', changedNodeIds: [event.nodeId] }));
          }),
        },
        'stock.adjust': {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const p = context.positions[event.nodeId] ?? emptyPosition;
            const next: Position = { ...p, onHand: p.onHand + event.delta };
            if (next.onHand < 0 || !reservationFits(next)) {
              enqueue(emit({ type: 'refused', code: 'INVALID_STATE', reason: `${context.sku} at ${event.nodeId}: adjusting by ${event.delta} would leave less on hand than is reserved or kept as safety stock`, details: { sku: context.sku, nodeId: event.nodeId, reserved: p.reserved, onHand: p.onHand, safetyStock: p.safetyStock, delta: event.delta } }));
              return;
            }
            enqueue(assign({ positions: withPositions(context, { [event.nodeId]: next }) }));
            enqueue(emit({ type: 'decided', outcome: 'stock.changed', changedNodeIds: [event.nodeId] }));
          }),
        },
      },
    },
  },
});
