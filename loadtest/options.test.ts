// Shows the command line: scenario defaults, flags that override them, durations and the mix,
// and the bad input refused with a usage error.
import { describe, expect, it } from 'vitest';
import { holdTtlSecondsOf, parseDurationSeconds, parseMix, parseOptions, UsageError } from './options.js';

describe('parseOptions', () => {
  it('takes the scenario\'s defaults and the flags over them', () => {
    const flash = parseOptions(['flash-sale']);
    expect(flash).toMatchObject({ scenario: 'flash-sale', rate: 200, durationSeconds: 10, skus: 3, limit: 2, burst: 200, workers: 1, closed: false });
    const steady = parseOptions(['steady', '--rate', '500', '--ramp', '10s', '--duration', '2m', '--workers', '2', '--seed', 's1', '--mix', 'hold=1,event=3']);
    expect(steady).toMatchObject({ rate: 500, rampSeconds: 10, durationSeconds: 120, workers: 2, seed: 's1' });
    expect(steady.mix).toMatchObject({ hold: 1, event: 3, confirm: 0 });
    expect(parseOptions(['soak', '--duration', '1h']).durationSeconds).toBe(3_600);
    expect(parseOptions(['fanout', '--subscribers', '7', '--topics', 'sku']).topics).toEqual(['sku']);
    expect(parseOptions(['steady', '--closed', '--concurrency', '64'])).toMatchObject({ closed: true, concurrency: 64 });
  });

  it('reads tokens from flags first, then the environment', () => {
    const options = parseOptions(['steady', '--url', 'http://127.0.0.1:8080', '--ops-token', 'a'], { OO_OPS_TOKEN: 'b', OO_CHECKOUT_TOKEN: 'c' });
    expect(options).toMatchObject({ url: 'http://127.0.0.1:8080', opsToken: 'a', checkoutToken: 'c' });
  });

  it('refuses what it cannot run', () => {
    for (const argv of [[], ['nope'], ['steady', 'extra'], ['steady', '--rate', '-1'], ['steady', '--rate', 'x'], ['steady', '--workers', '0'], ['steady', '--bogus'], ['steady', '--closed', '--rate', '10'], ['steady', '--mix', 'fly=1'], ['steady', '--duration', '0'], ['steady', '--duration', 'soon'], ['fanout', '--topics', 'node'], ['steady', '--hold-ttl', '5']]) {
      expect(() => parseOptions(argv), argv.join(' ')).toThrow(UsageError);
    }
  });

  it('durations, the mix and the hold TTL', () => {
    expect(parseDurationSeconds('500ms')).toBe(0.5);
    expect(parseDurationSeconds('90')).toBe(90);
    expect(parseDurationSeconds('5m')).toBe(300);
    expect(() => parseMix('hold=0')).toThrow(UsageError);
    expect(holdTtlSecondsOf(parseOptions(['steady', '--duration', '30']))).toBe(900);
    expect(holdTtlSecondsOf(parseOptions(['steady', '--duration', '2h']))).toBe(7_800);
    expect(holdTtlSecondsOf(parseOptions(['soak']))).toBe(60);
  });
});
