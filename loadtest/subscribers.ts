import WebSocket from 'ws';
import { encodeHistogram, newHistogram, recordMs } from './histogram.js';
import type { Clock } from './runner.js';
import type { Recorder, StreamStats } from './stats.js';

// WebSocket subscribers on /v1/stream, as dashboards and shoppers' browsers are: each connects,
// subscribes to its topics and reads every frame. Per event: delivery lag (receipt time minus the
// event's `at`) and gaps in `seq` per topic (an event the client never got). Closes by code
// (1008/1013: the server cut off a slow reader).

export interface SubscriberPlan {
  wsUrl: string;
  token: string;
  topics: string[];
  count: number;
  connectTimeoutMs: number;
}

interface EventFrame {
  op?: string;
  topic?: string;
  seq?: number;
  at?: string;
  error?: { code: string };
}

/** Connections opened at once while connecting. */
const connectConcurrency = 32;

export class SubscriberPool {
  private readonly sockets: WebSocket[] = [];
  private readonly lag = newHistogram();
  private readonly stats: Omit<StreamStats, 'lag' | 'subscribers'> = { connected: 0, connectFailures: 0, events: 0, gaps: 0, resyncs: 0, errors: 0, closes: {} };
  private closing = false;

  constructor(private readonly plan: SubscriberPlan, private readonly recorder: Recorder, private readonly clock: Clock) {}

  /** Connects and subscribes every subscriber; failures are counted, not thrown. */
  async connect(): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < this.plan.count) {
        next++;
        await this.connectOne().catch(() => {
          this.stats.connectFailures++;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(connectConcurrency, this.plan.count) }, lane));
  }

  private connectOne(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${this.plan.wsUrl}?token=${encodeURIComponent(this.plan.token)}`, { perMessageDeflate: false });
      const lastSeq = new Map<string, number>();
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('connect timeout'));
      }, this.plan.connectTimeoutMs);
      let subscribed = false;
      ws.on('error', (error) => {
        if (!subscribed) {
          clearTimeout(timer);
          reject(error);
        }
      });
      ws.once('open', () => ws.send(JSON.stringify({ op: 'subscribe', topics: this.plan.topics })));
      ws.on('message', (data) => {
        const receivedMs = this.clock.now();
        let frame: EventFrame;
        try {
          frame = JSON.parse(String(data)) as EventFrame;
        } catch {
          this.stats.errors++;
          return;
        }
        if (frame.op === 'subscribed' && !subscribed) {
          subscribed = true;
          clearTimeout(timer);
          this.stats.connected++;
          this.sockets.push(ws);
          resolve();
          return;
        }
        if (frame.op === 'error') {
          this.stats.errors++;
          if (!subscribed) {
            clearTimeout(timer);
            ws.terminate();
            reject(new Error(`subscribe refused: ${frame.error?.code}`));
          }
          return;
        }
        if (frame.op === 'resync') {
          this.stats.resyncs++;
          if (frame.topic && typeof frame.seq === 'number') lastSeq.set(frame.topic, frame.seq);
          return;
        }
        if (frame.op !== undefined || !frame.topic || typeof frame.seq !== 'number') return;
        this.stats.events++;
        if (frame.at) {
          const lagMs = receivedMs - Date.parse(frame.at);
          recordMs(this.lag, lagMs);
          this.recorder.streamEvent(lagMs, receivedMs);
        }
        const last = lastSeq.get(frame.topic);
        if (last !== undefined && frame.seq > last + 1) {
          this.stats.gaps += frame.seq - last - 1;
          this.recorder.streamGap(frame.seq - last - 1, receivedMs);
        }
        if (last === undefined || frame.seq > last) lastSeq.set(frame.topic, frame.seq);
      });
      ws.on('close', (code) => {
        if (!this.closing) this.stats.closes[String(code)] = (this.stats.closes[String(code)] ?? 0) + 1;
      });
    });
  }

  close(): void {
    this.closing = true;
    for (const ws of this.sockets) ws.terminate();
  }

  result(): StreamStats {
    return { subscribers: this.plan.count, ...this.stats, closes: { ...this.stats.closes }, lag: encodeHistogram(this.lag) };
  }
}
