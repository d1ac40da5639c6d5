import { arrivalCount, intendedOffsetMs, shareOf, type ArrivalPlan } from './arrivals.js';
import { HttpTransport } from './http-client.js';
import type { RunOptions } from './options.js';
import { seededRandom } from './random.js';
import { RunLedger, type LedgerSummary } from './run-ledger.js';
import { runClosedLoop, runOpenLoop, systemClock, type Clock } from './runner.js';
import type { Catalogue } from './scenarios/catalogue.js';
import { scenarios } from './scenarios/index.js';
import type { Tokens } from './scenarios/types.js';
import { Recorder, type Tick, type WorkerStats } from './stats.js';
import { SubscriberPool } from './subscribers.js';

// One worker's part of a run, the same in the CLI's own process (--workers 1) and in a forked
// worker: prepare (connections, subscribers), then at the common start time send this worker's
// share of the load, report a tick per second, and at the end its stats and ledger summary.

export interface WorkerTask {
  options: RunOptions;
  catalogue: Catalogue;
  url: string;
  tokens: Tokens;
  workerIndex: number;
  workerCount: number;
}

export interface WorkerResult {
  stats: WorkerStats;
  ledger: LedgerSummary;
}

export interface PreparedWorker {
  /** Runs the load from `startAtMs` (epoch ms) on; `onTick` gets each finished second. */
  run(startAtMs: number, onTick: (tick: Tick) => void, stopped: () => boolean): Promise<WorkerResult>;
}

/** How late a hold may still be held before the worker takes it as expired (the engine sweeps every 250 ms). */
const expiryGraceMs = 3_000;
const tickIntervalMs = 250;
/** After the last answer, subscribers keep reading this long for the events still on their way. */
const streamLingerMs = 1_000;

export function planOf(options: RunOptions): ArrivalPlan {
  return { ratePerSecond: options.rate, rampSeconds: options.rampSeconds, durationSeconds: options.durationSeconds, burst: options.burst };
}

/** This worker's share of a total: the first `total % count` workers take one more. */
export const splitCount = (total: number, index: number, count: number): number => Math.floor(total / count) + (index < total % count ? 1 : 0);

export function streamTopics(catalogue: Catalogue, options: RunOptions, tokens: Tokens): { token: string; topics: string[] } {
  const firehose = options.topics.includes('orders') && tokens.viewer !== undefined;
  const token = tokens.viewer ?? tokens.checkout;
  // 100 topics a connection at most: the most popular SKUs (Zipf rank order) first.
  const skuTopics = options.topics.includes('sku') ? catalogue.skus.slice(0, firehose ? 99 : 100).map((sku) => `sku:${sku}`) : [];
  return { token, topics: [...skuTopics, ...(firehose ? ['orders'] : [])] };
}

export async function prepareWorker(task: WorkerTask, clock: Clock = systemClock): Promise<PreparedWorker> {
  const { options, workerIndex, workerCount } = task;
  const inFlightMax = options.closed ? splitCount(options.concurrency, workerIndex, workerCount) : Math.ceil(options.inFlightMax / workerCount);
  const transport = new HttpTransport(task.url, { maxSockets: Math.max(1, inFlightMax), timeoutMs: options.timeoutMs });
  const random = seededRandom(`${options.seed}:worker:${workerIndex}/${workerCount}`);
  const scenario = scenarios[options.scenario];
  const ledger = new RunLedger({ sampleSize: options.auditSample, random: seededRandom(`${options.seed}:sample:${workerIndex}`), trackCustomers: scenario.trackCustomers });
  const traffic = scenario.traffic({ options, catalogue: task.catalogue, tokens: task.tokens, workerIndex, workerCount, random, ledger });
  const subscriberCount = scenario.subscribers ? splitCount(options.subscribers, workerIndex, workerCount) : 0;
  // The start time is set when every worker is ready; until then, what arrives counts in second 0.
  const recorder = new Recorder(workerIndex, Infinity);
  let pool: SubscriberPool | undefined;
  if (subscriberCount > 0) {
    const { token, topics } = streamTopics(task.catalogue, options, task.tokens);
    pool = new SubscriberPool({ wsUrl: `${task.url.replace(/^http/, 'ws')}/v1/stream`, token, topics, count: subscriberCount, connectTimeoutMs: 10_000 }, recorder, clock);
    await pool.connect();
  }

  return {
    async run(startAtMs, onTick, stopped) {
      recorder.startAtMs = startAtMs;
      const timer = setInterval(() => {
        const now = clock.now();
        for (const tick of recorder.drainTicks(now)) onTick(tick);
        ledger.expire(now, expiryGraceMs);
      }, tickIntervalMs);
      try {
        const deps = { clock, transport, traffic, recorder, stopped };
        if (options.closed) {
          await runClosedLoop({ startAtMs, durationMs: options.durationSeconds * 1000, concurrency: inFlightMax, workerIndex, workerCount }, deps);
        } else {
          const plan = planOf(options);
          const share = shareOf(arrivalCount(plan), workerIndex, workerCount);
          await runOpenLoop({ startAtMs, count: share.count, indexAt: share.indexAt, offsetMs: (index) => intendedOffsetMs(plan, index), inFlightMax }, deps);
        }
        if (pool) await new Promise((done) => setTimeout(done, streamLingerMs));
      } finally {
        clearInterval(timer);
        pool?.close();
        transport.close();
      }
      ledger.expire(clock.now(), expiryGraceMs);
      for (const tick of recorder.drainTicks(clock.now(), true)) onTick(tick);
      return { stats: recorder.final(pool?.result()), ledger: ledger.summary() };
    },
  };
}

