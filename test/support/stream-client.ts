// A real WebSocket client (`ws`) for the live stream that keeps every frame it receives and can
// wait for one; and a helper that expects an upgrade to be refused.
import WebSocket from 'ws';

export interface Frame {
  op?: string;
  topics?: string[];
  error?: { code: string; message: string; details: Record<string, unknown> };
  topic?: string;
  type?: string;
  seq?: number;
  at?: string;
  data?: any;
}

export class StreamClient {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | undefined;
  private readonly listeners = new Set<() => void>();

  /** `keep` turns each frame into what is kept of it (a summary, when frames are many and large). */
  private constructor(readonly ws: WebSocket, keep: (frame: Frame) => Frame) {
    ws.on('message', (data) => {
      this.frames.push(keep(JSON.parse(String(data)) as Frame));
      for (const listener of [...this.listeners]) listener();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const listener of [...this.listeners]) listener();
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}, keep: (frame: Frame) => Frame = (frame) => frame): Promise<StreamClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new StreamClient(ws, keep);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
    });
  }

  /** The first frame from index `from` on that matches, waiting up to `timeoutMs` for it. */
  waitFor(predicate: (frame: Frame) => boolean, { from = 0, timeoutMs = 5_000 } = {}): Promise<Frame> {
    return this.until(() => this.frames.slice(from).find(predicate), timeoutMs, () => `no matching frame in ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(from)).slice(0, 600)}`);
  }

  /** Sends a control frame and resolves with the server's answer to it (subscribed, unsubscribed or error). */
  async command(frame: unknown): Promise<Frame> {
    const from = this.frames.length;
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    return this.waitFor((f) => f.op === 'subscribed' || f.op === 'unsubscribed' || f.op === 'error', { from });
  }

  subscribe(topics: string[], from?: Record<string, number>): Promise<Frame> {
    return this.command({ op: 'subscribe', topics, ...(from ? { from } : {}) });
  }

  /** Event frames (not control frames) named `topic`. */
  events(topic: string): Frame[] {
    return this.frames.filter((f) => f.topic === topic && f.op === undefined);
  }

  waitForClose(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    return this.until(() => this.closed, timeoutMs, () => `not closed in ${timeoutMs} ms`);
  }

  close(): void {
    this.ws.terminate();
  }

  private until<T>(found: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = found();
        if (value === undefined) return false;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(describe()));
      }, timeoutMs);
      if (!check()) this.listeners.add(check);
    });
  }
}

/**
 * Tries the upgrade and expects it refused; resolves with the HTTP status and JSON body, and
 * whether the client also saw an error.
 */
export function refusedUpgrade(url: string, options: WebSocket.ClientOptions = {}): Promise<{ status: number; body: any; errored: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    let errored = false;
    ws.on('error', () => {
      errored = true;
    });
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode!, body: JSON.parse(text), errored });
      });
    });
  });
}

/**
 * Runs `action` with the process's uncaughtException listeners swapped for a recorder, so an
 * exception the server throws inside a uWS callback is seen by the test (and does not end the run).
 */
export async function recordingUncaught<T>(action: () => Promise<T>): Promise<{ result: T; uncaught: unknown[] }> {
  const uncaught: unknown[] = [];
  const saved = process.listeners('uncaughtException');
  const record = (error: unknown) => uncaught.push(error);
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', record);
  try {
    return { result: await action(), uncaught };
  } finally {
    process.removeListener('uncaughtException', record);
    for (const listener of saved) process.on('uncaughtException', listener);
  }
}
