// Shows the learning loop: after delivered events in which one carrier service is slower than its
// band says, that service's promises move later, its estimate converges to the real transit, the
// other services are untouched, and the memory stays bounded (least recently updated dropped).
// Also: transit days observed across a weekend, a persisted learner restored as it was, and the
// rejection tracker whose rate lowers a node in the blend.
// How: a TransitLearner fed seeded deliveries, read through `transitDaysFor` and through real plans.
import { describe, expect, it } from 'vitest';
import { groundService, economyService } from './carriers.js';
import { RejectionTracker, TransitLearner, observedTransitDays } from './learning.js';
import { prepareNetwork } from './network.js';
import { plan } from './sourcing.js';
import { at, carrier, chicago, node, northOf, stockOf } from './test-fixtures.js';

describe('TransitLearner', () => {
  const destination = northOf(chicago, 100); // ground band 0: 1 day nominal
  const groundOnly = prepareNetwork([node('wh', chicago, { carriers: [groundService] })]);
  const groundAndEconomy = prepareNetwork([node('wh', chicago, { carriers: [groundService, economyService] })]);
  const stock = stockOf([['TEE', 'wh', 1_000]]);
  const nowMs = at('2026-03-10T19:00:00Z'); // Tue 14:00 CDT
  const groundPlan = (learner: TransitLearner, network = groundOnly) => {
    const result = plan({ destination, lines: [{ sku: 'TEE', qty: 1 }], strategy: 'fastest' }, network, stock, { nowMs, learner });
    if (!result.ok) throw new Error('no plan');
    return result.plan.shipments[0];
  };

  it('moves a slow service’s promises later and converges to its real transit', () => {
    const learner = new TransitLearner();
    const before = groundPlan(learner);
    expect([before.carrierId, before.transitDays, before.deliveryDate]).toEqual(['ground', 1, '2026-03-12']);
    expect(groundPlan(learner, groundAndEconomy).carrierId).toBe('ground');
    // Ground really takes 3 days at this distance, give or take one day now and then.
    let seed = 7;
    const noise = (): number => ((seed = (seed * 48_271) % 2_147_483_647) % 10 === 0 ? 1 : 0);
    for (let i = 0; i < 200; i++) learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 3 + noise() });
    const estimate = learner.estimate('ground', 0)!;
    expect(estimate.samples).toBe(200);
    expect(estimate.meanDays).toBeGreaterThan(2.95);
    expect(estimate.meanDays).toBeLessThan(3.3);
    expect(learner.transitDaysFor('ground', 0, 1)).toBe(3);
    const after = groundPlan(learner);
    expect([after.transitDays, after.deliveryDate]).toEqual([3, '2026-03-16']); // ships Wed, 3 carrier days → Mon
    // The economy service was not observed: its promise is still the nominal one, now the faster.
    expect(learner.transitDaysFor('economy', 0, 2)).toBe(2);
    const switched = groundPlan(learner, groundAndEconomy);
    expect([switched.carrierId, switched.transitDays]).toEqual(['economy', 2]);
  });

  it('waits for minSamples deliveries, and weighs the band’s nominal days as a fading prior', () => {
    const learner = new TransitLearner(); // minSamples 20, alpha 0.05, quantile 0.9
    for (let i = 0; i < 19; i++) learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: i < 16 ? 1 : 4 });
    expect(learner.transitDaysFor('ground', 0, 1)).toBe(1); // too few deliveries to trust
    learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 1 });
    // 20 deliveries, 3 of them slow: the slow ones hold ~13% of the weight, more than the 10% a 0.9 promise may miss.
    expect(learner.transitDaysFor('ground', 0, 1)).toBe(4);
    for (let i = 0; i < 40; i++) learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 1 });
    expect(learner.transitDaysFor('ground', 0, 1)).toBe(1); // the slow ones have faded
  });

  it('promises a late-one-time-in-ten service at its usual days, not a day later (the 0.9 quantile)', () => {
    const learner = new TransitLearner();
    for (let i = 0; i < 300; i++) learner.observe({ service: groundService, distanceKm: 400, actualTransitDays: i % 20 === 0 ? 3 : 2 });
    expect(learner.transitDaysFor('ground', 1, 2)).toBe(2);
    const strict = new TransitLearner({ quantile: 0.99 });
    for (let i = 0; i < 300; i++) strict.observe({ service: groundService, distanceKm: 400, actualTransitDays: i % 20 === 0 ? 3 : 2 });
    expect(strict.transitDaysFor('ground', 1, 2)).toBe(3);
  });

  it('learns faster services too: promises move earlier once the evidence is there', () => {
    const learner = new TransitLearner();
    for (let i = 0; i < 100; i++) learner.observe({ service: economyService, distanceKm: 1_200, actualTransitDays: 3 });
    expect(learner.transitDaysFor('economy', 2, 5)).toBe(3);
  });

  it('ignores what it cannot use: beyond the service’s bands, negative or not a number', () => {
    const learner = new TransitLearner();
    const short = { id: 'short', transit: [{ maxKm: 50, days: 1 }] };
    expect(learner.observe({ service: short, distanceKm: 60, actualTransitDays: 1 })).toBe(false);
    expect(learner.observe({ service: short, distanceKm: 10, actualTransitDays: -1 })).toBe(false);
    expect(learner.observe({ service: short, distanceKm: 10, actualTransitDays: Number.NaN })).toBe(false);
    expect(learner.size).toBe(0);
  });

  it('keeps at most entriesMax keys, dropping the least recently updated', () => {
    const learner = new TransitLearner({ entriesMax: 2 });
    learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 1 }); // ground/0
    learner.observe({ service: groundService, distanceKm: 400, actualTransitDays: 2 }); // ground/1
    learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 1 }); // ground/0 again: now the newest
    learner.observe({ service: economyService, distanceKm: 100, actualTransitDays: 2 }); // economy/0: ground/1 goes
    expect(learner.size).toBe(2);
    expect(learner.estimate('ground', 1)).toBeUndefined();
    expect(learner.estimate('ground', 0)?.samples).toBe(2);
    expect(learner.estimate('economy', 0)?.samples).toBe(1);
  });

  it('reads without changing anything, and comes back from a snapshot as it was', () => {
    const learner = new TransitLearner({ entriesMax: 2 });
    learner.observe({ service: groundService, distanceKm: 100, actualTransitDays: 2 });
    learner.observe({ service: groundService, distanceKm: 400, actualTransitDays: 3 });
    const before = JSON.stringify(learner.snapshot());
    learner.transitDaysFor('ground', 0, 1);
    learner.estimate('ground', 0);
    expect(JSON.stringify(learner.snapshot())).toBe(before);
    const restored = TransitLearner.fromSnapshot(JSON.parse(before));
    expect(JSON.stringify(restored.snapshot())).toBe(before);
  });

  it('counts transit in carrier delivery days across a weekend', () => {
    const friday = at('2026-03-13T20:00:00Z');
    expect(observedTransitDays(friday, at('2026-03-16T18:00:00Z'), 'America/Chicago')).toBe(1); // Fri → Mon
    expect(observedTransitDays(friday, at('2026-03-14T18:00:00Z'), 'America/Chicago', [1, 2, 3, 4, 5, 6])).toBe(1); // Fri → Sat
    expect(observedTransitDays(friday, at('2026-03-13T23:00:00Z'), 'America/Chicago')).toBe(0);
  });
});

describe('RejectionTracker', () => {
  it('raises a node’s rate with its rejections, and the blend moves away from it', () => {
    const tracker = new RejectionTracker({ alpha: 0.2 });
    for (let i = 0; i < 20; i++) tracker.observe('flaky', true);
    tracker.observe('steady', false);
    expect(tracker.rate('flaky')).toBeGreaterThan(0.95);
    expect(tracker.rate('steady')).toBe(0);
    expect(tracker.rate('unknown')).toBe(0);
    const network = prepareNetwork([
      node('flaky', northOf(chicago, 10), { carriers: [carrier('c', { base: 8 })] }),
      node('steady', northOf(chicago, 200), { carriers: [carrier('c', { base: 10 })] }),
    ]);
    const stock = stockOf([['TEE', 'flaky', 5], ['TEE', 'steady', 5]]);
    const nowMs = at('2026-03-10T15:00:00Z');
    const request = { destination: chicago, lines: [{ sku: 'TEE', qty: 1 }] };
    const without = plan(request, network, stock, { nowMs });
    const withRates = plan(request, network, stock, { nowMs, rejectionRates: tracker.asMap() });
    expect(without.ok && without.plan.shipments[0].nodeId).toBe('flaky');
    expect(withRates.ok && withRates.plan.shipments[0].nodeId).toBe('steady');
    expect(withRates.ok && withRates.plan.explanation.lines[0].candidates.find((c) => c.nodeId === 'flaky')!.terms.rejection).toBeGreaterThan(14);
  });

  it('keeps at most nodesMax nodes', () => {
    const tracker = new RejectionTracker({ nodesMax: 3 });
    for (const nodeId of ['a', 'b', 'c', 'd']) tracker.observe(nodeId, true);
    expect(tracker.asMap().size).toBe(3);
    expect(tracker.rate('a')).toBe(0);
  });
});
