// Shows the payment policy over real HTTP: with OO_REQUIRE_AUTHORIZED_PAYMENT, a confirmation (or
// a one-step order) without an authorized payment is refused with INVALID_STATE and changes
// nothing — the hold stays held, nothing more is reserved; an authorized one goes through.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './support/fixtures.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ engine: { requireAuthorizedPayment: true } });
  await call(server.url, server.tokens.ops, 'PUT', '/v1/nodes/wh-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  await call(server.url, server.tokens.ops, 'PUT', '/v1/inventory/wh-1/A', { onHand: 10 });
});
afterAll(async () => { await server.close(); });

const checkout = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.checkout, method, path, body);
const cart = { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: 'A', qty: 2 }] };
const reserved = async () => (await checkout('GET', '/v1/inventory/A')).body.nodes[0].reserved as number;

it('refuses to confirm without an authorized payment, and confirms with one', async () => {
  const hold = await checkout('POST', '/v1/reservations', cart);
  expect(hold.status).toBe(201);
  for (const payment of [undefined, { status: 'pending' }]) {
    const refused = await checkout('POST', `/v1/reservations/${hold.body.reservationId}/confirm`, payment ? { payment } : {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INVALID_STATE');
    expect(refused.body.error.details.field).toBe('payment.status');
  }
  expect((await checkout('GET', `/v1/reservations/${hold.body.reservationId}`)).body.status).toBe('held');
  const confirmed = await checkout('POST', `/v1/reservations/${hold.body.reservationId}/confirm`, { payment: { status: 'authorized', ref: 'pi_1' } });
  expect(confirmed.status).toBe(201);
  expect(confirmed.body.status).toBe('released');
});

it('refuses a one-step order without an authorized payment, holding nothing', async () => {
  const before = await reserved();
  const refused = await checkout('POST', '/v1/orders', cart);
  expect(refused.status).toBe(409);
  expect(refused.body.error.code).toBe('INVALID_STATE');
  expect(await reserved()).toBe(before);
  expect((await checkout('POST', '/v1/orders', { ...cart, payment: { status: 'authorized' } })).status).toBe(201);
  expect(await reserved()).toBe(before + 2);
});
