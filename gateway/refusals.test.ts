// Shows that every refusal of the public API is a 4xx with the contract's error shape
// `{ error: { code, message, details } }` and changes nothing: each test reads the stock, the node
// list, a live hold and a live order before and after its refused requests (over real HTTP against
// the real gateway on port 0 over LMDB) and expects them unchanged. Covers 401 (missing, unknown,
// forged tokens), 403 per role, 400 (malformed JSON, empty body, validation naming the field, bad
// ids in body and path), 413 (declared and chunked bodies over 64 KiB, via node:http and raw TCP),
// 404 for unknown ids and 409 for an unknown SKU.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';
import { recordingUncaught } from '../test/support/stream-client.js';

let server: TestServer;
/** Node A holds SKU `sku`; node B holds SKU `skuB`. */
const world = {
  nodeA: 'ref-a',
  nodeB: 'ref-b',
  sku: 'REF-1',
  skuB: 'REF-B',
  partnerA: '',
  partnerB: '',
  reservationId: '',
  reservationStreamToken: '',
  orderId: '',
  orderB: '',
};

const destination = { lat: 41.9, lon: -87.7 };
const validCart = () => ({ customerId: 'cust-ref', destination, lines: [{ sku: world.sku, qty: 1 }] });

beforeAll(async () => {
  server = await startServer();
  const { url, tokens } = server;
  const a = await call(url, tokens.ops, 'PUT', `/v1/nodes/${world.nodeA}`, { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
  const b = await call(url, tokens.ops, 'PUT', `/v1/nodes/${world.nodeB}`, { type: 'store', location: { lat: 33.75, lon: -84.39 } });
  expect([a.status, b.status]).toEqual([201, 201]);
  world.partnerA = a.body.partnerToken;
  world.partnerB = b.body.partnerToken;
  expect((await call(url, tokens.ops, 'PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { onHand: 10 })).status).toBe(200);
  expect((await call(url, tokens.ops, 'PUT', `/v1/inventory/${world.nodeB}/${world.skuB}`, { onHand: 10 })).status).toBe(200);
  const held = await call(url, tokens.checkout, 'POST', '/v1/reservations', { ...validCart(), lines: [{ sku: world.sku, qty: 2 }] });
  expect(held.status).toBe(201);
  world.reservationId = held.body.reservationId;
  world.reservationStreamToken = held.body.streamToken;
  const order = await call(url, tokens.checkout, 'POST', '/v1/orders', { ...validCart(), lines: [{ sku: world.sku, qty: 3 }] });
  expect(order.status).toBe(201);
  world.orderId = order.body.orderId;
  const orderB = await call(url, tokens.checkout, 'POST', '/v1/orders', { ...validCart(), lines: [{ sku: world.skuB, qty: 1 }] });
  expect(orderB.status).toBe(201);
  expect(orderB.body.lines[0].nodeId).toBe(world.nodeB);
  world.orderB = orderB.body.orderId;
});
afterAll(async () => {
  await server.close();
});

/** Everything a refused request could have touched, as ops reads it. */
async function state() {
  const { url, tokens } = server;
  const read = async (path: string) => {
    const answer = await call(url, tokens.ops, 'GET', path);
    expect(answer.status, path).toBe(200);
    // A stream token is minted afresh on every read (its expiry moves on): not state.
    const { streamToken: _fresh, ...body } = answer.body;
    return body;
  };
  return {
    inventory: await read(`/v1/inventory/${world.sku}`),
    inventoryB: await read(`/v1/inventory/${world.skuB}`),
    nodes: await read('/v1/nodes'),
    reservation: await read(`/v1/reservations/${world.reservationId}`),
    order: await read(`/v1/orders/${world.orderId}`),
    orderB: await read(`/v1/orders/${world.orderB}`),
  };
}

/** Runs the refusals and checks that the state is the same after them. */
async function changesNothing(refusals: () => Promise<void>): Promise<void> {
  const before = await state();
  await refusals();
  expect(await state()).toEqual(before);
}

type Answer = { status: number; body: any };

function expectRefused(answer: Answer, status: number, code: string, what = ''): void {
  expect(answer.status, `${what} status`).toBe(status);
  expect(answer.body, `${what} body`).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
  expect(Array.isArray(answer.body.error.details)).toBe(false);
}

const request = (token: string | undefined, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  call(server.url, token, method, path, body, headers);

/** The writes of the API, with a body each would accept from ops (except the node event, see there). */
function writes(): Array<[method: string, path: string, body: unknown]> {
  return [
    ['PUT', '/v1/nodes/ref-new', { type: 'warehouse', location: { lat: 40, lon: -80 } }],
    ['POST', `/v1/nodes/${world.nodeA}/status`, { status: 'paused' }],
    ['PUT', `/v1/skus/${world.sku}`, { maxPerCustomer: 1 }],
    ['PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { onHand: 99 }],
    ['POST', `/v1/inventory/${world.nodeA}/${world.sku}/adjust`, { delta: 5, reason: 'received' }],
    ['POST', '/v1/reservations', validCart()],
    ['POST', `/v1/reservations/${world.reservationId}/confirm`, {}],
    ['DELETE', `/v1/reservations/${world.reservationId}`, undefined],
    ['POST', '/v1/orders', validCart()],
    ['POST', `/v1/orders/${world.orderId}/cancel`, {}],
    ['POST', `/v1/nodes/${world.nodeA}/events`, { orderId: world.orderId, type: 'shipped' }],
  ];
}

/** Writes `raw` on a fresh TCP connection; resolves with what came back when the server closes or `waitMs` passes. */
function rawExchange(raw: string | Buffer, waitMs = 1_500): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.write(raw));
  });
}

/** Status and JSON body of the first response in `raw` (content-length framed). */
function firstResponse(raw: string): Answer {
  const match = /^HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(raw);
  expect(match, `an HTTP response in ${JSON.stringify(raw.slice(0, 200))}`).not.toBeNull();
  const length = Number(/content-length: *(\d+)/i.exec(match![2])?.[1] ?? '0');
  const bodyStart = match!.index + match![0].length;
  return { status: Number(match![1]), body: JSON.parse(raw.slice(bodyStart, bodyStart + length)) };
}

describe('401 UNAUTHENTICATED', () => {
  it('a missing, unknown, malformed or forged token is 401 on every kind of endpoint', async () => {
    const forgedPartner = `pt.${Buffer.from(world.nodeA).toString('base64url')}.${Buffer.alloc(32, 7).toString('base64url')}`;
    const forgedPartnerOtherNode = `${world.partnerA.split('.').slice(0, 1).join('.')}.${Buffer.from(world.nodeB).toString('base64url')}.${world.partnerA.split('.')[2]}`;
    const forgedStream = `st.${Buffer.from(world.reservationId.slice(4)).toString('base64url')}.${Math.floor(Date.now() / 1000) + 3600}.${Buffer.alloc(32, 9).toString('base64url')}`;
    const badTokens: Array<[string, Record<string, string>]> = [
      ['none', {}],
      ['empty bearer', { authorization: 'Bearer ' }],
      ['unknown', { authorization: 'Bearer not-a-token' }],
      ['not bearer', { authorization: `Basic ${Buffer.from(`ops:${server.tokens.ops}`).toString('base64')}` }],
      ['token without scheme', { authorization: server.tokens.ops }],
      ['forged partner signature', { authorization: `Bearer ${forgedPartner}` }],
      ['partner signature moved to another node', { authorization: `Bearer ${forgedPartnerOtherNode}` }],
      ['forged stream token', { authorization: `Bearer ${forgedStream}` }],
    ];
    await changesNothing(async () => {
      for (const [what, headers] of badTokens) {
        for (const [method, path, body] of [...writes(), ['GET', '/v1/nodes', undefined], ['GET', `/v1/inventory/${world.sku}`, undefined], ['GET', `/v1/orders/${world.orderId}`, undefined], ['GET', '/metrics', undefined], ['POST', '/v1/promise', { destination, lines: [{ sku: world.sku, qty: 1 }] }]] as Array<[string, string, unknown]>) {
          expectRefused(await request(undefined, method, path, body, headers), 401, 'UNAUTHENTICATED', `${what}: ${method} ${path}`);
        }
      }
    });
  });
});

describe('403 FORBIDDEN', () => {
  it('checkout may not manage nodes, stock or SKUs, list nodes, post node events or read metrics', async () => {
    await changesNothing(async () => {
      const forbidden: Array<[string, string, unknown]> = [
        ...writes().filter(([, path]) => path.startsWith('/v1/nodes') || path.startsWith('/v1/inventory') || path.startsWith('/v1/skus')),
        ['GET', '/v1/nodes', undefined],
        ['GET', `/v1/nodes/${world.nodeA}`, undefined],
        ['GET', '/metrics', undefined],
      ];
      expect(forbidden.length).toBe(9);
      for (const [method, path, body] of forbidden) {
        expectRefused(await request(server.tokens.checkout, method, path, body), 403, 'FORBIDDEN', `${method} ${path}`);
      }
    });
  });

  it('viewer may read but write nothing, reservations included', async () => {
    await changesNothing(async () => {
      for (const [method, path, body] of writes()) {
        expectRefused(await request(server.tokens.viewer, method, path, body), 403, 'FORBIDDEN', `${method} ${path}`);
      }
    });
    // It may read.
    expect((await request(server.tokens.viewer, 'GET', '/v1/nodes')).status).toBe(200);
    expect((await request(server.tokens.viewer, 'GET', `/v1/inventory/${world.sku}`)).status).toBe(200);
    expect((await request(server.tokens.viewer, 'GET', `/v1/orders/${world.orderId}`)).status).toBe(200);
  });

  it('a partner of node A may not post events of node B, hold, order, manage its own node or read', async () => {
    await changesNothing(async () => {
      const forbidden: Array<[string, string, unknown]> = [
        ['POST', `/v1/nodes/${world.nodeB}/events`, { orderId: world.orderB, type: 'shipped' }],
        ['POST', '/v1/reservations', validCart()],
        ['POST', '/v1/orders', validCart()],
        ['POST', `/v1/reservations/${world.reservationId}/confirm`, {}],
        ['POST', `/v1/orders/${world.orderId}/cancel`, {}],
        ['PUT', `/v1/nodes/${world.nodeA}`, { type: 'warehouse', location: { lat: 40, lon: -80 } }],
        ['POST', `/v1/nodes/${world.nodeA}/status`, { status: 'offline' }],
        ['PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { onHand: 99 }],
        ['POST', `/v1/inventory/${world.nodeA}/${world.sku}/adjust`, { delta: 5, reason: 'received' }],
        ['GET', '/v1/nodes', undefined],
        ['GET', `/v1/inventory/${world.sku}`, undefined],
        ['GET', `/v1/orders/${world.orderB}`, undefined],
        ['POST', '/v1/promise', { destination, lines: [{ sku: world.sku, qty: 1 }] }],
      ];
      for (const [method, path, body] of forbidden) {
        expectRefused(await request(world.partnerA, method, path, body), 403, 'FORBIDDEN', `${method} ${path}`);
      }
    });
  });

  it('a stream token is no bearer token for HTTP, not even for its own hold', async () => {
    await changesNothing(async () => {
      const forbidden: Array<[string, string, unknown]> = [
        ['GET', `/v1/reservations/${world.reservationId}`, undefined],
        ['POST', `/v1/reservations/${world.reservationId}/confirm`, {}],
        ['DELETE', `/v1/reservations/${world.reservationId}`, undefined],
        ['GET', `/v1/orders/ord_${world.reservationId.slice(4)}`, undefined],
        ['POST', '/v1/reservations', validCart()],
        ['GET', `/v1/inventory/${world.sku}`, undefined],
        ['POST', '/v1/promise', { destination, lines: [{ sku: world.sku, qty: 1 }] }],
      ];
      for (const [method, path, body] of forbidden) {
        expectRefused(await request(world.reservationStreamToken, method, path, body), 403, 'FORBIDDEN', `${method} ${path}`);
      }
    });
  });
});

describe('400 BAD_REQUEST and VALIDATION_FAILED', () => {
  it('malformed JSON and an empty body are 400 BAD_REQUEST', async () => {
    await changesNothing(async () => {
      for (const body of ['{"customerId":', '{customerId: "c"}', 'not json', '{"a":1}}']) {
        expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', body), 400, 'BAD_REQUEST', body);
      }
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', ''), 400, 'BAD_REQUEST', 'empty');
      expectRefused(await request(server.tokens.ops, 'PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, ''), 400, 'BAD_REQUEST', 'empty PUT');
      const bare = await fetch(`${server.url}/v1/reservations`, { method: 'POST', headers: { authorization: `Bearer ${server.tokens.checkout}` } });
      expect(bare.status).toBe(400);
      expect(((await bare.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    });
  });

  it('a body that is not an object is 400 VALIDATION_FAILED', async () => {
    await changesNothing(async () => {
      for (const body of ['[]', 'null', '42', '"cart"']) {
        const answer = await request(server.tokens.checkout, 'POST', '/v1/reservations', body);
        expectRefused(answer, 400, 'VALIDATION_FAILED', body);
        expect(typeof answer.body.error.details.field).toBe('string');
      }
    });
  });

  it('each invalid field is 400 VALIDATION_FAILED and details.field names it', async () => {
    const base = validCart();
    const line = base.lines[0];
    const long = 'x'.repeat(65);
    const cases: Array<[what: string, body: Record<string, unknown>, field: string]> = [
      ['customerId of the wrong type', { ...base, customerId: 5 }, 'customerId'],
      ['destination of the wrong type', { ...base, destination: 'Chicago' }, 'destination'],
      ['lines of the wrong type', { ...base, lines: 'mug' }, 'lines'],
      ['qty as a string', { ...base, lines: [{ ...line, qty: '2' }] }, 'lines.0.qty'],
      ['allowSplit as a string', { ...base, allowSplit: 'yes' }, 'allowSplit'],
      ['ttlSeconds as a string', { ...base, ttlSeconds: '60' }, 'ttlSeconds'],
      ['missing customerId', { destination, lines: base.lines }, 'customerId'],
      ['missing destination', { customerId: 'c', lines: base.lines }, 'destination'],
      ['missing lines', { customerId: 'c', destination }, 'lines'],
      ['no lines', { ...base, lines: [] }, 'lines'],
      ['qty 0', { ...base, lines: [{ ...line, qty: 0 }] }, 'lines.0.qty'],
      ['qty 10001', { ...base, lines: [{ ...line, qty: 10_001 }] }, 'lines.0.qty'],
      ['qty 1.5', { ...base, lines: [{ ...line, qty: 1.5 }] }, 'lines.0.qty'],
      ['qty -1', { ...base, lines: [{ ...line, qty: -1 }] }, 'lines.0.qty'],
      ['101 lines', { ...base, lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, qty: 1 })) }, 'lines'],
      ['ttlSeconds 9', { ...base, ttlSeconds: 9 }, 'ttlSeconds'],
      ['ttlSeconds 86401', { ...base, ttlSeconds: 86_401 }, 'ttlSeconds'],
      ['sku with a space', { ...base, lines: [{ sku: 'a b', qty: 1 }] }, 'lines.0.sku'],
      ['sku of 65 characters', { ...base, lines: [{ sku: long, qty: 1 }] }, 'lines.0.sku'],
      ['empty sku', { ...base, lines: [{ sku: '', qty: 1 }] }, 'lines.0.sku'],
      ['customerId with a space', { ...base, customerId: 'a b' }, 'customerId'],
      ['customerId of 65 characters', { ...base, customerId: long }, 'customerId'],
      ['unknown property', { ...base, coupon: 'FREE' }, 'coupon'],
      ['unknown property in a line', { ...base, lines: [{ ...line, price: 1 }] }, 'lines.0.price'],
      ['lat 91', { ...base, destination: { lat: 91, lon: 0 } }, 'destination.lat'],
      ['lon -181', { ...base, destination: { lat: 0, lon: -181 } }, 'destination.lon'],
      ['channel not in the list', { ...base, channel: 'fax' }, 'channel'],
      ['fulfillment type not in the list', { ...base, fulfillment: { type: 'drone' } }, 'fulfillment.type'],
    ];
    await changesNothing(async () => {
      for (const [what, body, field] of cases) {
        for (const path of ['/v1/reservations', '/v1/orders']) {
          const answer = await request(server.tokens.checkout, 'POST', path, body);
          expectRefused(answer, 400, 'VALIDATION_FAILED', `${what} at ${path}`);
          expect(answer.body.error.details.field, `${what} at ${path}`).toBe(field);
        }
      }
    });
  });

  it('invalid fields of the other bodies name the field too', async () => {
    const cases: Array<[what: string, method: string, path: string, body: unknown, field: string]> = [
      ['node type', 'PUT', '/v1/nodes/ref-new', { type: 'castle', location: { lat: 1, lon: 1 } }, 'type'],
      ['node lat 91', 'PUT', '/v1/nodes/ref-new', { type: 'warehouse', location: { lat: 91, lon: 1 } }, 'location.lat'],
      ['node missing location', 'PUT', '/v1/nodes/ref-new', { type: 'warehouse' }, 'location'],
      ['node cutoff time', 'PUT', '/v1/nodes/ref-new', { type: 'warehouse', location: { lat: 1, lon: 1 }, cutoff: { time: '25:00', timezone: 'UTC' } }, 'cutoff.time'],
      ['node unknown property', 'PUT', '/v1/nodes/ref-new', { type: 'warehouse', location: { lat: 1, lon: 1 }, colour: 'red' }, 'colour'],
      ['node status', 'POST', `/v1/nodes/${world.nodeA}/status`, { status: 'asleep' }, 'status'],
      ['negative onHand', 'PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { onHand: -1 }, 'onHand'],
      ['fractional onHand', 'PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { onHand: 1.5 }, 'onHand'],
      ['missing onHand', 'PUT', `/v1/inventory/${world.nodeA}/${world.sku}`, { safetyStock: 1 }, 'onHand'],
      ['delta as a string', 'POST', `/v1/inventory/${world.nodeA}/${world.sku}/adjust`, { delta: '5', reason: 'received' }, 'delta'],
      ['missing reason', 'POST', `/v1/inventory/${world.nodeA}/${world.sku}/adjust`, { delta: 5 }, 'reason'],
      ['maxPerCustomer 0', 'PUT', `/v1/skus/${world.sku}`, { maxPerCustomer: 0 }, 'maxPerCustomer'],
      ['confirm externalId', 'POST', `/v1/reservations/${world.reservationId}/confirm`, { externalId: 'a b' }, 'externalId'],
      ['cancel qty 0', 'POST', `/v1/orders/${world.orderId}/cancel`, { lines: [{ sku: world.sku, qty: 0 }] }, 'lines.0.qty'],
      ['event type', 'POST', `/v1/nodes/${world.nodeA}/events`, { orderId: world.orderId, type: 'lost' }, 'type'],
      ['event orderId', 'POST', `/v1/nodes/${world.nodeA}/events`, { orderId: 'a b', type: 'shipped' }, 'orderId'],
      ['promise lat 91', 'POST', '/v1/promise', { destination: { lat: 91, lon: 0 }, lines: [{ sku: world.sku, qty: 1 }] }, 'destination.lat'],
      ['promise 101 lines', 'POST', '/v1/promise', { destination, lines: Array.from({ length: 101 }, (_, i) => ({ sku: `S-${i}`, qty: 1 })) }, 'lines'],
    ];
    await changesNothing(async () => {
      for (const [what, method, path, body, field] of cases) {
        const answer = await request(server.tokens.ops, method, path, body);
        expectRefused(answer, 400, 'VALIDATION_FAILED', what);
        expect(answer.body.error.details.field, what).toBe(field);
      }
    });
  });

  it('a bad id in the path (a space, 65 characters) is 400 VALIDATION_FAILED naming the path', async () => {
    const long = 'x'.repeat(65);
    const cases: Array<[string, string, unknown]> = [
      ['PUT', '/v1/nodes/a%20b', { type: 'warehouse', location: { lat: 1, lon: 1 } }],
      ['PUT', `/v1/nodes/${long}`, { type: 'warehouse', location: { lat: 1, lon: 1 } }],
      ['GET', `/v1/nodes/${long}`, undefined],
      ['PUT', `/v1/inventory/${world.nodeA}/a%20b`, { onHand: 1 }],
      ['PUT', `/v1/inventory/${long}/${world.sku}`, { onHand: 1 }],
      ['GET', `/v1/inventory/${long}`, undefined],
      ['PUT', `/v1/skus/${long}`, { maxPerCustomer: 1 }],
      ['GET', '/v1/reservations/a%20b', undefined],
      ['GET', `/v1/reservations/rsv_${long}`, undefined],
      ['DELETE', `/v1/reservations/${long}`, undefined],
      ['POST', '/v1/reservations/a%20b/confirm', {}],
      ['GET', `/v1/orders/${long}`, undefined],
      ['POST', '/v1/orders/a%20b/cancel', {}],
      ['POST', `/v1/nodes/${long}/events`, { orderId: world.orderId, type: 'shipped' }],
    ];
    await changesNothing(async () => {
      for (const [method, path, body] of cases) {
        const answer = await request(server.tokens.ops, method, path, body);
        expectRefused(answer, 400, 'VALIDATION_FAILED', `${method} ${path}`);
        expect(typeof answer.body.error.details.field, `${method} ${path}`).toBe('string');
      }
    });
  });

  it('a malformed percent escape in the path is 400, and the server lives on', async () => {
    const answerWithin = (token: string | undefined, path: string) => Promise.race([
      request(token, 'GET', path),
      new Promise<Answer>((resolve) => setTimeout(() => resolve({ status: 0, body: 'no answer' }), 500)),
    ]);
    const { result, uncaught } = await recordingUncaught(async () => ({
      withToken: await answerWithin(server.tokens.ops, '/v1/nodes/%ZZ'),
      withoutToken: await answerWithin(undefined, '/v1/reservations/%E0%A4%A'),
    }));
    expect(uncaught).toEqual([]);
    expectRefused(result.withToken, 400, 'VALIDATION_FAILED');
    expect([400, 401]).toContain(result.withoutToken.status);
  });
});

describe('413 PAYLOAD_TOO_LARGE', () => {
  /** A valid cart padded with whitespace to `bytes`: were it read, it would hold stock. */
  const paddedCart = (bytes: number): Buffer => {
    const json = JSON.stringify(validCart());
    return Buffer.from(json + ' '.repeat(bytes - Buffer.byteLength(json)));
  };

  function post(body: Buffer, chunked: boolean): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { authorization: `Bearer ${server.tokens.checkout}`, 'content-type': 'application/json' };
      if (chunked) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(body.length);
      const req = http.request(`${server.url}/v1/reservations`, { method: 'POST', headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      });
      // The server answers and closes before it has read everything: a write error may follow.
      req.on('error', (error) => reject(error));
      if (chunked) {
        for (let offset = 0; offset < body.length; offset += 4096) req.write(body.subarray(offset, offset + 4096));
        req.end();
      } else {
        req.end(body);
      }
    });
  }

  it('a 70 KiB body with its Content-Length is refused with 413 and holds nothing', async () => {
    await changesNothing(async () => {
      expectRefused(await post(paddedCart(70 * 1024), false), 413, 'PAYLOAD_TOO_LARGE');
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', paddedCart(70 * 1024).toString()), 413, 'PAYLOAD_TOO_LARGE', 'fetch');
    });
  });

  it('a chunked body over 64 KiB, without Content-Length, is refused with 413 and holds nothing', async () => {
    await changesNothing(async () => {
      expectRefused(await post(paddedCart(70 * 1024), true), 413, 'PAYLOAD_TOO_LARGE');
      expectRefused(await post(paddedCart(64 * 1024 + 1), true), 413, 'PAYLOAD_TOO_LARGE', '64 KiB + 1');
    });
  });

  it('a declared Content-Length over 64 KiB is refused before the body is sent', async () => {
    await changesNothing(async () => {
      const head = `POST /v1/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.tokens.checkout}\r\nContent-Type: application/json\r\nContent-Length: ${70 * 1024}\r\n\r\n`;
      expectRefused(firstResponse(await rawExchange(head)), 413, 'PAYLOAD_TOO_LARGE');
    });
  });

  it('exactly 64 KiB is accepted (the bound is inclusive), chunked or not', async () => {
    const { url, tokens } = server;
    const before = (await call(url, tokens.ops, 'GET', `/v1/inventory/${world.sku}`)).body.nodes[0].reserved as number;
    const plain = await post(paddedCart(64 * 1024), false);
    const chunked = await post(paddedCart(64 * 1024), true);
    expect([plain.status, chunked.status]).toEqual([201, 201]);
    for (const answer of [plain, chunked]) {
      expect((await call(url, tokens.checkout, 'DELETE', `/v1/reservations/${answer.body.reservationId}`)).status).toBe(200);
    }
    expect((await call(url, tokens.ops, 'GET', `/v1/inventory/${world.sku}`)).body.nodes[0].reserved).toBe(before);
  });

  it('a Content-Length that understates the body: only the stated bytes are read, the cut JSON is 400 and nothing is held', async () => {
    await changesNothing(async () => {
      const body = JSON.stringify(validCart());
      const raw = `POST /v1/reservations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${server.tokens.checkout}\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n${body}`;
      expectRefused(firstResponse(await rawExchange(raw, 500)), 400, 'BAD_REQUEST');
    });
  });
});

describe('404 NOT_FOUND', () => {
  it('unknown reservation, order, node and SKU ids are 404', async () => {
    const { tokens } = server;
    const holdAsOrder = `ord_${world.reservationId.slice(4)}`;
    const cases: Array<[string, string, string, unknown]> = [];
    for (const id of ['rsv_nope', 'ord_nope', 'xyz']) cases.push([tokens.checkout, 'GET', `/v1/reservations/${id}`, undefined]);
    for (const id of ['rsv_nope', 'xyz']) {
      cases.push([tokens.checkout, 'POST', `/v1/reservations/${id}/confirm`, {}]);
      cases.push([tokens.checkout, 'DELETE', `/v1/reservations/${id}`, undefined]);
    }
    for (const id of ['ord_nope', 'rsv_nope', 'xyz', world.reservationId, holdAsOrder]) {
      cases.push([tokens.checkout, 'GET', `/v1/orders/${id}`, undefined]);
      cases.push([tokens.checkout, 'POST', `/v1/orders/${id}/cancel`, {}]);
    }
    cases.push(
      [tokens.ops, 'POST', `/v1/nodes/${world.nodeA}/events`, { orderId: 'ord_nope', type: 'shipped' }],
      [tokens.ops, 'POST', `/v1/nodes/${world.nodeA}/events`, { orderId: 'xyz', type: 'shipped' }],
      [tokens.ops, 'POST', '/v1/nodes/nope/events', { orderId: world.orderId, type: 'shipped' }],
      [tokens.ops, 'GET', '/v1/nodes/nope', undefined],
      [tokens.ops, 'POST', '/v1/nodes/nope/status', { status: 'paused' }],
      [tokens.ops, 'PUT', `/v1/inventory/nope/${world.sku}`, { onHand: 5 }],
      [tokens.ops, 'POST', `/v1/inventory/nope/${world.sku}/adjust`, { delta: 5, reason: 'received' }],
      [tokens.checkout, 'GET', '/v1/inventory/NO-SUCH-SKU', undefined],
    );
    await changesNothing(async () => {
      for (const [token, method, path, body] of cases) {
        expectRefused(await request(token, method, path, body), 404, 'NOT_FOUND', `${method} ${path}`);
      }
    });
  });

  it('a hold is not an order: GET /v1/orders/ord_<its id> is 404 until it is confirmed', async () => {
    const answer = await request(server.tokens.checkout, 'GET', `/v1/orders/ord_${world.reservationId.slice(4)}`);
    expectRefused(answer, 404, 'NOT_FOUND');
  });
});

describe('409 INSUFFICIENT_STOCK', () => {
  it('an unknown SKU is 409 INSUFFICIENT_STOCK for a hold, an order and a quote, and holds nothing', async () => {
    await changesNothing(async () => {
      const lines = [{ sku: world.sku, qty: 1 }, { sku: 'NO-SUCH-SKU', qty: 1 }];
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', { ...validCart(), lines }), 409, 'INSUFFICIENT_STOCK', 'hold');
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', { ...validCart(), lines, allowSplit: false }), 409, 'INSUFFICIENT_STOCK', 'hold without split');
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/orders', { ...validCart(), lines }), 409, 'INSUFFICIENT_STOCK', 'order');
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/promise', { destination, lines }), 409, 'INSUFFICIENT_STOCK', 'promise');
      expectRefused(await request(server.tokens.checkout, 'POST', '/v1/reservations', { ...validCart(), lines: [{ sku: world.sku, qty: 10_000 }] }), 409, 'INSUFFICIENT_STOCK', 'too many');
    });
  });
});
