// Shows that the configuration read from the environment has the documented defaults and refuses
// a bad value at start with the variable's name, rather than running on a silent fallback.
import { describe, expect, it } from 'vitest';
import { configFromEnv } from './config.js';

describe('configFromEnv', () => {
  it('defaults: blend, b2b ships in the fewest parcels, pickups may be fed by transfers', () => {
    const config = configFromEnv({});
    expect(config.sourcing).toEqual({ defaultStrategy: 'blend', channelStrategies: { b2b: 'fewest_shipments' }, pickupTransfers: 'allow' });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: './data', seed: 'demo', logLevel: 'info' });
  });

  it('reads a strategy per channel, and an empty list sets none', () => {
    expect(configFromEnv({ OO_ROUTING_STRATEGY: 'cheapest', OO_CHANNEL_STRATEGIES: 'store=closest, marketplace=fastest', OO_PICKUP_TRANSFERS: 'refuse' }).sourcing)
      .toEqual({ defaultStrategy: 'cheapest', channelStrategies: { store: 'closest', marketplace: 'fastest' }, pickupTransfers: 'refuse' });
    expect(configFromEnv({ OO_CHANNEL_STRATEGIES: '' }).sourcing.channelStrategies).toEqual({});
  });

  it.each([
    [{ OO_ROUTING_STRATEGY: 'random' }, /OO_ROUTING_STRATEGY/],
    [{ OO_CHANNEL_STRATEGIES: 'fax=closest' }, /OO_CHANNEL_STRATEGIES: fax/],
    [{ OO_CHANNEL_STRATEGIES: 'b2b=slowest' }, /OO_CHANNEL_STRATEGIES \(b2b\)/],
    [{ OO_PICKUP_TRANSFERS: 'maybe' }, /OO_PICKUP_TRANSFERS/],
    [{ OO_PORT: '70000' }, /OO_PORT/],
    [{ OO_SEED: 'big' }, /OO_SEED/],
    [{ OO_CURRENCY_RATES: '{"eur":1}' }, /OO_CURRENCY_RATES/],
  ])('refuses %o at start, naming the variable', (env, message) => {
    expect(() => configFromEnv(env)).toThrow(message);
  });
});
