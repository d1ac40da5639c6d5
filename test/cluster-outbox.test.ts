// Shows the outbox on real LMDB and a real nats-server. An engine whose events were committed but
// never relayed (as when it dies between its write and its publish) has them published by the
// relay when its ledger is opened again, in order, fulfillment instructions included, and the
// outbox is emptied of what was sent. And a gateway that hears an event twice (a relay repeating itself after a
// crash) passes it on once, while a node topic fed by two partitions still rises by one.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoredEvent } from '../engine/ledger.js';
import { MemoryBus } from '../engine/bus/memory-bus.js';
import { NatsBus } from '../engine/bus/nats-bus.js';
import { OutboxRelay, withOutbox } from '../engine/cluster/outbox.js';
import { GatewayStreamBus, PartitionBus, StreamSeqs } from '../engine/cluster/stream-seqs.js';
import { Engine } from '../engine/engine.js';
import { silentLogger } from '../engine/logger.js';
import { LmdbLedger } from '../storage/lmdb-ledger.js';
import { tempDir } from './support/fixtures.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';

let nats: NatsServer;
let dir: ReturnType<typeof tempDir>;
let bus: NatsBus;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir('oo-outbox-');
  bus = await NatsBus.connect(nats.url, { name: 'outbox-test' });
});
afterAll(async () => {
  await bus?.close();
  await nats?.stop();
  dir?.remove();
});

it('publishes after a restart what was committed and never relayed', async () => {
  const path = join(dir.path, 'ledger');
  const heard: Array<{ subject: string; message: any; partition: string | undefined }> = [];
  bus.subscribe('stream.>', (subject, message, context) => heard.push({ subject, message, partition: context.headers['oo-partition'] }));
  bus.subscribe('node.*.instructions', (subject, message, context) => heard.push({ subject, message, partition: context.headers['oo-partition'] }));
  await bus.flush();

  // The engine commits; no relay runs (it "died" before publishing).
  const ledger = new LmdbLedger({ path });
  const engine = new Engine({ ledger: withOutbox(ledger), bus: new PartitionBus(bus), idPrefix: 'p0-', logger: silentLogger });
  await engine.start();
  await engine.putNode('wh-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } } as never);
  await engine.setStock('wh-1', 'SKU-1', { onHand: 5 });
  const order = await engine.createOrder({ customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'SKU-1', qty: 2 }] });
  await new Promise((r) => setTimeout(r, 50)); // the per-SKU inventory.changed is staged a turn later
  await engine.stop();
  await ledger.close();
  await bus.flush();
  await new Promise((r) => setTimeout(r, 200));
  expect(heard).toEqual([]);

  // Opened again: the relay publishes what was left, then the outbox is empty.
  const reopened = new LmdbLedger({ path });
  const relay = new OutboxRelay(reopened, bus, 0, silentLogger);
  relay.start();
  const orderId = order.body.orderId;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && !heard.some((h) => h.subject.endsWith('.instructions'))) await new Promise((r) => setTimeout(r, 20));
  const orderEvents = heard.filter((h) => h.message?.topic === `order:${orderId}`).map((h) => [h.message.seq, h.message.type]);
  expect(orderEvents.map(([, type]) => type)).toEqual(expect.arrayContaining(['reservation.held', 'order.released']));
  orderEvents.forEach(([seq], i) => expect(seq).toBe(i + 1));
  expect(heard.some((h) => h.message?.topic === 'node:wh-1' && h.message.type === 'node.created')).toBe(true);
  expect(heard.some((h) => h.message?.topic === 'sku:SKU-1' && h.message.type === 'inventory.changed')).toBe(true);
  expect(heard.find((h) => h.subject === 'node.wh-1.instructions')?.message).toMatchObject({ type: 'order.released', orderId, lines: [{ sku: 'SKU-1', qty: 2 }] });
  expect(heard.every((h) => h.partition === '0')).toBe(true);
  // What was sent is deleted (once a second, and when the relay stops).
  expect(reopened.readOutbox(0, 100).length).toBeGreaterThan(0);
  relay.stop();
  await reopened.durable();
  expect(reopened.readOutbox(0, 10)).toEqual([]);
  await reopened.close();
});

it('passes a repeated event on once, and numbers a node topic fed by two partitions by one', async () => {
  const memory = new MemoryBus();
  const gatewayBus = new GatewayStreamBus(memory, new StreamSeqs());
  const seen: StoredEvent[] = [];
  gatewayBus.subscribe('stream.>', (_subject, message) => seen.push(message as StoredEvent));
  const event = (topic: string, seq: number, type = 'order.released'): StoredEvent => ({ topic, seq, type, at: 0, data: {} });
  const from = (partition: string) => ({ headers: { 'oo-partition': partition } });
  memory.publish('stream.sku.A', event('sku:A', 1, 'inventory.changed'), from('2'));
  memory.publish('stream.sku.A', event('sku:A', 2, 'inventory.changed'), from('2'));
  memory.publish('stream.sku.A', event('sku:A', 2, 'inventory.changed'), from('2')); // a relay repeating itself
  memory.publish('stream.node.wh', event('node:wh', 7), from('0'));
  memory.publish('stream.node.wh', event('node:wh', 3), from('1'));
  memory.publish('stream.node.wh', event('node:wh', 3), from('1')); // again
  memory.publish('stream.node.wh', event('node:wh', 8), from('0'));
  await memory.flush();
  expect(seen.map((e) => [e.topic, e.seq])).toEqual([['sku:A', 1], ['sku:A', 2], ['node:wh', 1], ['node:wh', 2], ['node:wh', 3]]);
  await memory.close();
});
