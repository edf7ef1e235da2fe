/** The batch rules (nodes/ProtimeTrigger/batch.ts), without n8n: when a batch is due, what a report does. */
import {
	applyReport,
	isDue,
	keep,
	loadBatch,
	retryPause,
	takeFlush,
	type Batch,
} from '../../nodes/ProtimeTrigger/batch';
import type { Change } from '../../nodes/shared/changes';

const change = (id: number, version: number): Change => ({
	changeType: 'InsertOrUpdate',
	data: { id, changeVersion: version.toString(16).padStart(20, '0') },
});
const ids = (changes: Change[] | undefined) => changes?.map((c) => c.data.id);
const settings = { windowMs: 5000, maxChanges: 3, maxFailures: 3 };
const LIMIT = settings.maxFailures;
const T = 1_000_000;

function batchOf(...versions: number[]): Batch {
	const batch: Batch = { pending: [] };
	keep(
		batch,
		versions.map((v) => change(v, v)),
		T,
	);
	return batch;
}

describe('batch rules', () => {
	it('is due when its oldest change would pass its window before the next tick, or when it is full', () => {
		const batch = batchOf(1);
		expect(isDue(batch, settings, T + 3999)).toBe(false);
		expect(isDue(batch, settings, T + 4001)).toBe(true);
		expect(isDue(batchOf(1, 2, 3), settings, T)).toBe(true);
		expect(isDue({ pending: [] }, settings, T + 10_000)).toBe(false);
	});

	it('takes at most Max Changes, in changeVersion order, and nothing while a batch is in flight', () => {
		const batch = batchOf(4, 2, 9, 1);
		expect(ids(takeFlush(batch, settings, 'a', T))).toEqual([2, 4, 9]);
		expect(takeFlush(batch, settings, 'b', T + 10_000)).toBeUndefined();
		applyReport(batch, { id: 'a', outcome: 'done' }, T + 10_000, LIMIT);
		expect(ids(takeFlush(batch, settings, 'c', T + 10_000))).toEqual([1]);
	});

	it('pauses a failed batch 1 s, 2 s, 4 s … at most 5 minutes, then emits it again under the new flush id', () => {
		expect([1, 2, 3, 20].map(retryPause)).toEqual([1000, 2000, 4000, 300_000]);
		const batch = batchOf(1, 2);
		takeFlush(batch, { ...settings, windowMs: 0 }, 'a', T);
		expect(applyReport(batch, { id: 'a', outcome: 'failed' }, T, LIMIT)).toEqual({ changed: true });
		expect(takeFlush(batch, settings, 'b', T + 999)).toBeUndefined();
		expect(applyReport(batch, undefined, T + 999, LIMIT).changed).toBe(false); // pausing: an idle flush counts nothing
		expect(ids(takeFlush(batch, settings, 'c', T + 1000))).toEqual([1, 2]);
		expect(batch.inFlight).toMatchObject({ id: 'c', attempts: 1 });
	});

	it('emits at once a batch in flight whose flush nobody reported (its process or clock is gone)', () => {
		const batch = batchOf(1);
		takeFlush(batch, { ...settings, windowMs: 0 }, 'old-clock-7', T);
		expect(applyReport(batch, undefined, T + 1, LIMIT).changed).toBe(true);
		expect(ids(takeFlush(batch, settings, 'new-clock-1', T + 1))).toEqual([1]);
		expect(applyReport(batch, { id: 'new-clock-1', outcome: 'done' }, T + 2, LIMIT).changed).toBe(
			true,
		);
		expect(batch.inFlight).toBeUndefined();
	});

	it('sets a batch aside once its execution failed Max Failed Executions times; deaths do not count', () => {
		const batch = batchOf(1, 2, 7);
		const failAt = (n: number, now: number) => {
			takeFlush(batch, { ...settings, windowMs: 0 }, `f${n}`, now);
			return applyReport(batch, { id: `f${n}`, outcome: 'failed' }, now, LIMIT);
		};
		expect(failAt(1, T).setAside).toBeUndefined();
		// n8n died during the second run: emitted again at once, and not counted as a failure
		takeFlush(batch, settings, 'died', T + 10_000);
		expect(applyReport(batch, undefined, T + 10_001, LIMIT).setAside).toBeUndefined();
		expect(failAt(2, T + 20_000).setAside).toBeUndefined();
		const third = failAt(3, T + 40_000);
		expect(third.changed).toBe(true);
		expect(ids(third.setAside?.changes)).toEqual([1, 2, 7]);
		expect(third.setAside).toMatchObject({ failures: 3, attempts: 4 });
		expect(batch.inFlight).toBeUndefined();
	});

	it('loads what static data holds, leaving out entries of a wrong shape', () => {
		const loaded = loadBatch({
			pending: [{ at: T, change: change(1, 1) }, { at: 'x' }, null],
			inFlight: { id: 'a', changes: [change(2, 2), 7], attempts: '2' },
		});
		expect(ids(loaded.pending.map((k) => k.change))).toEqual([1]);
		expect(loaded.inFlight).toMatchObject({ id: 'a', attempts: 2, failures: 0, retryAt: 0 });
		expect(ids(loaded.inFlight?.changes)).toEqual([2]);
		expect(loadBatch('garbage')).toEqual({ pending: [] });
	});
});
