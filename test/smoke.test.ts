// Shows the README's first steps work over real HTTP: a node, stock, a hold, its confirmation.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './support/fixtures.js';

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(async () => { await server.close(); });

it('holds and confirms over HTTP', async () => {
  const { url, tokens } = server;
  expect((await call(url, tokens.ops, 'PUT', '/v1/nodes/wh-1', { type: 'warehouse', location: { lat: 41.8, lon: -87.6 } })).status).toBe(201);
  expect((await call(url, tokens.ops, 'PUT', '/v1/inventory/wh-1/SKU-1', { onHand: 3 })).status).toBe(200);
  const hold = await call(url, tokens.checkout, 'POST', '/v1/reservations', { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'SKU-1', qty: 2 }] });
  expect(hold.status).toBe(201);
  const order = await call(url, tokens.checkout, 'POST', `/v1/reservations/${hold.body.reservationId}/confirm`, {});
  expect(order.status).toBe(201);
  expect(order.body.status).toBe('released');
  const inventory = await call(url, tokens.checkout, 'GET', '/v1/inventory/SKU-1');
  expect(inventory.body.nodes[0]).toMatchObject({ onHand: 3, reserved: 2, available: 1 });
});
