import { adoptNewer, forgetRenewal, rememberRenewal, singleFlight } from '../../nodes/ProtimeTrigger/localRenewals';
import { PREVIOUS_KEY_GRACE_MS, type SubscriptionState } from '../../nodes/ProtimeTrigger/state';

const renewed = (): SubscriptionState => ({
	webhookId: 'new',
	key: 'new-key',
	validUntil: '2026-12-01T00:00:00Z',
	createdAt: 2_000,
	destinationUrl: 'https://n8n.example.com/webhook/w/webhook',
	collectionName: 'work-interruptions',
	externalReferences: '',
	previousKeys: [{ key: 'old-key', until: 9_999_999_999_999 }],
});

describe('renewals remembered by this process', () => {
	it('puts the newer subscription into an older copy of static data, and keeps what else the copy holds', () => {
		rememberRenewal('wf/a', renewed(), 10_000);
		const older: SubscriptionState = { webhookId: 'old', key: 'old-key', createdAt: 1_000, pendingResync: { reason: 'r', detectedAt: 'd' } };
		expect(adoptNewer('wf/a', older, 10_001)).toBe(true);
		expect(older).toEqual({ ...renewed(), pendingResync: { reason: 'r', detectedAt: 'd' } });
		// A copy, not the remembered object: a later edit of one does not change the other.
		older.previousKeys!.push({ key: 'x', until: 1 });
		const again: SubscriptionState = { webhookId: 'old', createdAt: 1_000 };
		adoptNewer('wf/a', again, 10_002);
		expect(again.previousKeys).toHaveLength(1);
	});

	it('leaves a copy alone that already holds it or something newer, another trigger, or after the grace period', () => {
		rememberRenewal('wf/b', renewed(), 10_000);
		const same: SubscriptionState = { webhookId: 'new', key: 'new-key', createdAt: 2_000 };
		expect(adoptNewer('wf/b', same, 10_001)).toBe(false);
		const newer: SubscriptionState = { webhookId: 'newer', key: 'k', createdAt: 3_000 };
		expect(adoptNewer('wf/b', newer, 10_001)).toBe(false);
		expect(newer.webhookId).toBe('newer');
		expect(adoptNewer('wf/other', { webhookId: 'old', createdAt: 1 }, 10_001)).toBe(false);
		expect(adoptNewer('wf/b', { webhookId: 'old', createdAt: 1 }, 10_000 + PREVIOUS_KEY_GRACE_MS + 1)).toBe(false);
		expect(adoptNewer('wf/b', { webhookId: 'old', createdAt: 1 }, 10_001)).toBe(false); // dropped once expired
	});

	it('forgets a trigger on deactivation or a new activation', () => {
		rememberRenewal('wf/c', renewed(), 10_000);
		forgetRenewal('wf/c');
		expect(adoptNewer('wf/c', { webhookId: 'old', createdAt: 1 }, 10_001)).toBe(false);
	});

	it('runs one renewal per trigger at a time; a second caller waits for it and gets nothing to do', async () => {
		let release!: () => void;
		let runs = 0;
		const renew = async () => {
			runs++;
			await new Promise<void>((resolve) => (release = resolve));
			return 'renewed';
		};
		const first = singleFlight('wf/d', renew);
		const second = singleFlight('wf/d', renew);
		const otherTrigger = singleFlight('wf/e', async () => 'other');
		expect(await otherTrigger).toBe('other');
		release();
		expect(await Promise.all([first, second])).toEqual(['renewed', undefined]);
		expect(runs).toBe(1);
		// Once done, the next renewal runs again; a failed one does not block the waiter or the next.
		await expect(singleFlight('wf/d', async () => Promise.reject(new Error('Protime down')))).rejects.toThrow('Protime down');
		expect(await singleFlight('wf/d', async () => 'again')).toBe('again');
	});
});
