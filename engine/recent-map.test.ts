// Shows the bounded recency map: a touched key becomes the newest, and past the bound the least
// recently touched entry is dropped and returned.
import { describe, expect, it } from 'vitest';
import { setRecent } from './recent-map.js';

describe('setRecent', () => {
  it('keeps at most max entries, dropping the least recently set, and a touch makes a key newest', () => {
    const map = new Map<string, number>();
    expect(setRecent(map, 'a', 1, 2)).toBeUndefined();
    expect(setRecent(map, 'b', 2, 2)).toBeUndefined();
    expect(setRecent(map, 'a', 3, 2)).toBeUndefined(); // 'a' is newest now
    expect(setRecent(map, 'c', 4, 2)).toEqual(['b', 2]);
    expect([...map]).toEqual([['a', 3], ['c', 4]]);
  });
});
