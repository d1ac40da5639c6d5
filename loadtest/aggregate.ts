import { rateAt, type ArrivalPlan } from './arrivals.js';
import { addEncoded, mergeEncoded, newHistogram, summarize, type LatencySummary } from './histogram.js';
import type { StreamStats, Tick, WorkerStats } from './stats.js';

// The parent's side of the numbers: ticks from every worker added up per second (the timeline and
// the progress bar), and the workers' final histograms merged into the run's results.

export interface TimelineEntry {
  second: number;
  /** The open loop's target rate in this second (closed loop: 0). */
  targetRate: number;
  due: number;
  sent: number;
  answered: number;
  ok: number;
  errors: number;
  dropped: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  streamEvents: number;
  streamLagP99Ms: number;
  streamGaps: number;
  engineRssMb?: number;
  engineEventLoopLagMs?: number;
  engineLiveOrders?: number;
}

interface SecondTotals {
  due: number;
  sent: number;
  answered: number;
  ok: number;
  dropped: number;
  latency: string[];
  streamEvents: number;
  streamLag: string[];
  streamGaps: number;
}

export interface LiveView {
  elapsedSeconds: number;
  answered: number;
  dropped: number;
  /** Answers per second over the last full second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  inFlight: number;
  /** Non-2xx outcomes so far, most frequent first. */
  errors: Array<[string, number]>;
  streamEventsPerSecond: number;
}

export class Aggregator {
  /** Encoded per-second histograms are kept (small) and merged once, at the end. */
  private readonly seconds = new Map<number, SecondTotals>();
  private readonly cumulative = newHistogram();
  private readonly outcomes: Record<string, number> = {};
  private readonly inFlight = new Map<number, number>();
  private answered = 0;
  private dropped = 0;

  constructor(private readonly plan: ArrivalPlan | undefined, readonly startAtMs: number) {}

  addTick(tick: Tick): void {
    let s = this.seconds.get(tick.second);
    if (!s) this.seconds.set(tick.second, (s = { due: 0, sent: 0, answered: 0, ok: 0, dropped: 0, latency: [], streamEvents: 0, streamLag: [], streamGaps: 0 }));
    s.due += tick.due;
    s.sent += tick.sent;
    s.answered += tick.answered;
    s.ok += tick.ok;
    s.dropped += tick.dropped;
    if (tick.answered > 0) {
      s.latency.push(tick.latency);
      addEncoded(this.cumulative, tick.latency);
    }
    if (tick.stream) {
      s.streamEvents += tick.stream.events;
      s.streamGaps += tick.stream.gaps;
      if (tick.stream.lag) s.streamLag.push(tick.stream.lag);
    }
    for (const [label, count] of Object.entries(tick.outcomes)) this.outcomes[label] = (this.outcomes[label] ?? 0) + count;
    this.answered += tick.answered;
    this.dropped += tick.dropped;
    this.inFlight.set(tick.worker, tick.inFlight);
  }

  live(nowMs: number): LiveView {
    const elapsedSeconds = Math.max(0, (nowMs - this.startAtMs) / 1000);
    const last = this.seconds.get(Math.floor(elapsedSeconds) - 1);
    const summary = summarize(this.cumulative);
    const errors = Object.entries(this.outcomes)
      .filter(([label]) => !/^2\d\d$/.test(label))
      .sort((a, b) => b[1] - a[1]);
    return {
      elapsedSeconds,
      answered: this.answered,
      dropped: this.dropped,
      rate: last?.answered ?? 0,
      p50Ms: summary.p50Ms,
      p99Ms: summary.p99Ms,
      inFlight: [...this.inFlight.values()].reduce((a, b) => a + b, 0),
      errors,
      streamEventsPerSecond: last?.streamEvents ?? 0,
    };
  }

  timeline(): TimelineEntry[] {
    const last = Math.max(-1, ...this.seconds.keys());
    const entries: TimelineEntry[] = [];
    for (let second = 0; second <= last; second++) {
      const s = this.seconds.get(second);
      const latency = summarize(mergeEncoded(s?.latency ?? []));
      const lag = summarize(mergeEncoded(s?.streamLag ?? []));
      entries.push({
        second,
        targetRate: this.plan ? Math.round(rateAt(this.plan, second + 0.5) * 100) / 100 : 0,
        due: s?.due ?? 0,
        sent: s?.sent ?? 0,
        answered: s?.answered ?? 0,
        ok: s?.ok ?? 0,
        errors: (s?.answered ?? 0) - (s?.ok ?? 0),
        dropped: s?.dropped ?? 0,
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
        maxMs: latency.maxMs,
        streamEvents: s?.streamEvents ?? 0,
        streamLagP99Ms: lag.p99Ms,
        streamGaps: s?.streamGaps ?? 0,
      });
    }
    return entries;
  }
}

export interface StreamResults {
  subscribers: number;
  connected: number;
  connectFailures: number;
  events: number;
  eventsPerSecond: number;
  gaps: number;
  resyncs: number;
  errors: number;
  closes: Record<string, number>;
  lag: LatencySummary;
}

export interface LoadResults {
  due: number;
  sent: number;
  answered: number;
  dropped: number;
  /** From the first send to the last answer. */
  elapsedSeconds: number;
  /** Answers per second over the elapsed time. */
  achievedRate: number;
  okRate: number;
  outcomes: Record<string, number>;
  byOperation: Record<string, { count: number; outcomes: Record<string, number>; latency: LatencySummary }>;
  latency: {
    /** From the intended send time (open loop), answers of every kind. */
    overall: LatencySummary;
    byClass: Record<string, LatencySummary>;
    /** From the actual send. */
    service: LatencySummary;
    /** How late the client sent, behind the schedule. */
    sendLag: LatencySummary;
  };
  stream?: StreamResults;
}

const sumCounts = (target: Record<string, number>, source: Record<string, number>): void => {
  for (const [key, value] of Object.entries(source)) target[key] = (target[key] ?? 0) + value;
};

export function mergeWorkerStats(workers: readonly WorkerStats[]): LoadResults {
  const outcomes: Record<string, number> = {};
  const operations = new Map<string, { outcomes: Record<string, number>; latency: string[] }>();
  const classes = new Map<string, string[]>();
  for (const w of workers) {
    sumCounts(outcomes, w.outcomes);
    for (const [name, op] of Object.entries(w.byOperation)) {
      const entry = operations.get(name) ?? { outcomes: {}, latency: [] };
      sumCounts(entry.outcomes, op.outcomes);
      entry.latency.push(op.latency);
      operations.set(name, entry);
    }
    for (const [statusClass, encoded] of Object.entries(w.byClass)) classes.set(statusClass, [...(classes.get(statusClass) ?? []), encoded!]);
  }
  const firsts = workers.map((w) => w.firstSendAtMs).filter((t): t is number => t !== undefined);
  const lasts = workers.map((w) => w.lastAnswerAtMs).filter((t): t is number => t !== undefined);
  const elapsedSeconds = firsts.length > 0 && lasts.length > 0 ? Math.max(0.001, (Math.max(...lasts) - Math.min(...firsts)) / 1000) : 0;
  const answered = workers.reduce((sum, w) => sum + w.answered, 0);
  const ok = Object.entries(outcomes).filter(([label]) => /^2\d\d$/.test(label)).reduce((sum, [, n]) => sum + n, 0);
  const byOperation: LoadResults['byOperation'] = {};
  for (const [name, op] of [...operations].sort((a, b) => a[0].localeCompare(b[0]))) {
    const latency = mergeEncoded(op.latency);
    byOperation[name] = { count: latency.totalCount, outcomes: op.outcomes, latency: summarize(latency) };
  }
  const streams = workers.map((w) => w.stream).filter((s): s is StreamStats => s !== undefined);
  return {
    due: workers.reduce((sum, w) => sum + w.due, 0),
    sent: workers.reduce((sum, w) => sum + w.sent, 0),
    answered,
    dropped: workers.reduce((sum, w) => sum + w.dropped, 0),
    elapsedSeconds: Math.round(elapsedSeconds * 1000) / 1000,
    achievedRate: elapsedSeconds > 0 ? Math.round((answered / elapsedSeconds) * 10) / 10 : 0,
    okRate: elapsedSeconds > 0 ? Math.round((ok / elapsedSeconds) * 10) / 10 : 0,
    outcomes,
    byOperation,
    latency: {
      overall: summarize(mergeEncoded(workers.map((w) => w.latency))),
      byClass: Object.fromEntries([...classes].sort().map(([statusClass, encoded]) => [statusClass, summarize(mergeEncoded(encoded))])),
      service: summarize(mergeEncoded(workers.map((w) => w.service))),
      sendLag: summarize(mergeEncoded(workers.map((w) => w.sendLag))),
    },
    ...(streams.length > 0 ? { stream: mergeStreams(streams, elapsedSeconds) } : {}),
  };
}

function mergeStreams(streams: readonly StreamStats[], elapsedSeconds: number): StreamResults {
  const closes: Record<string, number> = {};
  for (const s of streams) sumCounts(closes, s.closes);
  const sum = (pick: (s: StreamStats) => number): number => streams.reduce((total, s) => total + pick(s), 0);
  const events = sum((s) => s.events);
  return {
    subscribers: sum((s) => s.subscribers),
    connected: sum((s) => s.connected),
    connectFailures: sum((s) => s.connectFailures),
    events,
    eventsPerSecond: elapsedSeconds > 0 ? Math.round((events / elapsedSeconds) * 10) / 10 : 0,
    gaps: sum((s) => s.gaps),
    resyncs: sum((s) => s.resyncs),
    errors: sum((s) => s.errors),
    closes,
    lag: summarize(mergeEncoded(streams.map((s) => s.lag))),
  };
}
