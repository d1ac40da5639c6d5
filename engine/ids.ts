import { randomBytes } from 'node:crypto';

// Ids sort by creation time (a base-36 millisecond prefix) and carry 64 random bits, so they are
// unguessable and collision-free without coordination between engines.

const pool = { bytes: Buffer.alloc(0), offset: 0 };

function randomHex8(): string {
  if (pool.offset + 8 > pool.bytes.length) {
    pool.bytes = randomBytes(8 * 1024);
    pool.offset = 0;
  }
  const hex = pool.bytes.toString('hex', pool.offset, pool.offset + 8);
  pool.offset += 8;
  return hex;
}

/** The random part of an id: 16 hex digits. Tests pass a seeded one so a simulation replays exactly. */
export type IdRandom = () => string;

export function newCoreId(nowMs: number, random: IdRandom = randomHex8): string {
  return nowMs.toString(36).padStart(9, '0') + random();
}

/** A reservation and the order it becomes share one core id: `rsv_<core>` and `ord_<core>`. */
export const reservationIdOf = (coreId: string): string => `rsv_${coreId}`;
export const orderIdOf = (coreId: string): string => `ord_${coreId}`;

export function coreIdOf(publicId: string): string | undefined {
  if (publicId.startsWith('rsv_') || publicId.startsWith('ord_')) return publicId.slice(4);
  return undefined;
}
