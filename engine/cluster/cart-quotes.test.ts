// Shows how the quotes of a cart's partitions combine, pure: per strategy the latest deliveryBy
// and readyBy, the summed cost, every shipment and allocation; a strategy a partition could not
// plan is left out, two strategies that pick the same option everywhere are listed once, and
// with no strategy common to every partition the cart is refused (409 INSUFFICIENT_STOCK).
import { expect, it } from 'vitest';
import { isEngineError } from '../errors.js';
import { mergeQuotes, type Quote } from './cart-quotes.js';

type Option = Quote['options'][number];

function option(strategies: Option['strategies'], deliveryBy: string, totalCost: number, sku: string, nodeId = 'wh-1', currency = 'USD'): Option {
  const shipment = { nodeId, kind: 'ship', carrierId: 'ground', serviceLevel: 'ground', distanceKm: 10, cost: totalCost, shipDate: '2026-11-30', deliveryBy, lines: [{ sku, qty: 1 }] };
  return { type: strategies[0], strategies, deliveryBy, totalCost, currency, shipments: [shipment], allocations: [{ sku, nodeId, qty: 1 }] } as unknown as Option;
}

it('combines per strategy: the latest deliveryBy, the summed cost, shipments and allocations concatenated', () => {
  const a: Quote = { options: [option(['fastest'], '2026-12-01T23:59:59.000Z', 12.1, 'a'), option(['cheapest', 'fewest_shipments'], '2026-12-04T23:59:59.000Z', 5.05, 'a')] };
  const b: Quote = { options: [option(['fastest', 'cheapest', 'fewest_shipments'], '2026-12-02T23:59:59.000Z', 7.2, 'b', 'wh-2')] };
  const merged = mergeQuotes([a, b]);
  expect(merged.options.map((o) => o.strategies)).toEqual([['fastest'], ['cheapest', 'fewest_shipments']]);
  const [fastest, cheapest] = merged.options;
  expect(fastest).toMatchObject({ type: 'fastest', deliveryBy: '2026-12-02T23:59:59.000Z', totalCost: 19.3, currency: 'USD' });
  expect(cheapest).toMatchObject({ type: 'cheapest', deliveryBy: '2026-12-04T23:59:59.000Z', totalCost: 12.25 });
  expect(fastest.shipments.map((s) => s.nodeId)).toEqual(['wh-1', 'wh-2']);
  expect(cheapest.allocations).toEqual([{ sku: 'a', nodeId: 'wh-1', qty: 1 }, { sku: 'b', nodeId: 'wh-2', qty: 1 }]);
  // One partition: its own quote, untouched.
  expect(mergeQuotes([a])).toBe(a);
});

it('leaves out a strategy some partition could not plan, and the cost of unlike currencies', () => {
  const a: Quote = { options: [option(['fastest'], '2026-12-01T23:59:59.000Z', 3, 'a'), option(['cheapest'], '2026-12-03T23:59:59.000Z', 1, 'a')] };
  const b: Quote = { options: [option(['cheapest'], '2026-12-02T23:59:59.000Z', 2, 'b', 'wh-1', 'EUR')] };
  const merged = mergeQuotes([a, b]);
  expect(merged.options.map((o) => o.type)).toEqual(['cheapest']);
  expect(merged.options[0]).not.toHaveProperty('totalCost');
  expect(merged.options[0]).not.toHaveProperty('currency');
  expect(merged.options[0].deliveryBy).toBe('2026-12-03T23:59:59.000Z');
});

it('refuses a cart no strategy can plan in every partition', () => {
  const a: Quote = { options: [option(['fastest'], '2026-12-01T23:59:59.000Z', 3, 'a')] };
  const b: Quote = { options: [option(['cheapest'], '2026-12-02T23:59:59.000Z', 2, 'b')] };
  let refusal: unknown;
  try {
    mergeQuotes([a, b]);
  } catch (error) {
    refusal = error;
  }
  expect(isEngineError(refusal) && refusal.code).toBe('INSUFFICIENT_STOCK');
  expect(() => mergeQuotes([])).toThrow();
});
