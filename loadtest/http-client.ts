import { Agent, request } from 'node:http';

// The HTTP side of the load generator: keep-alive connections (one per request in flight, since
// HTTP/1.1 answers in order), JSON in and out, a timeout per request. No retries: a load test
// reports what happened.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RequestSpec {
  method: Method;
  path: string;
  token: string | undefined;
  body?: unknown;
  idempotencyKey?: string;
}

export interface Answer {
  status: number;
  body: any;
  /** The stable error code of a non-2xx answer (`error.code`), when the body has one. */
  code?: string;
}

/** No answer: the request timed out or the connection failed. Its effect on the server is unknown. */
export class TransportFailure extends Error {
  constructor(readonly kind: 'timeout' | 'network', message: string) {
    super(message);
  }
}

export interface Transport {
  send(request: RequestSpec): Promise<Answer>;
  close(): void;
}

export interface HttpTransportOptions {
  /** Connections kept open at most; requests past it wait in the agent's queue. */
  maxSockets: number;
  timeoutMs: number;
}

export class HttpTransport implements Transport {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, private readonly options: HttpTransportOptions) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:') throw new Error(`only http:// URLs are supported, got ${baseUrl}`);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' });
  }

  send(spec: RequestSpec): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const payload = spec.body === undefined ? undefined : Buffer.from(JSON.stringify(spec.body));
      const headers: Record<string, string | number> = {};
      if (spec.token) headers.authorization = `Bearer ${spec.token}`;
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      if (spec.idempotencyKey) headers['idempotency-key'] = spec.idempotencyKey;
      let timedOut = false;
      const req = request({ host: this.host, port: this.port, method: spec.method, path: spec.path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(new TransportFailure(timedOut ? 'timeout' : 'network', error.message)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any = text;
          try {
            body = text.length > 0 ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (metrics text)
          }
          const code = typeof body?.error?.code === 'string' ? (body.error.code as string) : undefined;
          resolve({ status: res.statusCode ?? 0, body, ...(code ? { code } : {}) });
        });
      });
      req.setTimeout(this.options.timeoutMs, () => {
        timedOut = true;
        req.destroy(new Error(`no answer in ${this.options.timeoutMs} ms`));
      });
      req.on('error', (error) => reject(new TransportFailure(timedOut ? 'timeout' : 'network', error.message)));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A small client for setup and the audit: one token, answers checked. */
export class ApiClient {
  constructor(readonly transport: Transport, readonly token: string | undefined) {}

  call(method: Method, path: string, body?: unknown, options: { token?: string; idempotencyKey?: string } = {}): Promise<Answer> {
    return this.transport.send({
      method,
      path,
      token: options.token ?? this.token,
      ...(body !== undefined ? { body } : {}),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    });
  }

  /** The answer's body, or an error naming the request and the answer when its status is not expected. */
  async expect(expected: readonly number[], method: Method, path: string, body?: unknown, options: { token?: string } = {}): Promise<any> {
    const answer = await this.call(method, path, body, options);
    if (!expected.includes(answer.status)) {
      throw new Error(`${method} ${path}: expected ${expected.join('/')}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
    return answer.body;
  }
}

/** Runs `work` over `items` with at most `limit` at once; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}
