import { mapLimit, type ApiClient } from '../http-client.js';
import type { Random } from '../random.js';

// The network a scenario runs on, set up through the API: nodes (reused across runs: the same ids
// are replaced, 200), SKUs named after the run (so a run against a shared engine starts from
// fresh positions), stock per node, and the per-customer limits. Sent to every worker as is.

export interface CatalogueNode {
  nodeId: string;
  location: { lat: number; lon: number };
  /** Returned once by the PUT that creates the node; unset when the node already existed. */
  partnerToken: string | undefined;
}

export interface Catalogue {
  runId: string;
  skus: string[];
  nodes: CatalogueNode[];
  maxPerCustomer: Record<string, number>;
  holdTtlSeconds: number;
}

export interface CatalogueSpec {
  runId: string;
  skuPrefix: string;
  skus: number;
  nodes: number;
  /** Units per SKU, spread evenly over the nodes (the first nodes take the remainder). */
  stock: number;
  safetyStock: number;
  maxPerCustomer: number | undefined;
  holdTtlSeconds: number;
}

/** Distribution centres and stores across the US, so destinations pick different nearest nodes. */
const sites: ReadonlyArray<{ lat: number; lon: number }> = [
  { lat: 41.88, lon: -87.63 }, { lat: 32.78, lon: -96.8 }, { lat: 40.73, lon: -74.17 }, { lat: 34.05, lon: -118.24 },
  { lat: 47.61, lon: -122.33 }, { lat: 33.75, lon: -84.39 }, { lat: 39.74, lon: -104.99 }, { lat: 25.76, lon: -80.19 },
  { lat: 42.36, lon: -71.06 }, { lat: 44.98, lon: -93.27 }, { lat: 29.76, lon: -95.37 }, { lat: 36.17, lon: -115.14 },
];

export const nodeIdOf = (k: number): string => `lt-node-${k + 1}`;
export const skuIdOf = (prefix: string, k: number): string => `${prefix}-${String(k + 1).padStart(4, '0')}`;

/** Units of one SKU at node `k` of `nodes`. */
export const unitsAtNode = (stock: number, nodes: number, k: number): number => Math.floor(stock / nodes) + (k < stock % nodes ? 1 : 0);

/** A destination somewhere in the contiguous US. */
export function destinationOf(random: Random): { lat: number; lon: number; country: string } {
  return { lat: Math.round((26 + random.next() * 22) * 100) / 100, lon: Math.round((-122 + random.next() * 51) * 100) / 100, country: 'US' };
}

export async function setupCatalogue(api: ApiClient, spec: CatalogueSpec): Promise<Catalogue> {
  const nodes = await mapLimit(Array.from({ length: spec.nodes }, (_, k) => k), 8, async (k): Promise<CatalogueNode> => {
    const site = sites[k % sites.length];
    // Past the list, nodes repeat the sites a little apart.
    const location = { lat: site.lat + Math.floor(k / sites.length) * 0.1, lon: site.lon + Math.floor(k / sites.length) * 0.1 };
    const nodeId = nodeIdOf(k);
    const body = await api.expect([200, 201], 'PUT', `/v1/nodes/${nodeId}`, { type: k % 3 === 2 ? 'store' : 'warehouse', name: `Load test ${k + 1}`, location, status: 'online' });
    return { nodeId, location, partnerToken: typeof body.partnerToken === 'string' ? body.partnerToken : undefined };
  });
  const skus = Array.from({ length: spec.skus }, (_, k) => skuIdOf(spec.skuPrefix, k));
  const maxPerCustomer: Record<string, number> = {};
  if (spec.maxPerCustomer !== undefined) {
    await mapLimit(skus, 8, async (sku) => {
      await api.expect([200, 201], 'PUT', `/v1/skus/${sku}`, { name: `load test ${sku}`, maxPerCustomer: spec.maxPerCustomer });
      maxPerCustomer[sku] = spec.maxPerCustomer!;
    });
  }
  const positions = skus.flatMap((sku) => nodes.map((node, k) => ({ sku, node, units: unitsAtNode(spec.stock, spec.nodes, k) })));
  await mapLimit(positions, 16, async ({ sku, node, units }) => {
    await api.expect([200], 'PUT', `/v1/inventory/${node.nodeId}/${sku}`, { onHand: units + spec.safetyStock, safetyStock: spec.safetyStock });
  });
  return { runId: spec.runId, skus, nodes, maxPerCustomer, holdTtlSeconds: spec.holdTtlSeconds };
}
