/** The subscription record's one writer and this process's memory of it (live objects, one take-over point). */
import { ObservableObject, type IDataObject } from 'n8n-workflow';

import {
	acceptedKeys,
	memoryOf,
	PREVIOUS_KEY_GRACE_MS,
	rememberRecord,
	singleFlight,
	takeOver,
	triggerState,
	writeRecord,
	type SubscriptionRecord,
} from '../../nodes/ProtimeTrigger/record';

const T0 = 1_800_000_000_000;
const base = {
	validUntil: '2027-01-01T00:00:00Z',
	destination: 'https://n8n.example.com/w',
	collection: 'clockings',
	references: '',
};
const record = (
	id: string,
	key: string,
	createdAt: number,
): Omit<SubscriptionRecord, 'previousKey' | 'previousKeyUntil'> => ({
	id,
	key,
	createdAt,
	...base,
});
let n = 0;
const freshMemory = () => memoryOf(`test/${n++}`);

describe('writeRecord', () => {
	it('keeps the replaced key for the grace period on a renewal only', () => {
		const state = triggerState({});
		writeRecord(state, record('a', 'k1', T0), { keepPreviousKey: true, now: T0 });
		writeRecord(state, record('b', 'k2', T0 + 1), { keepPreviousKey: true, now: T0 + 1 });
		expect(acceptedKeys(state.subscription, T0 + 2)).toEqual(['k2', 'k1']);
		expect(acceptedKeys(state.subscription, T0 + 1 + PREVIOUS_KEY_GRACE_MS)).toEqual(['k2']);
		writeRecord(state, record('c', 'k3', T0 + 2), { keepPreviousKey: false, now: T0 + 2 });
		expect(acceptedKeys(state.subscription, T0 + 3)).toEqual(['k3']);
	});
});

describe('takeOver', () => {
	it('gives an older copy of static data the newer record this process wrote, and leaves a newer copy alone', () => {
		const memory = freshMemory();
		rememberRecord(
			memory,
			writeRecord(triggerState({}), record('new', 'k2', T0 + 10), {
				keepPreviousKey: false,
				now: T0,
			}),
		);
		const older = triggerState({
			subscription: { ...record('old', 'k1', T0), previousKey: undefined } as IDataObject &
				SubscriptionRecord,
		});
		expect(takeOver(memory, older, false)?.id).toBe('new');
		const newer = triggerState({
			subscription: record('newest', 'k3', T0 + 20) as IDataObject & SubscriptionRecord,
		});
		expect(takeOver(memory, newer, false)?.id).toBe('newest');
	});

	it('writes nothing when the copy already holds the same subscription, unless n8n saves the copy late', () => {
		const memory = freshMemory();
		rememberRecord(memory, { ...record('a', 'k', T0) });
		const load = () => {
			const root = ObservableObject.create({
				node: { subscription: { ...record('a', 'k', T0) } },
			}) as IDataObject & { __dataChanged: boolean };
			return { root, state: triggerState(root.node as IDataObject) };
		};
		const early = load();
		takeOver(memory, early.state, false);
		expect(early.root.__dataChanged).toBe(false);
		const late = load();
		takeOver(memory, late.state, true);
		expect(late.root.__dataChanged).toBe(true);
		// Late savers hold the live record: a renewal made meanwhile is what their save writes.
		rememberRecord(memory, { ...record('renewed', 'k2', T0 + 5) });
		expect(JSON.parse(JSON.stringify(late.root)).node.subscription).toMatchObject({
			id: 'renewed',
			key: 'k2',
		});
	});
});

describe('singleFlight', () => {
	it('runs one renewal at a time per trigger; a caller that had to wait gets undefined', async () => {
		const memory = freshMemory();
		let runs = 0;
		let release = () => {};
		const renew = async () => {
			runs++;
			await new Promise<void>((resolve) => (release = resolve));
			return runs;
		};
		const both = Promise.all([singleFlight(memory, renew), singleFlight(memory, renew)]);
		release();
		expect([...(await both), runs]).toEqual([1, undefined, 1]);
		const third = singleFlight(memory, renew);
		release();
		expect(await third).toBe(2);
	});
});
