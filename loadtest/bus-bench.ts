import { cpus, totalmem } from 'node:os';
import type { Bus } from '../engine/bus/bus.js';
import { MemoryBus } from '../engine/bus/memory-bus.js';
import { NatsBus } from '../engine/bus/nats-bus.js';
import { median } from './stats.js';
import { startNatsServer, type NatsServer } from '../test/support/nats-server.js';

// `npm run bench:bus`: what a message costs on each transport, MemoryBus against NatsBus over a
// local nats-server (OO_NATS_URL, or one started on a free loopback port). For NATS the requester
// and the responder are two connections, as two processes would have, though both run on this
// process's event loop (so a NATS figure pays both sides' client work). Per round:
//   - request/reply round trip, one at a time: median and p99 latency
//   - request/reply with a window of requests in flight: replies per second
//   - publish to one subscriber on another connection: messages per second until all arrived
// Prints the medians of the rounds (BUS_BENCH_ROUNDS, default 3) as a Markdown table; writes nothing.

const rounds = Number(process.env.BUS_BENCH_ROUNDS ?? 3);
const roundTrips = Number(process.env.BUS_BENCH_ROUND_TRIPS ?? 5_000);
const windowed = Number(process.env.BUS_BENCH_WINDOWED ?? 50_000);
const windowSize = 100;
const publishes = Number(process.env.BUS_BENCH_PUBLISHES ?? 200_000);

/** A message the size of a stream event (about 200 bytes as msgpack). */
const event = {
  topic: 'order:ord_0mx1a12ob8adaeac5a719d53e',
  seq: 17,
  type: 'reservation.held',
  at: 1_795_922_724_877,
  data: { reservationId: 'rsv_0mx1a12ob8adaeac5a719d53e', lines: [{ sku: 'SKU-RED-MUG', qty: 2, nodeId: 'wh-chicago' }], expiresAt: '2026-12-05T03:11:36.678Z' },
};

interface Pair {
  requester: Bus;
  responder: Bus;
  close(): Promise<void>;
}

interface Round {
  roundTripP50Us: number;
  roundTripP99Us: number;
  windowedPerSecond: number;
  publishPerSecond: number;
}

async function measure(pair: Pair): Promise<Round> {
  const { requester, responder } = pair;
  const echo = responder.subscribe('inv.p1.cmd', (_subject, message, context) => context.reply(message));
  let received = 0;
  let allReceived: (() => void) | undefined;
  const sink = responder.subscribe('stream.order.*', () => {
    if (++received === publishes) allReceived?.();
  });
  await responder.flush();

  for (let i = 0; i < 1_000; i++) await requester.request('inv.p1.cmd', event, { timeoutMs: 5_000 });
  const latenciesUs: number[] = [];
  for (let i = 0; i < roundTrips; i++) {
    const started = performance.now();
    await requester.request('inv.p1.cmd', event, { timeoutMs: 5_000 });
    latenciesUs.push((performance.now() - started) * 1000);
  }
  latenciesUs.sort((a, b) => a - b);

  let sent = 0;
  const windowStarted = performance.now();
  await Promise.all(
    Array.from({ length: windowSize }, async () => {
      while (sent < windowed) {
        sent++;
        await requester.request('inv.p1.cmd', event, { timeoutMs: 5_000 });
      }
    }),
  );
  const windowedPerSecond = windowed / ((performance.now() - windowStarted) / 1000);

  const done = new Promise<void>((resolve) => (allReceived = resolve));
  const publishStarted = performance.now();
  for (let i = 0; i < publishes; i++) {
    requester.publish('stream.order.o1', event);
    // Let the subscriber and the socket work now and then, as a server's event loop would.
    if (i % 10_000 === 9_999) await new Promise((resolve) => setImmediate(resolve));
  }
  await done;
  const publishPerSecond = publishes / ((performance.now() - publishStarted) / 1000);

  echo.unsubscribe();
  sink.unsubscribe();
  return {
    roundTripP50Us: quantile(latenciesUs, 0.5),
    roundTripP99Us: quantile(latenciesUs, 0.99),
    windowedPerSecond,
    publishPerSecond,
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}


async function memoryPair(): Promise<Pair> {
  const bus = new MemoryBus();
  return { requester: bus, responder: bus, close: () => bus.close() };
}

async function natsPair(url: string): Promise<Pair> {
  const requester = await NatsBus.connect(url, { name: 'bench-requester' });
  const responder = await NatsBus.connect(url, { name: 'bench-responder' });
  return { requester, responder, close: async () => void (await Promise.all([requester.close(), responder.close()])) };
}

async function run(name: string, open: () => Promise<Pair>): Promise<Round[]> {
  const results: Round[] = [];
  for (let round = 0; round < rounds; round++) {
    const pair = await open();
    try {
      results.push(await measure(pair));
    } finally {
      await pair.close();
    }
    process.stderr.write(`${name} round ${round + 1}/${rounds} done\n`);
  }
  return results;
}

function row(label: string, memory: number[], nats: number[], digits: number): string {
  const format = (values: number[]): string => median(values).toFixed(digits);
  const all = (values: number[]): string => values.map((v) => v.toFixed(digits)).join(', ');
  return `| ${label} | ${format(memory)} | ${format(nats)} | ${all(memory)} / ${all(nats)} |`;
}

async function main(): Promise<void> {
  let server: NatsServer | undefined;
  const url = process.env.OO_NATS_URL ?? (server = await startNatsServer()).url;
  try {
    const memory = await run('memory', memoryPair);
    const nats = await run('nats', () => natsPair(url));
    const pick = (results: Round[], key: keyof Round): number[] => results.map((r) => r[key]);
    const lines = [
      `Command: \`npm run bench:bus\` (BUS_BENCH_ROUNDS=${rounds}, ${roundTrips} round trips, ${windowed} requests ${windowSize} in flight, ${publishes} publishes, ~${Buffer.byteLength(JSON.stringify(event))} B JSON event); ` +
        `nats-server ${server ? 'started on loopback by the fixture' : `at ${url}`}; machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}. Medians of ${rounds} rounds.`,
      '',
      '| measure | MemoryBus | NatsBus | rounds (memory / nats) |',
      '| --- | --- | --- | --- |',
      row('request/reply round trip p50, µs', pick(memory, 'roundTripP50Us'), pick(nats, 'roundTripP50Us'), 1),
      row('request/reply round trip p99, µs', pick(memory, 'roundTripP99Us'), pick(nats, 'roundTripP99Us'), 1),
      row(`request/reply, ${windowSize} in flight, replies/s`, pick(memory, 'windowedPerSecond'), pick(nats, 'windowedPerSecond'), 0),
      row('publish to one subscriber, messages/s', pick(memory, 'publishPerSecond'), pick(nats, 'publishPerSecond'), 0),
    ];
    console.log(lines.join('\n'));
  } finally {
    await server?.stop();
  }
}

await main();
