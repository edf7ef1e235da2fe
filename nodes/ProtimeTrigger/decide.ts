/**
 * The one decision about the subscription, made the same way by activation, the check and deliveries:
 * keep it (adopt), or make a new one (renew, replace, recover). Pure; the vocabulary is in
 * docs/trigger-design.md.
 */
import type { ProtimeWebhook } from '../shared/types';
import type { OverlapEvidence, SubscriptionRecord } from './record';

export interface DecisionSettings {
	collectionName: string;
	referencesText: string;
	renewalMarginMs: number;
}

/** What Protime says about the recorded subscription: its webhook, `'gone'`, or `'unasked'` (a delivery proves it enabled). */
export type RemoteView = ProtimeWebhook | 'gone' | 'unasked';

export type Decision =
	| { action: 'adopt' }
	/** Healthy, but within the renewal margin. */
	| { action: 'renew'; reason: string }
	/** Cannot be kept although nothing was missed (settings, URL or key changed). */
	| { action: 'replace'; reason: string }
	/** It stopped delivering, or nothing is recorded: changes may be missing (ResyncRequired). */
	| { action: 'recover'; reason: string };

/**
 * Milliseconds before `validUntil` at which a subscription counts as due: the margin, but never more than
 * half of its validity, so a short-lived subscription is not renewed at every check.
 */
export function renewalMargin(
	record: Pick<SubscriptionRecord, 'createdAt' | 'validUntil'>,
	marginMs: number,
): number {
	const lifetime = Date.parse(record.validUntil) - record.createdAt;
	return Number.isFinite(lifetime) && lifetime > 0 ? Math.min(marginMs, lifetime / 2) : marginMs;
}

export function decide(
	record: SubscriptionRecord | undefined,
	remote: RemoteView,
	url: string,
	settings: DecisionSettings,
	now: number,
): Decision {
	if (!record)
		return { action: 'recover', reason: 'no subscription is recorded for this active trigger' };
	if (remote === 'gone')
		return { action: 'recover', reason: `subscription ${record.id} no longer exists at Protime` };
	const status = remote === 'unasked' ? 'Enabled' : remote.status;
	const validUntil =
		remote === 'unasked' ? record.validUntil : (remote.validUntil ?? record.validUntil);
	const until = Date.parse(validUntil);
	if (status !== 'Enabled')
		return { action: 'recover', reason: `subscription ${record.id} is ${status}` };
	if (!Number.isNaN(until) && until <= now)
		return { action: 'recover', reason: `subscription ${record.id} expired at ${validUntil}` };
	if (!record.key)
		return { action: 'replace', reason: `the key of subscription ${record.id} is not stored` };
	const destination = remote === 'unasked' ? record.destination : remote.destinationUrl;
	if (destination !== url || record.destination !== url) {
		return {
			action: 'replace',
			reason: `subscription ${record.id} delivers to ${destination}, not to ${url}`,
		};
	}
	const collection = remote === 'unasked' ? record.collection : remote.collectionName;
	if (collection !== settings.collectionName || record.collection !== settings.collectionName) {
		return {
			action: 'replace',
			reason: `subscription ${record.id} is for ${collection}, not ${settings.collectionName}`,
		};
	}
	if (record.references !== settings.referencesText)
		return { action: 'replace', reason: 'the external references changed' };
	if (
		Number.isNaN(until) ||
		until - now <=
			renewalMargin({ createdAt: record.createdAt, validUntil }, settings.renewalMarginMs)
	) {
		return { action: 'renew', reason: `subscription ${record.id} expires at ${validUntil}` };
	}
	return { action: 'adopt' };
}

/**
 * Whether a delivery should renew: only once the clock has evidently missed its chance (due within the
 * margin less one check interval), so that normally the check alone renews.
 */
export function clockMissedRenewal(
	record: SubscriptionRecord,
	marginMs: number,
	intervalMs: number,
	now: number,
): boolean {
	const until = Date.parse(record.validUntil);
	return (
		Number.isNaN(until) || until - now <= Math.max(renewalMargin(record, marginMs) - intervalMs, 0)
	);
}

/**
 * On an n8n start, a due subscription is left to the clock's next check when that comes well before it
 * expires: Protime is likely still resending what queued up for it while n8n was down, and a renewal
 * deletes it with that queue.
 */
export function leaveRenewalToClock(
	record: SubscriptionRecord,
	intervalMs: number,
	now: number,
): boolean {
	const until = Date.parse(record.validUntil);
	return !Number.isNaN(until) && until - now > intervalMs + 60_000;
}

/**
 * How close to its expiry a subscription left to overlap may deliver a change no other subscription had,
 * and still count as holding a backlog: Protime delivers a queue one change at a time, so one with a
 * backlog keeps delivering; one retrying a failed change may pause longer (docs/trigger-design.md, "Overlap").
 */
export const BACKLOG_WINDOW_MS = 5 * 60_000;

/**
 * How long an expired overlapped subscription that was delivering must stay quiet before its overlap ends:
 * Protime may still drain its queue after expiry (`queueOnStop` in docs/protime-assumptions.md).
 */
export const DRAIN_QUIET_MS = 2 * 60_000;

/**
 * The end of a renewal's overlap, told after the renewed subscription expired: `quiet` when it evidently
 * delivered all it held (both subscriptions delivered a change, which only a change made after the renewal
 * can be, or it was not delivering near its expiry), `gap` when it was still delivering changes only it had
 * and then stopped; undefined while it has not expired, or still delivers (a queue drained after expiry).
 */
export function overlapEnd(
	record: Pick<SubscriptionRecord, 'previousId' | 'previousValidUntil'>,
	evidence: Omit<OverlapEvidence, 'id'>,
	now: number,
	/** End it now with what is known (a renewal replaces the record's overlap). */
	force = false,
): 'quiet' | 'gap' | undefined {
	if (!record.previousId) return undefined;
	const until = Date.parse(record.previousValidUntil ?? '');
	if (Number.isNaN(until)) return 'quiet';
	// Not deleted early even when caught up: Protime does not document that a queue is delivered in order.
	if (now < until && !force) return undefined;
	if (evidence.caughtUp) return 'quiet';
	const freshAt = evidence.freshAt ?? -Infinity;
	if (freshAt < Math.min(until, now) - BACKLOG_WINDOW_MS) return 'quiet';
	if (force) return 'gap';
	return now - Math.max(freshAt, until) < DRAIN_QUIET_MS ? undefined : 'gap';
}
