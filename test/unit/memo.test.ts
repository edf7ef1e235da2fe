import { boundedMemo } from '../../nodes/shared/memo';

describe('boundedMemo', () => {
	it('computes once per key and starts afresh when the bound is reached', () => {
		const computed: string[] = [];
		const upper = boundedMemo(2, (key: string) => {
			computed.push(key);
			return key.toUpperCase();
		});
		expect([upper('a'), upper('a'), upper('b'), upper('a')]).toEqual(['A', 'A', 'B', 'A']);
		expect(computed).toEqual(['a', 'b']);
		upper('c'); // full: the cache is cleared, then holds c
		expect([upper('c'), upper('a')]).toEqual(['C', 'A']);
		expect(computed).toEqual(['a', 'b', 'c', 'a']);
	});

	it('caches nothing when the computation throws', () => {
		let calls = 0;
		const failing = boundedMemo(4, (key: string) => {
			calls++;
			if (key === 'bad') throw new Error('no');
			return key;
		});
		expect(() => failing('bad')).toThrow('no');
		expect(() => failing('bad')).toThrow('no');
		expect(calls).toBe(2);
	});
});
