import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EngineApi } from '../engine/engine-api.js';
import type { StreamHub } from './stream.js';

// Prometheus metrics (prom-client): answers by route and code, latency, actors, ledger, streams.

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly requests: Counter<'route' | 'status' | 'code'>;
  private readonly latency: Histogram<'route'>;

  constructor(engine: Pick<EngineApi, 'stats' | 'ledger'>, hub: StreamHub) {
    collectDefaultMetrics({ register: this.registry, prefix: 'oo_' });
    this.requests = new Counter({ name: 'oo_http_requests_total', help: 'HTTP answers by route, status and error code', labelNames: ['route', 'status', 'code'], registers: [this.registry] });
    this.latency = new Histogram({
      name: 'oo_http_request_duration_seconds', help: 'Time from request to answer, durable writes included', labelNames: ['route'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry],
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

  observe(route: string, status: number, code: string | undefined, durationMs: number): void {
    this.requests.inc({ route, status: String(status), code: code ?? '' });
    this.latency.observe({ route }, durationMs / 1000);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
