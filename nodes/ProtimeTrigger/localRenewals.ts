/**
 * What this n8n process renewed recently, so that concurrent requests to the same trigger in this process
 * neither renew twice nor undo a renewal.
 *
 * Why: n8n loads a workflow's static data at the start of each webhook request and, when the request wrote
 * anything, saves the whole object at its end. Two requests in flight at once (a check and a delivery, or
 * two deliveries while the subscription is overdue) each hold their own copy:
 * - both may see the subscription near expiry and create one each (one of them then has no stored key);
 * - a delivery that loaded its copy before a renewal was saved, and saves after it (its version filter
 *   changed), puts the replaced subscription back, whose key is the only one kept.
 * So a renewal runs at most once at a time per trigger (`singleFlight`), and every production request first
 * takes over the newest subscription this process created (`adoptNewer`), which its own save then keeps.
 * Triggers are keyed by `triggerIdentity` (maintenance.ts).
 *
 * In memory only, per process, bounded; entries are dropped after {@link PREVIOUS_KEY_GRACE_MS}. Requests
 * handled by different processes (queue mode with several webhook processors) are not coordinated here;
 * the check's sweep of other subscriptions at the trigger's URL and its lapse handling cover that.
 */
import { PREVIOUS_KEY_GRACE_MS, type SubscriptionState } from './state';

/** The fields a renewal writes (see `createSubscription`). */
const RECORD_FIELDS = ['webhookId', 'key', 'validUntil', 'createdAt', 'destinationUrl', 'collectionName', 'externalReferences', 'previousKeys'] as const;
type SubscriptionRecord = Pick<SubscriptionState, (typeof RECORD_FIELDS)[number]>;

const MAX_ENTRIES = 500;
const records = new Map<string, { record: SubscriptionRecord; at: number }>();
const running = new Map<string, Promise<unknown>>();

/**
 * A plain deep copy. Not `structuredClone`: static data as n8n loads it is wrapped in Proxies (its
 * observable), which `structuredClone` refuses; the fields are JSON anyway.
 */
function plainCopy<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

/** Remembers the subscription a renewal just stored in `state`. */
export function rememberRenewal(identity: string, state: SubscriptionState, now = Date.now()): void {
	if (records.size >= MAX_ENTRIES) records.clear();
	const record: SubscriptionRecord = {};
	for (const field of RECORD_FIELDS) if (state[field] !== undefined) (record as Record<string, unknown>)[field] = plainCopy(state[field]);
	records.set(identity, { record, at: now });
}

/** Forgets the trigger's entry (deactivation, a new activation). */
export function forgetRenewal(identity: string): void {
	records.delete(identity);
}

/**
 * Puts the newest subscription this process created into `state` when `state` holds an older one (its copy
 * was loaded before that renewal was saved). Returns whether it did.
 */
export function adoptNewer(identity: string, state: SubscriptionState, now = Date.now()): boolean {
	const entry = records.get(identity);
	if (!entry) return false;
	if (now - entry.at > PREVIOUS_KEY_GRACE_MS) {
		records.delete(identity);
		return false;
	}
	const { record } = entry;
	if (record.webhookId === state.webhookId || (record.createdAt ?? 0) <= (state.createdAt ?? 0)) return false;
	for (const field of RECORD_FIELDS) {
		if (record[field] === undefined) delete state[field];
		else (state as Record<string, unknown>)[field] = plainCopy(record[field]);
	}
	return true;
}

/**
 * Runs `renew` unless a renewal of the same trigger is already running in this process; then it waits for
 * that one instead and returns undefined (the caller adopts its result with {@link adoptNewer}).
 */
export async function singleFlight<T>(identity: string, renew: () => Promise<T>): Promise<T | undefined> {
	const current = running.get(identity);
	if (current) {
		await current.catch(() => undefined);
		return undefined;
	}
	const promise = renew();
	running.set(identity, promise);
	try {
		return await promise;
	} finally {
		running.delete(identity);
	}
}
