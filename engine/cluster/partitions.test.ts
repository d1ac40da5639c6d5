// Shows the partition arithmetic: a SKU's partition is stable (fixed values, so a change of hash is
// caught before it strands SKUs away from their ledgers) and spread; ids carry their partition;
// OO_PARTITIONS takes ranges and lists and refuses anything else.
import { expect, it } from 'vitest';
import { fnv1a32, parsePartitions, partitionIdPrefix, partitionOfId, partitionOfSku } from './partitions.js';

it('hashes a SKU to the same partition everywhere (FNV-1a reference values)', () => {
  expect(fnv1a32('')).toBe(0x811c9dc5);
  expect(fnv1a32('a')).toBe(0xe40c292c);
  expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  expect(partitionOfSku('foobar', 16)).toBe(0xbf9cf968 % 16);
});

it('spreads many SKUs over every partition', () => {
  const counts = new Array<number>(16).fill(0);
  for (let i = 0; i < 16_000; i++) counts[partitionOfSku(`SKU-${i}`, 16)]++;
  for (const count of counts) {
    expect(count).toBeGreaterThan(800);
    expect(count).toBeLessThan(1200);
  }
});

it('reads the partition back from a reservation or order id', () => {
  const core = `${partitionIdPrefix(12)}0abc123def0123456789abcd`;
  expect(partitionOfId(`rsv_${core}`, 16)).toBe(12);
  expect(partitionOfId(`ord_${core}`, 16)).toBe(12);
  expect(`ord_${core}`).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
  expect(partitionOfId(`ord_${core}`, 8)).toBeUndefined();
  expect(partitionOfId('ord_0abc123def0123456789abcd', 16)).toBeUndefined();
  expect(partitionOfId('xyz_p1-abc', 16)).toBeUndefined();
});

it('parses OO_PARTITIONS ranges and lists, and refuses bad ones', () => {
  expect(parsePartitions(undefined, 4)).toEqual([0, 1, 2, 3]);
  expect(parsePartitions('', 4)).toEqual([0, 1, 2, 3]);
  expect(parsePartitions('0-7', 16)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  expect(parsePartitions('9, 0,2-3,2', 16)).toEqual([0, 2, 3, 9]);
  expect(() => parsePartitions('0-16', 16)).toThrow(/does not exist/);
  expect(() => parsePartitions('5-2', 16)).toThrow(/backwards/);
  expect(() => parsePartitions('a', 16)).toThrow(/not a partition/);
  expect(() => parsePartitions('1,,2', 16)).toThrow(/not a partition/);
});
