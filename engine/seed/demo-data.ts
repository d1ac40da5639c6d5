/**
 * Demo seed data for the order-orchestration engine.
 *
 * A small but believable US retail network: 6 company warehouses, 1 third-party
 * logistics (3PL) node and 20 stores in real cities (real coordinates, correct
 * IANA timezones), ~200 SKUs across apparel / footwear / electronics / home /
 * outdoor, and a deterministic stock snapshot.
 *
 * Pure data: no IO, no Date.now(), no randomness at import time. demoStock()
 * uses a fixed-seed PRNG, so every call returns exactly the same rows.
 *
 * Conventions:
 *  - priority: lower number = preferred source (warehouses 1-3, 3PL 4, stores 5-8).
 *  - cutoff.time is local wall-clock "HH:MM" in cutoff.timezone.
 *  - SKU-FLASH-1 is the hot flash-sale item: exactly 100 units, 3 warehouses.
 *  - LOW_STOCK_SKUS have fewer than 10 units across the whole network.
 */

import { mulberry32 } from '../prng.js';

export interface DemoNode {
  nodeId: string;
  type: 'warehouse' | 'store' | '3pl';
  name: string;
  location: { lat: number; lon: number };
  capacityPerDay: number;
  cutoff: { time: string; timezone: string };
  priority: number;
}

export interface DemoSku {
  sku: string;
  name: string;
  maxPerCustomer?: number;
}

export interface DemoStock {
  nodeId: string;
  sku: string;
  onHand: number;
  safetyStock: number;
}

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

const LA = 'America/Los_Angeles';
const DEN = 'America/Denver';
const PHX = 'America/Phoenix';
const CHI = 'America/Chicago';
const NY = 'America/New_York';

type NodeRow = [
  nodeId: string,
  name: string,
  lat: number,
  lon: number,
  timezone: string,
  capacityPerDay: number,
  cutoff: string,
  priority: number,
];

// prettier-ignore
const WAREHOUSES: readonly NodeRow[] = [
  ['wh-reno',      'Reno NV Fulfillment Center',       39.5296, -119.8138, LA,  12000, '16:00', 2],
  ['wh-ontario',   'Ontario CA Fulfillment Center',    34.0633, -117.6509, LA,  20000, '17:00', 1],
  ['wh-dallas',    'Dallas TX Fulfillment Center',     32.7767,  -96.7970, CHI, 18000, '16:00', 1],
  ['wh-columbus',  'Columbus OH Fulfillment Center',   39.9612,  -82.9988, NY,  15000, '16:30', 2],
  ['wh-atlanta',   'Atlanta GA Fulfillment Center',    33.7490,  -84.3880, NY,  14000, '15:30', 2],
  ['wh-allentown', 'Allentown PA Fulfillment Center',  40.6084,  -75.4902, NY,  16000, '17:00', 1],
];

// prettier-ignore
const THIRD_PARTY: readonly NodeRow[] = [
  ['3pl-memphis',  'Memphis TN 3PL Overflow',          35.1495,  -90.0490, CHI, 10000, '15:00', 4],
];

// prettier-ignore
const STORES: readonly NodeRow[] = [
  ['st-nyc-herald-square',  'New York Herald Square',     40.7498,  -73.9877, NY,  400, '14:00', 5],
  ['st-boston-downtown',    'Boston Downtown Crossing',   42.3555,  -71.0605, NY,  250, '13:00', 6],
  ['st-philadelphia-center','Philadelphia Center City',   39.9526,  -75.1652, NY,  250, '13:00', 6],
  ['st-washington-dc',      'Washington DC Metro Center', 38.8983,  -77.0281, NY,  300, '13:30', 6],
  ['st-charlotte-uptown',   'Charlotte Uptown',           35.2271,  -80.8431, NY,  180, '12:30', 7],
  ['st-miami-brickell',     'Miami Brickell',             25.7617,  -80.1918, NY,  220, '13:00', 7],
  ['st-chicago-loop',       'Chicago Loop',               41.8837,  -87.6278, CHI, 350, '14:00', 5],
  ['st-minneapolis',        'Minneapolis Nicollet Mall',  44.9778,  -93.2650, CHI, 200, '12:30', 7],
  ['st-kansas-city',        'Kansas City Plaza',          39.0997,  -94.5786, CHI, 150, '12:00', 8],
  ['st-nashville',          'Nashville Midtown',          36.1627,  -86.7816, CHI, 180, '12:30', 7],
  ['st-houston-galleria',   'Houston Galleria',           29.7604,  -95.3698, CHI, 300, '13:30', 6],
  ['st-austin-downtown',    'Austin Downtown',            30.2672,  -97.7431, CHI, 220, '13:00', 6],
  ['st-denver-16th-street', 'Denver 16th Street',         39.7392, -104.9903, DEN, 250, '13:00', 6],
  ['st-salt-lake-city',     'Salt Lake City Downtown',    40.7608, -111.8910, DEN, 150, '12:00', 8],
  ['st-phoenix-downtown',   'Phoenix Downtown',           33.4484, -112.0740, PHX, 220, '13:00', 7],
  ['st-las-vegas-strip',    'Las Vegas Strip',            36.1147, -115.1728, LA,  200, '13:00', 7],
  ['st-la-downtown',        'Los Angeles Downtown',       34.0522, -118.2437, LA,  400, '14:00', 5],
  ['st-sf-union-square',    'San Francisco Union Square', 37.7880, -122.4075, LA,  350, '14:00', 5],
  ['st-portland-pearl',     'Portland Pearl District',    45.5152, -122.6784, LA,  180, '12:30', 7],
  ['st-seattle-downtown',   'Seattle Downtown',           47.6062, -122.3321, LA,  300, '13:30', 6],
];

function toNode(type: DemoNode['type'], row: NodeRow): DemoNode {
  const [nodeId, name, lat, lon, timezone, capacityPerDay, time, priority] = row;
  return { nodeId, type, name, location: { lat, lon }, capacityPerDay, cutoff: { time, timezone }, priority };
}

export const demoNodes: readonly DemoNode[] = Object.freeze([
  ...WAREHOUSES.map((r) => toNode('warehouse', r)),
  ...THIRD_PARTY.map((r) => toNode('3pl', r)),
  ...STORES.map((r) => toNode('store', r)),
]);

// ---------------------------------------------------------------------------
// SKUs
// ---------------------------------------------------------------------------

/** Each category yields adjectives.length x nouns.length SKUs (8 x 5 = 40). */
// prettier-ignore
const CATEGORIES: readonly { adjectives: readonly string[]; nouns: readonly string[] }[] = [
  { // apparel: SKU-1001..SKU-1040
    adjectives: ['Classic', 'Slim-Fit', 'Relaxed', 'Heritage', 'Performance', 'Organic Cotton', 'Lightweight', 'Vintage'],
    nouns: ['Crew Tee', 'Oxford Shirt', 'Chino Pant', 'Pullover Hoodie', 'Denim Jacket'],
  },
  { // footwear: SKU-1041..SKU-1080
    adjectives: ['Classic', 'Everyday', 'Lightweight', 'Premium', 'Retro', 'Cushioned', 'Leather', 'Knit'],
    nouns: ['Running Shoe', 'Sneaker', 'Chelsea Boot', 'Slip-On', 'Sandal'],
  },
  { // electronics: SKU-1081..SKU-1120
    adjectives: ['Aero', 'Nova', 'Pulse', 'Vector', 'Echo', 'Volt', 'Orbit', 'Zenith'],
    nouns: ['Wireless Earbuds', 'Bluetooth Speaker', 'Smartwatch', 'Game Console', 'Noise-Cancelling Headphones'],
  },
  { // home: SKU-1121..SKU-1160
    adjectives: ['Modern', 'Farmhouse', 'Coastal', 'Nordic', 'Minimalist', 'Classic', 'Rustic', 'Mid-Century'],
    nouns: ['Throw Blanket', 'Table Lamp', 'Dinnerware Set', 'Bath Towel Set', 'Cookware Set'],
  },
  { // outdoor: SKU-1161..SKU-1200
    adjectives: ['Summit', 'Ridge', 'Alpine', 'Canyon', 'Trailhead', 'Basecamp', 'Cascade', 'Sierra'],
    nouns: ['2-Person Tent', 'Daypack 28L', 'Sleeping Bag', 'Insulated Water Bottle', 'Camp Chair'],
  },
];

/** Purchase limits (per customer) for hype / constrained items, keyed by product name. */
const PURCHASE_LIMITS: Readonly<Record<string, number>> = {
  'Retro Sneaker': 2,
  'Premium Sneaker': 2,
  'Knit Sneaker': 3,
  'Nova Game Console': 1,
  'Zenith Game Console': 1,
  'Pulse Game Console': 1,
  'Vector Smartwatch': 2,
  'Aero Noise-Cancelling Headphones': 3,
  'Summit 2-Person Tent': 4,
  'Nordic Cookware Set': 4,
};

export const FLASH_SKU = 'SKU-FLASH-1';
const FIRST_SKU_NUMBER = 1001;

function buildSkus(): DemoSku[] {
  const skus: DemoSku[] = [];
  let n = FIRST_SKU_NUMBER;
  for (const { adjectives, nouns } of CATEGORIES) {
    for (const adjective of adjectives) {
      for (const noun of nouns) {
        const name = `${adjective} ${noun}`;
        const limit = PURCHASE_LIMITS[name];
        skus.push(limit === undefined ? { sku: `SKU-${n}`, name } : { sku: `SKU-${n}`, name, maxPerCustomer: limit });
        n++;
      }
    }
  }
  skus.push({ sku: FLASH_SKU, name: 'Limited Edition Sneaker', maxPerCustomer: 2 });
  return skus;
}

export const demoSkus: readonly DemoSku[] = Object.freeze(buildSkus());

// ---------------------------------------------------------------------------
// Stock
// ---------------------------------------------------------------------------

/** SKUs with fewer than 10 units across the whole network (scarcity / split-shipment demos). */
export const LOW_STOCK_SKUS: readonly string[] = Object.freeze([
  'SKU-1007', 'SKU-1033', 'SKU-1052', 'SKU-1078',
  'SKU-1094', 'SKU-1131', 'SKU-1158', 'SKU-1186',
]);

/** SKU-FLASH-1: exactly 100 units across 3 warehouses, no safety stock. */
const FLASH_ALLOCATION: readonly (readonly [nodeId: string, onHand: number])[] = [
  ['wh-ontario', 40],
  ['wh-dallas', 35],
  ['wh-allentown', 25],
];

const STOCK_SEED = 0x5eed_2024;
const WAREHOUSE_COVERAGE = 0.9; // each warehouse carries ~90% of the catalog
const THIRD_PARTY_COVERAGE = 0.5; // the 3PL carries ~half, as overflow
const STORE_COVERAGE = 0.3; // each store carries ~30% of the catalog


/** Inclusive integer in [min, max]. */
function randInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function demoStock(): DemoStock[] {
  const rand = mulberry32(STOCK_SEED);
  const rows: DemoStock[] = [];
  const lowStock = new Set(LOW_STOCK_SKUS);
  const regularSkus = demoSkus.filter((s) => s.sku !== FLASH_SKU && !lowStock.has(s.sku));
  const warehouses = demoNodes.filter((n) => n.type === 'warehouse');

  const stocked = new Set<string>();
  for (const node of demoNodes) {
    const coverage =
      node.type === 'warehouse' ? WAREHOUSE_COVERAGE : node.type === '3pl' ? THIRD_PARTY_COVERAGE : STORE_COVERAGE;
    for (const { sku } of regularSkus) {
      if (rand() >= coverage) continue;
      if (node.type === 'store') {
        const onHand = randInt(rand, 1, 40);
        rows.push({ nodeId: node.nodeId, sku, onHand, safetyStock: Math.min(onHand, randInt(rand, 0, 2)) });
      } else {
        rows.push({ nodeId: node.nodeId, sku, onHand: randInt(rand, 50, 2000), safetyStock: randInt(rand, 0, 10) });
      }
      stocked.add(sku);
    }
  }

  // Guarantee every regular SKU is available somewhere.
  for (const { sku } of regularSkus) {
    if (stocked.has(sku)) continue;
    const wh = warehouses[randInt(rand, 0, warehouses.length - 1)]!;
    rows.push({ nodeId: wh.nodeId, sku, onHand: randInt(rand, 50, 2000), safetyStock: randInt(rand, 0, 10) });
  }

  // Low-stock SKUs: 3-9 units total, spread over 1-3 distinct nodes.
  for (const sku of LOW_STOCK_SKUS) {
    let remaining = randInt(rand, 3, 9);
    const nodeCount = randInt(rand, 1, 3);
    const pool = [...demoNodes];
    for (let i = 0; i < nodeCount && remaining > 0; i++) {
      const [node] = pool.splice(randInt(rand, 0, pool.length - 1), 1);
      const onHand = i === nodeCount - 1 ? remaining : randInt(rand, 1, remaining);
      remaining -= onHand;
      rows.push({ nodeId: node!.nodeId, sku, onHand, safetyStock: 0 });
    }
  }

  for (const [nodeId, onHand] of FLASH_ALLOCATION) {
    rows.push({ nodeId, sku: FLASH_SKU, onHand, safetyStock: 0 });
  }

  return rows;
}
