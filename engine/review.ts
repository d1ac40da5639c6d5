import { setRecent } from './recent-map.js';
import type { Destination } from '../actors/domain.js';

// Fraud and risk rules that put an order in `exception` for a person to review, instead of
// releasing it: too many orders from one customer or to one destination in an hour, or an order
// worth more than a threshold (in the base currency). All off unless configured. The velocity
// windows are in memory and bounded (a restart forgets them: a rule may miss, never block).

export interface ReviewRules {
  maxOrdersPerCustomerPerHour?: number;
  maxOrdersPerDestinationPerHour?: number;
  maxOrderValue?: number;
}

export interface ReviewInput {
  customerId: string;
  destination: Destination;
  value?: number;
}

const hourMs = 3600 * 1000;
const keysMax = 100_000;
const perKeyMax = 1_000;

export class ReviewPolicy {
  private readonly byCustomer = new Map<string, number[]>();
  private readonly byDestination = new Map<string, number[]>();

  constructor(private readonly rules: ReviewRules = {}) {}

  /** Why this order needs a review (empty: it does not). Counts the order as seen. */
  assess(input: ReviewInput, nowMs: number): string[] {
    const reasons: string[] = [];
    // A window is kept only for a rule that reads it.
    if (this.rules.maxOrdersPerCustomerPerHour !== undefined && this.count(this.byCustomer, input.customerId, nowMs) > this.rules.maxOrdersPerCustomerPerHour) reasons.push('customer_velocity');
    if (this.rules.maxOrdersPerDestinationPerHour !== undefined && this.count(this.byDestination, destinationKey(input.destination), nowMs) > this.rules.maxOrdersPerDestinationPerHour) reasons.push('destination_velocity');
    if (this.rules.maxOrderValue !== undefined && input.value !== undefined && input.value > this.rules.maxOrderValue) reasons.push('order_value');
    return reasons;
  }

  /** Adds an order at `nowMs` to the window of `key`; returns how many it holds now (this one included). */
  private count(windows: Map<string, number[]>, key: string, nowMs: number): number {
    const recent = windows.get(key) ?? [];
    // Oldest first: what fell out of the hour is at the front.
    let expired = 0;
    while (expired < recent.length && recent[expired] <= nowMs - hourMs) expired++;
    recent.push(nowMs);
    // Only "more than the threshold" matters: past `perKeyMax` the oldest are forgotten.
    const drop = Math.max(expired, recent.length - perKeyMax);
    if (drop > 0) recent.splice(0, drop);
    setRecent(windows, key, recent, keysMax);
    return recent.length;
  }
}

/** A destination is its postal code and country when given, else its position to ~100 m. */
function destinationKey(destination: Destination): string {
  if (destination.postalCode) return `${destination.country ?? ''}:${destination.postalCode}`;
  return `${destination.lat.toFixed(3)},${destination.lon.toFixed(3)}`;
}

/** Order value in the base currency from line prices, or undefined when the cart carries none. */
export function orderValue(lines: ReadonlyArray<{ qty: number; unitPrice?: number }>, currency: string | undefined, rates: Readonly<Record<string, number>>, base: string): number | undefined {
  if (!lines.some((l) => l.unitPrice !== undefined)) return undefined;
  const rate = currency === undefined || currency === base ? 1 : rates[currency];
  if (rate === undefined) return undefined;
  return Math.round(lines.reduce((sum, l) => sum + l.qty * (l.unitPrice ?? 0), 0) * rate * 100) / 100;
}
