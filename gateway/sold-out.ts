import type { Engine } from '../engine/engine.js';
import { EngineError } from '../engine/errors.js';
import type { InventoryView } from '../engine/views.js';

// `GET /v1/skus/sold-out`: the SKUs a shopper cannot buy right now — those whose top-level
// `available` (summed over the online nodes, as `GET /v1/inventory/{sku}`) is 0.
//
// The engine keeps no index of sold-out SKUs, so this scans what the gateway can see through
// public engine methods: the SKUs with stock positions (`engine.ledger.listSkus()`, in SKU order)
// and each one's inventory (`engine.getInventory`). Every part of that is bounded: at most
// `soldOutScanSkusMax` SKUs are looked at, in chunks of `soldOutScanChunk` with a turn of the
// event loop (setImmediate) between them, so requests are never held up by more than one chunk;
// at most `soldOutListedMax` are listed. One scan runs at a time, and its answer serves every
// caller for `soldOutMaxAgeMs` — or longer when the scan was slow: a scan that took d ms is
// served for d / `soldOutScanShareMax` ms, so scans never take more than that share of the
// gateway's time, however many dashboards ask. (Measured on a loaded shared machine: 5,000 SKUs
// at 27 nodes each, about 135,000 positions, took 0.2 to 0.5 s, so such a list may be 2 to 5 s
// old; the demo's 200 SKUs took some 20 ms. The event loop's delay stayed at p99 3 to 6 ms.)

/** SKUs looked at per scan (the first ones in SKU order). */
export const soldOutScanSkusMax = 5_000;
/** SKUs listed at most; `truncated` says there were more. */
export const soldOutListedMax = 200;
/** SKUs read between two turns of the event loop (about 700 positions at 27 nodes a SKU: a few ms). */
const soldOutScanChunk = 25;
/** How long one scan's answer is served before the next scan, at least. */
export const soldOutMaxAgeMs = 1_000;
/** The share of the gateway's time scans may take: a scan's answer is served for its duration over this. */
export const soldOutScanShareMax = 0.1;

export interface SoldOutSku {
  sku: string;
  /** On hand and reserved, summed over the SKU's online nodes. */
  onHand: number;
  reserved: number;
}

export interface SoldOutList {
  /** When the scan ran. */
  at: string;
  /** Sold-out SKUs in SKU order, at most `soldOutListedMax`. */
  skus: SoldOutSku[];
  /** More SKUs were sold out than listed. */
  truncated: boolean;
  /** SKUs looked at. */
  scanned: number;
  /** The scan stopped at `soldOutScanSkusMax` SKUs and there are more: SKUs past them were not looked at. */
  scanTruncated: boolean;
}

type InventoryReader = Pick<Engine, 'getInventory'> & { ledger: Pick<Engine['ledger'], 'listSkus'> };

export class SoldOutScanner {
  private last: { atMs: number; freshForMs: number; list: SoldOutList } | undefined;
  private running: Promise<SoldOutList> | undefined;

  constructor(
    private readonly engine: InventoryReader,
    private readonly now: () => number = Date.now,
  ) {}

  /** The sold-out SKUs, from the last scan while it is fresh, else from a new one (or the one under way). */
  read(): Promise<SoldOutList> {
    if (this.last && this.now() - this.last.atMs < this.last.freshForMs) return Promise.resolve(this.last.list);
    if (!this.running) {
      const startedMs = this.now();
      this.running = this.scan(startedMs).then(
        (list) => {
          const tookMs = this.now() - startedMs;
          this.last = { atMs: startedMs, freshForMs: Math.max(soldOutMaxAgeMs, tookMs / soldOutScanShareMax), list };
          this.running = undefined;
          return list;
        },
        (error: unknown) => {
          this.running = undefined;
          throw error;
        },
      );
    }
    return this.running;
  }

  private async scan(startedMs: number): Promise<SoldOutList> {
    const skuNames = this.engine.ledger.listSkus()[Symbol.iterator]();
    const skus: SoldOutSku[] = [];
    let soldOut = 0;
    let scanned = 0;
    let scanTruncated = false;
    try {
      for (let done = false; !done; ) {
        // The engine's reads resolve without a turn of the event loop when nothing is being
        // written: give requests theirs between chunks.
        if (scanned > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const chunk: string[] = [];
        while (chunk.length < soldOutScanChunk) {
          if (scanned + chunk.length === soldOutScanSkusMax) {
            scanTruncated = skuNames.next().done !== true;
            done = true;
            break;
          }
          const next = skuNames.next();
          if (next.done) {
            done = true;
            break;
          }
          chunk.push(next.value);
        }
        scanned += chunk.length;
        // Each read takes the SKU's positions at once (synchronously).
        const views = await Promise.all(chunk.map((sku) => this.engine.getInventory(sku).catch(goneIsNone)));
        for (const view of views) {
          if (!view || view.available > 0) continue;
          soldOut++;
          if (skus.length < soldOutListedMax) skus.push(soldOutSkuOf(view));
        }
      }
    } finally {
      skuNames.return?.(); // stopped early: let the ledger close its cursor
    }
    return { at: new Date(startedMs).toISOString(), skus, truncated: soldOut > skus.length, scanned, scanTruncated };
  }
}

/** On hand and reserved over the online nodes: what the top-level `available` counts. */
function soldOutSkuOf(view: InventoryView): SoldOutSku {
  let onHand = 0;
  let reserved = 0;
  for (const node of view.nodes) {
    if (node.status !== 'online') continue;
    onHand += node.onHand;
    reserved += node.reserved;
  }
  return { sku: view.sku, onHand, reserved };
}

/** A SKU that went away between the listing and the read is not sold out; anything else is a failure. */
function goneIsNone(error: unknown): undefined {
  if (error instanceof EngineError && error.code === 'NOT_FOUND') return undefined;
  throw error;
}
