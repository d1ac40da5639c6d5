// Shows how a gateway numbers the stream, pure: a single-partition order keeps its partition's
// seq; a cart home's topic (header oo-cart) and a node topic are numbered by the gateway, one by
// one; a confirmed part's event (header oo-cart-home) goes out under its own topic with its own
// seq and again under the home's topic, next in the home's numbering, with the cart's ids;
// duplicates (an outbox relaying again) are dropped once and for both topics; at the bound a
// forgotten renumbered topic starts above every seq forgotten, so seq never goes back.
import { expect, it } from 'vitest';
import type { StoredEvent } from '../ledger.js';
import { cartHeaders, StreamSeqs, type RelayedEvent } from './stream-seqs.js';

const event = (topic: string, seq: number, data: Record<string, unknown> = {}): StoredEvent => ({ topic, seq, type: 'order.shipped', at: 0, data });
const from = (partition: number, extra: Record<string, string> = {}) => ({ 'oo-partition': String(partition), ...extra });
const home = 'ord_p0-aaa';
const part = 'ord_p2-bbb';

it('keeps a single-partition order\'s seq, numbers a cart home\'s topic, and tells a part\'s events on both topics', () => {
  const seqs = new StreamSeqs();
  expect(seqs.number(event('order:ord_p1-x', 7), from(1))).toEqual([event('order:ord_p1-x', 7)]);
  expect(seqs.lastSeq('order:ord_p1-x')).toBe(7);

  const homeHeaders = from(0, { [cartHeaders.home]: '1' });
  const partHeaders = from(2, { [cartHeaders.partOf]: home });
  expect(seqs.number(event(`order:${home}`, 1), homeHeaders).map((e) => e.seq)).toEqual([1]);
  expect(seqs.number(event(`order:${home}`, 2), homeHeaders).map((e) => e.seq)).toEqual([2]);
  const told = seqs.number(event(`order:${part}`, 4, { orderId: part, reservationId: 'rsv_p2-bbb', status: 'shipped' }), partHeaders);
  expect(told).toHaveLength(2);
  expect(told[0]).toMatchObject({ topic: `order:${part}`, seq: 4, data: { orderId: part } });
  expect(told[1]).toMatchObject({ topic: `order:${home}`, seq: 3, data: { orderId: home, reservationId: 'rsv_p0-aaa', partOrderId: part, status: 'shipped' } });
  expect((told[1] as RelayedEvent).relayedFrom).toBe(`order:${part}`);
  expect((told[0] as RelayedEvent).relayedFrom).toBeUndefined();
  expect(seqs.number(event(`order:${home}`, 3), homeHeaders).map((e) => e.seq)).toEqual([4]);
  expect(seqs.lastSeq(`order:${home}`)).toBe(4);
  expect(seqs.lastSeq(`order:${part}`)).toBe(4);

  // The outbox relays again after a crash: nothing is told twice, on either topic.
  expect(seqs.number(event(`order:${part}`, 4), partHeaders)).toEqual([]);
  expect(seqs.number(event(`order:${home}`, 2), homeHeaders)).toEqual([]);
  // A part's event before it was confirmed (no header) stays under its own topic only.
  expect(seqs.number(event('order:ord_p3-ccc', 1), from(3)).map((e) => e.topic)).toEqual(['order:ord_p3-ccc']);
});

it('at its bound forgets the least recently seen topic; a renumbered one comes back above every seq forgotten', () => {
  const seqs = new StreamSeqs(2);
  const cart = from(0, { [cartHeaders.home]: '1' });
  for (let seq = 1; seq <= 5; seq++) seqs.number(event(`order:${home}`, seq), cart);
  expect(seqs.lastSeq(`order:${home}`)).toBe(5);
  seqs.number(event('order:ord_p1-y', 1), from(1));
  seqs.number(event('order:ord_p1-z', 1), from(1));
  expect(seqs.lastSeq(`order:${home}`)).toBe(0);
  expect(seqs.number(event(`order:${home}`, 6), cart).map((e) => e.seq)).toEqual([6]);
  // Non-object data on a part's event still reaches the home's topic, with the cart's ids.
  const told = seqs.number({ ...event(`order:${part}`, 1), data: null }, from(2, { [cartHeaders.partOf]: home }));
  expect(told[1]).toMatchObject({ topic: `order:${home}`, seq: 7, data: { orderId: home, partOrderId: part } });
});
