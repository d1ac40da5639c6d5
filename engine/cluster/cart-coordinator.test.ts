// Shows the cart coordinator's failure paths on an in-process cluster: three real Engines (LMDB in
// temp dirs, partitions 0-2 with their id prefixes) served by PartitionServers on a MemoryBus, and
// ClusterClients as gateways. A gateway that dies after holding a cart's parts (its home request
// never answered) leaves parts that a repeat of the same Idempotency-Key through another gateway
// reuses, holding nothing more; a part given back meanwhile is held anew; a confirm that meets a
// part no longer held gives back the whole cart; of two concurrent confirms one wins whole and
// the loser undoes nothing; a home partition not served refuses the cart
// with PARTITION_UNAVAILABLE and the parts are released at once.
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { LmdbLedger } from '../../storage/lmdb-ledger.js';
import { tempDir } from '../../test/support/fixtures.js';
import { MemoryBus } from '../bus/memory-bus.js';
import { Engine, type IdempotencyKey } from '../engine.js';
import { isEngineError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { ClusterClient } from './cluster-client.js';
import { PartitionServer } from './partition-server.js';
import { partitionIdPrefix, partitionOfSku } from './partitions.js';
import type { CommandOp } from './protocol.js';

const partitionCount = 3;
let dir: ReturnType<typeof tempDir>;
let bus: MemoryBus;
let engines: Engine[];
let ledgers: LmdbLedger[];
let servers: PartitionServer[];

const skuOf = (partition: number, prefix: string): string => {
  for (let n = 0; ; n++) if (partitionOfSku(`${prefix}-${n}`, partitionCount) === partition) return `${prefix}-${n}`;
};
const [s0, s1, s2] = [skuOf(0, 'c'), skuOf(1, 'c'), skuOf(2, 'c')];
const cart = { customerId: 'c1', destination: { lat: 41.9, lon: -87.7 }, lines: [{ sku: s2, qty: 2 }, { sku: s0, qty: 1 }, { sku: s1, qty: 3 }] };
const key: IdempotencyKey = { scope: 'checkout::POST /v1/reservations', key: 'cart-1', fingerprint: 'body-1' };

/** A gateway that dies when it sends `op` to `partition`: the call never comes back. */
class DyingGateway extends ClusterClient {
  constructor(private readonly diesAt: { partition: number; op: CommandOp }) {
    super({ bus, partitionCount, requestTimeoutMs: 1_000 });
  }

  override send(partition: number, op: CommandOp, args: unknown[]): Promise<unknown> {
    if (partition === this.diesAt.partition && op === this.diesAt.op) return new Promise(() => {});
    return super.send(partition, op, args);
  }
}

const gateway = (): ClusterClient => new ClusterClient({ bus, partitionCount, requestTimeoutMs: 1_000 });
const reserved = async (): Promise<number[]> => Promise.all([s0, s1, s2].map(async (sku) => (await engines[partitionOfSku(sku, partitionCount)].getInventory(sku)).nodes[0].reserved));
const refusal = async (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => (isEngineError(error) ? error : undefined));

beforeEach(async () => {
  dir = tempDir('oo-carts-');
  bus = new MemoryBus();
  ledgers = Array.from({ length: partitionCount }, (_, p) => new LmdbLedger({ path: join(dir.path, `p${p}`) }));
  engines = ledgers.map((ledger, p) => new Engine({ ledger, bus, logger: silentLogger, idPrefix: partitionIdPrefix(p) }));
  for (const engine of engines) await engine.start();
  servers = engines.map((engine, p) => new PartitionServer(p, engine, bus, silentLogger));
  for (const server of servers) server.start();
  const client = gateway();
  await client.putNode('wh-1', { type: 'warehouse', name: 'WH', location: { lat: 41.88, lon: -87.63 }, priority: 1 });
  for (const sku of [s0, s1, s2]) await client.setStock('wh-1', sku, { onHand: 10 });
});

afterEach(async () => {
  for (const server of servers) server.stop();
  for (const engine of engines) await engine.stop();
  for (const ledger of ledgers) await ledger.close();
  await bus.close();
  dir.remove();
});

it('reuses the parts a dead gateway held when the same key is repeated elsewhere: nothing more is held', async () => {
  const dying = new DyingGateway({ partition: 0, op: 'createReservation' });
  void dying.createReservation(cart, key);
  await new Promise((r) => setTimeout(r, 100));
  // The parts are held; the home never was.
  expect(await reserved()).toEqual([0, 3, 2]);

  const answer = await gateway().createReservation(cart, key);
  expect(answer.status).toBe(201);
  expect(answer.body.reservationId.startsWith(`rsv_${partitionIdPrefix(0)}`)).toBe(true);
  expect(answer.body.allocations).toHaveLength(3);
  expect(await reserved()).toEqual([1, 3, 2]);
  // And once more: the home keeps the answer.
  const again = await gateway().createReservation(cart, key);
  expect(again.body.reservationId).toBe(answer.body.reservationId);
  expect(again.replayed).toBe(true);
  expect(await reserved()).toEqual([1, 3, 2]);

  const order = await gateway().confirmReservation(answer.body.reservationId, {});
  expect(order.body.status).toBe('released');
  expect(order.body.lines).toHaveLength(3);
});

it('holds a part anew when the one a dead gateway left was given back meanwhile', async () => {
  const dying = new DyingGateway({ partition: 0, op: 'createReservation' });
  void dying.createReservation(cart, key);
  await new Promise((r) => setTimeout(r, 100));
  // Give back the part of partition 2 (as its TTL would): the repeat must not build on it.
  const client = gateway();
  const part = (await engines[2].idempotentAnswer({ ...key, scope: `${key.scope}#part`, key: `${key.key}#${key.fingerprint}#p2` }))!.body as { reservationId: string };
  await client.releaseReservation(part.reservationId);
  expect(await reserved()).toEqual([0, 3, 0]);

  const answer = await client.createReservation(cart, key);
  expect(answer.status).toBe(201);
  expect(await reserved()).toEqual([1, 3, 2]);
  const read = await client.getReservation(answer.body.reservationId);
  expect(read.status).toBe('held');
  expect(read.allocations.map((a) => a.sku).sort()).toEqual([s0, s1, s2].sort());
});

it('gives back the whole cart when a confirm meets a part that is no longer held', async () => {
  const client = gateway();
  const held = (await client.createReservation(cart)).body;
  const home = (await engines[0].getReservation(held.reservationId)) as { parts?: Array<{ partition: number; reservationId: string }> };
  const lost = home.parts!.find((p) => p.partition === 1)!;
  await engines[1].releaseReservation(lost.reservationId);

  const refused = await refusal(client.confirmReservation(held.reservationId, {}));
  expect(refused?.code).toBe('INVALID_STATE');
  expect(await reserved()).toEqual([0, 0, 0]);
  expect((await client.getReservation(held.reservationId)).status).toBe('released');
});

it('lets one of two concurrent confirms of a cart win whole; the other is refused and undoes nothing', async () => {
  const held = (await gateway().createReservation(cart)).body;
  const [a, b] = await Promise.allSettled([gateway().confirmReservation(held.reservationId, {}), gateway().confirmReservation(held.reservationId, {})]);
  const won = [a, b].filter((s) => s.status === 'fulfilled');
  const lost = [a, b].filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(lost[0].reason.code).toBe('INVALID_STATE');
  const order = await gateway().getOrder(held.reservationId.replace('rsv_', 'ord_'));
  expect(order.status).toBe('released');
  expect(order.lines.map((l) => l.status)).toEqual(['released', 'released', 'released']);
  expect(await reserved()).toEqual([1, 3, 2]);
});

it('refuses a cart whose home partition is not served, and releases the parts it held', async () => {
  servers[0].stop();
  const refused = await refusal(gateway().createReservation(cart));
  expect(refused?.code).toBe('PARTITION_UNAVAILABLE');
  expect(refused?.details).toMatchObject({ partition: 0 });
  expect(await reserved()).toEqual([0, 0, 0]);
  servers[0].start();
});
