import type { StockView } from './model.js';

/**
 * Units available per SKU and node, as `plan` reads them. The engine can adapt its SKU actors'
 * positions instead (any object with `get(sku)` returning nodeId → available); this table is for
 * tests, the bench and `POST /v1/promise` snapshots.
 */
export class StockTable implements StockView {
  private readonly bySku = new Map<string, Map<string, number>>();

  static from(rows: Iterable<{ sku: string; nodeId: string; available: number }>): StockTable {
    const table = new StockTable();
    for (const row of rows) table.set(row.sku, row.nodeId, row.available);
    return table;
  }

  get(sku: string): ReadonlyMap<string, number> | undefined {
    return this.bySku.get(sku);
  }

  available(sku: string, nodeId: string): number {
    return this.bySku.get(sku)?.get(nodeId) ?? 0;
  }

  set(sku: string, nodeId: string, available: number): void {
    let nodes = this.bySku.get(sku);
    if (!nodes) this.bySku.set(sku, (nodes = new Map()));
    nodes.set(nodeId, available);
  }

  /** Takes `qty` units; false (and nothing taken) when fewer are available. */
  take(sku: string, nodeId: string, qty: number): boolean {
    const available = this.available(sku, nodeId);
    if (qty > available) return false;
    this.set(sku, nodeId, available - qty);
    return true;
  }

  clone(): StockTable {
    const copy = new StockTable();
    for (const [sku, nodes] of this.bySku) copy.bySku.set(sku, new Map(nodes));
    return copy;
  }
}
