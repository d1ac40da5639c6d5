// Shows that both transports keep one contract: the same suite runs against MemoryBus (one bus,
// in this process) and NatsBus (two connections to a real nats-server on a random port, so every
// message crosses the wire). Where delivery is asynchronous the tests wait for it; to show that
// something did NOT arrive they send a barrier message after it from the same publisher, since
// each publisher's messages arrive in order.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startNatsServer, type NatsServer } from '../../test/support/nats-server.js';
import { AssertionError } from '../assert.js';
import { EngineError } from '../errors.js';
import { MalformedSubjectError, streamSubject, subjectMatches, subjectToken, type Bus, type BusHeaders, type MessageContext } from './bus.js';
import { MemoryBus } from './memory-bus.js';
import { NatsBus } from './nats-bus.js';

interface Reported {
  error: unknown;
  subject: string;
}

interface Pair {
  /** Publishes in most tests. */
  left: Bus;
  /** Subscribes in most tests. For the in-process transport, the same bus as left. */
  right: Bus;
  /** What the buses reported to onError. */
  reported: Reported[];
  close(): Promise<void>;
}

interface Transport {
  name: string;
  start(): Promise<void>;
  open(options?: { pendingRequestsMax?: number }): Promise<Pair>;
  stop(): Promise<void>;
}

const memory: Transport = {
  name: 'memory',
  start: async () => {},
  open: async (options = {}) => {
    const reported: Reported[] = [];
    const bus = new MemoryBus((error, subject) => reported.push({ error, subject }), options);
    return { left: bus, right: bus, reported, close: () => bus.close() };
  },
  stop: async () => {},
};

let server: NatsServer | undefined;
const nats: Transport = {
  name: 'nats',
  start: async () => {
    server = await startNatsServer();
  },
  open: async (options = {}) => {
    const reported: Reported[] = [];
    const onError = (error: unknown, subject: string): void => {
      reported.push({ error, subject });
    };
    const url = (server as NatsServer).url;
    const left = await NatsBus.connect(url, { name: 'left', onError, ...options });
    const right = await NatsBus.connect(url, { name: 'right', onError, ...options });
    return { left, right, reported, close: async () => void (await Promise.all([left.close(), right.close()])) };
  },
  stop: async () => {
    await server?.stop();
  },
};

async function eventually(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

let barriers = 0;
/** Resolves once everything `from` published before it has reached `to`'s subscriptions. */
async function barrier(from: Bus, to: Bus): Promise<void> {
  const subject = `barrier.${++barriers}`;
  let seen = false;
  const subscription = to.subscribe(subject, () => {
    seen = true;
  });
  await to.flush();
  from.publish(subject, null);
  await eventually(() => seen, subject);
  subscription.unsubscribe();
}

interface Received {
  subject: string;
  message: unknown;
  headers: BusHeaders;
}

function collect(bus: Bus, pattern: string, queue?: string): Received[] {
  const received: Received[] = [];
  bus.subscribe(pattern, (subject, message, context) => void received.push({ subject, message, headers: context.headers }), queue === undefined ? {} : { queue });
  return received;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}

describe.each([memory, nats])('Bus contract on $name', (transport) => {
  let pair: Pair;
  beforeAll(() => transport.start());
  afterAll(() => transport.stop());
  beforeEach(async () => {
    pair = await transport.open();
  });
  afterEach(() => pair.close());

  it('delivers to an exact subscription, and nothing of other subjects', async () => {
    const got = collect(pair.right, 'order.o-1.evt');
    await pair.right.flush();
    pair.left.publish('order.o-2.evt', { n: 0 });
    pair.left.publish('order.o-1.evt', { n: 1 });
    pair.left.publish('order.o-1.evt.more', { n: 2 });
    await barrier(pair.left, pair.right);
    expect(got.map((r) => [r.subject, r.message])).toEqual([['order.o-1.evt', { n: 1 }]]);
  });

  it('matches `*` (one token) and `>` (one or more tokens) as NATS does', async () => {
    const patterns = ['a.*', 'a.>', 'a.*.c', '*.b.c', '>', '*', 'a.b.c'];
    const subjects = ['a', 'a.b', 'a.b.c', 'a.b.c.d', 'x.b.c', 'a.x.c'];
    const got = new Map(patterns.map((pattern) => [pattern, collect(pair.right, pattern)]));
    await pair.right.flush();
    for (const subject of subjects) pair.left.publish(subject, subject);
    await barrier(pair.left, pair.right);
    const seen = (pattern: string): string[] => (got.get(pattern) ?? []).map((r) => r.subject).filter((s) => !s.startsWith('barrier.'));
    for (const pattern of patterns) expect(seen(pattern), pattern).toEqual(subjects.filter((subject) => subjectMatches(pattern, subject)));
    // And subjectMatches itself, spelled out for the less obvious ones.
    expect(seen('a.*')).toEqual(['a.b']);
    expect(seen('a.>')).toEqual(['a.b', 'a.b.c', 'a.b.c.d', 'a.x.c']);
    expect(seen('*.b.c')).toEqual(['a.b.c', 'x.b.c']);
    expect(seen('*')).toEqual(['a']);
    expect(seen('>')).toEqual(subjects);
  });

  it('stops delivering after unsubscribe, leaves other subscriptions alone, and allows a second unsubscribe', async () => {
    const kept: unknown[] = [];
    const dropped: unknown[] = [];
    pair.right.subscribe('node.n1.instructions', (_subject, message) => void kept.push(message));
    const subscription = pair.right.subscribe('node.*.instructions', (_subject, message) => void dropped.push(message));
    await pair.right.flush();
    pair.left.publish('node.n1.instructions', 1);
    await barrier(pair.left, pair.right);
    subscription.unsubscribe();
    subscription.unsubscribe();
    pair.left.publish('node.n1.instructions', 2);
    await barrier(pair.left, pair.right);
    expect(kept).toEqual([1, 2]);
    expect(dropped).toEqual([1]);
  });

  it('hands each message to exactly one member of a queue group, and all of them to the group', async () => {
    const members = [collect(pair.right, 'inv.p1.cmd', 'workers'), collect(pair.right, 'inv.p1.cmd', 'workers'), collect(pair.left, 'inv.*.cmd', 'workers')];
    const auditor = collect(pair.right, 'inv.p1.cmd', 'audit');
    const watcher = collect(pair.right, 'inv.>');
    await Promise.all([pair.left.flush(), pair.right.flush()]);
    const count = 300;
    for (let i = 0; i < count; i++) pair.left.publish('inv.p1.cmd', i);
    const total = (): number => members.reduce((sum, member) => sum + member.length, 0);
    await eventually(() => total() >= count && watcher.length >= count && auditor.length >= count, 'every message');
    await barrier(pair.left, pair.right);
    await barrier(pair.left, pair.left);
    const all = members.flatMap((member) => member.map((r) => r.message as number));
    expect(all.length).toBe(count);
    expect(new Set(all).size).toBe(count);
    // Each member takes a share (NATS picks at random: that one of three gets none of 300 is ~1e-53).
    for (const member of members) expect(member.length).toBeGreaterThan(0);
    expect(auditor.map((r) => r.message)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(watcher.length).toBe(count);
  });

  it('carries msgpack payloads both ways in a request and its reply', async () => {
    const payload = {
      nested: { a: [1, 2, { b: null, c: [[], {}] }], deep: { deeper: { deepest: 'x' } } },
      integer: 42,
      negative: -7,
      float: -1.5,
      large: 2 ** 40,
      text: 'héllo ✓ 日本',
      empty: '',
      yes: true,
      no: false,
      nothing: null,
      list: ['a', 1, null, { k: 'v' }],
      at: new Date(Date.UTC(2026, 0, 5, 12, 0, 0, 123)),
      bytes: Buffer.from([0, 1, 127, 128, 255]),
    };
    pair.right.subscribe('inv.p1.cmd', (subject, message, context) => context.reply({ subject, echo: message, expectsReply: context.expectsReply }));
    await pair.right.flush();
    const reply = await pair.left.request('inv.p1.cmd', payload, { timeoutMs: 5_000 });
    expect(reply).toEqual({ subject: 'inv.p1.cmd', echo: payload, expectsReply: true });
    const echoed = (reply as { echo: typeof payload }).echo;
    expect(echoed.at).toBeInstanceOf(Date);
    expect(Buffer.isBuffer(echoed.bytes)).toBe(true);
    expect(await pair.left.request('inv.p1.cmd', 'just a string', { timeoutMs: 5_000 })).toMatchObject({ echo: 'just a string' });
  });

  it('carries headers on publishes and requests; a message without them has {}', async () => {
    const seen: Array<{ headers: BusHeaders; expectsReply: boolean }> = [];
    pair.right.subscribe('order.*.evt', (_subject, _message, context) => {
      seen.push({ headers: { ...context.headers }, expectsReply: context.expectsReply });
      context.reply('ok');
    });
    await pair.right.flush();
    const headers = { 'Idempotency-Key': 'cart-42', 'x-trace-id': 'abc-123', Empty: '' };
    pair.left.publish('order.o1.evt', 1, { headers });
    pair.left.publish('order.o2.evt', 2);
    expect(await pair.left.request('order.o3.evt', 3, { timeoutMs: 5_000, headers: { 'Idempotency-Key': 'k-3' } })).toBe('ok');
    await barrier(pair.left, pair.right);
    expect(seen).toEqual([
      { headers, expectsReply: false },
      { headers: {}, expectsReply: false },
      { headers: { 'Idempotency-Key': 'k-3' }, expectsReply: true },
    ]);
  });

  it('fails a request no one subscribes to at once, with UNAVAILABLE (no-responders)', async () => {
    const started = performance.now();
    const error = await failure(pair.left.request('inv.nobody.cmd', {}, { timeoutMs: 10_000 }));
    const elapsedMs = performance.now() - started;
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 1, details: { reason: 'no-responders', subject: 'inv.nobody.cmd' } });
    expect(elapsedMs).toBeLessThan(1_000);
  });

  it('fails a request no one answers after its timeout, with UNAVAILABLE (timeout)', async () => {
    pair.right.subscribe('inv.silent.cmd', () => {});
    await pair.right.flush();
    const started = performance.now();
    const error = await failure(pair.left.request('inv.silent.cmd', {}, { timeoutMs: 150 }));
    const elapsedMs = performance.now() - started;
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 1, details: { reason: 'timeout', subject: 'inv.silent.cmd', timeoutMs: 150 } });
    expect(elapsedMs).toBeGreaterThanOrEqual(140);
    expect(elapsedMs).toBeLessThan(2_000);
  });

  it('answers a request from an async handler, takes the first of several replies, and lets a queue group answer once', async () => {
    pair.right.subscribe('inv.slow.cmd', async (_subject, message, context) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      context.reply({ doubled: (message as number) * 2 });
      context.reply('a second reply is ignored');
    });
    let answered = 0;
    for (const name of ['first', 'second']) {
      pair.right.subscribe('inv.many.cmd', (_subject, _message, context) => {
        answered++;
        context.reply(name);
      });
    }
    const groupAnswers: string[] = [];
    for (const name of ['g1', 'g2', 'g3']) {
      pair.right.subscribe(
        'inv.group.cmd',
        (_subject, _message, context) => {
          groupAnswers.push(name);
          context.reply(name);
        },
        { queue: 'responders' },
      );
    }
    await pair.right.flush();
    expect(await pair.left.request('inv.slow.cmd', 21, { timeoutMs: 5_000 })).toEqual({ doubled: 42 });
    expect(['first', 'second']).toContain(await pair.left.request('inv.many.cmd', null, { timeoutMs: 5_000 }));
    await eventually(() => answered === 2, 'both responders');
    for (let i = 0; i < 10; i++) expect(['g1', 'g2', 'g3']).toContain(await pair.left.request('inv.group.cmd', i, { timeoutMs: 5_000 }));
    expect(groupAnswers.length).toBe(10);
  });

  it('keeps a failing handler (thrown or rejected) from disturbing the others, and reports it', async () => {
    const got: unknown[] = [];
    pair.right.subscribe('order.*.evt', () => {
      throw new Error('sync failure');
    });
    pair.right.subscribe('order.*.evt', async () => {
      throw new Error('async failure');
    });
    pair.right.subscribe('order.*.evt', (_subject, message) => void got.push(message));
    pair.right.subscribe('inv.p1.cmd', () => {
      throw new Error('responder failure');
    });
    pair.right.subscribe('inv.p1.cmd', (_subject, message, context) => context.reply(message));
    await pair.right.flush();
    for (let i = 0; i < 3; i++) pair.left.publish(`order.o${i}.evt`, i);
    expect(await pair.left.request('inv.p1.cmd', 'still answered', { timeoutMs: 5_000 })).toBe('still answered');
    await barrier(pair.left, pair.right);
    await eventually(() => pair.reported.length >= 7, 'the reports');
    expect(got).toEqual([0, 1, 2]);
    const messages = pair.reported.map((r) => (r.error as Error).message).sort();
    expect(messages).toEqual([...Array(3).fill('async failure'), 'responder failure', ...Array(3).fill('sync failure')]);
    expect(pair.reported.filter((r) => r.subject === 'inv.p1.cmd').length).toBe(1);
  });

  it("keeps each publisher's order", async () => {
    const count = 2_000;
    const got: Array<{ from: string; seq: number }> = [];
    pair.right.subscribe('stream.>', (_subject, message) => void got.push(message as { from: string; seq: number }));
    await pair.right.flush();
    for (let seq = 0; seq < count; seq++) {
      pair.left.publish(`stream.order.o${seq % 7}`, { from: 'left', seq });
      pair.right.publish(`stream.sku.s${seq % 5}`, { from: 'right', seq });
    }
    await eventually(() => got.length >= 2 * count, 'every message');
    for (const from of ['left', 'right']) {
      expect(got.filter((m) => m.from === from).map((m) => m.seq)).toEqual(Array.from({ length: count }, (_, i) => i));
    }
  });

  it('refuses malformed subjects, patterns, queue names, headers and timeouts', async () => {
    const handler = (): void => {};
    for (const pattern of ['', 'a..b', '.a', 'a.', 'a.>.b', 'a.b*', 'a.>x', 'has space', 'tab\there']) {
      expect(() => pair.right.subscribe(pattern, handler), pattern).toThrow(AssertionError);
    }
    expect(() => pair.right.subscribe('a.b', handler, { queue: '' })).toThrow(AssertionError);
    expect(() => pair.right.subscribe('a.b', handler, { queue: 'two words' })).toThrow(AssertionError);
    expect(() => pair.right.subscribe('a'.repeat(300), handler)).toThrow(AssertionError);
    for (const subject of ['a.*', 'a.>', '', 'a..b']) {
      expect(await failure(pair.left.request(subject, null, { timeoutMs: 100 })), subject).toBeInstanceOf(AssertionError);
    }
    for (const timeoutMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await failure(pair.left.request('a.b', null, { timeoutMs })), String(timeoutMs)).toBeInstanceOf(AssertionError);
    }
    expect(() => pair.left.publish('a.b', null, { headers: { 'bad name': 'x' } })).toThrow(AssertionError);
    expect(() => pair.left.publish('a.b', null, { headers: { ok: 'line\r\nbreak' } })).toThrow(AssertionError);
    const tooMany = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`h${i}`, 'v']));
    expect(() => pair.left.publish('a.b', null, { headers: tooMany })).toThrow(AssertionError);
  });

  it('drops a publish to a malformed subject (an id with a stray dot) and reports it instead of throwing', async () => {
    const got = collect(pair.right, 'node.>');
    await pair.right.flush();
    expect(() => pair.left.publish('node.a..b.instructions', 1)).not.toThrow();
    expect(() => pair.left.publish('node.*', 2)).not.toThrow();
    pair.left.publish(`node.${subjectToken('a..b')}.instructions`, 3);
    await barrier(pair.left, pair.right);
    expect(got.filter((r) => !r.subject.startsWith('barrier')).map((r) => r.message)).toEqual([3]);
    expect(pair.reported.map((r) => r.error)).toEqual([expect.any(MalformedSubjectError), expect.any(MalformedSubjectError)]);
  });

  it('after close: publishes are dropped, requests fail UNAVAILABLE (closed), subscribe throws, close again is fine', async () => {
    const held: MessageContext[] = [];
    pair.right.subscribe('inv.hold.cmd', (_subject, _message, context) => void held.push(context));
    await pair.right.flush();
    const waiting = failure(pair.left.request('inv.hold.cmd', null, { timeoutMs: 10_000 }));
    await eventually(() => held.length === 1, 'the request');
    const started = performance.now();
    await pair.left.close();
    expect(await waiting).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'closed' } });
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(() => pair.left.publish('a.b', 1)).not.toThrow();
    expect(await failure(pair.left.request('inv.hold.cmd', null, { timeoutMs: 1_000 }))).toMatchObject({ code: 'UNAVAILABLE', details: { reason: 'closed' } });
    expect(() => pair.left.subscribe('a.b', () => {})).toThrow(AssertionError);
    await pair.left.close();
    await pair.left.flush();
  });
});

describe.each([memory, nats])('Bus bound on waiting requests on $name', (transport) => {
  beforeAll(() => transport.start());
  afterAll(() => transport.stop());

  it('answers OVERLOADED past pendingRequestsMax, and takes requests again once replies come', async () => {
    const pair = await transport.open({ pendingRequestsMax: 4 });
    try {
      const held: MessageContext[] = [];
      pair.right.subscribe('inv.p1.cmd', (_subject, _message, context) => void held.push(context));
      pair.right.subscribe('inv.p2.cmd', (_subject, message, context) => context.reply(message));
      await pair.right.flush();
      const waiting = [0, 1, 2, 3].map((i) => pair.left.request('inv.p1.cmd', i, { timeoutMs: 10_000 }));
      await eventually(() => held.length === 4, 'four requests held');
      const error = await failure(pair.left.request('inv.p2.cmd', 'fifth', { timeoutMs: 10_000 }));
      expect(error).toBeInstanceOf(EngineError);
      expect(error).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 1, details: { pendingRequestsMax: 4 } });
      held.forEach((context, i) => context.reply(`answer ${i}`));
      expect(await Promise.all(waiting)).toEqual(['answer 0', 'answer 1', 'answer 2', 'answer 3']);
      expect(await pair.left.request('inv.p2.cmd', 'sixth', { timeoutMs: 10_000 })).toBe('sixth');
    } finally {
      await pair.close();
    }
  });
});

describe('subjects', () => {
  it('turns stream topics into subjects with the id as one token', () => {
    expect(streamSubject('order:ord_1')).toBe('stream.order.ord_1');
    expect(streamSubject('sku:SKU.RED.MUG')).toBe('stream.sku.SKU%2ERED%2EMUG');
    expect(streamSubject('orders')).toBe('stream.orders._');
  });

  it('escapes any id into exactly one token, distinct ids into distinct tokens', () => {
    const ids = ['a', 'a.b', 'a..b', '.', '', '*', '>', 'a b', 'wh:1', '%', '%2E', 'ü'];
    const tokens = ids.map(subjectToken);
    for (const token of tokens) expect(token).toMatch(/^[^.*>\s]+$/);
    expect(new Set(tokens).size).toBe(ids.length);
  });

  it('matches patterns the NATS way, at the boundaries too', () => {
    const cases: Array<[string, string, boolean]> = [
      ['a', 'a', true],
      ['a', 'b', false],
      ['>', 'a', true],
      ['>', 'a.b', true],
      ['a.>', 'a', false],
      ['a.>', 'a.b', true],
      ['*', 'a.b', false],
      ['a.*', 'a', false],
      ['a.*.c', 'a.b.c', true],
      ['a.*.c', 'a.b.d', false],
      ['*.*', 'a.b', true],
    ];
    for (const [pattern, subject, expected] of cases) expect(subjectMatches(pattern, subject), `${pattern} ~ ${subject}`).toBe(expected);
  });
});
