// Shows who may do what with minted and signed tokens, and the browser origin allow-list, over
// real HTTP and the real `ws` client against the real gateway on port 0: ops mints viewer tokens
// (`POST /v1/tokens/viewer`, 201 { token, expiresAt }), nobody else may (403/401), bad bodies are
// 400; a minted token reads like the viewer and writes nothing; once expired (minted by an Auth on
// the same signing key whose clock runs two hours behind) or tampered with, it is 401 on HTTP and
// on the stream upgrade; a stream token sees its own order only (FORBIDDEN frame for another) and
// not after it expires. With OO_ALLOWED_ORIGINS set, a browser Origin outside the list is refused
// at the upgrade (403), the listed ones, the gateway's own origin and clients sending no Origin
// are let in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limits } from '../engine/limits.js';
import { silentLogger } from '../engine/logger.js';
import { call, startServer, type TestServer } from '../test/support/fixtures.js';
import { refusedUpgrade, StreamClient } from '../test/support/stream-client.js';
import { Auth } from './auth.js';
import { parseAllowedOrigins } from './origins.js';
import { startGateway, type Gateway } from './server.js';

let server: TestServer;
const clients: StreamClient[] = [];
let counter = 0;
const uid = (prefix: string) => `${prefix}-${++counter}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server.close();
});

const mint = (token: string | undefined, body?: unknown) => call(server.url, token, 'POST', '/v1/tokens/viewer', body);

/** An Auth on the server's data dir (same signing key) whose clock is `offsetMs` away from now. */
const authAt = (offsetMs: number) => Auth.open(server.dataDir, {}, () => Date.now() + offsetMs);

async function connect(token: string, options = {}): Promise<StreamClient> {
  const client = await StreamClient.open(`${server.wsUrl}?token=${encodeURIComponent(token)}`, options);
  clients.push(client);
  return client;
}

describe('POST /v1/tokens/viewer', () => {
  it('ops gets 201 with a signed viewer token and its expiry (12 h by default, or ttlSeconds)', async () => {
    const before = Date.now();
    const answer = await mint(server.tokens.ops);
    expect(answer.status).toBe(201);
    expect(Object.keys(answer.body).sort()).toEqual(['expiresAt', 'token']);
    expect(answer.body.token).toMatch(/^vt\.\d+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const expiresAt = Date.parse(answer.body.expiresAt);
    expect(expiresAt).toBeGreaterThan(before + limits.viewerTokenTtlSecondsDefault * 1000 - 2_000);
    expect(expiresAt).toBeLessThan(Date.now() + limits.viewerTokenTtlSecondsDefault * 1000 + 1_000);

    const short = await mint(server.tokens.ops, { ttlSeconds: 120 });
    expect(short.status).toBe(201);
    expect(Math.abs(Date.parse(short.body.expiresAt) - (Date.now() + 120_000))).toBeLessThan(2_000);
    // Two tokens minted in the same second differ.
    expect((await mint(server.tokens.ops)).body.token).not.toBe(answer.body.token);
  });

  it('is for ops only: 403 for checkout, viewer, a minted viewer and a partner; 401 without a token', async () => {
    const node = await call(server.url, server.tokens.ops, 'PUT', `/v1/nodes/${uid('tk-wh')}`, { type: 'warehouse', location: { lat: 1, lon: 2 } });
    const minted = (await mint(server.tokens.ops)).body.token as string;
    for (const token of [server.tokens.checkout, server.tokens.viewer, minted, node.body.partnerToken as string]) {
      const answer = await mint(token);
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    }
    const anonymous = await mint(undefined);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a ttlSeconds out of bounds, of the wrong type, or an unknown field (400 naming the field)', async () => {
    for (const [body, field] of [
      [{ ttlSeconds: limits.viewerTokenTtlSecondsMin - 1 }, 'ttlSeconds'],
      [{ ttlSeconds: limits.viewerTokenTtlSecondsMax + 1 }, 'ttlSeconds'],
      [{ ttlSeconds: 100.5 }, 'ttlSeconds'],
      [{ ttlSeconds: '600' }, 'ttlSeconds'],
      [{ role: 'ops' }, 'role'],
    ] as const) {
      const answer = await mint(server.tokens.ops, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
    }
    expect((await mint(server.tokens.ops, '{not json')).body.error.code).toBe('BAD_REQUEST');
  });
});

describe('a minted viewer token', () => {
  it('reads like the viewer, writes nothing, and sees every stream topic', async () => {
    const token = (await mint(server.tokens.ops)).body.token as string;
    expect((await call(server.url, token, 'GET', '/v1/nodes')).status).toBe(200);
    const write = await call(server.url, token, 'PUT', `/v1/nodes/${uid('tk-wh')}`, { type: 'warehouse', location: { lat: 1, lon: 2 } });
    expect(write.status).toBe(403);
    expect((await call(server.url, token, 'POST', '/v1/orders', { customerId: 'c', destination: { lat: 1, lon: 2 }, lines: [{ sku: 'X', qty: 1 }] })).status).toBe(403);
    const client = await connect(token);
    expect(await client.subscribe(['orders', 'sku:X', 'node:Y', 'order:ord_Z'])).toMatchObject({ op: 'subscribed' });
  });

  it('past its expiry is 401 on HTTP and at the stream upgrade', async () => {
    const expired = authAt(-2 * 3600_000).viewerToken(3600).token;
    expect(authAt(0).verify(expired)).toBeUndefined();
    const answer = await call(server.url, expired, 'GET', '/v1/nodes');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    expect((await refusedUpgrade(`${server.wsUrl}?token=${encodeURIComponent(expired)}`)).status).toBe(401);
    // One minted a moment ago on the same key is still good.
    const fresh = authAt(-60_000).viewerToken(3600).token;
    expect((await call(server.url, fresh, 'GET', '/v1/nodes')).status).toBe(200);
  });

  it('tampered with (a later expiry, another signature, parts missing) is 401', async () => {
    const token = (await mint(server.tokens.ops, { ttlSeconds: 60 })).body.token as string;
    const [kind, expiresAt, nonce, signature] = token.split('.');
    const forgeries = [
      [kind, String(Number(expiresAt) + 86_400), nonce, signature].join('.'),
      [kind, expiresAt, nonce, signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))].join('.'),
      [kind, expiresAt, `${nonce}x`, signature].join('.'),
      [kind, expiresAt, signature].join('.'),
      ['st', expiresAt, nonce, signature].join('.'),
      [kind, `${expiresAt}.5`, nonce, signature].join('.'),
      // Signed by another key.
      new Auth(server.tokens, Buffer.alloc(32, 7)).viewerToken(600).token,
    ];
    for (const forged of forgeries) expect((await call(server.url, forged, 'GET', '/v1/nodes')).status, forged).toBe(401);
  });
});

describe('stream tokens', () => {
  async function order() {
    const nodeId = uid('tk-wh');
    const sku = uid('TK-SKU');
    await call(server.url, server.tokens.ops, 'PUT', `/v1/nodes/${nodeId}`, { type: 'warehouse', location: { lat: 41.88, lon: -87.63 } });
    await call(server.url, server.tokens.ops, 'PUT', `/v1/inventory/${nodeId}/${sku}`, { onHand: 5 });
    const answer = await call(server.url, server.tokens.checkout, 'POST', '/v1/orders', { customerId: uid('c'), destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku, qty: 1 }] });
    expect(answer.status).toBe(201);
    return answer.body as { orderId: string; reservationId: string; streamToken: string };
  }

  it("for one order gets a FORBIDDEN frame for another order's topic, also with from", async () => {
    const mine = await order();
    const other = await order();
    const shopper = await connect(mine.streamToken);
    const refused = await shopper.subscribe([`order:${other.orderId}`], { [`order:${other.orderId}`]: 0 });
    expect(refused).toMatchObject({ op: 'error', error: { code: 'FORBIDDEN', details: { topics: [`order:${other.orderId}`] } } });
    expect(shopper.events(`order:${other.orderId}`)).toEqual([]);
    expect(await shopper.subscribe([`order:${mine.reservationId}`], { [`order:${mine.reservationId}`]: 0 })).toMatchObject({ op: 'subscribed' });
    await shopper.waitFor((f) => f.type === 'order.released');
  });

  it('is refused at the upgrade (401) once expired, or when signed for another order and edited', async () => {
    const mine = await order();
    const expired = authAt(-31 * 86_400_000).streamToken(mine.orderId.slice(4));
    expect((await refusedUpgrade(`${server.wsUrl}?token=${encodeURIComponent(expired)}`)).status).toBe(401);
    const [kind, , expiresAt, signature] = mine.streamToken.split('.');
    const retargeted = [kind, Buffer.from('someone-else').toString('base64url'), expiresAt, signature].join('.');
    expect((await refusedUpgrade(`${server.wsUrl}?token=${encodeURIComponent(retargeted)}`)).status).toBe(401);
  });
});

describe('the origin allow-list', () => {
  let guarded: Gateway;
  let guardedUrl: string;
  beforeAll(async () => {
    const allowedOrigins = parseAllowedOrigins(' https://ops.example.com , http://localhost:3000/ ')!;
    guarded = await startGateway({ engine: server.engine, auth: server.auth, logger: silentLogger, host: '127.0.0.1', port: 0, allowedOrigins });
    guardedUrl = `ws://127.0.0.1:${guarded.port}/v1/stream?token=${server.tokens.viewer}`;
  });
  afterAll(() => guarded.close());

  it('refuses a browser Origin outside the list with 403 FORBIDDEN, before looking at the token', async () => {
    for (const origin of ['https://evil.example', 'https://ops.example.com.evil.example', 'http://ops.example.com', 'null']) {
      const refused = await refusedUpgrade(guardedUrl, { origin });
      expect(refused.status, origin).toBe(403);
      expect(refused.body.error.code).toBe('FORBIDDEN');
    }
    expect((await refusedUpgrade(`ws://127.0.0.1:${guarded.port}/v1/stream?token=nope`, { origin: 'https://evil.example' })).status).toBe(403);
  });

  it('lets in the listed origins (case and a trailing slash aside), its own origin, and clients without Origin', async () => {
    for (const options of [{ origin: 'https://ops.example.com' }, { origin: 'HTTPS://OPS.EXAMPLE.COM/' }, { origin: 'http://localhost:3000' }, { origin: `http://127.0.0.1:${guarded.port}` }, {}]) {
      const client = await StreamClient.open(guardedUrl, options);
      clients.push(client);
      expect(await client.subscribe(['orders']), JSON.stringify(options)).toMatchObject({ op: 'subscribed' });
    }
    // Without the option (the default server), any origin may connect.
    const open = await connect(server.tokens.viewer, { origin: 'https://evil.example' });
    expect(await open.subscribe(['orders'])).toMatchObject({ op: 'subscribed' });
  });

  it('OO_ALLOWED_ORIGINS: unset or blank allows all; an entry that is not an origin is a startup error', () => {
    expect(parseAllowedOrigins(undefined)).toBeUndefined();
    expect(parseAllowedOrigins('  ')).toBeUndefined();
    expect(parseAllowedOrigins('https://a.example,https://b.example:8443')).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(() => parseAllowedOrigins('https://a.example/path')).toThrow(/OO_ALLOWED_ORIGINS/);
    expect(() => parseAllowedOrigins('a.example')).toThrow(/OO_ALLOWED_ORIGINS/);
  });
});
