import type { HistoryEntry, LineStatus, OrderLine, OrderStatus, StockMove } from '../domain.js';

// Pure line arithmetic for the order machine: node events and cancels, whole or partial.
// A partial quantity splits a line in two, so every line has one status.

export type NodeEventType = 'accepted' | 'picked' | 'packed' | 'shipped' | 'delivered';

export interface LineRequest {
  sku: string;
  qty: number;
}

const progress: Record<LineStatus, number> = {
  backordered: -3,
  rerouting: -4,
  held: -2,
  allocated: -1,
  released: 0,
  accepted: 1,
  picked: 2,
  packed: 3,
  shipped: 4,
  delivered: 5,
  cancelled: 99,
};

/** A line may move forward to `target` (steps may be skipped, never walked back). */
function canAdvance(status: LineStatus, target: NodeEventType): boolean {
  if (status === 'cancelled') return false;
  if (target === 'delivered') return status === 'shipped';
  return progress[status] >= -1 && progress[status] < progress[target];
}

const cancellable = (status: LineStatus): boolean => status === 'backordered' || (progress[status] >= -1 && progress[status] < progress.shipped);

/** A line its node may give back (rejected, offline, shrinkage): placed and not yet shipped. */
const movable = (status: LineStatus): boolean => progress[status] >= -2 && progress[status] < progress.shipped;

export type LineChange =
  | { ok: true; lines: OrderLine[]; moved: StockMove[] }
  | { ok: false; reason: string; details: Record<string, unknown> };

/**
 * Moves the matching lines to `target`. Without `requests`, every eligible line of the node moves;
 * with them, exactly the requested quantities move (splitting lines), or nothing does.
 */
function moveLines(
  lines: readonly OrderLine[],
  eligible: (line: OrderLine) => boolean,
  target: LineStatus,
  requests: readonly LineRequest[] | undefined,
): LineChange {
  const next = lines.map((line) => ({ ...line }));
  const moved: StockMove[] = [];
  if (!requests) {
    for (const line of next) {
      if (!eligible(line)) continue;
      moved.push({ sku: line.sku, nodeId: line.nodeId, qty: line.qty });
      line.status = target;
    }
    if (moved.length === 0) return { ok: false, reason: 'no line of this order can take that step', details: { to: target } };
    return { ok: true, lines: mergeLines(next), moved };
  }
  for (const request of requests) {
    let left = request.qty;
    for (let i = 0; i < next.length && left > 0; i++) {
      const line = next[i];
      if (line.sku !== request.sku || !eligible(line)) continue;
      const take = Math.min(left, line.qty);
      if (take < line.qty) {
        // Split: the moved part takes this slot, the rest follows it with the old status.
        next.splice(i + 1, 0, { ...line, qty: line.qty - take });
        line.qty = take;
      }
      line.status = target;
      moved.push({ sku: line.sku, nodeId: line.nodeId, qty: take });
      left -= take;
    }
    if (left > 0) {
      return { ok: false, reason: `${left} of ${request.qty} ${request.sku} cannot take that step`, details: { sku: request.sku, qty: request.qty, to: target } };
    }
  }
  return { ok: true, lines: mergeLines(next), moved };
}

/** Lines that differ only by quantity are one line. Keeps the order's line list short. */
function mergeLines(lines: OrderLine[]): OrderLine[] {
  const merged: OrderLine[] = [];
  for (const line of lines) {
    const same = merged.find((m) => m.sku === line.sku && m.nodeId === line.nodeId && m.status === line.status);
    if (same) same.qty += line.qty;
    else merged.push({ ...line });
  }
  return merged;
}

export function applyNodeEvent(
  lines: readonly OrderLine[],
  nodeId: string,
  type: NodeEventType,
  requests?: readonly LineRequest[],
): LineChange {
  return moveLines(lines, (line) => line.nodeId === nodeId && canAdvance(line.status, type), type, requests);
}

export function applyCancel(lines: readonly OrderLine[], requests?: readonly LineRequest[]): LineChange {
  return moveLines(lines, (line) => cancellable(line.status), 'cancelled', requests);
}

/** The node gives back its unshipped lines (all, or the requested quantities): they become `rerouting`. */
/** Lines the node has not accepted yet: what a paused node gives back. */
export const notYetAccepted: ReadonlySet<LineStatus> = new Set<LineStatus>(['held', 'allocated', 'released']);
/** Lines released and not accepted: what a node past its acceptance deadline gives back. */
export const releasedOnly: ReadonlySet<LineStatus> = new Set<LineStatus>(['released']);

/** Moves the node's unshipped lines (or only those in `only`) to `rerouting`. */
export function applyGiveBack(lines: readonly OrderLine[], nodeId: string, requests?: readonly LineRequest[], only?: ReadonlySet<LineStatus>): LineChange {
  return moveLines(lines, (line) => line.nodeId === nodeId && movable(line.status) && (!only || only.has(line.status)), 'rerouting', requests);
}

export interface Assignment {
  sku: string;
  qty: number;
  nodeId: string;
}

/**
 * Places lines that are `from` (rerouting or backordered) at the assigned nodes, with `placed` as
 * their status. Whatever is still rerouting afterwards is backordered. Quantities an assignment
 * asks for beyond what is waiting are an error (undefined).
 */
export function applyAssignments(lines: readonly OrderLine[], from: 'rerouting' | 'backordered', assignments: readonly Assignment[], placed: LineStatus): OrderLine[] | undefined {
  const next = lines.map((line) => ({ ...line }));
  for (const assignment of assignments) {
    let left = assignment.qty;
    for (const line of next) {
      if (left === 0) break;
      if (line.sku !== assignment.sku || line.status !== from || line.qty === 0) continue;
      const take = Math.min(left, line.qty);
      line.qty -= take;
      left -= take;
      next.push({ sku: assignment.sku, qty: take, nodeId: assignment.nodeId, status: placed });
    }
    if (left > 0) return undefined;
  }
  for (const line of next) {
    if (line.status === 'rerouting') {
      line.status = 'backordered';
      line.nodeId = '';
    }
  }
  return mergeLines(next.filter((line) => line.qty > 0));
}

export function setStatus(lines: readonly OrderLine[], from: LineStatus, to: LineStatus): OrderLine[] {
  return lines.map((line) => (line.status === from ? { ...line, status: to } : line));
}

/** The order's status follows from its lines. */
export function orderStatusOf(lines: readonly OrderLine[]): OrderStatus {
  const live = lines.filter((line) => line.status !== 'cancelled');
  if (live.length === 0) return 'cancelled';
  if (live.every((line) => line.status === 'delivered')) return 'delivered';
  const shipped = live.filter((line) => line.status === 'shipped' || line.status === 'delivered').length;
  if (shipped === live.length) return 'shipped';
  if (shipped > 0) return 'partially_shipped';
  if (live.some((line) => line.status === 'backordered')) return 'backordered';
  if (live.some((line) => line.status === 'allocated')) return 'allocated';
  return 'released';
}

export function stockMovesOf(lines: readonly OrderLine[]): StockMove[] {
  return lines.map(({ sku, nodeId, qty }) => ({ sku, nodeId, qty }));
}

export type NewHistoryEntry = Omit<HistoryEntry, 'seq'>;

/** Appends entries numbered on from the last one; keeps the newest `max`. */
export function appendHistory(history: readonly HistoryEntry[], entries: readonly NewHistoryEntry[], max: number): { history: HistoryEntry[]; added: HistoryEntry[] } {
  let seq = history.length > 0 ? history[history.length - 1].seq : 0;
  const added = entries.map((entry) => ({ seq: ++seq, ...entry }));
  const next = [...history, ...added];
  return { history: next.length > max ? next.slice(next.length - max) : next, added };
}
