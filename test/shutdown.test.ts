// Shows a graceful shutdown on SIGTERM, on the built engine (`dist/engine/main.js`, as `npm start`
// runs it) in a child process, with raw TCP HTTP clients and a real `ws` stream client: a request
// whose body is still arriving when SIGTERM lands is answered (201) and is durable (there after a
// restart); meanwhile the listen socket is closed (new connections refused) and a new request on
// an open keep-alive connection gets 503 UNAVAILABLE with Retry-After, and /healthz answers 503
// `stopping`; the stream is closed with 1001; the process exits with code 0.
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { call, startEngineProcess, tempDir, type EngineProcess } from './support/fixtures.js';
import { StreamClient } from './support/stream-client.js';

const dir = tempDir('oo-shutdown-');
const running: EngineProcess[] = [];
afterAll(async () => {
  for (const engine of running) if (engine.child.exitCode === null && engine.child.signalCode === null) await engine.kill9();
  dir.remove();
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads one HTTP/1.1 response (with Content-Length) from the socket. */
function readResponse(socket: Socket, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => done(new Error(`no full response in ${timeoutMs} ms: ${buffered.toString()}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buffered.subarray(0, end).toString().split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length'] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const text = buffered.subarray(end + 4, end + 4 + length).toString();
      done(undefined, { status: Number(statusLine.split(' ')[1]), headers, body: text ? JSON.parse(text) : undefined });
    };
    const onEnd = (): void => done(new Error(`connection closed before a full response: ${buffered.toString()}`));
    function done(error: Error | undefined, response?: RawResponse): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      if (error) reject(error);
      else resolve(response!);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
  });
}

const head = (method: string, path: string, token: string, extra = ''): string =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`;

function waitForLine(engine: EngineProcess, text: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no log line with ${text}`)), timeoutMs);
    engine.child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

describe('SIGTERM', () => {
  it('answers what is in flight, refuses what is new, closes streams with 1001, and exits 0', async () => {
    const engine = await startEngineProcess(dir.path);
    running.push(engine);
    const { url, tokens, port } = engine;
    expect((await call(url, tokens.ops, 'PUT', '/v1/nodes/sd-wh', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } })).status).toBe(201);
    expect((await call(url, tokens.ops, 'PUT', '/v1/inventory/sd-wh/SD-SKU', { onHand: 5 })).status).toBe(200);

    const stream = await StreamClient.open(`ws://127.0.0.1:${port}/v1/stream?token=${tokens.viewer}`);
    expect(await stream.subscribe(['orders', 'sku:SD-SKU'])).toMatchObject({ op: 'subscribed' });

    // Keep-alive connections, used once.
    const idle = await openSocket(port);
    idle.write(head('GET', '/v1/nodes', tokens.viewer));
    expect((await readResponse(idle)).status).toBe(200);
    const probe = await openSocket(port);
    probe.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await readResponse(probe)).toMatchObject({ status: 200, body: { status: 'ok' } });

    // A request in flight: headers and half of the body sent.
    const body = JSON.stringify({ customerId: 'c-sd', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'SD-SKU', qty: 2 }] });
    const inflight = await openSocket(port);
    const answered = readResponse(inflight);
    inflight.write(head('POST', '/v1/reservations', tokens.checkout, `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`) + body.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));

    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => engine.child.once('exit', (code, signal) => resolve({ code, signal })));
    const shuttingDown = waitForLine(engine, '"msg":"shutting down"');
    engine.child.kill('SIGTERM');
    await shuttingDown;

    // No new connections.
    await expect(openSocket(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // A new request on an open connection: 503, come back later.
    idle.write(head('GET', '/v1/nodes', tokens.viewer));
    const refused = await readResponse(idle);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('UNAVAILABLE');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A load balancer's health probe learns to send nothing more.
    probe.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await readResponse(probe)).toMatchObject({ status: 503, body: { status: 'stopping' } });
    expect(stream.closed).toBeUndefined();

    // The request in flight finishes and is answered.
    inflight.write(body.slice(20));
    const answer = await answered;
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ status: 'held', allocations: [{ sku: 'SD-SKU', qty: 2, nodeId: 'sd-wh' }] });

    expect((await stream.waitForClose(10_000)).code).toBe(1001);
    expect(await exited).toEqual({ code: 0, signal: null });
    idle.destroy();
    probe.destroy();
    inflight.destroy();

    // What was answered is on disk.
    const again = await startEngineProcess(dir.path);
    running.push(again);
    const held = await call(again.url, again.tokens.ops, 'GET', `/v1/reservations/${answer.body.reservationId}`);
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ reservationId: answer.body.reservationId, status: 'held' });
    const inventory = await call(again.url, again.tokens.ops, 'GET', '/v1/inventory/SD-SKU');
    expect(inventory.body.nodes[0]).toMatchObject({ onHand: 5, reserved: 2, available: 3 });
    await again.stop();
    expect(again.child.exitCode).toBe(0);
  });
});
