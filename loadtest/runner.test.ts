// Shows the load loops' timing rules with a fake transport (answers after a set delay): latency
// is measured from the intended send time, so a request due at t = 0, sent late at t = 50 ms and
// answered 10 ms later records ~60 ms (and 10 ms of service time); arrivals past the in-flight cap
// are dropped by the client, not queued; the open loop sends every arrival of its schedule; the
// closed loop never has more than its concurrency in flight.
import { describe, expect, it } from 'vitest';
import { decodeHistogram, summarize } from './histogram.js';
import type { Answer, RequestSpec, Transport } from './http-client.js';
import { runClosedLoop, runOpenLoop, systemClock, type Operation, type Traffic } from './runner.js';
import { Recorder } from './stats.js';

function slowTransport(delayMs: number): Transport & { inFlightMax: number; sent: RequestSpec[] } {
  let inFlight = 0;
  const transport = {
    inFlightMax: 0,
    sent: [] as RequestSpec[],
    send(request: RequestSpec): Promise<Answer> {
      transport.sent.push(request);
      inFlight++;
      transport.inFlightMax = Math.max(transport.inFlightMax, inFlight);
      return new Promise((resolve) =>
        setTimeout(() => {
          inFlight--;
          resolve({ status: 201, body: {} });
        }, delayMs),
      );
    },
    close() {},
  };
  return transport;
}

function countingTraffic(): Traffic & { chosen: number[]; settled: number } {
  const traffic = {
    chosen: [] as number[],
    settled: 0,
    next(index: number): Operation {
      traffic.chosen.push(index);
      return { name: 'hold', request: { method: 'POST', path: `/x/${index}`, token: 't' }, settle: () => void traffic.settled++ };
    },
  };
  return traffic;
}

const busyWait = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the event loop is blocked, as a client stalled by GC or a busy core would be
  }
};

describe('latency from the intended send time', () => {
  it('records answered - intended, not answered - sent (exact, with given times)', () => {
    const recorder = new Recorder(0, 0);
    recorder.sent(0, 50);
    recorder.answered('hold', { status: 201, body: {} }, 0, 50, 60);
    const stats = recorder.final();
    // To the histogram's precision (3 significant digits).
    expect(summarize(decodeHistogram(stats.latency)).maxMs).toBeCloseTo(60, 1);
    expect(summarize(decodeHistogram(stats.service)).maxMs).toBeCloseTo(10, 1);
    expect(summarize(decodeHistogram(stats.sendLag)).maxMs).toBeCloseTo(50, 1);
  });

  it('a request due at t = 0, sent 50 ms late, answered in 10 ms, records ~60 ms', async () => {
    const recorder = new Recorder(0, 0);
    const transport = slowTransport(10);
    const startAtMs = systemClock.now();
    recorder.startAtMs = startAtMs;
    busyWait(50);
    await runOpenLoop({ startAtMs, count: 1, indexAt: (k) => k, offsetMs: () => 0, inFlightMax: 10 }, { clock: systemClock, transport, traffic: countingTraffic(), recorder });
    const stats = recorder.final();
    const latencyMs = decodeHistogram(stats.latency).maxValue / 1000;
    const serviceMs = decodeHistogram(stats.service).maxValue / 1000;
    expect(latencyMs).toBeGreaterThanOrEqual(59.5);
    expect(latencyMs).toBeLessThan(200); // a shared machine may add a little
    expect(serviceMs).toBeGreaterThanOrEqual(9.5);
    expect(latencyMs - serviceMs).toBeGreaterThanOrEqual(49.5); // the 50 ms the client was late
  });
});

describe('open loop', () => {
  it('sends every arrival of the schedule, in order, each after it is due', async () => {
    const recorder = new Recorder(0, 0);
    const transport = slowTransport(2);
    const traffic = countingTraffic();
    const startAtMs = systemClock.now() + 20;
    recorder.startAtMs = startAtMs;
    const sentAt: number[] = [];
    const send = transport.send;
    transport.send = (request) => {
      sentAt.push(systemClock.now() - startAtMs);
      return send(request);
    };
    await runOpenLoop({ startAtMs, count: 20, indexAt: (k) => k, offsetMs: (i) => i * 5, inFlightMax: 100 }, { clock: systemClock, transport, traffic, recorder });
    expect(traffic.chosen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(traffic.settled).toBe(20);
    for (let i = 0; i < 20; i++) expect(sentAt[i]).toBeGreaterThanOrEqual(i * 5 - 0.5); // never early
    const stats = recorder.final();
    expect(stats).toMatchObject({ due: 20, sent: 20, answered: 20, dropped: 0 });
  });

  it('drops what is due past the in-flight cap, without choosing an operation for it', async () => {
    const recorder = new Recorder(0, 0);
    const transport = slowTransport(50);
    const traffic = countingTraffic();
    const startAtMs = systemClock.now();
    recorder.startAtMs = startAtMs;
    await runOpenLoop({ startAtMs, count: 5, indexAt: (k) => k, offsetMs: () => 0, inFlightMax: 2 }, { clock: systemClock, transport, traffic, recorder });
    expect(transport.inFlightMax).toBe(2);
    expect(traffic.chosen).toEqual([0, 1]);
    const stats = recorder.final();
    expect(stats).toMatchObject({ due: 5, sent: 2, answered: 2, dropped: 3 });
    expect(stats.outcomes).toEqual({ '201': 2, 'dropped by the client': 3 });
  });

  it('serves a worker\'s share: only its indexes, at their global times', async () => {
    const recorder = new Recorder(1, 0);
    const traffic = countingTraffic();
    const startAtMs = systemClock.now();
    await runOpenLoop({ startAtMs, count: 3, indexAt: (k) => 1 + k * 4, offsetMs: (i) => i, inFlightMax: 10 }, { clock: systemClock, transport: slowTransport(1), traffic, recorder });
    expect(traffic.chosen).toEqual([1, 5, 9]);
  });

  it('stops sending when asked, and still waits for what is in flight', async () => {
    const recorder = new Recorder(0, 0);
    const traffic = countingTraffic();
    let stop = false;
    const startAtMs = systemClock.now();
    setTimeout(() => (stop = true), 30);
    await runOpenLoop({ startAtMs, count: 1_000, indexAt: (k) => k, offsetMs: (i) => i * 10, inFlightMax: 10 }, { clock: systemClock, transport: slowTransport(5), traffic, recorder, stopped: () => stop });
    expect(traffic.chosen.length).toBeGreaterThan(0);
    expect(traffic.chosen.length).toBeLessThan(100);
    expect(traffic.settled).toBe(traffic.chosen.length);
  });
});

describe('closed loop', () => {
  it('keeps exactly `concurrency` in flight until the duration ends', async () => {
    const recorder = new Recorder(0, 0);
    const transport = slowTransport(10);
    const traffic = countingTraffic();
    const startAtMs = systemClock.now();
    recorder.startAtMs = startAtMs;
    await runClosedLoop({ startAtMs, durationMs: 150, concurrency: 3, workerIndex: 1, workerCount: 2 }, { clock: systemClock, transport, traffic, recorder });
    expect(transport.inFlightMax).toBe(3);
    expect(traffic.chosen.length).toBeGreaterThanOrEqual(9);
    // Indexes unique across workers: this one (1 of 2) takes the odd ones.
    expect(traffic.chosen.every((i) => i % 2 === 1)).toBe(true);
    expect(new Set(traffic.chosen).size).toBe(traffic.chosen.length);
    expect(recorder.final().dropped).toBe(0);
  });
});
