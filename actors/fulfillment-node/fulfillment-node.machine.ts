import { assign, emit, enqueueActions, setup } from 'xstate';
import type { NodeRecord, NodeStatus } from '../domain.js';

// One actor per fulfillment node (warehouse, store, 3PL): its definition and its status.
// online: takes new work; paused: no new work, keeps what it has; offline: no work at all.

export type NodeDefinition = Omit<NodeRecord, 'nodeId' | 'createdAt' | 'updatedAt' | 'status'> & { status?: NodeStatus };

export type FulfillmentNodeEvent =
  | { type: 'define'; at: number; definition: NodeDefinition }
  | { type: 'status.set'; at: number; status: NodeStatus };

export type FulfillmentNodeDecision =
  | { type: 'decided'; events: Array<{ type: 'node.updated' | 'node.status'; status: NodeStatus; previous: NodeStatus }> };

export const fulfillmentNodeMachine = setup({
  types: {
    context: {} as NodeRecord,
    events: {} as FulfillmentNodeEvent,
    input: {} as NodeRecord,
    emitted: {} as FulfillmentNodeDecision,
  },
  guards: {
    isOnline: ({ context }) => context.status === 'online',
    isPaused: ({ context }) => context.status === 'paused',
  },
}).createMachine({
  id: 'fulfillment-node',
  context: ({ input }) => input,
  initial: 'settling',
  on: {
    define: {
      target: '.settling',
      actions: enqueueActions(({ context, event, enqueue }) => {
        const status = event.definition.status ?? context.status;
        enqueue(assign({ ...context, ...event.definition, status, updatedAt: event.at }));
        const events: FulfillmentNodeDecision['events'] = [{ type: 'node.updated', status, previous: context.status }];
        if (status !== context.status) events.push({ type: 'node.status', status, previous: context.status });
        enqueue(emit({ type: 'decided', events }));
      }),
    },
    'status.set': {
      target: '.settling',
      actions: enqueueActions(({ context, event, enqueue }) => {
        enqueue(assign({ status: event.status, updatedAt: event.at }));
        enqueue(emit({ type: 'decided', events: [{ type: 'node.status', status: event.status, previous: context.status }] }));
      }),
    },
  },
  states: {
    settling: {
      always: [
        { guard: 'isOnline', target: 'online' },
        { guard: 'isPaused', target: 'paused' },
        { target: 'offline' },
      ],
    },
    online: {},
    paused: {},
    offline: {},
  },
});
