import type { ApiClient } from './http-client.js';

// The engine's own view during the run, from GET /metrics (ops): resident memory, heap, event-loop lag,
// live holds and orders. One sample every `intervalMs`, kept per second of the run; a failed
// sample is skipped (the engine may be too busy to answer, which the load numbers show anyway).

export interface EngineSample {
  second: number;
  rssMb: number | undefined;
  /** V8 heap in use: what the engine itself holds (RSS also counts LMDB's mapped pages, which the kernel may reclaim). */
  heapMb: number | undefined;
  eventLoopLagMs: number | undefined;
  liveOrders: number | undefined;
  streamClients: number | undefined;
}

/** The value of an unlabelled series in Prometheus text. */
export function metricValue(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

export class EngineMonitor {
  readonly samples: EngineSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly api: ApiClient, private readonly startAtMs: number, private readonly intervalMs = 2_000) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
  }

  async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const answer = await this.api.call('GET', '/metrics');
      if (answer.status !== 200 || typeof answer.body !== 'string') return;
      const text = answer.body;
      const rss = metricValue(text, 'oo_process_resident_memory_bytes');
      const heap = metricValue(text, 'oo_nodejs_heap_size_used_bytes');
      const lag = metricValue(text, 'oo_nodejs_eventloop_lag_p99_seconds') ?? metricValue(text, 'oo_nodejs_eventloop_lag_seconds');
      this.samples.push({
        second: Math.max(0, Math.floor((Date.now() - this.startAtMs) / 1000)),
        rssMb: rss === undefined ? undefined : Math.round(rss / 2 ** 20),
        heapMb: heap === undefined ? undefined : Math.round(heap / 2 ** 20),
        eventLoopLagMs: lag === undefined ? undefined : Math.round(lag * 100_000) / 100,
        liveOrders: metricValue(text, 'oo_orders_live'),
        streamClients: metricValue(text, 'oo_stream_clients'),
      });
    } catch {
      // skipped
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
