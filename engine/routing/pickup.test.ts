// Shows pickup in store: sourced from the store when it has the lines (ready within its opening
// hours), otherwise by transfer from another node when the request allows it (ready once the
// transfer has arrived), or refused with PICKUP_UNAVAILABLE and a reason: transfers refused, a
// store that does not offer pickup, is offline or full, or does not exist.
// How: a Chicago store (open 10:00–20:00 every day, 120 minutes to pick) and a warehouse 300 km
// away with a 1-day carrier; plans at fixed instants checked by shipment, kind and readiness.
import { describe, expect, it } from 'vitest';
import type { PlanResult, RoutingNode, RoutingRequest } from './model.js';
import { prepareNetwork } from './network.js';
import { plan } from './sourcing.js';
import { at, carrier, chicago, node, northOf, stockOf } from './test-fixtures.js';

const store = node('st-loop', chicago, { type: 'store', cutoff: { time: '14:00', timezone: 'America/Chicago' }, capacityPerDay: 50 });
const warehouse = node('wh-north', northOf(chicago, 300), { carriers: [carrier('truck', { base: 6, days: 1 })] });
const otherStore = node('st-other', northOf(chicago, 20), { type: 'store' });
const dock = node('wh-dock', northOf(chicago, 5), { pickupCapable: false });
const network = prepareNetwork([store, warehouse, otherStore, dock]);
const nowMs = at('2026-03-10T16:00:00Z'); // Tue 11:00 CDT

const pickup = (lines: RoutingRequest['lines'], transfers: 'allow' | 'refuse' = 'allow', extra: Partial<RoutingRequest> = {}): RoutingRequest => ({
  destination: { lat: 42.5, lon: -88 }, // the shopper's home: ignored for a pickup
  lines,
  fulfillment: { type: 'pickup', nodeId: 'st-loop', transfers },
  ...extra,
});
function ok(result: PlanResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${result.failure.code}/${result.failure.reason}`);
  return result.plan;
}
function failed(result: PlanResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result.failure;
}

describe('pickup in store', () => {
  it('picks in the store when it has every line: ready two hours from now, no carrier, no cost', () => {
    const stock = stockOf([['TEE', 'st-loop', 3], ['CAP', 'st-loop', 1], ['TEE', 'wh-north', 50]]);
    const result = ok(plan(pickup([{ sku: 'TEE', qty: 2 }, { sku: 'CAP', qty: 1 }]), network, stock, { nowMs }));
    expect(result.fulfillment).toBe('pickup');
    expect(result.shipments.map((s) => [s.nodeId, s.kind, s.carrierId, s.cost])).toEqual([['st-loop', 'pickup', '', 0]]);
    expect(result.promisedAt).toBe('2026-03-10T18:00:00.000Z'); // 13:00 CDT
    expect(result.allocations).toEqual([
      { sku: 'TEE', nodeId: 'st-loop', qty: 2 },
      { sku: 'CAP', nodeId: 'st-loop', qty: 1 },
    ]);
  });

  it('is ready the next morning when the store is about to close', () => {
    const stock = stockOf([['TEE', 'st-loop', 3]]);
    const late = ok(plan(pickup([{ sku: 'TEE', qty: 1 }]), network, stock, { nowMs: at('2026-03-11T00:30:00Z') })); // Tue 19:30
    expect(late.promisedAt).toBe('2026-03-11T17:00:00.000Z'); // Wed 12:00 CDT
  });

  it('transfers what the store lacks from the best other node, ready once it has arrived', () => {
    const stock = stockOf([['TEE', 'st-loop', 3], ['CAP', 'wh-north', 10]]);
    const result = ok(plan(pickup([{ sku: 'TEE', qty: 1 }, { sku: 'CAP', qty: 1 }]), network, stock, { nowMs }));
    expect(result.shipments.map((s) => [s.nodeId, s.kind])).toEqual([
      ['st-loop', 'pickup'],
      ['wh-north', 'transfer'],
    ]);
    const transfer = result.shipments[1];
    // Tue before the warehouse cutoff: ships Wed, arrives Thu, on the shelf by Thu 20:00 CDT.
    expect([transfer.shipDate, transfer.deliveryDate, transfer.promisedAt]).toEqual(['2026-03-11', '2026-03-12', '2026-03-13T01:00:00.000Z']);
    expect(result.promisedAt).toBe(transfer.promisedAt);
    expect(result.totalCost).toBe(6);
    expect(result.explanation.lines.find((l) => l.sku === 'CAP')!.chosen).toEqual([{ nodeId: 'wh-north', qty: 1 }]);
  });

  it('a store excluded as a source (it rejected the lines) still takes the pickup: everything comes by transfer', () => {
    const stock = stockOf([['TEE', 'st-loop', 5], ['TEE', 'wh-north', 10]]);
    const result = ok(plan(pickup([{ sku: 'TEE', qty: 2 }], 'allow', { excludeNodeIds: ['st-loop'] }), network, stock, { nowMs }));
    expect(result.shipments.map((s) => [s.nodeId, s.kind])).toEqual([['wh-north', 'transfer']]);
    expect(result.allocations).toEqual([{ sku: 'TEE', nodeId: 'wh-north', qty: 2 }]);
    expect(failed(plan(pickup([{ sku: 'TEE', qty: 2 }], 'refuse', { excludeNodeIds: ['st-loop'] }), network, stock, { nowMs })).reason).toBe('transfer_refused');
  });

  it('takes part of a line from the store and transfers the rest when splitting is allowed', () => {
    const stock = stockOf([['TEE', 'st-loop', 1], ['TEE', 'wh-north', 10]]);
    const result = ok(plan(pickup([{ sku: 'TEE', qty: 3 }]), network, stock, { nowMs }));
    expect(result.allocations).toEqual([
      { sku: 'TEE', nodeId: 'st-loop', qty: 1 },
      { sku: 'TEE', nodeId: 'wh-north', qty: 2 },
    ]);
  });

  it('with allowSplit false, has one node transfer the whole order when the store cannot serve it all', () => {
    const stock = stockOf([['TEE', 'st-loop', 1], ['TEE', 'wh-north', 10], ['CAP', 'wh-north', 10]]);
    const result = ok(plan(pickup([{ sku: 'TEE', qty: 2 }, { sku: 'CAP', qty: 1 }], 'allow', { allowSplit: false }), network, stock, { nowMs }));
    expect(result.shipments.map((s) => [s.nodeId, s.kind])).toEqual([['wh-north', 'transfer']]);
  });

  it('refuses with PICKUP_UNAVAILABLE / transfer_refused when the store lacks a line and transfers are refused', () => {
    const stock = stockOf([['TEE', 'st-loop', 3], ['CAP', 'wh-north', 10]]);
    const refused = failed(plan(pickup([{ sku: 'TEE', qty: 1 }, { sku: 'CAP', qty: 2 }], 'refuse'), network, stock, { nowMs }));
    expect([refused.code, refused.reason]).toEqual(['PICKUP_UNAVAILABLE', 'transfer_refused']);
    expect(refused.details.missing).toEqual([{ sku: 'CAP', qty: 2 }]);
    expect(refused.lines[0].rejected).toEqual([{ nodeId: 'wh-north', reason: 'transfer_refused' }]);
  });

  it('refuses with INSUFFICIENT_STOCK when not even a transfer can serve it', () => {
    const stock = stockOf([['TEE', 'st-loop', 1]]);
    expect(failed(plan(pickup([{ sku: 'TEE', qty: 2 }]), network, stock, { nowMs })).code).toBe('INSUFFICIENT_STOCK');
  });

  it.each([
    ['unknown_store', 'st-nowhere', {}],
    ['not_pickup_capable', 'wh-dock', {}],
    ['store_unavailable', 'st-loop', { status: 'offline' }],
    ['store_unavailable', 'st-loop', { capacityUsedToday: 50 }],
  ] as Array<[string, string, Partial<RoutingNode>]>)('refuses with PICKUP_UNAVAILABLE / %s (%s)', (reason, nodeId, change) => {
    const changed = prepareNetwork([{ ...store, ...change }, warehouse, otherStore, dock]);
    const stock = stockOf([['TEE', 'st-loop', 3], ['TEE', 'wh-dock', 3]]);
    const request: RoutingRequest = { ...pickup([{ sku: 'TEE', qty: 1 }]), fulfillment: { type: 'pickup', nodeId } };
    const refused = failed(plan(request, changed, stock, { nowMs }));
    expect([refused.code, refused.reason]).toEqual(['PICKUP_UNAVAILABLE', reason]);
  });

  it('refuses a pickup the store cannot have ready by a required date', () => {
    const stock = stockOf([['TEE', 'st-loop', 3]]);
    const refused = failed(plan(pickup([{ sku: 'TEE', qty: 1 }], 'allow', { deliveryByMs: at('2026-03-10T17:00:00Z') }), network, stock, { nowMs }));
    expect([refused.reason, refused.details.constraint]).toEqual(['store_unavailable', 'misses_delivery_by']);
  });
});
