import { parseArgs } from 'node:util';

// The command line: `npm run loadtest -- <scenario> [options]`, parsed into one plain object that
// is sent as is to every worker. Each scenario has its own defaults; a flag given wins.

export const scenarioNames = ['flash-sale', 'steady', 'fanout', 'soak'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const operationNames = ['hold', 'confirm', 'release', 'order', 'cancel', 'event', 'read'] as const;
export type OperationName = (typeof operationNames)[number];

export interface RunOptions {
  scenario: ScenarioName;
  /** An engine already running; unset: the tool starts one. */
  url: string | undefined;
  opsToken: string | undefined;
  checkoutToken: string | undefined;
  viewerToken: string | undefined;
  dataDir: string | undefined;
  /** Open loop: requests per second (after the ramp). */
  rate: number;
  rampSeconds: number;
  durationSeconds: number;
  /** Closed loop: `concurrency` lanes as fast as answers come. */
  closed: boolean;
  concurrency: number;
  workers: number;
  seed: string;
  out: string | undefined;
  /** Requests in flight at most (all workers together); past it arrivals are dropped by the client. */
  inFlightMax: number;
  timeoutMs: number;
  skus: number;
  nodes: number;
  /** Units per SKU, spread over the nodes. */
  stock: number;
  safetyStock: number;
  buyers: number;
  /** maxPerCustomer of the flash-sale SKUs. */
  limit: number;
  burst: number;
  zipf: number;
  mix: Record<OperationName, number>;
  /** TTL of the holds the run creates; unset: long enough to outlive the run and its audit. */
  holdTtlSeconds: number | undefined;
  subscribers: number;
  topics: Array<'sku' | 'orders'>;
  auditSample: number;
  /** undefined: a bar when stdout is a terminal. */
  progress: boolean | undefined;
  /** Append the headline to loadtest/RESULTS.md. */
  record: boolean;
}

export class UsageError extends Error {}

const steadyMix: Record<OperationName, number> = { hold: 20, confirm: 12, release: 4, order: 8, cancel: 4, event: 48, read: 4 };

const common = {
  url: undefined, opsToken: undefined, checkoutToken: undefined, viewerToken: undefined, dataDir: undefined,
  rampSeconds: 0, closed: false, concurrency: 32, workers: 1, seed: 'loadtest', out: undefined,
  inFlightMax: 1_000, timeoutMs: 10_000, safetyStock: 0, holdTtlSeconds: undefined, auditSample: 2_000,
  progress: undefined, record: false, mix: steadyMix, subscribers: 0, topics: ['sku', 'orders'] as Array<'sku' | 'orders'>,
  buyers: 10_000, limit: 0, burst: 0, zipf: 1,
} satisfies Partial<RunOptions>;

export const scenarioDefaults: Record<ScenarioName, Omit<RunOptions, 'scenario'>> = {
  'flash-sale': { ...common, rate: 200, durationSeconds: 10, skus: 3, nodes: 3, stock: 100, buyers: 2_000, limit: 2, burst: 200, zipf: 0.8 },
  steady: { ...common, rate: 200, durationSeconds: 30, skus: 100, nodes: 4, stock: 100_000 },
  fanout: { ...common, rate: 100, durationSeconds: 20, skus: 20, nodes: 3, stock: 100_000, subscribers: 50 },
  soak: { ...common, rate: 100, durationSeconds: 600, skus: 100, nodes: 4, stock: 1_000_000, holdTtlSeconds: 60 },
};

export const usage = `Usage: npm run loadtest -- <scenario> [options]

Scenarios:
  flash-sale   N buyers at M hot SKUs with little stock and a per-customer limit; a burst at the start
  steady       checkout over the catalogue (Zipf popularity): holds, confirms, releases, orders,
               cancels, node events (accepted/shipped/delivered), reads
  fanout       steady traffic while K WebSocket subscribers read /v1/stream (events/s, delivery lag)
  soak         steady for long (bounded by --duration), holds that expire, engine memory sampled

Target:
  --url URL              an engine already running (default: start one in a temp dir)
  --ops-token T          --checkout-token T  --viewer-token T   (or --data-dir DIR with credentials.json;
                         or OO_OPS_TOKEN / OO_CHECKOUT_TOKEN / OO_VIEWER_TOKEN)
Load:
  --rate R               requests/s, open loop (arrivals at fixed times; latency from the intended time)
  --ramp S               ramp linearly from 0 to --rate over S seconds
  --closed --concurrency C   closed loop: C requests in flight, each sent when the last is answered
  --duration D           run time: 30, 30s, 5m, 1h
  --workers W            W client processes, each with a share of the rate (default 1: in this process)
  --in-flight-max N      requests in flight at most (default 1000); past it arrivals are dropped
  --timeout MS           per request (default 10000)
  --seed S               replayable traffic (default "loadtest")
Scenario:
  --skus N --nodes N --stock UNITS_PER_SKU --safety-stock N
  --buyers N --limit MAX_PER_CUSTOMER --burst N          (flash-sale)
  --zipf EXPONENT --mix hold=20,confirm=12,release=4,order=8,cancel=4,event=48,read=4
  --hold-ttl SECONDS     TTL of the run's holds (soak default 60: abandoned holds expire)
  --subscribers K --topics sku,orders                    (fanout)
Output:
  --out DIR              results folder (default results/<scenario>-<timestamp>/)
  --audit-sample N       hold ids read back by the audit (default 2000)
  --no-progress | --progress   the live bar (default: only when stdout is a terminal)
  --record               append the headline to loadtest/RESULTS.md
`;

/** `30`, `30s`, `500ms`, `5m`, `1h` → seconds. */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UsageError(`not a duration: ${text} (examples: 30, 30s, 5m, 1h)`);
  const value = Number(match[1]);
  const unit = match[2] ?? 's';
  return unit === 'ms' ? value / 1000 : unit === 'm' ? value * 60 : unit === 'h' ? value * 3600 : value;
}

export function parseMix(text: string): Record<OperationName, number> {
  const mix = Object.fromEntries(operationNames.map((name) => [name, 0])) as Record<OperationName, number>;
  for (const part of text.split(',').filter(Boolean)) {
    const [name, weight] = part.split(/[=:]/);
    if (!(operationNames as readonly string[]).includes(name)) throw new UsageError(`--mix: unknown operation "${name}" (one of ${operationNames.join(', ')})`);
    const value = Number(weight);
    if (!(value >= 0)) throw new UsageError(`--mix: bad weight for ${name}: ${weight}`);
    mix[name as OperationName] = value;
  }
  if (Object.values(mix).every((w) => w === 0)) throw new UsageError('--mix: every weight is 0');
  return mix;
}

function number(name: string, text: string | undefined, { min = 0, integer = false, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got "${text}"`);
  }
  return value;
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv = {}): RunOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' }, 'ops-token': { type: 'string' }, 'checkout-token': { type: 'string' }, 'viewer-token': { type: 'string' }, 'data-dir': { type: 'string' },
        rate: { type: 'string' }, ramp: { type: 'string' }, duration: { type: 'string' }, closed: { type: 'boolean' }, concurrency: { type: 'string' },
        workers: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, 'in-flight-max': { type: 'string' }, timeout: { type: 'string' },
        skus: { type: 'string' }, nodes: { type: 'string' }, stock: { type: 'string' }, 'safety-stock': { type: 'string' }, buyers: { type: 'string' },
        limit: { type: 'string' }, burst: { type: 'string' }, zipf: { type: 'string' }, mix: { type: 'string' }, 'hold-ttl': { type: 'string' },
        subscribers: { type: 'string' }, topics: { type: 'string' }, 'audit-sample': { type: 'string' },
        progress: { type: 'boolean' }, 'no-progress': { type: 'boolean' }, record: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) throw new UsageError('');
  if (positionals.length !== 1 || !(scenarioNames as readonly string[]).includes(positionals[0])) {
    throw new UsageError(positionals.length === 0 ? 'name a scenario' : `unknown scenario: ${positionals.join(' ')} (one of ${scenarioNames.join(', ')})`);
  }
  const scenario = positionals[0] as ScenarioName;
  const d = scenarioDefaults[scenario];
  const topics = v.topics?.split(',').filter(Boolean);
  if (topics?.some((t) => t !== 'sku' && t !== 'orders')) throw new UsageError(`--topics: a list of sku and orders, got "${v.topics}"`);
  const holdTtl = number('hold-ttl', v['hold-ttl'], { min: 10, max: 86_400, integer: true });
  const options: RunOptions = {
    scenario,
    url: v.url,
    opsToken: v['ops-token'] ?? env.OO_OPS_TOKEN,
    checkoutToken: v['checkout-token'] ?? env.OO_CHECKOUT_TOKEN,
    viewerToken: v['viewer-token'] ?? env.OO_VIEWER_TOKEN,
    dataDir: v['data-dir'],
    rate: number('rate', v.rate, { min: 0.001 }) ?? d.rate,
    rampSeconds: v.ramp !== undefined ? parseDurationSeconds(v.ramp) : d.rampSeconds,
    durationSeconds: v.duration !== undefined ? parseDurationSeconds(v.duration) : d.durationSeconds,
    closed: v.closed ?? d.closed,
    concurrency: number('concurrency', v.concurrency, { min: 1, max: 10_000, integer: true }) ?? d.concurrency,
    workers: number('workers', v.workers, { min: 1, max: 64, integer: true }) ?? d.workers,
    seed: v.seed ?? d.seed,
    out: v.out,
    inFlightMax: number('in-flight-max', v['in-flight-max'], { min: 1, max: 100_000, integer: true }) ?? d.inFlightMax,
    timeoutMs: number('timeout', v.timeout, { min: 1, integer: true }) ?? d.timeoutMs,
    skus: number('skus', v.skus, { min: 1, max: 100_000, integer: true }) ?? d.skus,
    nodes: number('nodes', v.nodes, { min: 1, max: 100, integer: true }) ?? d.nodes,
    stock: number('stock', v.stock, { min: 0, integer: true }) ?? d.stock,
    safetyStock: number('safety-stock', v['safety-stock'], { min: 0, integer: true }) ?? d.safetyStock,
    buyers: number('buyers', v.buyers, { min: 1, max: 10_000_000, integer: true }) ?? d.buyers,
    limit: number('limit', v.limit, { min: 1, max: 10_000, integer: true }) ?? d.limit,
    burst: number('burst', v.burst, { min: 0, max: 1_000_000, integer: true }) ?? d.burst,
    zipf: number('zipf', v.zipf, { min: 0, max: 10 }) ?? d.zipf,
    mix: v.mix !== undefined ? parseMix(v.mix) : d.mix,
    holdTtlSeconds: holdTtl ?? d.holdTtlSeconds,
    subscribers: number('subscribers', v.subscribers, { min: 0, max: 20_000, integer: true }) ?? d.subscribers,
    topics: (topics as Array<'sku' | 'orders'> | undefined) ?? d.topics,
    auditSample: number('audit-sample', v['audit-sample'], { min: 0, max: 1_000_000, integer: true }) ?? d.auditSample,
    progress: v['no-progress'] ? false : v.progress ? true : undefined,
    record: v.record ?? false,
  };
  if (options.durationSeconds <= 0) throw new UsageError('--duration must be more than 0');
  if (options.workers > options.inFlightMax) throw new UsageError('--in-flight-max must be at least --workers');
  if (options.closed && v.rate !== undefined) throw new UsageError('--closed sends as fast as answers come: leave out --rate');
  if (options.closed && options.burst > 0 && v.burst !== undefined) throw new UsageError('--burst is for the open loop');
  if (options.stock < options.nodes && scenario !== 'flash-sale') throw new UsageError('--stock must be at least --nodes');
  return options;
}

/** The TTL for the run's holds: the option, or long enough to outlive the run and the audit. */
export function holdTtlSecondsOf(options: RunOptions): number {
  return options.holdTtlSeconds ?? Math.min(86_400, Math.max(900, Math.ceil(options.durationSeconds) + 600));
}
