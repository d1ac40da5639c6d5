// Shows what happens at the bounds: a SKU actor with too many commands in flight answers
// OVERLOADED with a Retry-After, the refused requests change nothing, and the accepted ones are
// all there. Over HTTP the same is a 503 with a Retry-After header.
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from './errors.js';
import { call, openEngine, startServer, tempDir, type TestEngine, type TestServer } from '../test/support/fixtures.js';

let opened: TestEngine | undefined;
let server: TestServer | undefined;
let dir: ReturnType<typeof tempDir> | undefined;
afterEach(async () => {
  await opened?.stop();
  await server?.close();
  dir?.remove();
  opened = server = dir = undefined;
});

const hold = (i: number) => ({ customerId: `c${i}`, destination: { lat: 40, lon: -75 }, lines: [{ sku: 'HOT', qty: 1 }] });

describe('bounds', () => {
  it('sheds holds past the in-flight bound with OVERLOADED and Retry-After, changing nothing for them', async () => {
    dir = tempDir();
    opened = await openEngine(dir.path, undefined, { actorInflightMax: 8 });
    const { engine } = opened;
    await engine.putNode('n1', { type: 'warehouse', name: 'N1', location: { lat: 40, lon: -75 }, priority: 1 });
    await engine.setStock('n1', 'HOT', { onHand: 1_000 });
    // All at once, in one turn: nothing is durable yet, so the ninth finds eight in flight.
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => engine.createReservation(hold(i))));
    const accepted = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(accepted.length).toBe(8);
    expect(refused.length).toBe(32);
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(EngineError);
      expect((r.reason as EngineError).code).toBe('OVERLOADED');
      expect((r.reason as EngineError).retryAfterSeconds).toBeGreaterThan(0);
    }
    expect((await engine.getInventory('HOT')).nodes[0].reserved).toBe(8);
    expect((await engine.audit()).ok).toBe(true);
    // Once durable, the actor takes commands again.
    expect((await engine.createReservation(hold(99))).status).toBe(201);
  });

  it('answers 503 OVERLOADED with a Retry-After header over HTTP', async () => {
    server = await startServer({ bounds: { actorInflightMax: 2 } });
    const { url, tokens } = server;
    await call(url, tokens.ops, 'PUT', '/v1/nodes/n1', { type: 'warehouse', location: { lat: 40, lon: -75 } });
    await call(url, tokens.ops, 'PUT', '/v1/inventory/n1/HOT', { onHand: 1_000 });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(url, tokens.checkout, 'POST', '/v1/reservations', hold(i))));
    const shed = answers.filter((a) => a.status === 503);
    const held = answers.filter((a) => a.status === 201);
    expect(shed.length).toBeGreaterThan(0);
    for (const a of shed) {
      expect(a.body.error.code).toBe('OVERLOADED');
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(held.length + shed.length).toBe(60);
    const inventory = await call(url, tokens.checkout, 'GET', '/v1/inventory/HOT');
    expect(inventory.body.nodes[0].reserved).toBe(held.length);
  });
});
