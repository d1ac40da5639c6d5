// Which partition owns what. A SKU belongs to one partition, by a stable hash of its id; a hold or
// order to the partition that created it, which its id says (`rsv_p3-…`, `ord_p3-…`). The count is
// fixed when the cluster is created: changing it would move SKUs away from their ledgers.

/** Partitions a cluster may have: the hash space is split this fine at most. */
export const partitionCountMax = 1024;

/** FNV-1a, 32 bits: stable across processes, versions and platforms (never Node's own hashing). */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export function partitionOfSku(sku: string, partitionCount: number): number {
  return fnv1a32(sku) % partitionCount;
}

/** The core-id prefix of the holds and orders a partition creates: `p<p>-`. */
export function partitionIdPrefix(partition: number): string {
  return `p${partition}-`;
}

const idPartition = /^(?:rsv|ord)_p(\d{1,4})-/;

/** The partition a reservation or order id names, or undefined for an id no partition made. */
export function partitionOfId(publicId: string, partitionCount: number): number | undefined {
  const match = idPartition.exec(publicId);
  if (!match) return undefined;
  const partition = Number(match[1]);
  return partition < partitionCount ? partition : undefined;
}

/**
 * `OO_PARTITIONS`: ranges and lists (`0-7`, `0,2,4-6`), or empty for all. Sorted, without
 * repeats. Throws on anything else, or a partition outside 0..count-1.
 */
export function parsePartitions(text: string | undefined, partitionCount: number): number[] {
  if (text === undefined || text.trim() === '' || text.trim() === 'all') return Array.from({ length: partitionCount }, (_, i) => i);
  const chosen = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new Error(`OO_PARTITIONS: "${part}" is not a partition or a range such as 0-7`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`OO_PARTITIONS: range ${part} runs backwards`);
    if (to >= partitionCount) throw new Error(`OO_PARTITIONS: partition ${to} does not exist (OO_PARTITION_COUNT is ${partitionCount})`);
    for (let p = from; p <= to; p++) chosen.add(p);
  }
  return [...chosen].sort((a, b) => a - b);
}
