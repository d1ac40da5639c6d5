// Every bound of the routing module, with what happens at it. (The lead may fold these into
// engine/limits.ts when wiring; they live here so this module stays self-contained.)

export const routingLimits = {
  /** Contract: at most 100 lines; each qty 1..10000. A request past them is VALIDATION_FAILED. */
  linesMax: 100,
  qtyMax: 10_000,
  /** Shipments per order when the request names none (split allowed). */
  maxShipmentsDefault: 5,
  /** The largest maxShipments a request may ask for. */
  maxShipmentsMax: 20,
  /** Candidates per line kept in the pool of the greedy and improvement passes (and shown in explanations). */
  topKDefault: 6,
  /** Single-node plans compared (the best by summed line keys). */
  singlesMax: 4,
  topKMax: 32,
  /**
   * Exact fewest-shipments search: nodes expanded in the depth-first search, across all depths.
   * At the bound the search stops and the best cover found so far (or the greedy one) is used,
   * and the plan says `fewestShipmentsExact: false`.
   */
  exactSearchExpansionsMax: 5_000,
  /** Covers of the minimal size compared on the tie-breaking score. */
  exactSearchSolutionsMax: 64,
  /** Rounds of the improvement pass (each: drop a shipment, move a whole line). */
  improveRoundsMax: 3,
  /** Rejected nodes listed per line in an explanation; the rest are counted by reason. */
  explainRejectedMaxDefault: 16,
  /** Pickup: minutes a store needs to pick an order once open. */
  pickupPrepMinutesDefault: 120,
  /** Delivery window the calendar searches when stepping over non-working days. */
  calendarDaysMax: 366,
  /** Transit learner: carrier service × distance band entries kept (least recently updated dropped). */
  learnerEntriesMax: 4_096,
  /** Rejection tracker: nodes kept (least recently updated dropped). */
  rejectionNodesMax: 4_096,
  /** Memo tables of the calendar (per timezone: formatters; per timezone and day: instants). */
  timezoneFormattersMax: 512,
  zonedInstantMemoMax: 16_384,
} as const;
