/** The one decision about a subscription, from the record, what Protime says, the settings and the time. */
import {
	clockMissedRenewal,
	decide,
	overlapAfter,
	retireExpired,
	type RemoteView,
} from '../../nodes/ProtimeTrigger/decide';
import {
	PREVIOUS_KEY_GRACE_MS,
	type PreviousSubscription,
	type SubscriptionRecord,
} from '../../nodes/ProtimeTrigger/record';
import type { ProtimeWebhook } from '../../nodes/shared/types';

const URL = 'https://n8n.example.com/webhook/w/webhook';
const T0 = Date.parse('2026-03-01T00:00:00Z');
const HOUR = 3600_000;
const settings = { collectionName: 'clockings', referencesText: '', renewalMarginMs: HOUR };
const record: SubscriptionRecord = {
	id: 'a',
	key: 'k',
	validUntil: new Date(T0 + 7 * 24 * HOUR).toISOString(),
	destination: URL,
	collection: 'clockings',
	references: '',
	createdAt: T0,
};
const remote = (patch: Partial<ProtimeWebhook> = {}): RemoteView => ({
	id: 'a',
	validUntil: record.validUntil,
	status: 'Enabled',
	destinationUrl: URL,
	collectionName: 'clockings',
	...patch,
});

describe('decide', () => {
	it('adopts a healthy subscription, whether Protime was asked or a delivery vouched for it', () => {
		expect(decide(record, remote(), URL, settings, T0 + HOUR)).toEqual({ action: 'adopt' });
		expect(decide(record, 'unasked', URL, settings, T0 + HOUR)).toEqual({ action: 'adopt' });
	});

	it('renews within the margin, and the margin never exceeds half the validity', () => {
		const due = Date.parse(record.validUntil) - 30 * 60_000;
		expect(decide(record, remote(), URL, settings, due).action).toBe('renew');
		const short = { ...record, validUntil: new Date(T0 + 10 * 60_000).toISOString() };
		expect(decide(short, 'unasked', URL, settings, T0 + 4 * 60_000).action).toBe('adopt');
		expect(decide(short, 'unasked', URL, settings, T0 + 6 * 60_000).action).toBe('renew');
	});

	it('recovers (a lapse) when nothing is recorded, or the subscription is gone, disabled or expired', () => {
		expect(decide(undefined, 'gone', URL, settings, T0).action).toBe('recover');
		expect(decide(record, 'gone', URL, settings, T0).action).toBe('recover');
		expect(decide(record, remote({ status: 'Disabled' }), URL, settings, T0)).toMatchObject({
			action: 'recover',
			reason: expect.stringMatching(/Disabled/),
		});
		expect(decide(record, 'unasked', URL, settings, Date.parse(record.validUntil) + 1).action).toBe(
			'recover',
		);
	});

	it('replaces without a lapse when the key, URL, collection or references no longer fit', () => {
		expect(decide({ ...record, key: '' }, remote(), URL, settings, T0).action).toBe('replace');
		expect(decide(record, remote(), 'https://other.example.com/w', settings, T0).action).toBe(
			'replace',
		);
		expect(
			decide(record, remote({ destinationUrl: 'https://other.example.com/w' }), URL, settings, T0)
				.action,
		).toBe('replace');
		expect(
			decide(record, remote(), URL, { ...settings, collectionName: 'absences' }, T0).action,
		).toBe('replace');
		expect(
			decide(
				record,
				remote(),
				URL,
				{ ...settings, referencesText: '(people,@employee-number)' },
				T0,
			),
		).toMatchObject({ action: 'replace', reason: 'the external references changed' });
	});

	it('lets a delivery renew only once the clock has missed a check', () => {
		const until = Date.parse(record.validUntil);
		expect(clockMissedRenewal(record, HOUR, 10 * 60_000, until - 55 * 60_000)).toBe(false);
		expect(clockMissedRenewal(record, HOUR, 10 * 60_000, until - 45 * 60_000)).toBe(true);
	});
});

describe('the renewal overlap', () => {
	const renew = { action: 'renew', reason: 'due' } as const;
	const previous = (
		id: string,
		validUntil: number,
		extra: Partial<PreviousSubscription> = {},
	): PreviousSubscription => ({
		id,
		key: `k-${id}`,
		validUntil: new Date(validUntil).toISOString(),
		replacedAt: validUntil - HOUR,
		...extra,
	});

	it('keeps a replaced subscription for the same collection and URL, deletes one for other settings or without a key', () => {
		const now = T0 + HOUR;
		expect(overlapAfter(record, renew, URL, 'clockings', now)).toEqual({
			previous: [{ id: 'a', key: 'k', validUntil: record.validUntil, replacedAt: now }],
			remove: [],
			gaps: [],
		});
		expect(
			overlapAfter(record, { action: 'replace', reason: 'collection' }, URL, 'people', now),
		).toMatchObject({ previous: [], remove: [{ id: 'a' }], gaps: [] });
		expect(
			overlapAfter(record, { action: 'replace', reason: 'url' }, `${URL}x`, 'clockings', now),
		).toMatchObject({ previous: [], remove: [{ id: 'a' }] });
		expect(overlapAfter({ ...record, key: '' }, renew, URL, 'clockings', now)).toMatchObject({
			previous: [],
			remove: [{ id: 'a' }],
		});
		// A lapse is announced by its recovery: its expiry is not announced again.
		expect(
			overlapAfter(record, { action: 'recover', reason: 'disabled' }, URL, 'clockings', now)
				.previous[0],
		).toMatchObject({ id: 'a', announced: true });
	});

	it('keeps at most two unexpired ones (expired ones for their grace); pushing out one that has not expired is a gap', () => {
		const now = T0 + HOUR;
		const full = {
			...record,
			previous: [previous('b', now + HOUR), previous('c', now - 2 * HOUR)],
		};
		const result = overlapAfter(full, renew, URL, 'clockings', now);
		expect(result.previous.map((p) => p.id)).toEqual(['a', 'b']);
		expect(result.remove.map((r) => r.id)).toEqual(['c']); // long expired: deleted, no gap
		expect(result.gaps).toEqual([]);
		const inGrace = {
			...record,
			previous: [previous('b', now + HOUR), previous('c', now - 60_000)],
		};
		expect(overlapAfter(inGrace, renew, URL, 'clockings', now)).toMatchObject({
			previous: [{ id: 'a' }, { id: 'b' }, { id: 'c' }],
			remove: [],
			gaps: [],
		});
		const fresh = { ...record, previous: [previous('b', now + HOUR), previous('c', now + HOUR)] };
		expect(overlapAfter(fresh, renew, URL, 'clockings', now).gaps).toEqual([
			expect.objectContaining({ previousWebhookId: 'c' }),
		]);
	});

	it('retires an expired one after the grace; one that expired while still delivering its own changes is a gap once', () => {
		const until = T0 + 2 * HOUR;
		const quiet = previous('q', until, { lastOwnAt: until - 10 * 60_000 });
		const busy = previous('b', until, { lastOwnAt: until - 60_000 });
		const withBoth = { ...record, previous: [busy, quiet] };
		expect(retireExpired(withBoth, until - 1)).toEqual({
			previous: [busy, quiet],
			remove: [],
			gaps: [],
			changed: false,
		});
		const expired = retireExpired(withBoth, until + 1);
		expect(expired.gaps).toEqual([expect.objectContaining({ previousWebhookId: 'b' })]);
		expect(expired.previous).toEqual([{ ...busy, announced: true }, quiet]);
		expect(expired.changed).toBe(true);
		expect(retireExpired({ ...record, previous: expired.previous }, until + 2)).toMatchObject({
			gaps: [],
			changed: false,
		});
		const gone = retireExpired(
			{ ...record, previous: expired.previous },
			until + PREVIOUS_KEY_GRACE_MS,
		);
		expect(gone).toMatchObject({ previous: [], gaps: [], changed: true });
		expect(gone.remove.map((r) => r.id)).toEqual(['b', 'q']);
	});
});
