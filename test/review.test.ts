// Shows orders held for review over real HTTP: with review rules configured, an order worth more
// than the threshold (prices converted to the base currency) or one too many from a customer in
// an hour waits in `exception` — stock reserved, nothing released to a node — until ops approve
// it (released now) or reject it (cancelled, stock back). Without rules nothing is held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './support/fixtures.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ engine: { review: { maxOrderValue: 500, maxOrdersPerCustomerPerHour: 2 }, currency: { base: 'USD', rates: { EUR: 1.1 } } } });
  await ops('PUT', '/v1/nodes/wh-1', { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  await ops('PUT', '/v1/inventory/wh-1/TV', { onHand: 20 });
  await ops('PUT', '/v1/inventory/wh-1/MUG', { onHand: 50 });
});
afterAll(async () => { await server.close(); });

const ops = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.ops, method, path, body);
const checkout = (method: string, path: string, body?: unknown) => call(server.url, server.tokens.checkout, method, path, body);
const destination = { lat: 41.9, lon: -87.7 };
const reserved = async (sku: string) => (await ops('GET', `/v1/inventory/${sku}`)).body.nodes[0].reserved as number;

describe('review', () => {
  it('an order worth more than the threshold waits in exception; approving releases it to its node', async () => {
    // 2 x 240 EUR = 528 USD > 500.
    const order = await checkout('POST', '/v1/orders', { customerId: 'big-spender', destination, currency: 'EUR', lines: [{ sku: 'TV', qty: 2, unitPrice: 240 }] });
    expect(order.status).toBe(201);
    expect(order.body.status).toBe('exception');
    expect(order.body.lines).toEqual([{ sku: 'TV', qty: 2, nodeId: 'wh-1', status: 'allocated' }]);
    expect(order.body.history.map((h: any) => h.type)).toEqual(['reservation.held', 'order.allocated', 'order.exception']);
    expect(await reserved('TV')).toBe(2);
    // The node may not act on it yet.
    const early = await ops('POST', '/v1/nodes/wh-1/events', { orderId: order.body.orderId, type: 'shipped' });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('INVALID_STATE');
    // Only ops decide.
    expect((await checkout('POST', `/v1/orders/${order.body.orderId}/approve`)).status).toBe(403);
    const approved = await ops('POST', `/v1/orders/${order.body.orderId}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('released');
    expect(approved.body.lines[0].status).toBe('released');
    expect((await ops('POST', `/v1/orders/${order.body.orderId}/approve`)).body.error.code).toBe('INVALID_STATE');
  });

  it('rejecting an order in review cancels it and gives its stock back', async () => {
    const before = await reserved('TV');
    const order = await checkout('POST', '/v1/orders', { customerId: 'suspicious', destination, lines: [{ sku: 'TV', qty: 1, unitPrice: 900 }] });
    expect(order.body.status).toBe('exception');
    expect(await reserved('TV')).toBe(before + 1);
    const rejected = await ops('POST', `/v1/orders/${order.body.orderId}/reject`);
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('cancelled');
    expect(await reserved('TV')).toBe(before);
  });

  it("a customer's third order within the hour is held for review; orders under the rules are released", async () => {
    const place = () => checkout('POST', '/v1/orders', { customerId: 'regular', destination, lines: [{ sku: 'MUG', qty: 1, unitPrice: 12 }] });
    expect((await place()).body.status).toBe('released');
    expect((await place()).body.status).toBe('released');
    const third = await place();
    expect(third.body.status).toBe('exception');
    expect(third.body.history.find((h: any) => h.type === 'order.exception').reasons).toEqual(['customer_velocity']);
  });

  it('refuses prices in a currency it has no rate for, holding nothing', async () => {
    const before = await reserved('MUG');
    const refused = await checkout('POST', '/v1/reservations', { customerId: 'x', destination, currency: 'JPY', lines: [{ sku: 'MUG', qty: 1, unitPrice: 1000 }] });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    expect(refused.body.error.details.field).toBe('currency');
    expect(await reserved('MUG')).toBe(before);
  });
});
