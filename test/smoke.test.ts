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

it('exposes the operations metrics as Prometheus text: answers, ledger batches, mailboxes, event-loop lag', async () => {
  const { url, tokens } = server;
  const metrics = await call(url, tokens.ops, 'GET', '/metrics');
  expect(metrics.status).toBe(200);
  const lines = (metrics.body as string).split('\n').filter((l) => l && !l.startsWith('#'));
  for (const line of lines) expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/);
  const value = (name: string) => Number(lines.find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'))?.split(' ').at(-1));
  expect(value('oo_ledger_batch_writes_count')).toBeGreaterThan(0);
  expect(value('oo_ledger_batch_durable_seconds_count')).toBeGreaterThan(0);
  expect(value('oo_mailbox_depth_max')).toBeGreaterThanOrEqual(0);
  expect(value('oo_http_requests_total')).toBeGreaterThan(0);
  expect(lines.some((l) => l.startsWith('oo_nodejs_eventloop_lag'))).toBe(true);
  expect((await call(url, tokens.viewer, 'GET', '/metrics')).status).toBe(403);
});
