// Shows that the per-answer metrics, now counted in plain numbers by each route's RouteMeter and
// written out when /metrics is read, read exactly as prom-client's own labelled Counter and
// Histogram read for the same answers: the same answers are fed to both, and the text of the two
// metrics is compared line for line (boundary latencies on bucket bounds, over the top bound, an
// error code, a route never answered). Also: a second scrape reads totals, not what came since.
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { EngineApi } from '../engine/engine-api.js';
import { GatewayMetrics } from './metrics.js';
import type { StreamHub } from './stream.js';

const engine = {
  stats: () => {
    const actors = { active: 0, passivated: 0, inflight: 0, inflightMaxActor: 0 };
    return { skuActors: actors, orderActors: actors, nodeActors: actors, ledgerPendingWrites: 0, liveOrders: 0 };
  },
  ledger: { onBatch: () => undefined },
} as unknown as Pick<EngineApi, 'stats' | 'ledger'>;
const hub = { stats: () => ({ clients: 0, cutOff: 0 }) } as unknown as StreamHub;

/** What prom-client itself writes for these answers: `[route, status, code, durationMs]`. */
async function promClientText(answers: Array<[string, number, string | undefined, number]>): Promise<string> {
  const registry = new Registry();
  const requests = new Counter({ name: 'oo_http_requests_total', help: 'HTTP answers by route, status and error code', labelNames: ['route', 'status', 'code'], registers: [registry] });
  const latency = new Histogram({
    name: 'oo_http_request_duration_seconds', help: 'Time from request to answer, durable writes included', labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  for (const [route, status, code, durationMs] of answers) {
    requests.inc({ route, status: String(status), code: code ?? '' });
    latency.observe({ route }, durationMs / 1000);
  }
  return registry.metrics();
}

/** The lines of one metric (HELP, TYPE and samples), in a stable order. */
const linesOf = (text: string, name: string): string[] => text.split('\n').filter((line) => line.includes(` ${name} `) || line.startsWith(name)).sort();

describe('GatewayMetrics per-answer metrics', () => {
  const answers: Array<[string, number, string | undefined, number]> = [
    ['POST /v1/reservations', 201, undefined, 0.3],
    ['POST /v1/reservations', 201, undefined, 0.5],
    ['POST /v1/reservations', 201, undefined, 1],
    ['POST /v1/reservations', 201, undefined, 7.25],
    ['POST /v1/reservations', 409, 'INSUFFICIENT_STOCK', 2],
    ['POST /v1/reservations', 201, undefined, 2_500],
    ['POST /v1/reservations', 503, 'OVERLOADED', 9_000],
    ['GET /v1/orders/:id', 200, undefined, 0.04],
    ['GET /v1/orders/:id', 404, 'NOT_FOUND', 0.12],
  ];

  it('read as prom-client wrote them, line for line', async () => {
    const metrics = new GatewayMetrics(engine, hub);
    metrics.route('DELETE /v1/reservations/:id'); // set up, never answered: absent, as before
    for (const [route, status, code, durationMs] of answers) metrics.route(route).observe(status, code, durationMs);
    const ours = await metrics.render();
    const theirs = await promClientText(answers);
    for (const name of ['oo_http_requests_total', 'oo_http_request_duration_seconds']) {
      expect(linesOf(ours, name)).toEqual(linesOf(theirs, name));
    }
    expect(ours).not.toContain('DELETE /v1/reservations/:id');
    expect(ours.endsWith('\n')).toBe(true);
  });

  it('a second scrape reads the totals since start', async () => {
    const metrics = new GatewayMetrics(engine, hub);
    const meter = metrics.route('POST /v1/reservations');
    meter.observe(201, undefined, 1);
    await metrics.render();
    meter.observe(201, undefined, 1);
    meter.observe(409, 'INSUFFICIENT_STOCK', 1);
    const text = await metrics.render();
    expect(text).toContain('oo_http_requests_total{route="POST /v1/reservations",status="201",code=""} 2');
    expect(text).toContain('oo_http_requests_total{route="POST /v1/reservations",status="409",code="INSUFFICIENT_STOCK"} 1');
    expect(text).toContain('oo_http_request_duration_seconds_count{route="POST /v1/reservations"} 3');
  });
});
