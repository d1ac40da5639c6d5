// The vocabulary shared by the machines, the engine and the ledger. Plain data, no IO.

export interface Position {
  onHand: number;
  safetyStock: number;
  /** Units held or allocated at this node and not yet shipped. */
  reserved: number;
}

export const availableOf = (p: Position): number => Math.max(0, p.onHand - p.safetyStock - p.reserved);

/**
 * The invariant behind "no unit is promised twice": what is reserved fits in what may be promised.
 * A safety stock above what is on hand is allowed (nothing is then available); it only may not
 * leave reservations standing on units that are not there.
 */
export const reservationFits = (p: Position): boolean => p.reserved === 0 || p.reserved <= p.onHand - p.safetyStock;

export const positionHolds = (p: Position): boolean =>
  Number.isInteger(p.onHand) && Number.isInteger(p.safetyStock) && Number.isInteger(p.reserved) &&
  p.onHand >= 0 && p.safetyStock >= 0 && p.reserved >= 0 && reservationFits(p);

export interface Allocation {
  nodeId: string;
  qty: number;
}

/** A quantity of one SKU at one node, as moved between the order and SKU actors. */
export interface StockMove {
  sku: string;
  nodeId: string;
  qty: number;
}

export type NodeType = 'warehouse' | 'store' | '3pl';
export type NodeStatus = 'online' | 'paused' | 'offline';

export interface LatLon {
  lat: number;
  lon: number;
}

export interface NodeRecord {
  nodeId: string;
  type: NodeType;
  name: string;
  location: LatLon;
  capacityPerDay?: number;
  cutoff?: { time: string; timezone: string };
  carriers?: unknown[];
  /** The node's IANA timezone when it has no cutoff (else the cutoff's). */
  timezone?: string;
  /** Working days between the start day and the ship day (default 1; stores 0). */
  handlingDays?: number;
  /** ISO weekdays the node works (1 = Monday). */
  workingDays?: number[];
  /** Stores default to true. */
  pickupCapable?: boolean;
  /** When shoppers can collect: `[{ days, open: "10:00", close: "20:00" }]`. */
  openingHours?: Array<{ days: number[]; open: string; close: string }>;
  priority: number;
  status: NodeStatus;
  createdAt: number;
  updatedAt: number;
}

export interface SkuRecord {
  sku: string;
  name?: string;
  maxPerCustomer?: number;
  updatedAt: number;
}

/**
 * A line's status. `backordered`: no node has the stock; the line waits (its nodeId is '').
 * `rerouting`: given back by its node and not yet placed elsewhere; it never outlives the step
 * that set it (the engine places or backorders it in the same step).
 */
export type LineStatus =
  | 'backordered'
  | 'rerouting'
  | 'held'
  | 'allocated'
  | 'released'
  | 'accepted'
  | 'picked'
  | 'packed'
  | 'shipped'
  | 'delivered'
  | 'cancelled';

export interface OrderLine {
  sku: string;
  qty: number;
  /** '' while backordered. */
  nodeId: string;
  status: LineStatus;
}

/** Lines whose units are reserved at their node: held or allocated and not yet shipped. */
export const lineHoldsStock = (line: OrderLine): boolean =>
  line.status !== 'shipped' && line.status !== 'delivered' && line.status !== 'cancelled' && line.status !== 'backordered' && line.status !== 'rerouting';

export interface Destination {
  lat: number;
  lon: number;
  country?: string;
  postalCode?: string;
}

export interface Shipment {
  nodeId: string;
  distanceKm: number;
  /** Delivery: the end of the delivery day. Pickup and transfer: when the shopper can collect. */
  deliveryBy: string;
  kind?: 'delivery' | 'pickup' | 'transfer';
  /** The carrier service (learning and the node's instruction); none for a pick in the store itself. */
  carrierId?: string;
  serviceLevel?: string;
  /** The node's local date the shipment leaves (its ship-by). */
  shipDate?: string;
  cost?: number;
}

export interface DeliveryPromise {
  /** The latest of the shipments' dates: when the whole order is there. */
  deliveryBy: string;
  /** Pickup: when the whole order is ready to collect at the store. */
  readyBy?: string;
  shipments: Shipment[];
  /** Carrier cost of the plan, in `currency` (the base currency). */
  totalCost?: number;
  currency?: string;
}

/** One step in an order's life; `seq` is also the event's seq on the order's stream topic. */
export interface HistoryEntry {
  seq: number;
  at: string;
  type: string;
  nodeId?: string;
  lines?: Array<{ sku: string; qty: number }>;
  trackingId?: string;
  reasons?: string[];
  reason?: string;
  deliveryBy?: string;
}

export type ReservationStatus = 'held' | 'confirmed' | 'released' | 'expired';
export type OrderStatus =
  | 'exception'
  | 'backordered'
  | 'allocated'
  | 'released'
  | 'partially_shipped'
  | 'shipped'
  | 'delivered'
  | 'cancelled';

/**
 * A cluster cart's part: the hold of its lines that live in another partition, made there first
 * (a normal hold, with a TTL longer than the home's). The home record lists its parts so any
 * gateway can find them; the engine only stores and shows the list.
 */
export interface CartPart {
  partition: number;
  reservationId: string;
}

/**
 * One record per checkout: born as a hold, and the same record becomes the order when confirmed.
 * `reservationId` and `orderId` share the core id.
 */
export interface OrderRecord {
  coreId: string;
  customerId: string;
  channel: string;
  destination: Destination;
  createdAt: number;
  expiresAt: number;
  lines: OrderLine[];
  promise: DeliveryPromise;
  history: HistoryEntry[];
  confirmedAt?: number;
  externalId?: string;
  payment?: Record<string, unknown>;
  fulfillment?: { type: 'delivery' | 'pickup'; nodeId?: string; transfers?: 'allow' | 'refuse' };
  /** Nodes that rejected this order (or let it wait past their acceptance deadline): not used again. */
  rejectedBy?: string[];
  /** Per node with released lines not yet accepted: the acceptance deadline (epoch ms). */
  acceptBy?: Record<string, number>;
  /** What the cart is worth, in the base currency, when its lines carry prices. */
  value?: { amount: number; currency: string };
  /** Why each line went where it did, as decided when it was held. */
  /** Kept compact (`StoredRouting`); records written before that keep the expanded form. */
  routing?: StoredRouting | RoutingExplanation;
  /** A risk review: pending keeps the order in `exception`, unreleased, until approved or rejected. */
  review?: { status: 'pending' | 'approved' | 'rejected'; reasons: string[]; at: string };
  /** A cluster cart spanning partitions: the holds of its other partitions' lines (this is its home). */
  parts?: CartPart[];
  /**
   * A cluster cart's part: the order id of its home, set when the coordinator confirms the part.
   * Its events are then also told on the home's order topic (the engine only stores it).
   */
  cartHome?: string;
}

/**
 * The routing decision as the shopper's order saw it: per line, the nearest candidates with what
 * each had available and which were chosen; nodes not considered at all, with the reason.
 */
export interface RoutingExplanation {
  strategy: string;
  fulfillment?: 'delivery' | 'pickup';
  allowSplit?: boolean;
  maxShipments?: number;
  deliveryBy?: string;
  totalCost?: number;
  currency?: string;
  lines: Array<{
    sku: string;
    qty: number;
    chosen?: Array<{ nodeId: string; qty: number }>;
    candidates: Array<{
      nodeId: string;
      distanceKm: number;
      available: number;
      took: number;
      why: string;
      carrierId?: string;
      promisedAt?: string;
      /** The strategy's key for this line alone (lower is better), and the blend's terms. */
      score?: number;
      terms?: Record<string, number>;
    }>;
    /** Nodes left out for this line, with the constraint that excluded each. */
    rejected?: Array<{ nodeId: string; reason: string }>;
    rejectedOmitted?: Record<string, number>;
  }>;
  /** Nodes not online: left out of every line. */
  excluded: Array<{ nodeId: string; reason: string }>;
}

/**
 * A candidate as the record keeps it, one array instead of an object with eleven keys: a hold is
 * written once and read rarely, and this halves what it allocates and encodes for its explanation.
 * [nodeId, distanceKm, available, carrierId, promisedAtMs, score, cost, speed, lateness, capacity, rejection]
 */
export type StoredCandidate = [string, number, number, string, number, number, number, number, number, number, number];

/** The routing explanation as the record keeps it; `routingView` (engine/views.ts) expands it. */
export interface StoredRouting extends Omit<RoutingExplanation, 'lines'> {
  compact: 1;
  lines: Array<{
    sku: string;
    qty: number;
    /** [nodeId, qty] per node the line was taken from. */
    chosen: Array<[string, number]>;
    candidates: StoredCandidate[];
    /** [nodeId, constraint] per node left out. */
    rejected: Array<[string, string]>;
    rejectedOmitted?: Record<string, number>;
  }>;
}

/** The persisted form of an order actor: its state value and its context. */
export interface OrderSnapshot {
  state: OrderMachineState;
  record: OrderRecord;
}

export type OrderMachineState = 'held' | 'expired' | 'dropped' | OrderStatus;

export const terminalOrderStates: ReadonlySet<OrderMachineState> = new Set(['expired', 'dropped', 'delivered', 'cancelled']);
