// Shows the fulfillment node machine's transitions between online, paused and offline, through
// `status.set` and through `define` (which may carry a status), and the decision each emits
// (`node.updated`, `node.status` with the previous status).
// How: pure tests, no IO; time is given on each event. Each test starts the machine from a node
// record and collects what it emits with `actor.on('*')`.
import { createActor } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { NodeRecord, NodeStatus } from '../domain.js';
import { fulfillmentNodeMachine, type FulfillmentNodeDecision, type FulfillmentNodeEvent } from './fulfillment-node.machine.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

const record = (status: NodeStatus = 'online'): NodeRecord => ({
  nodeId: 'wh-1',
  type: 'warehouse',
  name: 'Chicago DC',
  location: { lat: 41.8, lon: -87.6 },
  priority: 10,
  status,
  createdAt: T0,
  updatedAt: T0,
});

function start(input: NodeRecord) {
  const actor = createActor(fulfillmentNodeMachine, { input });
  const emitted: FulfillmentNodeDecision[] = [];
  actor.on('*', (event) => emitted.push(event as FulfillmentNodeDecision));
  actor.start();
  return {
    actor,
    value: () => actor.getSnapshot().value,
    context: () => actor.getSnapshot().context,
    send(event: FulfillmentNodeEvent): FulfillmentNodeDecision {
      const before = emitted.length;
      actor.send(event);
      expect(emitted.length - before).toBe(1);
      return emitted[before];
    },
  };
}

describe('starting', () => {
  it.each(['online', 'paused', 'offline'] as const)('starts in the state of its record (%s), emitting nothing', (status) => {
    const m = start(record(status));
    expect(m.value()).toBe(status);
    expect(m.actor.getSnapshot().status).toBe('active');
  });
});

describe('status.set', () => {
  it('moves online → paused → offline → online, each time reporting node.status with the previous status', () => {
    const m = start(record('online'));
    const path: NodeStatus[] = ['paused', 'offline', 'online'];
    let previous: NodeStatus = 'online';
    for (const [i, status] of path.entries()) {
      const at = T0 + (i + 1) * 1_000;
      expect(m.send({ type: 'status.set', at, status })).toEqual({ type: 'decided', events: [{ type: 'node.status', status, previous }] });
      expect(m.value()).toBe(status);
      expect(m.context()).toMatchObject({ status, updatedAt: at, createdAt: T0, nodeId: 'wh-1', name: 'Chicago DC' });
      previous = status;
    }
  });

  it('goes straight from offline to paused and from paused to online', () => {
    const m = start(record('offline'));
    m.send({ type: 'status.set', at: T0, status: 'paused' });
    expect(m.value()).toBe('paused');
    m.send({ type: 'status.set', at: T0, status: 'online' });
    expect(m.value()).toBe('online');
  });

  it('a status.set to the status it has keeps the state and still reports it (previous equals status)', () => {
    const m = start(record('paused'));
    expect(m.send({ type: 'status.set', at: T0 + 5, status: 'paused' })).toEqual({ type: 'decided', events: [{ type: 'node.status', status: 'paused', previous: 'paused' }] });
    expect(m.value()).toBe('paused');
    expect(m.context().updatedAt).toBe(T0 + 5);
  });
});

describe('define', () => {
  it('without a status updates the definition, keeps the status and reports node.updated only', () => {
    const m = start(record('paused'));
    const decision = m.send({ type: 'define', at: T0 + 1_000, definition: { type: 'store', name: 'Loop store', location: { lat: 41.88, lon: -87.63 }, priority: 2, capacityPerDay: 500 } });
    expect(decision).toEqual({ type: 'decided', events: [{ type: 'node.updated', status: 'paused', previous: 'paused' }] });
    expect(m.value()).toBe('paused');
    expect(m.context()).toEqual({
      nodeId: 'wh-1', type: 'store', name: 'Loop store', location: { lat: 41.88, lon: -87.63 }, priority: 2, capacityPerDay: 500,
      status: 'paused', createdAt: T0, updatedAt: T0 + 1_000,
    });
  });

  it('with another status also moves there and reports node.status', () => {
    const m = start(record('online'));
    const decision = m.send({ type: 'define', at: T0 + 1, definition: { type: 'warehouse', name: 'x', location: { lat: 0, lon: 0 }, priority: 10, status: 'offline' } });
    expect(decision).toEqual({ type: 'decided', events: [{ type: 'node.updated', status: 'offline', previous: 'online' }, { type: 'node.status', status: 'offline', previous: 'online' }] });
    expect(m.value()).toBe('offline');
    expect(m.context().status).toBe('offline');
  });

  it('with the status it already has reports node.updated only', () => {
    const m = start(record('offline'));
    const decision = m.send({ type: 'define', at: T0, definition: { type: 'warehouse', name: 'x', location: { lat: 0, lon: 0 }, priority: 10, status: 'offline' } });
    expect(decision).toEqual({ type: 'decided', events: [{ type: 'node.updated', status: 'offline', previous: 'offline' }] });
    expect(m.value()).toBe('offline');
  });

  it('keeps nodeId and createdAt whatever the definition says', () => {
    const m = start(record());
    m.send({ type: 'define', at: T0 + 9, definition: { type: '3pl', name: 'y', location: { lat: 1, lon: 1 }, priority: 1 } });
    expect(m.context()).toMatchObject({ nodeId: 'wh-1', createdAt: T0, updatedAt: T0 + 9, type: '3pl' });
  });
});
