import {
	compareChangeVersions,
	dropStaleChanges,
	emptyVersionStore,
	isWantedChange,
	loadVersionStore,
	parseDelivery,
	sortByChangeVersion,
	wantedChanges,
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
		expect(parseDelivery([change(1, 1), change(2, 2)])).toEqual({
			ok: true,
			changes: [change(1, 1), change(2, 2)],
		});
		expect(parseDelivery({ value: [change(3, 3)] })).toEqual({ ok: true, changes: [change(3, 3)] });
		expect(parseDelivery([])).toEqual({ ok: true, changes: [] });
	});

	it.each([
		['a string', 'hello', 'is a string'],
		['null', null, 'is null'],
		['an unrelated object', { foo: 1 }, 'the properties foo'],
		['a change without data', { changeType: 'InsertOrUpdate' }, '"data" that is a undefined'],
		[
			'a change without changeVersion',
			{ changeType: 'Delete', data: { id: 1 } },
			'no "data.changeVersion"',
		],
		['a change without id', { changeType: 'Delete', data: { changeVersion: 'A' } }, 'no "data.id"'],
		['an array with a bad second item', [change(1, 1), 5], 'Change 2 of 2 is a number'],
		[
			'a change with an empty changeType',
			{ changeType: '', data: { id: 1, changeVersion: 'A' } },
			'no "changeType"',
		],
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
		const sorted = sortByChangeVersion([
			change(1, 30),
			change(2, 10),
			change(3, 20),
			change(4, 10),
		]);
		expect(sorted.map((c) => c.data.id)).toEqual([2, 4, 3, 1]);
		const ordered = [change(1, 1), change(2, 2), change(3, 2)];
		expect(sortByChangeVersion(ordered)).toBe(ordered); // already in order: not copied
		expect(compareChangeVersions('F', '10')).toBeLessThan(0);
	});

	it('keeps only the wanted change types', () => {
		expect(isWantedChange(change(1, 1), ['insertOrUpdate'])).toBe(true);
		expect(isWantedChange(change(1, 1, 'Delete'), ['insertOrUpdate'])).toBe(false);
		expect(isWantedChange(change(1, 1, 'Delete'), ['delete'])).toBe(true);
		expect(isWantedChange(change(1, 1, 'Truncate'), ['insertOrUpdate', 'delete'])).toBe(false);
	});

	it('selects the wanted changes in order, without copying when all are wanted', () => {
		const all = [change(1, 1), change(2, 2, 'Delete'), change(3, 3)];
		expect(wantedChanges(all, ['insertOrUpdate', 'delete'])).toBe(all);
		expect(wantedChanges(all, ['insertOrUpdate']).map((c) => c.data.id)).toEqual([1, 3]);
		expect(
			wantedChanges([...all, change(4, 4, 'Truncate')], ['insertOrUpdate', 'delete']).map(
				(c) => c.data.id,
			),
		).toEqual([1, 2, 3]);
		expect(all.map((c) => c.data.id)).toEqual([1, 2, 3]); // the input is never changed
	});
});

describe('dropStaleChanges', () => {
	it('drops duplicates and older versions per record id, keeps newer ones', () => {
		const store = emptyVersionStore('clockings');
		expect(dropStaleChanges([change(1, 5), change(2, 5)], store).fresh).toHaveLength(2);
		const second = dropStaleChanges(
			sortByChangeVersion([change(1, 5), change(1, 4), change(1, 6), change(2, 7)]),
			store,
		);
		expect(second.fresh.map((c) => [c.data.id, c.data.changeVersion])).toEqual([
			[1, cv(6)],
			[2, cv(7)],
		]);
		expect(second.dropped).toBe(2);
	});

	it('returns the ordered input itself when nothing is dropped, a copy from the first drop on', () => {
		const store = emptyVersionStore('x');
		const first = [change(1, 1), change(2, 2)];
		expect(dropStaleChanges(first, store).fresh).toBe(first);
		const mixed = [change(3, 3), change(1, 1), change(4, 4)];
		const result = dropStaleChanges(mixed, store);
		expect(result.fresh.map((c) => c.data.id)).toEqual([3, 4]);
		expect(mixed.map((c) => c.data.id)).toEqual([3, 1, 4]);
	});

	it('bounds the store in two generations, forgetting the least recently changed ids first', () => {
		const store = emptyVersionStore('x');
		dropStaleChanges([change(1, 1), change(2, 2)], store, { max: 4 }); // generation of 2: recent {1, 2}
		dropStaleChanges([change(3, 3)], store, { max: 4 }); // recent full: {1, 2} becomes older, recent {3}
		dropStaleChanges([change(1, 4)], store, { max: 4 }); // id 1 changed again: copied into recent {3, 1}
		dropStaleChanges([change(4, 5)], store, { max: 4 }); // recent full again: older {3, 1}, recent {4}; id 2 forgotten
		expect(Object.keys(store.older).sort()).toEqual(['1', '3']);
		expect(Object.keys(store.recent)).toEqual(['4']);
		expect(store.count).toBe(1);
		// Forgotten means a replayed old version of id 2 passes again; the remembered ids still drop theirs.
		const replay = dropStaleChanges([change(2, 2), change(3, 3), change(1, 4)], store, { max: 4 });
		expect(replay.fresh.map((c) => c.data.id)).toEqual([2]);
		expect(replay.dropped).toBe(2);
	});

	it('never holds more than max ids and always remembers the newest max/2', () => {
		const store = emptyVersionStore('x');
		const sizes = new Set<number>();
		for (let i = 0; i < 5000; i++) {
			dropStaleChanges([change(i, i)], store, { max: 1000 });
			const held = Object.keys(store.recent).length + Object.keys(store.older).length;
			expect(held).toBeLessThanOrEqual(1000);
			expect(held).toBeGreaterThanOrEqual(Math.min(i + 1, 500));
			expect(store.count).toBe(Object.keys(store.recent).length);
			sizes.add(held);
		}
		expect(sizes.has(501)).toBe(true); // a generation was dropped
		// The newest 500 ids are still known: their versions are stale now.
		const replay = sortByChangeVersion(
			Array.from({ length: 500 }, (_, k) => change(4999 - k, 4999 - k)),
		);
		expect(dropStaleChanges(replay, store, { max: 1000 }).dropped).toBe(500);
	});

	it('keeps numeric and string ids apart from prototype properties', () => {
		const store = emptyVersionStore('x');
		const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '7', 7];
		const first = ids.map((id, i) => ({
			changeType: 'InsertOrUpdate',
			data: { id, changeVersion: cv(10 + i) },
		}));
		expect(dropStaleChanges(first, store).fresh).toHaveLength(ids.length);
		expect(Object.getPrototypeOf(store.recent)).toBe(Object.prototype);
		// The same versions again: all duplicates, including the id named like a prototype property.
		expect(dropStaleChanges(first, store).dropped).toBe(ids.length);
		const reloaded = loadVersionStore(JSON.parse(JSON.stringify(store)), 'x');
		expect(dropStaleChanges(first, reloaded).dropped).toBe(ids.length);
	});

	it('handles 10,000 changes with a bounded store and survives a JSON round trip', () => {
		const store = emptyVersionStore('x');
		const changes = Array.from({ length: 10_000 }, (_, i) => change(i % 5000, i));
		const { fresh } = dropStaleChanges(changes, store);
		expect(fresh).toHaveLength(10_000);
		const reloaded = loadVersionStore(JSON.parse(JSON.stringify(store)), 'x');
		expect(reloaded.count).toBe(store.count);
		expect(dropStaleChanges([change(4999, 9999)], reloaded).dropped).toBe(1);
		expect(dropStaleChanges([change(4999, 10_000)], reloaded).fresh).toHaveLength(1);
	});

	it('with keepResends keeps a resend of the newest version (not recorded again) and still drops older ones', () => {
		const store = emptyVersionStore('clockings');
		expect(dropStaleChanges([change(1, 5)], store, { keepResends: true }).recorded).toBe(1);
		const again = dropStaleChanges([change(1, 4), change(1, 5), change(1, 6)], store, {
			keepResends: true,
		});
		expect(again.fresh.map((c) => c.data.changeVersion)).toEqual([cv(5), cv(6)]);
		expect(again).toMatchObject({ dropped: 1, recorded: 1 });
		expect(dropStaleChanges([change(1, 6)], store).dropped).toBe(1);
	});

	it('starts afresh when the scope changed or the stored shape is wrong', () => {
		const store = emptyVersionStore('a');
		dropStaleChanges([change(1, 1)], store);
		expect(loadVersionStore(store, 'b').count).toBe(0);
		expect(loadVersionStore('garbage', 'a').count).toBe(0);
		expect(loadVersionStore(store, 'a')).toBe(store);
	});
});
