import type { ApiClient } from '../http-client.js';
import type { RunOptions } from '../options.js';
import type { Random } from '../random.js';
import type { RunLedger } from '../run-ledger.js';
import type { Traffic } from '../runner.js';
import type { Catalogue } from './catalogue.js';

// A scenario: how it sets up its network (once, in the parent) and the traffic each worker sends.

export interface Tokens {
  ops: string | undefined;
  checkout: string;
  viewer: string | undefined;
}

export interface WorkerContext {
  options: RunOptions;
  catalogue: Catalogue;
  tokens: Tokens;
  workerIndex: number;
  workerCount: number;
  /** Seeded per worker: the same seed and worker count give the same traffic. */
  random: Random;
  ledger: RunLedger;
}

export interface Scenario {
  /** Whether the run's customers and their units are tracked, for the purchase-limit check. */
  trackCustomers: boolean;
  /** WebSocket subscribers read the stream while the traffic flows. */
  subscribers: boolean;
  setup(api: ApiClient, options: RunOptions, runId: string): Promise<Catalogue>;
  traffic(context: WorkerContext): Traffic;
}
