import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineApi } from '../engine/engine-api.js';
import type { StreamHub } from './stream.js';

// Prometheus metrics (prom-client): answers by route and code, latency, actors, ledger, streams.
//
// The per-answer ones (oo_http_requests_total, oo_http_request_duration_seconds) are counted by
// each route's RouteMeter in plain numbers and made into Prometheus text when /metrics is read:
// prom-client's labelled Counter and Histogram built and hashed a label object on every answer,
// a cost paid by the hottest path for a page read every few seconds.

const latencyName = 'oo_http_request_duration_seconds';
const latencyHelp = 'Time from request to answer, durable writes included';
/** Upper bounds of the latency buckets, in seconds (`le`). */
const latencyBucketsSeconds: readonly number[] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** One route's answers (by status and error code) and their latency, in plain counters. */
export class RouteMeter {
  /** Status -> error code ('' for none) -> answers. */
  readonly answers = new Map<number, Map<string, number>>();
  /** Answers per latency bucket (not cumulative); the last slot is over the top bound. */
  readonly bucketCounts = new Float64Array(latencyBucketsSeconds.length + 1);
  sumSeconds = 0;
  count = 0;

  constructor(readonly route: string) {}

  observe(status: number, code: string | undefined, durationMs: number): void {
    let byCode = this.answers.get(status);
    if (!byCode) this.answers.set(status, (byCode = new Map()));
    const key = code ?? '';
    byCode.set(key, (byCode.get(key) ?? 0) + 1);
    const seconds = durationMs / 1000;
    let bucket = 0;
    while (bucket < latencyBucketsSeconds.length && seconds > latencyBucketsSeconds[bucket]) bucket++;
    this.bucketCounts[bucket]++;
    this.sumSeconds += seconds;
    this.count++;
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly meters = new Map<string, RouteMeter>();

  constructor(engine: Pick<EngineApi, 'stats' | 'ledger'>, hub: StreamHub) {
    collectDefaultMetrics({ register: this.registry, prefix: 'oo_' });
    const meters = this.meters;
    new Counter({
      name: 'oo_http_requests_total', help: 'HTTP answers by route, status and error code', labelNames: ['route', 'status', 'code'], registers: [this.registry],
      // Read from the routes' meters when scraped: totals since start, so set anew each time.
      collect() {
        this.reset();
        for (const meter of meters.values()) {
          for (const [status, byCode] of meter.answers) for (const [code, answers] of byCode) this.inc({ route: meter.route, status: String(status), code }, answers);
        }
      },
    });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
    gauge('oo_actors_active_sku', 'SKU actors in memory', () => engine.stats().skuActors.active);
    gauge('oo_actors_active_order', 'Order actors in memory', () => engine.stats().orderActors.active);
    gauge('oo_actors_passivated_total', 'Actors passivated since start', () => {
      const s = engine.stats();
      return s.skuActors.passivated + s.orderActors.passivated + s.nodeActors.passivated;
    });
    gauge('oo_ledger_pending_writes', 'Ledger writes staged and not yet on disk', () => engine.stats().ledgerPendingWrites);
    gauge('oo_mailbox_inflight', 'Commands accepted by actors and not yet durable', () => {
      const s = engine.stats();
      return s.skuActors.inflight + s.orderActors.inflight + s.nodeActors.inflight;
    });
    gauge('oo_mailbox_depth_max', 'Commands in flight at the busiest actor (its mailbox depth)', () => {
      const s = engine.stats();
      return Math.max(s.skuActors.inflightMaxActor, s.orderActors.inflightMaxActor, s.nodeActors.inflightMaxActor);
    });
    const batchWrites = new Histogram({ name: 'oo_ledger_batch_writes', help: 'Writes per ledger batch (one transaction, one flush)', buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384], registers: [this.registry] });
    const batchSeconds = new Histogram({ name: 'oo_ledger_batch_durable_seconds', help: 'Time from a batch being written to it being on disk', buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25], registers: [this.registry] });
    engine.ledger.onBatch((writes, durableMs) => {
      batchWrites.observe(writes);
      batchSeconds.observe(durableMs / 1000);
    });
    gauge('oo_orders_live', 'Holds and orders not yet final', () => engine.stats().liveOrders);
    gauge('oo_stream_clients', 'WebSocket stream clients connected', () => hub.stats().clients);
    gauge('oo_stream_clients_cut_off_total', 'Stream clients disconnected for reading too slowly', () => hub.stats().cutOff);
  }

  /** The meter of a route, by its name (`POST /v1/reservations`): taken once, when the route is set up. */
  route(route: string): RouteMeter {
    let meter = this.meters.get(route);
    if (!meter) this.meters.set(route, (meter = new RouteMeter(route)));
    return meter;
  }

  async render(): Promise<string> {
    return `${await this.registry.metrics()}\n${this.latencyText()}\n`;
  }

  /** The latency histogram as prom-client writes one: cumulative buckets, +Inf, sum and count per route. */
  private latencyText(): string {
    const lines = [`# HELP ${latencyName} ${latencyHelp}`, `# TYPE ${latencyName} histogram`];
    for (const meter of this.meters.values()) {
      if (meter.count === 0) continue;
      const route = `route="${escapeLabelValue(meter.route)}"`;
      let cumulative = 0;
      latencyBucketsSeconds.forEach((bound, i) => {
        cumulative += meter.bucketCounts[i];
        lines.push(`${latencyName}_bucket{le="${bound}",${route}} ${cumulative}`);
      });
      lines.push(`${latencyName}_bucket{le="+Inf",${route}} ${meter.count}`, `${latencyName}_sum{${route}} ${meter.sumSeconds}`, `${latencyName}_count{${route}} ${meter.count}`);
    }
    return lines.join('\n');
  }
}

const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
