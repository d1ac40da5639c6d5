import { everyDay, mondayToFriday, mondayToSaturday, type CarrierService, type NodeType } from './model.js';

// Carrier services: the defaults a node gets when it names none, and the two models of a service
// (cost by distance and weight, transit days by distance band). Rates are list-price-like USD
// figures for parcels in the contiguous US: economy is cheapest and slowest, express pays for a
// next-day promise, and a store's local courier delivers the same day within 40 km.

/** Beyond this no default service reaches (half the Earth's circumference). */
const anywhereKm = 20_100;

export const groundService: CarrierService = Object.freeze({
  id: 'ground',
  level: 'standard',
  cost: { currency: 'USD', base: 6.0, perKm: 0.0025, perKg: 0.5 },
  transit: [
    { maxKm: 150, days: 1 },
    { maxKm: 500, days: 2 },
    { maxKm: 1_000, days: 3 },
    { maxKm: 2_000, days: 4 },
    { maxKm: 3_500, days: 5 },
    { maxKm: anywhereKm, days: 6 },
  ],
  pickupDays: mondayToFriday,
  deliveryDays: mondayToFriday,
}) as CarrierService;

export const economyService: CarrierService = Object.freeze({
  id: 'economy',
  level: 'economy',
  cost: { currency: 'USD', base: 4.2, perKm: 0.0012, perKg: 0.4 },
  transit: [
    { maxKm: 300, days: 2 },
    { maxKm: 800, days: 3 },
    { maxKm: 1_600, days: 5 },
    { maxKm: 3_000, days: 6 },
    { maxKm: anywhereKm, days: 8 },
  ],
  pickupDays: mondayToFriday,
  deliveryDays: mondayToFriday,
}) as CarrierService;

export const expressService: CarrierService = Object.freeze({
  id: 'express',
  level: 'next_day',
  cost: { currency: 'USD', base: 16.0, perKm: 0.006, perKg: 1.2 },
  transit: [{ maxKm: anywhereKm, days: 1 }],
  pickupDays: mondayToFriday,
  deliveryDays: mondayToSaturday,
}) as CarrierService;

export const courierService: CarrierService = Object.freeze({
  id: 'courier',
  level: 'same_day',
  cost: { currency: 'USD', base: 8.0, perKm: 0.5, perKg: 0.2 },
  transit: [{ maxKm: 40, days: 0 }],
  pickupDays: everyDay,
  deliveryDays: everyDay,
}) as CarrierService;

/** What a node of this type routes with when it names no carriers. */
export function defaultCarriers(type: NodeType): readonly CarrierService[] {
  return type === 'store' ? [courierService, groundService, economyService] : [groundService, economyService, expressService];
}

/** Index of the distance band that covers `km`, or −1 when the service does not reach that far. */
export function bandIndexOf(service: CarrierService, km: number): number {
  for (let i = 0; i < service.transit.length; i++) if (km <= service.transit[i].maxKm) return i;
  return -1;
}

/** Nominal transit days for `km`, or undefined when out of reach. */
export function nominalTransitDays(service: CarrierService, km: number): number | undefined {
  const band = bandIndexOf(service, km);
  return band < 0 ? undefined : service.transit[band].days;
}

/** Cost of one shipment in the service's own currency. */
export function serviceCost(service: CarrierService, km: number, kg: number): number {
  return service.cost.base + (service.cost.perKm ?? 0) * km + (service.cost.perKg ?? 0) * kg;
}
