import { holdTtlSecondsOf } from '../options.js';
import { seededRandom, shuffledIndexes } from '../random.js';
import type { Operation, Traffic } from '../runner.js';
import { isAnswer } from '../stats.js';
import { ZipfSampler } from '../zipf.js';
import { destinationOf, setupCatalogue } from './catalogue.js';
import type { Scenario, WorkerContext } from './types.js';

// Flash sale: `buyers` shoppers go for `skus` hot SKUs with `stock` units each (spread over the
// nodes) and a per-customer limit of `limit`. The first `burst` arrivals are all due at t = 0;
// then the schedule runs at --rate. Each arrival is one hold (POST /v1/reservations) of one hot
// SKU (Zipf over the hot SKUs), mostly 1 unit, some over the limit, each with its own
// Idempotency-Key. Buyers come back (arrival i is buyer perm[i mod buyers]), so the limit bites
// across holds too. Expected answers: 201, 409 INSUFFICIENT_STOCK once sold out, 409
// PURCHASE_LIMIT, 503 OVERLOADED under overload.

export const flashSale: Scenario = {
  trackCustomers: true,
  subscribers: false,

  setup: (api, options, runId) =>
    setupCatalogue(api, {
      runId,
      skuPrefix: `lt-${runId}-hot`,
      skus: options.skus,
      nodes: options.nodes,
      stock: options.stock,
      safetyStock: options.safetyStock,
      maxPerCustomer: options.limit,
      holdTtlSeconds: holdTtlSecondsOf(options),
    }),

  traffic(context: WorkerContext): Traffic {
    const { options, catalogue, tokens, ledger, random } = context;
    // The buyers' order and homes come from the run's seed alone, the same in every worker.
    const buyerOrder = shuffledIndexes(options.buyers, seededRandom(`${options.seed}:buyers`));
    const homes = seededRandom(`${options.seed}:homes`);
    const destinations = Array.from({ length: Math.min(options.buyers, 10_000) }, () => destinationOf(homes));
    const popularity = new ZipfSampler(catalogue.skus.length, options.zipf, random);
    const quantityOf = (): number => {
      // Mostly one unit; 1 in 10 asks for one more than the limit allows.
      if (random.chance(0.1)) return options.limit + 1;
      return random.chance(0.8) ? 1 : Math.min(options.limit, 2);
    };
    return {
      next(index): Operation {
        const buyer = buyerOrder[index % options.buyers];
        const customerId = `lt-${catalogue.runId}-b${buyer}`;
        const body = {
          customerId,
          destination: destinations[buyer % destinations.length],
          lines: [{ sku: catalogue.skus[popularity.sample()], qty: quantityOf() }],
          ttlSeconds: catalogue.holdTtlSeconds,
        };
        const idempotencyKey = `lt-${catalogue.runId}-${index}`;
        return {
          name: 'hold',
          request: { method: 'POST', path: '/v1/reservations', token: tokens.checkout, body, idempotencyKey },
          settle(result) {
            if (!isAnswer(result)) ledger.unknownCreate({ kind: 'hold', path: '/v1/reservations', body, idempotencyKey });
            else if (result.status === 201) ledger.held(result.body, customerId);
          },
        };
      },
    };
  },
};
