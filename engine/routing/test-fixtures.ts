import type { CarrierService, IsoWeekday, RoutingNode, ServiceLevel } from './model.js';
import { StockTable } from './stock.js';

// Small builders for the routing tests: nodes with explicit, round-number carriers so that an
// expected plan can be worked out by hand.

export const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`bad instant ${iso}`);
  return ms;
};

export const chicago = { lat: 41.88, lon: -87.63 };

/** A point `km` kilometres due north of `from` (111.2 km per degree of latitude). */
export const northOf = (from: { lat: number; lon: number }, km: number): { lat: number; lon: number } => ({ lat: from.lat + km / 111.195, lon: from.lon });

export function carrier(id: string, options: { level?: ServiceLevel; base?: number; perKm?: number; perKg?: number; days?: number; maxKm?: number; pickupDays?: IsoWeekday[]; deliveryDays?: IsoWeekday[] } = {}): CarrierService {
  return {
    id,
    level: options.level ?? 'standard',
    cost: { currency: 'USD', base: options.base ?? 10, perKm: options.perKm ?? 0, perKg: options.perKg ?? 0 },
    transit: [{ maxKm: options.maxKm ?? 5_000, days: options.days ?? 2 }],
    ...(options.pickupDays ? { pickupDays: options.pickupDays } : {}),
    ...(options.deliveryDays ? { deliveryDays: options.deliveryDays } : {}),
  };
}

/** A warehouse in Chicago's timezone with a 15:00 cutoff, online, priority 5, unless told otherwise. */
export function node(nodeId: string, location: { lat: number; lon: number }, overrides: Partial<RoutingNode> = {}): RoutingNode {
  return {
    nodeId,
    type: 'warehouse',
    location,
    status: 'online',
    priority: 5,
    cutoff: { time: '15:00', timezone: 'America/Chicago' },
    ...overrides,
  };
}

export const stockOf = (rows: ReadonlyArray<readonly [sku: string, nodeId: string, available: number]>): StockTable =>
  StockTable.from(rows.map(([sku, nodeId, available]) => ({ sku, nodeId, available })));
