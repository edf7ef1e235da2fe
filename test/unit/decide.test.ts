/** The one decision about a subscription, from the record, what Protime says, the settings and the time. */
import { clockMissedRenewal, decide, type RemoteView } from '../../nodes/ProtimeTrigger/decide';
import type { SubscriptionRecord } from '../../nodes/ProtimeTrigger/record';
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
