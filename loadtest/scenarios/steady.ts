import { holdTtlSecondsOf } from '../options.js';
import { setupCatalogue } from './catalogue.js';
import { checkoutTraffic } from './checkout-mix.js';
import type { Scenario } from './types.js';

// Steady: checkout over the whole catalogue (`skus` SKUs at `nodes` nodes, ample stock), SKUs
// chosen by Zipf popularity, the mix of holds, confirms, releases, orders, cancels, node events
// and reads of checkout-mix.ts, at a constant (or ramped) rate.

export const steady: Scenario = {
  trackCustomers: false,
  subscribers: false,
  setup: (api, options, runId) =>
    setupCatalogue(api, {
      runId,
      skuPrefix: `lt-${runId}-sku`,
      skus: options.skus,
      nodes: options.nodes,
      stock: options.stock,
      safetyStock: options.safetyStock,
      maxPerCustomer: undefined,
      holdTtlSeconds: holdTtlSecondsOf(options),
    }),
  traffic: checkoutTraffic,
};

// Soak: the same traffic for long (bounded by --duration). Its holds have a short TTL by default
// (--hold-ttl 60), so the holds left unconfirmed expire during the run and the audit checks that
// they did; the engine's memory and event-loop lag are sampled from /metrics over the run.
export const soak: Scenario = { ...steady };

// Fanout: the same traffic while --subscribers WebSocket clients read /v1/stream (the run's SKU
// topics and, with a viewer token, the `orders` firehose); delivery lag is measured from each
// event's `at` to its receipt.
export const fanout: Scenario = { ...steady, subscribers: true };
