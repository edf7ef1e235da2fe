/** The subscription record's one writer and this process's memory of it (live objects, one take-over point). */
import { ObservableObject, type IDataObject } from 'n8n-workflow';

import { keep, keptCount } from '../../nodes/ProtimeTrigger/batch';
import {
	acceptedKeys,
	carryBatch,
	KEEPER_LEASE_MS,
	keptByOther,
	memoryOf,
	otherKeeper,
	PREVIOUS_KEY_GRACE_MS,
	rememberRecord,
	singleFlight,
	takeOver,
	takeOverBatch,
	triggerState,
	writeRecord,
	type Memory,
	type SubscriptionRecord,
	type TriggerState,
} from '../../nodes/ProtimeTrigger/record';

const T0 = 1_800_000_000_000;
const base = {
	validUntil: '2030-01-01T00:00:00Z',
	destination: 'https://n8n.example.com/w',
	collection: 'clockings',
	references: '',
};
const record = (id: string, key: string, createdAt: number): SubscriptionRecord => ({
	id,
	key,
	createdAt,
	...base,
});
let n = 0;
const freshMemory = () => memoryOf(`test/${n++}`);

describe('writeRecord', () => {
	it('a renewal keeps the replaced subscription and its key until it expires, plus the grace period; a replacement keeps neither', () => {
		const state = triggerState({});
		const until = Date.parse(base.validUntil);
		writeRecord(state, record('a', 'k1', T0), { overlap: true, now: T0 });
		expect(state.subscription?.previousId).toBeUndefined();
		writeRecord(state, record('b', 'k2', T0 + 1), { overlap: true, now: T0 + 1 });
		expect(state.subscription).toMatchObject({
			previousId: 'a',
			previousValidUntil: base.validUntil,
		});
		expect(acceptedKeys(state.subscription, until - 1)).toEqual(['k2', 'k1']);
		expect(acceptedKeys(state.subscription, until + PREVIOUS_KEY_GRACE_MS - 1)).toEqual([
			'k2',
			'k1',
		]);
		expect(acceptedKeys(state.subscription, until + PREVIOUS_KEY_GRACE_MS)).toEqual(['k2']);
		writeRecord(state, record('c', 'k3', T0 + 2), { overlap: false, now: T0 + 2 });
		expect(acceptedKeys(state.subscription, T0 + 3)).toEqual(['k3']);
		expect(state.subscription?.previousId).toBeUndefined();
	});

	it('an old subscription with no readable expiry is kept for the grace period only', () => {
		const state = triggerState({});
		writeRecord(
			state,
			{ ...record('a', 'k1', T0), validUntil: 'soon' },
			{ overlap: true, now: T0 },
		);
		writeRecord(state, record('b', 'k2', T0), { overlap: true, now: T0 });
		expect(state.subscription?.previousId).toBeUndefined();
		expect(acceptedKeys(state.subscription, T0 + PREVIOUS_KEY_GRACE_MS - 1)).toEqual(['k2', 'k1']);
		expect(acceptedKeys(state.subscription, T0 + PREVIOUS_KEY_GRACE_MS)).toEqual(['k2']);
	});

	it('carries the last announced gap over to the new record', () => {
		const state = triggerState({});
		writeRecord(state, record('a', 'k1', T0), { overlap: false, now: T0 });
		state.subscription!.announced = '2027-01-01T00:00:00.000Z';
		writeRecord(state, record('b', 'k2', T0 + 1), { overlap: false, now: T0 + 1 });
		expect(state.subscription?.announced).toBe('2027-01-01T00:00:00.000Z');
	});
});

describe('takeOver', () => {
	it('drops a pending gap from a copy loaded before that gap was announced', () => {
		const memory = freshMemory();
		const announced = { ...record('a', 'k', T0), announced: '2027-01-02T00:00:00.000Z' };
		rememberRecord(memory, announced);
		const stale = triggerState({
			subscription: { ...record('a', 'k', T0) } as IDataObject & SubscriptionRecord,
			pendingResync: { reason: 'x', detectedAt: '2027-01-02T00:00:00.000Z' },
		});
		takeOver(memory, stale, false);
		expect(stale.pendingResync).toBeUndefined();
		const other = triggerState({
			subscription: { ...record('a', 'k', T0) } as IDataObject & SubscriptionRecord,
			pendingResync: { reason: 'y', detectedAt: '2027-01-03T00:00:00.000Z' },
		});
		takeOver(memory, other, false);
		expect(other.pendingResync?.detectedAt).toBe('2027-01-03T00:00:00.000Z');
	});

	it('gives an older copy of static data the newer record this process wrote, and leaves a newer copy alone', () => {
		const memory = freshMemory();
		rememberRecord(
			memory,
			writeRecord(triggerState({}), record('new', 'k2', T0 + 10), {
				overlap: false,
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

describe('the keeper (two processes, one static data)', () => {
	const change = (id: number) => ({
		changeType: 'InsertOrUpdate',
		data: { id, changeVersion: id.toString(16).padStart(20, '0') },
	});
	/** What n8n saves: a plain copy of the request's static data. */
	const save = (state: IDataObject) => JSON.parse(JSON.stringify(state)) as IDataObject;
	/** A kept delivery as webhook.ts does it: take the batch over, keep, carry it into the copy. */
	const keepIn = (memory: Memory, state: TriggerState, id: number, now: number) => {
		keep(takeOverBatch(memory, state, now), [change(id)], now);
		carryBatch(memory, state, now);
	};

	it('a second process sees the first keep the batch within the lease, and reloads it once the first went quiet', () => {
		const a = freshMemory();
		const b = freshMemory();
		let db: IDataObject = {};
		// A keeps change 1: its save names A the keeper
		let state = triggerState(save(db));
		keepIn(a, state, 1, T0);
		db = save(state);
		expect(otherKeeper(triggerState(save(db)), a)).toBeUndefined();
		expect(otherKeeper(triggerState(save(db)), b)).toMatchObject({ mark: a.mark, at: T0 });
		// B, after the lease: takes over from the saved copy (change 1 included) and keeps change 2
		state = triggerState(save(db));
		expect(keptByOther(state, b)).toBe(true);
		keepIn(b, state, 2, T0 + KEEPER_LEASE_MS);
		db = save(state);
		// A's memory still holds only change 1: B's newer save makes A reload, so change 2 is not saved over
		state = triggerState(save(db));
		expect(otherKeeper(state, a)).toMatchObject({ mark: b.mark });
		expect(keptCount(takeOverBatch(a, state, T0 + KEEPER_LEASE_MS + 1))).toBe(2);
		keepIn(a, state, 3, T0 + KEEPER_LEASE_MS + 1);
		db = save(state);
		expect(keptCount(takeOverBatch(freshMemory(), triggerState(save(db))))).toBe(3);
	});

	it('a copy loaded before this process took over does not count as another keeper', () => {
		const a = freshMemory();
		const b = freshMemory();
		const state = triggerState({});
		keepIn(a, state, 1, T0);
		const before = save(state); // loaded by a request of B before B took over
		takeOverBatch(b, triggerState(save(state)), T0 + KEEPER_LEASE_MS);
		expect(otherKeeper(triggerState(before), b)).toBeUndefined();
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
