import type { RequestSpec, Transport } from './http-client.js';
import { TransportFailure } from './http-client.js';
import type { Recorder, Result } from './stats.js';

// The two ways of sending load.
//
// Open loop (`runOpenLoop`): every request has an intended send time fixed in advance (see
// arrivals.ts); the loop sends each one when it is due, whatever the server is doing, and its
// latency is counted from that intended time. A request due while `inFlightMax` are already out is
// not sent and is counted as "dropped by the client", so the client never grows without bound.
//
// Closed loop (`runClosedLoop`): `concurrency` lanes, each sending its next request when the last
// one is answered: the maximum throughput, with latency from the actual send.

export interface Clock {
  /** Milliseconds since the epoch, with sub-millisecond precision. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.timeOrigin + performance.now() };

/** One request and what to do with its result (update the run's ledger). */
export interface Operation {
  name: string;
  request: RequestSpec;
  settle(result: Result, answeredAtMs: number): void;
}

/** The scenario's side: what arrival `index` sends. */
export interface Traffic {
  next(index: number, nowMs: number): Operation;
}

export interface LoopDependencies {
  clock: Clock;
  transport: Transport;
  traffic: Traffic;
  recorder: Recorder;
  /** Checked between sends: true ends the run early (Ctrl-C). */
  stopped?: () => boolean;
}

export interface OpenLoopSchedule {
  startAtMs: number;
  /** This worker's arrivals. */
  count: number;
  /** The global arrival index of this worker's k-th arrival. */
  indexAt(k: number): number;
  /** When global arrival `index` is due, in ms after the start. */
  offsetMs(index: number): number;
  inFlightMax: number;
}

/** Sends per event-loop turn at most this many, then yields so answers are read in between. */
const sendsPerTurnMax = 256;

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, Math.max(0, ms)));
const yieldTurn = (): Promise<void> => new Promise((done) => setImmediate(done));

function dispatch(operation: Operation, intendedMs: number, deps: LoopDependencies, track: Set<Promise<void>>): Promise<void> {
  const sentMs = deps.clock.now();
  deps.recorder.sent(intendedMs, sentMs);
  const done = deps.transport
    .send(operation.request)
    .catch((error: unknown): Result => (error instanceof TransportFailure ? error : new TransportFailure('network', String(error))))
    .then((result) => {
      const answeredMs = deps.clock.now();
      deps.recorder.answered(operation.name, result, intendedMs, sentMs, answeredMs);
      operation.settle(result, answeredMs);
    });
  track.add(done);
  void done.finally(() => track.delete(done));
  return done;
}

export async function runOpenLoop(schedule: OpenLoopSchedule, deps: LoopDependencies): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let k = 0;
  while (k < schedule.count && !deps.stopped?.()) {
    const now = deps.clock.now();
    let sentThisTurn = 0;
    while (k < schedule.count && sentThisTurn < sendsPerTurnMax) {
      const index = schedule.indexAt(k);
      const intendedMs = schedule.startAtMs + schedule.offsetMs(index);
      if (intendedMs > now) break;
      k++;
      sentThisTurn++;
      if (inFlight.size >= schedule.inFlightMax) {
        // Not even chosen: a dropped arrival leaves the scenario's state untouched.
        deps.recorder.dropped(intendedMs);
        continue;
      }
      void dispatch(deps.traffic.next(index, now), intendedMs, deps, inFlight);
    }
    if (k >= schedule.count) break;
    if (sentThisTurn >= sendsPerTurnMax) {
      await yieldTurn();
      continue;
    }
    const nextDueMs = schedule.startAtMs + schedule.offsetMs(schedule.indexAt(k));
    await sleep(nextDueMs - deps.clock.now());
  }
  // Every request in flight ends: answered, or failed by the transport's timeout.
  while (inFlight.size > 0) await Promise.all([...inFlight]);
}

export interface ClosedLoopSettings {
  startAtMs: number;
  durationMs: number;
  concurrency: number;
  workerIndex: number;
  workerCount: number;
}

export async function runClosedLoop(settings: ClosedLoopSettings, deps: LoopDependencies): Promise<void> {
  const endAtMs = settings.startAtMs + settings.durationMs;
  await sleep(settings.startAtMs - deps.clock.now());
  const inFlight = new Set<Promise<void>>();
  let k = 0;
  const lane = async (): Promise<void> => {
    while (deps.clock.now() < endAtMs && !deps.stopped?.()) {
      // Unique across workers, like the open loop's indexes.
      const index = settings.workerIndex + k++ * settings.workerCount;
      const now = deps.clock.now();
      await dispatch(deps.traffic.next(index, now), now, deps, inFlight);
    }
  };
  await Promise.all(Array.from({ length: settings.concurrency }, lane));
}
