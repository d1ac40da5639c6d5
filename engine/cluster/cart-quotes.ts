import type { Engine } from '../engine.js';
import { EngineError } from '../errors.js';

// A delivery quote for a cart spanning partitions, the pure part: each partition quotes its own
// lines (POST /v1/promise holds nothing, so there is nothing to undo), and the answers combine per
// strategy. A strategy's combined option takes that strategy's option from every partition:
//
//   deliveryBy, readyBy   the latest: the cart is there when its last shipment is
//   totalCost             the sum, when every partition priced in one currency (engines share the
//                         base currency); otherwise left out, rather than add unlike amounts
//   shipments, allocations concatenated: parcels from one node in different partitions stay
//                         separate (each partition routes its lines on its own), so a combined
//                         option may list one node twice and its cost counts both parcels
//
// A strategy some partition could not plan (its quote lists no option for it) is left out; when
// no strategy is offered by every partition, the cart cannot be quoted as one (409).

export type Quote = ReturnType<Engine['quote']>;
type Option = Quote['options'][number];
type Strategy = Option['strategies'][number];

const strategyOrder: readonly Strategy[] = ['fastest', 'cheapest', 'fewest_shipments'];

export function mergeQuotes(quotes: readonly Quote[]): Quote {
  if (quotes.length === 0) throw new Error('mergeQuotes needs at least one quote');
  if (quotes.length === 1) return quotes[0];
  const strategies = [...new Set([...strategyOrder, ...quotes.flatMap((q) => q.options.flatMap((o) => o.strategies))])];
  const combined: Array<{ picks: number[]; strategies: Strategy[] }> = [];
  for (const strategy of strategies) {
    const picks = quotes.map((q) => q.options.findIndex((o) => o.strategies.includes(strategy)));
    if (picks.some((i) => i < 0)) continue;
    // The same option in every partition for two strategies: one combined option, listed once.
    const same = combined.find((c) => c.picks.every((i, n) => i === picks[n]));
    if (same) same.strategies.push(strategy);
    else combined.push({ picks, strategies: [strategy] });
  }
  if (combined.length === 0) {
    throw new EngineError('INSUFFICIENT_STOCK', 'no strategy can plan every partition of this cart', { reason: 'no-common-strategy', partitions: quotes.length });
  }
  return { options: combined.map(({ picks, strategies: chosen }) => combineOptions(picks.map((i, n) => quotes[n].options[i]), chosen)) };
}

function combineOptions(options: readonly Option[], strategies: Strategy[]): Option {
  const latest = (values: ReadonlyArray<string | undefined>): string | undefined =>
    values.reduce<string | undefined>((max, v) => (v !== undefined && (max === undefined || v > max) ? v : max), undefined);
  const first = options[0];
  const readyBy = latest(options.map((o) => o.readyBy));
  const sameCurrency = options.every((o) => o.currency === first.currency);
  return {
    type: strategies[0],
    strategies,
    deliveryBy: latest(options.map((o) => o.deliveryBy))!,
    ...(readyBy !== undefined ? { readyBy } : {}),
    ...(sameCurrency ? { totalCost: Math.round(options.reduce((sum, o) => sum + o.totalCost, 0) * 100) / 100, currency: first.currency } : {}),
    shipments: options.flatMap((o) => o.shipments),
    allocations: options.flatMap((o) => o.allocations),
  } as Option;
}
