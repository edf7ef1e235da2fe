import {
	compareChangeVersions,
	dropStaleChanges,
	emptyVersionStore,
	isWantedChange,
	loadVersionStore,
	parseDelivery,
	sortByChangeVersion,
	type Change,
} from '../../nodes/shared/changes';

const cv = (n: number) => n.toString(16).toUpperCase().padStart(20, '0');
const change = (id: number, version: number, changeType = 'InsertOrUpdate'): Change => ({
	changeType,
	data: { id, changeVersion: cv(version) },
});

describe('parseDelivery', () => {
	it('accepts a single change, an array, and a {value} envelope', () => {
		expect(parseDelivery(change(1, 1))).toEqual({ ok: true, changes: [change(1, 1)] });
		expect(parseDelivery([change(1, 1), change(2, 2)])).toEqual({ ok: true, changes: [change(1, 1), change(2, 2)] });
		expect(parseDelivery({ value: [change(3, 3)] })).toEqual({ ok: true, changes: [change(3, 3)] });
		expect(parseDelivery([])).toEqual({ ok: true, changes: [] });
	});

	it.each([
		['a string', 'hello', 'is a string'],
		['null', null, 'is null'],
		['an unrelated object', { foo: 1 }, 'the properties foo'],
		['a change without data', { changeType: 'InsertOrUpdate' }, '"data" that is a undefined'],
		['a change without changeVersion', { changeType: 'Delete', data: { id: 1 } }, 'no "data.changeVersion"'],
		['a change without id', { changeType: 'Delete', data: { changeVersion: 'A' } }, 'no "data.id"'],
		['an array with a bad second item', [change(1, 1), 5], 'Change 2 of 2 is a number'],
		['a change with an empty changeType', { changeType: '', data: { id: 1, changeVersion: 'A' } }, 'no "changeType"'],
	])('rejects %s with a message that says what is wrong', (_name, body, fragment) => {
		const result = parseDelivery(body);
		expect(result.ok).toBe(false);
		if (!result.ok) {
			expect(result.message).toContain(fragment);
			expect(result.message).toContain('Expected a change');
		}
	});

	it('accepts 10,000 changes in one delivery', () => {
		const many = Array.from({ length: 10_000 }, (_, i) => change(i, 10_000 - i));
		const result = parseDelivery({ value: many });
		expect(result.ok && result.changes.length).toBe(10_000);
	});
});

describe('ordering and filtering', () => {
	it('sorts by changeVersion, stable for equal versions, shorter strings first', () => {
		const sorted = sortByChangeVersion([change(1, 30), change(2, 10), change(3, 20), change(4, 10)]);
		expect(sorted.map((c) => c.data.id)).toEqual([2, 4, 3, 1]);
		expect(compareChangeVersions('F', '10')).toBeLessThan(0);
	});

	it('keeps only the wanted change types', () => {
		expect(isWantedChange(change(1, 1), ['insertOrUpdate'])).toBe(true);
		expect(isWantedChange(change(1, 1, 'Delete'), ['insertOrUpdate'])).toBe(false);
		expect(isWantedChange(change(1, 1, 'Delete'), ['delete'])).toBe(true);
		expect(isWantedChange(change(1, 1, 'Truncate'), ['insertOrUpdate', 'delete'])).toBe(false);
	});
});

describe('dropStaleChanges', () => {
	it('drops duplicates and older versions per record id, keeps newer ones', () => {
		const store = emptyVersionStore('clockings');
		expect(dropStaleChanges([change(1, 5), change(2, 5)], store).fresh).toHaveLength(2);
		const second = dropStaleChanges(sortByChangeVersion([change(1, 5), change(1, 4), change(1, 6), change(2, 7)]), store);
		expect(second.fresh.map((c) => [c.data.id, c.data.changeVersion])).toEqual([
			[1, cv(6)],
			[2, cv(7)],
		]);
		expect(second.dropped).toBe(2);
	});

	it('bounds the store, forgetting the least recently changed ids first', () => {
		const store = emptyVersionStore('x');
		dropStaleChanges([change(1, 1), change(2, 2), change(3, 3)], store, 10);
		dropStaleChanges([change(1, 4)], store, 10); // id 1 becomes the most recent
		dropStaleChanges([change(4, 5)], store, 3); // 4 ids > 3: back to 3 - floor(3/10) = 3, the newest
		expect(Object.keys(store.seen)).toEqual(['#3', '#1', '#4']);
		expect(store.count).toBe(3);
	});

	it('evicts in batches: never more than max ids, always at least the newest max - max/10', () => {
		const store = emptyVersionStore('x');
		const counts = new Set<number>();
		for (let i = 0; i < 5000; i++) {
			dropStaleChanges([change(i, i)], store, 1000);
			expect(store.count).toBeLessThanOrEqual(1000);
			expect(store.count).toBeGreaterThanOrEqual(Math.min(i + 1, 900));
			counts.add(store.count);
		}
		expect(store.count).toBe(Object.keys(store.seen).length);
		expect(counts.has(900)).toBe(true); // a batch eviction happened
		// The newest 900 ids are still known: their versions are stale now.
		const replay = sortByChangeVersion(Array.from({ length: 900 }, (_, k) => change(4999 - k, 4999 - k)));
		expect(dropStaleChanges(replay, store, 1000).dropped).toBe(900);
	});

	it('handles 10,000 changes with a bounded store and survives a JSON round trip', () => {
		const store = emptyVersionStore('x');
		const changes = Array.from({ length: 10_000 }, (_, i) => change(i % 5000, i));
		const { fresh } = dropStaleChanges(changes, store);
		expect(fresh).toHaveLength(10_000);
		const reloaded = loadVersionStore(JSON.parse(JSON.stringify(store)), 'x');
		expect(reloaded.count).toBe(2700);
		expect(dropStaleChanges([change(4999, 9999)], reloaded).dropped).toBe(1);
	});

	it('starts afresh when the scope changed or the stored shape is wrong', () => {
		const store = emptyVersionStore('a');
		dropStaleChanges([change(1, 1)], store);
		expect(loadVersionStore(store, 'b').count).toBe(0);
		expect(loadVersionStore('garbage', 'a').count).toBe(0);
		expect(loadVersionStore(store, 'a')).toBe(store);
	});
});
