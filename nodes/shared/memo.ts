/** Memoisation for the small per-process caches of derived values (names, key forms, formatters). */

/**
 * `compute` memoised per key in a map of at most `max` entries. When the map is full it is cleared rather
 * than trimmed: the keys are few in practice (catalogue names, a trigger's keys, time zones), so the bound
 * only guards against unbounded growth from unusual input.
 */
export function boundedMemo<K, V>(max: number, compute: (key: K) => V): (key: K) => V {
	const cache = new Map<K, V>();
	return (key: K): V => {
		let value = cache.get(key);
		if (value === undefined) {
			value = compute(key);
			if (cache.size >= max) cache.clear();
			cache.set(key, value);
		}
		return value;
	};
}
