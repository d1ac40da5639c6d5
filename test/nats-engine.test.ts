// Shows the engine running over a real NATS server (OO_NATS_URL): the built engine in a child
// process, connected to nats-server on a random loopback port; an order placed over HTTP reaches a
// shopper's WebSocket, and the same events and the node's fulfillment instruction can be read
// straight off NATS by another connection, so other processes can share them.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NatsBus } from '../engine/bus/nats-bus.js';
import { call, startEngineProcess, tempDir, type EngineProcess } from './support/fixtures.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { StreamClient } from './support/stream-client.js';

let nats: NatsServer;
let engine: EngineProcess;
let dir: ReturnType<typeof tempDir>;
let listener: NatsBus;

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir();
  engine = await startEngineProcess(dir.path, { OO_NATS_URL: nats.url });
  listener = await NatsBus.connect(nats.url, { name: 'test-listener' });
});
afterAll(async () => {
  await listener?.close();
  await engine?.stop();
  await nats?.stop();
  dir?.remove();
});

it('carries order events and fulfillment instructions over NATS', async () => {
  const seen: Array<{ subject: string; message: any }> = [];
  listener.subscribe('stream.>', (subject, message) => seen.push({ subject, message }));
  listener.subscribe('node.*.instructions', (subject, message) => seen.push({ subject, message }));
  await listener.flush();

  const { url, tokens } = engine;
  const created = await call(url, tokens.ops, 'PUT', '/v1/nodes/wh-nats', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  expect(created.status).toBe(201);
  expect((await call(url, tokens.ops, 'PUT', '/v1/inventory/wh-nats/NATS-SKU', { onHand: 5 })).status).toBe(200);
  const hold = await call(url, tokens.checkout, 'POST', '/v1/reservations', { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'NATS-SKU', qty: 2 }] });
  expect(hold.status).toBe(201);

  const shopper = await StreamClient.open(`${url.replace('http', 'ws')}/v1/stream?token=${encodeURIComponent(hold.body.streamToken)}`);
  await shopper.subscribe([`order:${hold.body.reservationId}`]);
  const order = await call(url, tokens.checkout, 'POST', `/v1/reservations/${hold.body.reservationId}/confirm`, {});
  expect(order.status).toBe(201);
  const released = await shopper.waitFor((f) => f.type === 'order.released');
  expect(released.data.orderId).toBe(order.body.orderId);
  shopper.close();

  const deadline = Date.now() + 5_000;
  const has = (predicate: (x: { subject: string; message: any }) => boolean) => seen.some(predicate);
  while (Date.now() < deadline && !(has((x) => x.subject.startsWith('node.')) && has((x) => x.message?.type === 'order.released' && x.subject.startsWith('stream.order.')))) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(has((x) => x.subject === 'node.wh-nats.instructions' && x.message.type === 'order.released' && x.message.orderId === order.body.orderId)).toBe(true);
  expect(has((x) => x.subject.startsWith('stream.order.') && x.message.type === 'order.released' && x.message.data.orderId === order.body.orderId)).toBe(true);
  expect(has((x) => x.subject.startsWith('stream.sku.') && x.message.type === 'inventory.changed')).toBe(true);
});
