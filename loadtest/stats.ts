import { encodeHistogram, newHistogram, recordMs, type Histogram } from './histogram.js';
import type { Answer, TransportFailure } from './http-client.js';

// What one worker measures, in the form it sends to the parent: a tick per second of the run
// (counts and that second's latency histogram, for the charts and the progress bar) and, at the
// end, its cumulative histograms (overall, per status class, per operation) to be merged.
//
// Latency is measured from the request's *intended* send time (open loop), so a server that
// stalls shows its stall in every request that was due during it, not only the one it held up.
// The time from the actual send (`service`) and how late the client sent (`sendLag`) are kept too:
// a large send lag means the client, not the server, was the bottleneck.

/** The median of a few rounds' results (the upper one of an even count), as every bench quotes them. */
export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export type StatusClass = '2xx' | '3xx' | '4xx' | '5xx' | 'no-answer';
export const statusClasses: readonly StatusClass[] = ['2xx', '3xx', '4xx', '5xx', 'no-answer'];

export type Result = Answer | TransportFailure;

export const isAnswer = (result: Result): result is Answer => (result as Answer).status !== undefined;

export function statusClassOf(result: Result): StatusClass {
  if (!isAnswer(result)) return 'no-answer';
  if (result.status >= 500 || result.status < 200) return '5xx';
  if (result.status >= 400) return '4xx';
  if (result.status >= 300) return '3xx';
  return '2xx';
}

/** `201`, `409 INSUFFICIENT_STOCK`, `timeout`, `network`. */
export function outcomeLabel(result: Result): string {
  if (!isAnswer(result)) return result.kind;
  return result.code ? `${result.status} ${result.code}` : String(result.status);
}

export interface StreamTick {
  events: number;
  /** Encoded histogram of delivery lag (event `at` → receipt). */
  lag: string;
  gaps: number;
}

export interface Tick {
  worker: number;
  /** Whole seconds since the run's start. */
  second: number;
  due: number;
  sent: number;
  answered: number;
  ok: number;
  dropped: number;
  outcomes: Record<string, number>;
  /** Encoded histogram of this second's answers, latency from the intended send. */
  latency: string;
  inFlight: number;
  stream?: StreamTick;
}

export interface WorkerStats {
  worker: number;
  due: number;
  sent: number;
  answered: number;
  dropped: number;
  outcomes: Record<string, number>;
  byOperation: Record<string, { outcomes: Record<string, number>; latency: string }>;
  latency: string;
  byClass: Partial<Record<StatusClass, string>>;
  service: string;
  sendLag: string;
  firstSendAtMs: number | undefined;
  lastAnswerAtMs: number | undefined;
  stream?: StreamStats;
}

export interface StreamStats {
  subscribers: number;
  connected: number;
  connectFailures: number;
  events: number;
  gaps: number;
  resyncs: number;
  errors: number;
  closes: Record<string, number>;
  lag: string;
}

interface Bucket {
  due: number;
  sent: number;
  answered: number;
  ok: number;
  dropped: number;
  outcomes: Record<string, number>;
  latency: Histogram;
  streamEvents: number;
  streamLag: Histogram | undefined;
  streamGaps: number;
}

const increment = (counts: Record<string, number>, key: string, by = 1): void => {
  counts[key] = (counts[key] ?? 0) + by;
};

export class Recorder {
  private readonly buckets = new Map<number, Bucket>();
  private readonly latency = newHistogram();
  private readonly byClass = new Map<StatusClass, Histogram>();
  private readonly byOperation = new Map<string, { outcomes: Record<string, number>; latency: Histogram }>();
  private readonly service = newHistogram();
  private readonly sendLag = newHistogram();
  private readonly outcomes: Record<string, number> = {};
  private totals = { due: 0, sent: 0, answered: 0, dropped: 0 };
  private firstSendAtMs: number | undefined;
  private lastAnswerAtMs: number | undefined;
  inFlight = 0;

  constructor(readonly worker: number, public startAtMs: number) {}

  private bucket(atMs: number): Bucket {
    const second = Math.max(0, Math.floor((atMs - this.startAtMs) / 1000));
    let bucket = this.buckets.get(second);
    if (!bucket) {
      bucket = { due: 0, sent: 0, answered: 0, ok: 0, dropped: 0, outcomes: {}, latency: newHistogram(true), streamEvents: 0, streamLag: undefined, streamGaps: 0 };
      this.buckets.set(second, bucket);
    }
    return bucket;
  }

  /** A request was due at `intendedMs` and sent at `sentMs`. */
  sent(intendedMs: number, sentMs: number): void {
    this.totals.due++;
    this.totals.sent++;
    this.inFlight++;
    this.firstSendAtMs ??= sentMs;
    const bucket = this.bucket(intendedMs);
    bucket.due++;
    bucket.sent++;
    recordMs(this.sendLag, sentMs - intendedMs);
  }

  /** A request was due and not sent: the client's in-flight bound was reached. */
  dropped(intendedMs: number): void {
    this.totals.due++;
    this.totals.dropped++;
    const bucket = this.bucket(intendedMs);
    bucket.due++;
    bucket.dropped++;
    increment(bucket.outcomes, 'dropped by the client');
    increment(this.outcomes, 'dropped by the client');
  }

  answered(operation: string, result: Result, intendedMs: number, sentMs: number, answeredMs: number): void {
    this.totals.answered++;
    this.inFlight--;
    this.lastAnswerAtMs = answeredMs;
    const label = outcomeLabel(result);
    const statusClass = statusClassOf(result);
    const latencyMs = answeredMs - intendedMs;
    const bucket = this.bucket(answeredMs);
    bucket.answered++;
    if (statusClass === '2xx') bucket.ok++;
    increment(bucket.outcomes, label);
    recordMs(bucket.latency, latencyMs);
    increment(this.outcomes, label);
    recordMs(this.latency, latencyMs);
    recordMs(this.service, answeredMs - sentMs);
    let classHistogram = this.byClass.get(statusClass);
    if (!classHistogram) this.byClass.set(statusClass, (classHistogram = newHistogram()));
    recordMs(classHistogram, latencyMs);
    const perOperation = this.operation(operation);
    increment(perOperation.outcomes, label);
    recordMs(perOperation.latency, latencyMs);
  }

  streamEvent(lagMs: number, receivedMs: number): void {
    const bucket = this.bucket(receivedMs);
    bucket.streamEvents++;
    bucket.streamLag ??= newHistogram(true);
    recordMs(bucket.streamLag, lagMs);
  }

  streamGap(missed: number, receivedMs: number): void {
    this.bucket(receivedMs).streamGaps += missed;
  }

  private operation(name: string): { outcomes: Record<string, number>; latency: Histogram } {
    let entry = this.byOperation.get(name);
    if (!entry) this.byOperation.set(name, (entry = { outcomes: {}, latency: newHistogram() }));
    return entry;
  }

  /** Ticks for every second before the one `nowMs` is in (all of them when `all`), oldest first. */
  drainTicks(nowMs: number, all = false): Tick[] {
    const current = Math.floor((nowMs - this.startAtMs) / 1000);
    const ticks: Tick[] = [];
    for (const second of [...this.buckets.keys()].sort((a, b) => a - b)) {
      if (!all && second >= current) break;
      const b = this.buckets.get(second)!;
      this.buckets.delete(second);
      ticks.push({
        worker: this.worker,
        second,
        due: b.due,
        sent: b.sent,
        answered: b.answered,
        ok: b.ok,
        dropped: b.dropped,
        outcomes: b.outcomes,
        latency: encodeHistogram(b.latency),
        inFlight: this.inFlight,
        ...(b.streamEvents > 0 || b.streamGaps > 0
          ? { stream: { events: b.streamEvents, lag: b.streamLag ? encodeHistogram(b.streamLag) : '', gaps: b.streamGaps } }
          : {}),
      });
    }
    return ticks;
  }

  final(stream?: StreamStats): WorkerStats {
    const byClass: Partial<Record<StatusClass, string>> = {};
    for (const [statusClass, histogram] of this.byClass) byClass[statusClass] = encodeHistogram(histogram);
    const byOperation: WorkerStats['byOperation'] = {};
    for (const [name, entry] of this.byOperation) byOperation[name] = { outcomes: entry.outcomes, latency: encodeHistogram(entry.latency) };
    return {
      worker: this.worker,
      ...this.totals,
      outcomes: this.outcomes,
      byOperation,
      latency: encodeHistogram(this.latency),
      byClass,
      service: encodeHistogram(this.service),
      sendLag: encodeHistogram(this.sendLag),
      firstSendAtMs: this.firstSendAtMs,
      lastAnswerAtMs: this.lastAnswerAtMs,
      ...(stream ? { stream } : {}),
    };
  }
}
