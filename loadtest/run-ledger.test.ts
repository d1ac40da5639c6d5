// Shows how the run's ledger follows its holds and orders from the engine's answers (held →
// confirmed → shipped → delivered, released, cancelled, expired), what it expects to be reserved
// and shipped per SKU and node, that finished records are folded away, and that worker summaries
// merge by adding up.
import { describe, expect, it } from 'vitest';
import { seededRandom } from './random.js';
import { mergeSummaries, RunLedger } from './run-ledger.js';

const ledgerOf = (sampleSize = 100, trackCustomers = true) => new RunLedger({ sampleSize, random: seededRandom('ledger'), trackCustomers });

const holdAnswer = (id: string, allocations: Array<[string, string, number]>, expiresAt = '2999-01-01T00:00:00.000Z') => ({
  reservationId: id,
  status: 'held',
  expiresAt,
  allocations: allocations.map(([sku, nodeId, qty]) => ({ sku, nodeId, qty })),
});
const orderAnswer = (id: string, lines: Array<[string, string, number, string]>) => ({
  orderId: `ord_${id}`,
  reservationId: id,
  lines: lines.map(([sku, nodeId, qty, status]) => ({ sku, nodeId, qty, status })),
});

describe('RunLedger', () => {
  it('expects held and confirmed units reserved, shipped units off onHand, and folds delivered orders', () => {
    const ledger = ledgerOf();
    const a = ledger.held(holdAnswer('rsv_a', [['S1', 'n1', 2], ['S2', 'n2', 1]]), 'c1');
    ledger.held(holdAnswer('rsv_b', [['S1', 'n1', 1]]), 'c2');
    let summary = ledger.summary();
    expect(summary.held.map((h) => h.units)).toEqual([[['S1', 'n1', 2], ['S2', 'n2', 1]], [['S1', 'n1', 1]]]);
    expect(summary.reserved).toEqual({});

    ledger.confirmed(a, orderAnswer('rsv_a', [['S1', 'n1', 2, 'released'], ['S2', 'n2', 1, 'released']]));
    ledger.orderChanged(a, orderAnswer('rsv_a', [['S1', 'n1', 2, 'shipped'], ['S2', 'n2', 1, 'released']]), 'events');
    summary = ledger.summary();
    expect(summary.reserved).toEqual({ 'S2\tn2': 1 });
    expect(summary.shipped).toEqual({ 'S1\tn1': 2 });
    expect(summary.held).toHaveLength(1);

    ledger.orderChanged(a, orderAnswer('rsv_a', [['S1', 'n1', 2, 'delivered'], ['S2', 'n2', 1, 'cancelled']]), 'cancels');
    expect(ledger.liveCount).toBe(1); // a is done: folded, its shipment kept in the totals
    summary = ledger.summary();
    expect(summary.reserved).toEqual({});
    expect(summary.shipped).toEqual({ 'S1\tn1': 2 });
    expect(summary.counts).toMatchObject({ holds: 2, confirms: 1, events: 1, cancels: 1, units: 4 });
    expect(summary.customerUnits).toEqual({ 'c1\tS1': 2, 'c2\tS1': 1 });
  });

  it('a released hold holds nothing; a hold past its deadline (and the grace) is taken as expired', () => {
    const ledger = ledgerOf();
    const now = Date.parse('2030-01-01T00:00:00.000Z');
    const a = ledger.held(holdAnswer('rsv_a', [['S1', 'n1', 1]], new Date(now + 10_000).toISOString()), 'c1');
    ledger.held(holdAnswer('rsv_b', [['S1', 'n1', 1]], new Date(now + 20_000).toISOString()), 'c2');
    ledger.released(a);
    ledger.expire(now + 20_000 + 2_999, 3_000);
    expect(ledger.summary().held).toHaveLength(1);
    ledger.expire(now + 20_000 + 3_001, 3_000);
    const summary = ledger.summary();
    expect(summary.held).toEqual([]);
    expect(summary.counts).toMatchObject({ releases: 1, expired: 1 });
    expect(summary.customerUnits).toEqual({});
    expect(summary.sample.map((s) => s.expected).sort()).toEqual(['expired', 'released']);
  });

  it('a hold being confirmed is not expired under it; an unanswered step is left to the audit', () => {
    const ledger = ledgerOf();
    const a = ledger.held(holdAnswer('rsv_a', [['S1', 'n1', 1]], '2000-01-01T00:00:00.000Z'), 'c1');
    a.busy = true;
    ledger.expire(Date.now(), 3_000);
    expect(a.state).toBe('held');
    ledger.uncertain(a);
    const summary = ledger.summary();
    expect(summary.uncertain).toEqual([{ reservationId: 'rsv_a' }]);
    expect(summary.held).toEqual([]);
  });

  it('samples at most sampleSize ids, each create equally likely', () => {
    const hits = new Array<number>(100).fill(0);
    for (let trial = 0; trial < 200; trial++) {
      const ledger = new RunLedger({ sampleSize: 10, random: seededRandom(`trial-${trial}`), trackCustomers: false });
      for (let i = 0; i < 100; i++) ledger.held(holdAnswer(`rsv_${i}`, [['S', 'n', 1]]), 'c');
      const sample = ledger.summary().sample;
      expect(sample).toHaveLength(10);
      for (const s of sample) hits[Number(s.reservationId.slice(4))]++;
    }
    // Each id is expected 20 times in 200 trials; the early ones are not favoured.
    const early = hits.slice(0, 50).reduce((a, b) => a + b, 0);
    const late = hits.slice(50).reduce((a, b) => a + b, 0);
    expect(Math.abs(early - late)).toBeLessThan(200);
  });

  it('worker summaries merge by adding up; the merged sample is cut back to size', () => {
    const one = ledgerOf(5);
    const two = ledgerOf(5);
    for (let i = 0; i < 5; i++) one.held(holdAnswer(`rsv_1${i}`, [['S1', 'n1', 1]]), `a${i}`);
    for (let i = 0; i < 5; i++) two.ordered(orderAnswer(`rsv_2${i}`, [['S1', 'n1', 2, 'released']]), `b${i}`);
    const merged = mergeSummaries([one.summary(), two.summary()], 6, seededRandom('m'));
    expect(merged.held).toHaveLength(5);
    expect(merged.reserved).toEqual({ 'S1\tn1': 10 });
    expect(merged.counts).toMatchObject({ holds: 5, orders: 5, units: 15 });
    expect(merged.sample).toHaveLength(6);
  });
});
