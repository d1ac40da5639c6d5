// Shows what only the NATS transport has to get right, on real nats-servers started by the test
// fixture: the wire format (msgpack, NATS headers) as another NATS client sees it, connection
// failures, the server's payload limit, a close that drains, a server that dies, and a 3-server
// cluster (routes on loopback) carrying requests, queue groups and publishes between servers.
// Also the fixture itself: a missing nats-server, JetStream, cleanup.
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect, headers as natsHeaders } from '@nats-io/transport-node';
import { unpack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsServerMissingError, startNatsCluster, startNatsServer, type NatsServer } from '../../test/support/nats-server.js';
import { AssertionError } from '../assert.js';
import { EngineError } from '../errors.js';
import type { MessageContext } from './bus.js';
import { decodePayload, encodePayload, NatsBus } from './nats-bus.js';

async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

/** True when answered; false on UNAVAILABLE; anything else is a failure of the test. */
async function answered(request: Promise<unknown>): Promise<boolean> {
  try {
    await request;
    return true;
  } catch (error) {
    if (error instanceof EngineError && error.code === 'UNAVAILABLE') return false;
    throw error;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

describe('NatsBus on one server', () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.stop());

  it('sends plain msgpack with NATS headers, readable by any NATS client, and reads what they send', async () => {
    const raw = await connect({ servers: server.url });
    const bus = await NatsBus.connect(server.url, { name: 'wire' });
    try {
      const seen: Array<{ data: Uint8Array; key: string | undefined }> = [];
      raw.subscribe('order.o1.evt', { callback: (_error, msg) => void seen.push({ data: msg.data, key: msg.headers?.get('Idempotency-Key') }) });
      await raw.flush();
      bus.publish('order.o1.evt', { type: 'order.shipped', at: 5 }, { headers: { 'Idempotency-Key': 'k1' } });
      await eventually(() => seen.length === 1, 'the raw subscriber');
      expect(unpack(seen[0].data)).toEqual({ type: 'order.shipped', at: 5 });
      expect(seen[0].key).toBe('k1');

      const got: Array<{ message: unknown; trace: string | undefined }> = [];
      bus.subscribe('order.*.cmd', (_subject, message, context) => void got.push({ message, trace: context.headers['x-trace'] }));
      await bus.flush();
      const headers = natsHeaders();
      headers.set('x-trace', 't-1');
      raw.publish('order.o2.cmd', encodePayload({ op: 'cancel' }), { headers });
      await eventually(() => got.length === 1, 'the bus subscriber');
      expect(got[0]).toEqual({ message: { op: 'cancel' }, trace: 't-1' });
      expect(decodePayload(encodePayload([null, 'x', 1.25]))).toEqual([null, 'x', 1.25]);
    } finally {
      await bus.close();
      await raw.close();
    }
  });

  it('reports a message it cannot decode (a foreign publisher) and goes on with the next', async () => {
    const raw = await connect({ servers: server.url });
    const reported: unknown[] = [];
    const bus = await NatsBus.connect(server.url, { name: 'decode', onError: (error) => void reported.push(error) });
    try {
      const got: unknown[] = [];
      bus.subscribe('inv.p1.cmd', (_subject, message) => void got.push(message));
      await bus.flush();
      raw.publish('inv.p1.cmd', new Uint8Array([0x92, 0x01])); // an array of two holding one element
      raw.publish('inv.p1.cmd', new Uint8Array());
      raw.publish('inv.p1.cmd', encodePayload('fine'));
      await eventually(() => got.length === 1 && reported.length === 2, 'the good message and two reports');
      expect(got).toEqual(['fine']);
    } finally {
      await bus.close();
      await raw.close();
    }
  });

  it('fails to connect with UNAVAILABLE (connect), naming the server without its credentials', async () => {
    const port = await freePort();
    const started = performance.now();
    const error = await failure(NatsBus.connect(`nats://ops:s3cret@127.0.0.1:${port}`, { name: 'nowhere', connectTimeoutMs: 2_000 }));
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'connect', url: `nats://127.0.0.1:${port}` } });
    expect(JSON.stringify((error as EngineError).details)).not.toContain('s3cret');
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a bound that is not a positive integer before it connects', async () => {
    for (const pendingRequestsMax of [0, -1, 1.5]) {
      expect(await failure(NatsBus.connect(server.url, { name: 'bad', pendingRequestsMax })), String(pendingRequestsMax)).toBeInstanceOf(AssertionError);
    }
  });

  it("refuses a message over the server's max_payload: PAYLOAD_TOO_LARGE for a request, a report for a publish", async () => {
    const reported: unknown[] = [];
    const bus = await NatsBus.connect(server.url, { name: 'big', onError: (error) => void reported.push(error) });
    try {
      bus.subscribe('inv.p1.cmd', (_subject, message, context) => context.reply((message as Buffer).length));
      await bus.flush();
      const big = Buffer.alloc(bus.maxPayloadBytes + 1);
      expect(await failure(bus.request('inv.p1.cmd', big, { timeoutMs: 2_000 }))).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', details: { bytesMax: bus.maxPayloadBytes } });
      expect(() => bus.publish('inv.p1.cmd', big)).not.toThrow();
      expect(reported).toEqual([expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' })]);
      expect(await bus.request('inv.p1.cmd', Buffer.alloc(1000), { timeoutMs: 2_000 })).toBe(1000);
    } finally {
      await bus.close();
    }
  });

  it('drains on close: a handler in flight still gets its reply out, and everything published before close arrives', async () => {
    const left = await NatsBus.connect(server.url, { name: 'left' });
    const right = await NatsBus.connect(server.url, { name: 'right' });
    const third = await NatsBus.connect(server.url, { name: 'third' });
    try {
      let started = false;
      right.subscribe('inv.slow.cmd', async (_subject, message, context) => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 200));
        context.reply({ done: message });
      });
      await right.flush();
      const answer = left.request('inv.slow.cmd', 7, { timeoutMs: 5_000 });
      await eventually(() => started, 'the slow handler');
      await right.close();
      expect(await answer).toEqual({ done: 7 });

      const count = 5_000;
      let got = 0;
      third.subscribe('stream.>', () => void got++);
      await third.flush();
      for (let i = 0; i < count; i++) left.publish(`stream.order.o${i % 10}`, { i, padding: 'x'.repeat(100) });
      await left.close();
      await eventually(() => got === count, 'every message published before close');
    } finally {
      await Promise.all([left.close(), right.close(), third.close()]);
    }
  });
});

describe('NatsBus when the server dies', () => {
  it('fails requests with UNAVAILABLE instead of hanging, drops publishes, and still closes promptly', async () => {
    const server = await startNatsServer();
    const reported: unknown[] = [];
    const bus = await NatsBus.connect(server.url, { name: 'orphan', closeTimeoutMs: 1_000, onError: (error) => void reported.push(error) });
    const held: MessageContext[] = [];
    bus.subscribe('inv.p1.cmd', (_subject, _message, context) => void held.push(context));
    await bus.flush();
    const waiting = failure(bus.request('inv.p1.cmd', 1, { timeoutMs: 500 }));
    await eventually(() => held.length === 1, 'the request');
    await server.kill();
    expect(existsSync(server.dir)).toBe(false);
    expect(await waiting).toMatchObject({ code: 'UNAVAILABLE', details: { reason: expect.stringMatching(/^(timeout|disconnected)$/) } });
    expect(() => bus.publish('stream.order.o1', 1)).not.toThrow();
    expect(await failure(bus.request('inv.p1.cmd', 2, { timeoutMs: 300 }))).toMatchObject({ code: 'UNAVAILABLE' });
    const closing = performance.now();
    await bus.close();
    expect(performance.now() - closing).toBeLessThan(3_000);
  });
});

describe('NatsBus on a 3-server cluster', () => {
  it('carries requests, queue groups and publishes between servers', async () => {
    const cluster = await startNatsCluster(3);
    const buses = await Promise.all(cluster.urls.map((url, i) => NatsBus.connect(url, { name: `n${i + 1}` })));
    try {
      const [first, second, third] = buses;
      const answeredBy: string[] = [];
      for (const [name, bus] of [['n1', first], ['n2', second]] as const) {
        bus.subscribe(
          'inv.*.cmd',
          (subject, message, context) => {
            answeredBy.push(name);
            context.reply({ by: name, subject, message });
          },
          { queue: 'inventory' },
        );
      }
      const events: unknown[] = [];
      first.subscribe('order.>', (_subject, message) => void events.push(message));
      await Promise.all(buses.map((bus) => bus.flush()));
      // Interest crosses the routes a moment after the flush: retry while no one is known there.
      const deadline = Date.now() + 10_000;
      while (!(await answered(third.request('inv.p0.cmd', 'probe', { timeoutMs: 1_000 })))) {
        if (Date.now() > deadline) throw new Error('no route to the responders');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await eventually(() => answeredBy.includes('n1') || answeredBy.includes('n2'), 'a responder');
      answeredBy.length = 0;
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => third.request(`inv.p${i % 4}.cmd`, i, { timeoutMs: 5_000 })));
      expect(answers.map((a) => (a as { message: number }).message)).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(answeredBy.length).toBe(60);
      // The first server's interest in order.> crosses the routes on its own: until the third
      // server knows of it, what is published there is dropped. Probe until one arrives.
      const probeDeadline = Date.now() + 10_000;
      while (!events.includes('probe')) {
        if (Date.now() > probeDeadline) throw new Error('no route to the subscriber');
        third.publish('order.probe.evt', 'probe');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const published = () => events.filter((event) => event !== 'probe');
      for (let i = 0; i < 20; i++) third.publish(`order.o${i}.evt`, i);
      await eventually(() => published().length === 20, 'the events on the first server');
      expect(published()).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await Promise.all(buses.map((bus) => bus.close()));
      await cluster.stop();
    }
  });
});

describe('the nats-server fixture', () => {
  it('says how to install nats-server when it is missing', async () => {
    const error = await failure(startNatsServer({ command: 'nats-server-that-is-not-installed' }));
    expect(error).toBeInstanceOf(NatsServerMissingError);
    expect((error as Error).message).toContain('apt-get install nats-server');
  });

  it('runs JetStream with its store in a temp dir, removed on stop', async () => {
    const server = await startNatsServer({ jetstream: true });
    const raw = await connect({ servers: server.url });
    try {
      expect(raw.info?.jetstream).toBe(true);
      expect(existsSync(server.dir)).toBe(true);
    } finally {
      await raw.close();
      await server.stop();
    }
    expect(existsSync(server.dir)).toBe(false);
    await server.stop();
  });
});
