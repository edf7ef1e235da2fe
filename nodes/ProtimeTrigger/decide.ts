/**
 * The one decision about the subscription, made the same way by activation, the check and deliveries:
 * keep it (adopt), or make a new one (renew, replace, recover). Pure; the vocabulary is in
 * docs/trigger-design.md.
 */
import type { ProtimeWebhook } from '../shared/types';
import {
	MAX_PREVIOUS,
	previousAccepted,
	type PendingResync,
	type PreviousSubscription,
	type SubscriptionRecord,
} from './record';

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

/** A replaced subscription counts as still delivering when it delivered its own changes this close to its expiry (or after it). */
export const STILL_DELIVERING_MS = 5 * 60_000;

export interface Retirement {
	/** The replaced subscriptions that stay (their keys accepted), newest first. */
	previous: PreviousSubscription[];
	/** Subscriptions to delete at Protime now. */
	remove: Array<{ id: string; why: string }>;
	/** Losses that cannot be excluded: each is announced once (ResyncRequired). */
	gaps: PendingResync[];
}

function stillDelivering(previous: PreviousSubscription): boolean {
	const until = Date.parse(previous.validUntil);
	if (previous.lastOwnAt === undefined || Number.isNaN(until)) return false;
	const window = Math.min(STILL_DELIVERING_MS, Math.max(0, (until - previous.replacedAt) / 2));
	return previous.lastOwnAt >= until - window;
}

function expiredWhileDelivering(previous: PreviousSubscription, now: number): PendingResync {
	return {
		reason: `the replaced subscription ${previous.id} was still delivering changes of its own when it expired at ${previous.validUntil}; what Protime still held for it may be lost`,
		detectedAt: new Date(now).toISOString(),
		previousWebhookId: previous.id,
	};
}

/**
 * The renewal overlap: which replaced subscriptions a create-first replace keeps. A replaced subscription
 * that delivers the same collection to the same URL, and whose key is stored, stays (Protime may still hold
 * changes for it that no other subscription will deliver, and its queue cannot be inspected) until it
 * expired; one for other settings is deleted at once. At most MAX_PREVIOUS unexpired ones stay (expired ones
 * stay for their grace, bounded by time); a newer one pushes the oldest out, and the loss of its queue is a gap.
 */
export function overlapAfter(
	old: SubscriptionRecord | undefined,
	decision: Exclude<Decision, { action: 'adopt' }>,
	url: string,
	collection: string,
	now: number,
): Retirement {
	const result: Retirement = { previous: [], remove: [], gaps: [] };
	if (!old) return result;
	const fits = old.destination === url && old.collection === collection;
	const candidates: PreviousSubscription[] = [];
	// A lapse is announced by the recovery itself: its subscription's expiry is not announced again.
	if (fits && old.key) {
		candidates.push({
			id: old.id,
			key: old.key,
			validUntil: old.validUntil,
			replacedAt: now,
			...(old.firstVersion === undefined ? {} : { firstVersion: old.firstVersion }),
			...(decision.action === 'recover' ? { announced: true } : {}),
		});
	} else result.remove.push({ id: old.id, why: `replaced: ${decision.reason}` });
	for (const previous of old.previous ?? []) {
		if (fits && previousAccepted(previous, now)) candidates.push(previous);
		else
			result.remove.push({
				id: previous.id,
				why: fits ? 'a replaced subscription that expired' : `replaced: ${decision.reason}`,
			});
	}
	let live = 0;
	for (const previous of candidates) {
		// Expired ones stay for their grace (a Protime that drains an expired queue); the bound is on the others.
		const expired = Date.parse(previous.validUntil) <= now;
		if (expired || live++ < MAX_PREVIOUS) {
			result.previous.push(previous);
			continue;
		}
		result.remove.push({ id: previous.id, why: 'replaced again before it expired' });
		if (!previous.announced) {
			result.gaps.push({
				reason: `the replaced subscription ${previous.id} was deleted before it expired (valid until ${previous.validUntil}) to keep at most ${MAX_PREVIOUS}; what Protime still held for it may be lost`,
				detectedAt: new Date(now).toISOString(),
				previousWebhookId: previous.id,
			});
		}
	}
	return result;
}

/**
 * The check's look at the replaced subscriptions: one whose key is no longer accepted (expired, plus the
 * grace) is deleted; one that expired while it was still delivering changes of its own is a gap, announced
 * once (`announced`). `changed` says whether the record must be written.
 */
export function retireExpired(
	record: SubscriptionRecord,
	now: number,
): Retirement & { changed: boolean } {
	const result = {
		previous: [] as PreviousSubscription[],
		remove: [] as Retirement['remove'],
		gaps: [] as PendingResync[],
		changed: false,
	};
	for (const previous of record.previous ?? []) {
		const expired = Date.parse(previous.validUntil) <= now;
		const gap = expired && !previous.announced && stillDelivering(previous);
		if (gap) result.gaps.push(expiredWhileDelivering(previous, now));
		if (!previousAccepted(previous, now)) {
			result.remove.push({
				id: previous.id,
				why: `a replaced subscription that expired at ${previous.validUntil}`,
			});
			result.changed = true;
		} else {
			result.previous.push(gap ? { ...previous, announced: true } : previous);
			result.changed ||= gap;
		}
	}
	return result;
}
