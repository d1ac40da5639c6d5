import type { Engine } from '../engine.js';
import { demoNodes, demoSkus, demoStock } from './demo-data.js';

// Loads the demo network into an empty ledger, through the engine like any operator would.

export async function seedDemo(engine: Engine): Promise<{ nodes: number; skus: number; positions: number }> {
  // Issued together, so they share a few group commits instead of one fsync each.
  await Promise.all(demoNodes.map((node) => engine.putNode(node.nodeId, { ...node, status: 'online' })));
  await Promise.all(demoSkus.map((sku) => engine.putSku(sku.sku, { name: sku.name, ...(sku.maxPerCustomer !== undefined ? { maxPerCustomer: sku.maxPerCustomer } : {}) })));
  const stock = demoStock();
  await Promise.all(stock.map((row) => engine.setStock(row.nodeId, row.sku, { onHand: row.onHand, safetyStock: row.safetyStock })));
  return { nodes: demoNodes.length, skus: demoSkus.length, positions: stock.length };
}
