// The one bounded-map move the engine makes in several places (seq caches, rejection rates,
// transit estimates, a gateway's seen seqs): insertion order is recency, so a touched key moves to
// the end and, past the bound, the least recently touched entry goes.

/** Sets `key` as the most recent entry; past `max` entries drops the least recent one and returns it. */
export function setRecent<K, V>(map: Map<K, V>, key: K, value: V, max: number): [K, V] | undefined {
  map.delete(key);
  map.set(key, value);
  if (map.size <= max) return undefined;
  const oldest = map.entries().next().value as [K, V];
  map.delete(oldest[0]);
  return oldest;
}
