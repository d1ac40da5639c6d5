// The routing vocabulary: the network as the sourcing engine sees it, a request, and the plan it
// answers with. Plain data, no IO. Times are epoch milliseconds passed in by the caller; calendar
// days are "day numbers" (days since 1970-01-01 of a local civil date) so that day arithmetic is
// integer arithmetic and only the edges (now → local day, local day → instant) touch a timezone.

export type NodeType = 'warehouse' | 'store' | '3pl';
export type NodeStatus = 'online' | 'paused' | 'offline';
/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export type ServiceLevel = 'same_day' | 'next_day' | 'standard' | 'economy';

export const mondayToFriday: readonly IsoWeekday[] = Object.freeze([1, 2, 3, 4, 5] as IsoWeekday[]);
export const mondayToSaturday: readonly IsoWeekday[] = Object.freeze([1, 2, 3, 4, 5, 6] as IsoWeekday[]);
export const everyDay: readonly IsoWeekday[] = Object.freeze([1, 2, 3, 4, 5, 6, 7] as IsoWeekday[]);

export interface LatLon {
  lat: number;
  lon: number;
}

/** What one shipment on a service costs: base + perKm × km + perKg × kg, in `currency`. */
export interface CostModel {
  currency: string;
  base: number;
  perKm?: number;
  perKg?: number;
}

/** Transit days for destinations up to `maxKm` (bands ascend; beyond the last one the service does not reach). */
export interface TransitBand {
  maxKm: number;
  days: number;
}

export interface CarrierService {
  /** Names the service across the network: learning pools deliveries of the same id at every node. */
  id: string;
  level: ServiceLevel;
  cost: CostModel;
  transit: readonly TransitBand[];
  /** Weekdays the carrier collects at the node. Default: the node's working days. */
  pickupDays?: readonly IsoWeekday[];
  /** Weekdays the carrier moves and delivers; transit days count these. Default: Monday to Friday. */
  deliveryDays?: readonly IsoWeekday[];
}

/** Store opening hours: local wall time "HH:MM" on the given weekdays ("24:00" closes at midnight). */
export interface OpeningHours {
  days: readonly IsoWeekday[];
  open: string;
  close: string;
}

export interface RoutingNode {
  nodeId: string;
  type: NodeType;
  location: LatLon;
  status: NodeStatus;
  /** Lower is preferred (1 before 5), as in the demo network. */
  priority: number;
  /** Orders released per local day; absent: unlimited. */
  capacityPerDay?: number;
  /** Orders already released on the node's current local day (the caller counts them). */
  capacityUsedToday?: number;
  /** The local date ("YYYY-MM-DD") `capacityUsedToday` counts; on another local day the count is 0. */
  capacityDay?: string;
  /** Orders placed before `time` (local, in `timezone`) on a working day start that day. */
  cutoff?: { time: string; timezone: string };
  /** The node's IANA timezone when it has no cutoff (else `cutoff.timezone`). Default UTC. */
  timezone?: string;
  /** Working days between the start day and the ship day. Default 1 (warehouse, 3PL), 0 (store). */
  handlingDays?: number;
  /** Default Monday to Friday (warehouse, 3PL), every day (store). */
  workingDays?: readonly IsoWeekday[];
  /** Default true for stores, false otherwise. */
  pickupCapable?: boolean;
  /** Stores: when shoppers can collect. Default 10:00–20:00 on the working days. */
  openingHours?: readonly OpeningHours[];
  /** Default: `defaultCarriers(type)`. */
  carriers?: readonly CarrierService[];
  /** Share (0..1) of recent orders the node rejected; lowers its blend score. */
  recentRejectionRate?: number;
}

export type Strategy = 'cheapest' | 'fastest' | 'fewest_shipments' | 'closest' | 'priority' | 'blend';
export const strategies: readonly Strategy[] = Object.freeze(['blend', 'cheapest', 'fastest', 'fewest_shipments', 'closest', 'priority'] as Strategy[]);

export interface RoutingLine {
  sku: string;
  qty: number;
  /** Default 1 kg. */
  unitWeightKg?: number;
}

export type Fulfillment =
  | { type: 'delivery' }
  /** Collect at store `nodeId`; what it lacks comes by transfer from other nodes unless `transfers` is 'refuse'. */
  | { type: 'pickup'; nodeId: string; transfers?: 'allow' | 'refuse' };

export interface RoutingRequest {
  destination: LatLon & { timezone?: string };
  /** Lines with the same SKU are merged (their quantities added). At most 100. */
  lines: readonly RoutingLine[];
  /** Default true. False: one node serves the whole order, or INSUFFICIENT_STOCK. */
  allowSplit?: boolean;
  /** Default `routingLimits.maxShipmentsDefault` (1 when allowSplit is false). */
  maxShipments?: number;
  /** Default 'blend'. */
  strategy?: Strategy;
  /** The date the shopper needs it by (epoch ms). */
  deliveryByMs?: number;
  /** 'required' (default): a node that cannot make it is excluded. 'preferred': lateness is only penalized. */
  deliveryByPolicy?: 'required' | 'preferred';
  /** Default delivery. */
  fulfillment?: Fulfillment;
  /** Nodes never to use (e.g. those that rejected this order). */
  excludeNodeIds?: readonly string[];
}

/** Units available per SKU and node (available = onHand − safetyStock − reserved). */
export interface StockView {
  get(sku: string): ReadonlyMap<string, number> | undefined;
}

/** Transit days per carrier service and distance band, as learned from deliveries. */
export interface TransitEstimates {
  transitDaysFor(carrierId: string, bandIndex: number, nominalDays: number): number;
}

/** The blend's weights: every term is in the network currency (cost) or converted to it. */
export interface BlendWeights {
  /** Per unit of currency spent on carriers. */
  cost: number;
  /** Per day until the whole order is there (keeps the blend from always taking the slowest service). */
  speed: number;
  /** Per day late against a 'preferred' deliveryBy. */
  lateness: number;
  /** Per shipment beyond the first. */
  split: number;
  /** Per shipment, times the node's utilization squared after taking it ((used + 1) / capacityPerDay)². */
  capacity: number;
  /** Per shipment, times the node's recent rejection rate (0..1). */
  rejection: number;
}

export interface PlanContext {
  /** The decision instant (epoch ms). The only clock the module knows. */
  nowMs: number;
  weights?: Partial<BlendWeights>;
  /** Candidates per line kept for the greedy and improvement passes. Default 8, at most 32. */
  topK?: number;
  learner?: TransitEstimates;
  /** Orders released today per node; overrides `capacityUsedToday`. With `localDate`, another local day counts 0. */
  capacityUsed?: ReadonlyMap<string, number | { localDate: string; used: number }>;
  /** Recent rejection rate per node (0..1); overrides `recentRejectionRate`. */
  rejectionRates?: ReadonlyMap<string, number>;
  /** Pickup: minutes a store needs to pick an order once open. Default 120. */
  pickupPrepMinutes?: number;
  /** Rejected nodes listed per line in the explanation (nearest first); the rest are counted. Default 16. */
  explainRejectedMax?: number;
}

export type ShipmentKind = 'delivery' | 'pickup' | 'transfer';

export interface PlannedShipment {
  nodeId: string;
  kind: ShipmentKind;
  /** '' for a pickup sourced in the store itself. */
  carrierId: string;
  serviceLevel: ServiceLevel | 'in_store';
  distanceKm: number;
  weightKg: number;
  cost: number;
  /** Local dates at the node: when it leaves, and when the carrier delivers (pickup: when ready). */
  shipDate: string;
  deliveryDate: string;
  transitDays: number;
  /** Delivery: end of the delivery day. Transfer and pickup: when the shopper can collect. */
  promisedAtMs: number;
  promisedAt: string;
  lines: Array<{ sku: string; qty: number }>;
}

export interface Allocation {
  sku: string;
  nodeId: string;
  qty: number;
}

export type RejectReason =
  | 'offline'
  | 'paused'
  | 'excluded'
  | 'no_stock'
  | 'at_capacity'
  | 'no_carrier'
  | 'misses_delivery_by'
  | 'transfer_refused';

export type CandidateOutcome = 'chosen' | 'outscored' | 'over_max_shipments';

/** One node's case for one line, scored as if it shipped that line alone. */
export interface CandidateExplanation {
  nodeId: string;
  available: number;
  distanceKm: number;
  priority: number;
  carrierId: string;
  promisedAtMs: number;
  terms: { cost: number; speed: number; lateness: number; capacity: number; rejection: number };
  /** The strategy's ranking key for this line (lower is better). */
  score: number;
  outcome: CandidateOutcome;
}

export interface LineExplanation {
  sku: string;
  qty: number;
  chosen: Array<{ nodeId: string; qty: number }>;
  candidates: CandidateExplanation[];
  rejected: Array<{ nodeId: string; reason: RejectReason }>;
  /** Rejected nodes beyond `explainRejectedMax`, by reason. */
  rejectedOmitted: Partial<Record<RejectReason, number>>;
  /** Evaluated nodes with stock, allowed, ranked below the candidates shown. */
  eligibleNotShown: number;
  /** Nodes with stock that passed the cheap checks but ranked below the evaluated ones on the quick key. */
  holdersNotEvaluated: number;
  /** Network nodes that hold none of this SKU. */
  nodesWithoutStock: number;
}

export interface PlanTerms {
  cost: number;
  speed: number;
  lateness: number;
  split: number;
  capacity: number;
  rejection: number;
  /** The blend: the weighted sum of the terms above. */
  total: number;
}

export interface Plan {
  strategy: Strategy;
  fulfillment: 'delivery' | 'pickup';
  allocations: Allocation[];
  shipments: PlannedShipment[];
  /** When the whole order is there (delivery) or ready to collect (pickup). */
  promisedAtMs: number;
  promisedAt: string;
  totalCost: number;
  currency: string;
  terms: PlanTerms;
  explanation: {
    lines: LineExplanation[];
    search: {
      /** Distinct nodes in the candidate pool of the greedy and improvement passes. */
      poolSize: number;
      /** Plans compared before the improvement pass. */
      plansCompared: number;
      /** Moves the improvement pass kept. */
      improvements: number;
      /** fewest_shipments: true when the exact search finished within its budget. */
      fewestShipmentsExact?: boolean;
    };
  };
}

export type FailureCode = 'INSUFFICIENT_STOCK' | 'PICKUP_UNAVAILABLE' | 'VALIDATION_FAILED';

export type FailureReason =
  | 'not_enough_stock'
  | 'no_single_node'
  | 'over_max_shipments'
  | 'unknown_store'
  | 'not_pickup_capable'
  | 'store_unavailable'
  | 'transfer_refused'
  | 'invalid_request';

export interface PlanFailure {
  code: FailureCode;
  reason: FailureReason;
  message: string;
  details: Record<string, unknown>;
  lines: LineExplanation[];
}

/** A plan, or why there is none. Expected outcomes are results, never exceptions. */
export type PlanResult = { ok: true; plan: Plan } | { ok: false; failure: PlanFailure };
