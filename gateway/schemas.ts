import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { limits } from '../engine/limits.js';

// Request schemas, compiled once at start. The contract's limits are here, written once.

const Id = Type.String({ pattern: limits.idPattern });
const Qty = Type.Integer({ minimum: 1, maximum: limits.qtyMax });
const Latitude = Type.Number({ minimum: -90, maximum: 90 });
const Longitude = Type.Number({ minimum: -180, maximum: 180 });
const Short = Type.String({ minLength: 1, maxLength: 200 });

const Line = Type.Object({ sku: Id, qty: Qty }, { additionalProperties: false });
const Lines = Type.Array(Line, { minItems: 1, maxItems: limits.linesPerOrderMax });
/** A cart line may carry its unit price (in the request's `currency`), which gives the order a value. */
const PricedLine = Type.Object({ sku: Id, qty: Qty, unitPrice: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000_000 })) }, { additionalProperties: false });
const PricedLines = Type.Array(PricedLine, { minItems: 1, maxItems: limits.linesPerOrderMax });

const Destination = Type.Object({
  lat: Latitude,
  lon: Longitude,
  country: Type.Optional(Type.String({ minLength: 2, maxLength: 3 })),
  postalCode: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
}, { additionalProperties: false });

const Fulfillment = Type.Object({
  type: Type.Union([Type.Literal('delivery'), Type.Literal('pickup')]),
  nodeId: Type.Optional(Id),
  /** Pickup: what the store lacks comes by transfer from other nodes (allow, the default policy) or the hold is refused. */
  transfers: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('refuse')])),
}, { additionalProperties: false });

const Strategy = Type.Union([Type.Literal('blend'), Type.Literal('cheapest'), Type.Literal('fastest'), Type.Literal('fewest_shipments'), Type.Literal('closest'), Type.Literal('priority')]);
/** A date (2026-12-24: by the end of that day, UTC) or an instant with its offset. */
const DateOrInstant = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$' });
/** How the lines are sourced: the strategy, splitting, a date needed by, pickup or delivery. */
const routingFields = {
  allowSplit: Type.Optional(Type.Boolean()),
  maxShipments: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
  strategy: Type.Optional(Strategy),
  deliveryBy: Type.Optional(DateOrInstant),
  deliveryByPolicy: Type.Optional(Type.Union([Type.Literal('required'), Type.Literal('preferred')])),
  fulfillment: Type.Optional(Fulfillment),
};

const reservationFields = {
  customerId: Id,
  channel: Type.Optional(Type.Union(['web', 'app', 'store', 'b2b', 'marketplace', 'social'].map((c) => Type.Literal(c)))),
  destination: Destination,
  lines: PricedLines,
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: limits.ttlSecondsMin, maximum: limits.ttlSecondsMax })),
  ...routingFields,
};

const confirmFields = {
  payment: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  externalId: Type.Optional(Id),
};

export const ReservationBody = Type.Object(reservationFields, { additionalProperties: false });
export const ConfirmBody = Type.Object(confirmFields, { additionalProperties: false });
export const OrderBody = Type.Object({ ...reservationFields, ...confirmFields }, { additionalProperties: false });
export const PromiseBody = Type.Object({
  destination: Destination,
  lines: Lines,
  channel: Type.Optional(Type.Union(['web', 'app', 'store', 'b2b', 'marketplace', 'social'].map((c) => Type.Literal(c)))),
  ...routingFields,
}, { additionalProperties: false });
export const CancelBody = Type.Object({ lines: Type.Optional(Lines) }, { additionalProperties: false });

const Weekday = Type.Integer({ minimum: 1, maximum: 7 });
const WallTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const NodeStatus = Type.Union([Type.Literal('online'), Type.Literal('paused'), Type.Literal('offline')]);
export const NodeBody = Type.Object({
  type: Type.Union([Type.Literal('warehouse'), Type.Literal('store'), Type.Literal('3pl')]),
  name: Type.Optional(Short),
  location: Type.Object({ lat: Latitude, lon: Longitude }, { additionalProperties: false }),
  capacityPerDay: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
  cutoff: Type.Optional(Type.Object({ time: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' }), timezone: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false })),
  /**
   * Carrier services: a name (a standard ground service under that id), an object naming one
   * (`id`, `name`, `carrier` or `service`: the same), or a full service
   * `{ id, level, cost: { currency, base, perKm?, perKg? }, transit: [{ maxKm, days }], pickupDays?, deliveryDays? }`
   * (checked field by field when the node is stored).
   */
  carriers: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Object({}, { additionalProperties: true })]), { maxItems: 50 })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  status: Type.Optional(NodeStatus),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  handlingDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })),
  workingDays: Type.Optional(Type.Array(Weekday, { minItems: 1, maxItems: 7 })),
  pickupCapable: Type.Optional(Type.Boolean()),
  openingHours: Type.Optional(Type.Array(Type.Object({ days: Type.Array(Weekday, { minItems: 1, maxItems: 7 }), open: WallTime, close: Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$' }) }, { additionalProperties: false }), { maxItems: 14 })),
}, { additionalProperties: false });
export const NodeStatusBody = Type.Object({ status: NodeStatus }, { additionalProperties: false });
export const SkuBody = Type.Object({
  name: Type.Optional(Short),
  maxPerCustomer: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.qtyMax })),
}, { additionalProperties: false });
export const StockBody = Type.Object({
  onHand: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
  safetyStock: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
}, { additionalProperties: false });
export const AdjustBody = Type.Object({
  delta: Type.Integer({ minimum: -1_000_000_000, maximum: 1_000_000_000 }),
  reason: Type.String({ minLength: 1, maxLength: 64 }),
}, { additionalProperties: false });
export const NodeEventBody = Type.Object({
  orderId: Id,
  type: Type.Union(['accepted', 'rejected', 'picked', 'packed', 'shipped', 'delivered', 'delayed'].map((t) => Type.Literal(t))),
  lines: Type.Optional(Lines),
  trackingId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  /** With `delayed` (a carrier delay): the new delivery date, or how many days later than promised. */
  deliveryBy: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}(T[0-9:.]+(Z|[+-]\\d{2}:\\d{2}))?$' })),
  delayDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 60 })),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, { additionalProperties: false });

export const ViewerTokenBody = Type.Object({
  ttlSeconds: Type.Optional(Type.Integer({ minimum: limits.viewerTokenTtlSecondsMin, maximum: limits.viewerTokenTtlSecondsMax })),
}, { additionalProperties: false });

export type ReservationBody = Static<typeof ReservationBody>;
export type ViewerTokenBody = Static<typeof ViewerTokenBody>;
export type OrderBody = Static<typeof OrderBody>;

export interface Validator<T> {
  check(value: unknown): value is T;
  /** The first problem, as `{ field, problem }`. */
  firstError(value: unknown): { field: string; problem: string };
}

export function compile<T extends TSchema>(schema: T): Validator<Static<T>> {
  const checker: TypeCheck<T> = TypeCompiler.Compile(schema);
  return {
    check: (value): value is Static<T> => checker.Check(value),
    firstError: (value) => {
      const error = checker.Errors(value).First();
      const field = error ? error.path.replace(/^\//, '').replace(/\//g, '.') || '(body)' : '(body)';
      return { field, problem: error?.message ?? 'invalid' };
    },
  };
}

export const idPattern = new RegExp(limits.idPattern);
