// The routing module's public surface: prepare the network once per change, then plan per
// request. Pure and deterministic (time comes in as `nowMs`), no IO. Where to read on:
// sourcing.ts (plan, pickup), search.ts (how the search is bounded), promise.ts (the calendar
// rules of a promise), learning.ts (transit estimates, rejection rates).

export * from './model.js';
export { routingLimits } from './limits.js';
export { prepareNetwork, validateRoutingNode, RoutingNetwork, type NetworkOptions, type PreparedNode } from './network.js';
export { plan, promiseOptions, type PromiseOption } from './sourcing.js';
export { promisesFrom, startDayOf, storeReadyAt, nodeDistanceKm, type ShipmentPromise } from './promise.js';
export { defaultCarriers, groundService, economyService, expressService, courierService, bandIndexOf, nominalTransitDays, serviceCost } from './carriers.js';
export { defaultBlendWeights, blendWeights } from './strategies.js';
export { TransitLearner, RejectionTracker, observedTransitDays, type TransitLearnerOptions, type TransitEstimate, type TransitObservation, type TransitLearnerState } from './learning.js';
export { StockTable } from './stock.js';
export { localDate, localTime, isValidTimeZone, dateOfDay, dayOfDate, zonedInstant, endOfLocalDay } from './calendar.js';
