/**
 * What the trigger keeps in the node's static data, and small pure helpers over it.
 *
 * n8n persists static data after activation hooks, after `webhook()` when the node answered the request
 * itself (`noWebhookResponse`), and in `emit()`; every webhook request reads it fresh from the database
 * (n8n-harness.md, "Observed behaviour"). It saves the whole object, and only when something was written:
 * so a request writes only what it must (a request that writes while holding an older copy puts that
 * copy back over whatever was saved meanwhile). Everything that changes on renewal (id, key, validUntil) is only
 * ever written inside `webhook()` or an activation hook. The clock (`trigger()`) depends on none of it: in
 * n8n 2.41 it may run before `create()` on a copy that is never refreshed (see `clock.ts`); the ping secret
 * is derived from the credential, never stored (see `maintenance.ts`).
 */
import type { IDataObject } from 'n8n-workflow';

export interface PreviousKey {
	key: string;
	/** Epoch ms after which deliveries signed with this key are refused. */
	until: number;
}

export interface PendingResync {
	reason: string;
	detectedAt: string;
	previousWebhookId?: string;
}

export interface SubscriptionState extends IDataObject {
	webhookId?: string;
	/** The private HMAC key Protime returned at creation (never logged). */
	key?: string;
	validUntil?: string;
	/** Epoch ms when we created the subscription; with `validUntil` it gives the validity period. */
	createdAt?: number;
	destinationUrl?: string;
	collectionName?: string;
	/** `(collection,reference)…` as sent on creation, to notice a settings change. */
	externalReferences?: string;
	/** Keys of subscriptions we replaced, still accepted until `until` for in-flight deliveries. */
	previousKeys?: PreviousKey[];
	/** A lapse noticed where no item can be emitted (activation hooks); emitted with the next request. */
	pendingResync?: PendingResync;
	/** Stale/duplicate filter (see `changes.ts`). */
	versions?: IDataObject;
}

/** Deliveries signed with a replaced key are still accepted this long (Protime retries in-flight events). */
export const PREVIOUS_KEY_GRACE_MS = 30 * 60_000;
const MAX_PREVIOUS_KEYS = 3;

/** The node's static data, typed. The object is n8n's own: writing to it is what gets persisted. */
export function subscriptionState(staticData: IDataObject): SubscriptionState {
	return staticData as SubscriptionState;
}

/** Forgets the subscription (id, key, dates, settings) but keeps the URL, the last ping and the version filter. */
export function clearSubscription(state: SubscriptionState): void {
	for (const field of ['webhookId', 'key', 'validUntil', 'createdAt', 'collectionName', 'externalReferences'] as const) {
		delete state[field];
	}
}

/** The keys a delivery may be signed with: the current one first, then unexpired previous ones. */
export function acceptedKeys(state: SubscriptionState, now = Date.now()): string[] {
	// The usual case, once per delivery: one key and no previous ones.
	if (!state.previousKeys?.length) return typeof state.key === 'string' && state.key !== '' ? [state.key] : [];
	const previous = (state.previousKeys ?? []).filter((p) => p.until > now).map((p) => p.key);
	return [state.key, ...previous].filter((k): k is string => typeof k === 'string' && k !== '');
}

/** Moves the current key to the previous keys (bounded, expired ones dropped). */
export function retireCurrentKey(state: SubscriptionState, now = Date.now()): void {
	const kept = (state.previousKeys ?? []).filter((p) => p.until > now);
	if (state.key) kept.unshift({ key: state.key, until: now + PREVIOUS_KEY_GRACE_MS });
	state.previousKeys = kept.slice(0, MAX_PREVIOUS_KEYS);
}

/**
 * Milliseconds before `validUntil` at which the subscription counts as "near expiry": the configured margin,
 * but never more than half of the subscription's validity, so a short-lived subscription is not renewed on
 * every check.
 */
export function effectiveMargin(state: SubscriptionState, marginMs: number): number {
	const validUntil = Date.parse(state.validUntil ?? '');
	if (state.createdAt === undefined || Number.isNaN(validUntil)) return marginMs;
	const lifetime = validUntil - state.createdAt;
	return lifetime > 0 ? Math.min(marginMs, lifetime / 2) : marginMs;
}

export function isNearExpiry(validUntil: string | undefined, marginMs: number, now = Date.now()): boolean {
	const at = Date.parse(validUntil ?? '');
	return Number.isNaN(at) || at - now <= marginMs;
}

/**
 * Whether the clock has evidently missed its chance to renew: the subscription is within the renewal margin
 * less one check interval. A delivery renews only then, so that normally the clock alone renews and a
 * delivery never renews at the same moment as a check.
 */
export function clockMissedRenewal(state: SubscriptionState, marginMs: number, intervalMs: number, now = Date.now()): boolean {
	return isNearExpiry(state.validUntil, Math.max(effectiveMargin(state, marginMs) - intervalMs, 0), now);
}
