/**
 * Reading the changes out of a Protime delivery, ordering them, and dropping stale or duplicate ones.
 *
 * The docs show each event as a delta item `{changeType, data}` but not the POST envelope (protime-api.md
 * §3.2, §7.5), so a body may be one change, an array of changes, or `{value: [...]}`. `changeVersion`
 * strings compare as fixed-width hex (§3.3); a shorter string sorts first so unpadded values still order.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ChangeType } from './types';

export interface Change {
	changeType: ChangeType | string;
	data: IDataObject & { id: string | number; changeVersion: string };
}

export type ParseResult = { ok: true; changes: Change[] } | { ok: false; message: string };

/** Upper bound for one delivery; far above anything Protime is expected to send in one POST. */
export const MAX_CHANGES_PER_DELIVERY = 50_000;
const SHAPE_HINT =
	'Expected a change {"changeType": "InsertOrUpdate" | "Delete", "data": {"id": …, "changeVersion": "…"}}, an array of such changes, or {"value": [ … ]}.';

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (isObject(value)) {
		const keys = Object.keys(value).slice(0, 10);
		return keys.length ? `an object with the properties ${keys.join(', ')}` : 'an empty object';
	}
	return `a ${typeof value}`;
}

/** What is wrong with one change, or undefined when it is usable. */
function changeProblem(item: unknown): string | undefined {
	if (!isObject(item)) return `is ${describe(item)}, not an object`;
	if (typeof item.changeType !== 'string' || item.changeType === '') {
		return 'has no "changeType" string';
	}
	const data = item.data;
	if (!isObject(data)) return `has "data" that is ${describe(data)}, not an object`;
	if (typeof data.changeVersion !== 'string' || data.changeVersion === '') {
		return 'has no "data.changeVersion" string';
	}
	if (!(typeof data.id === 'number' || (typeof data.id === 'string' && data.id !== ''))) {
		return 'has no "data.id" (number or string)';
	}
	return undefined;
}

/** The changes of a delivery body, or a message for a 400 answer saying what is wrong. */
export function parseDelivery(body: unknown): ParseResult {
	let items: unknown[];
	if (Array.isArray(body)) items = body;
	else if (isObject(body) && Array.isArray(body.value)) items = body.value;
	else if (isObject(body) && 'changeType' in body) items = [body];
	else return { ok: false, message: `The delivery body is ${describe(body)}. ${SHAPE_HINT}` };

	if (items.length === 0) return { ok: true, changes: [] };
	if (items.length > MAX_CHANGES_PER_DELIVERY) {
		return {
			ok: false,
			message: `The delivery holds ${items.length} changes; at most ${MAX_CHANGES_PER_DELIVERY} are accepted per request.`,
		};
	}
	for (let i = 0; i < items.length; i++) {
		const problem = changeProblem(items[i]);
		if (problem) {
			const where = items.length === 1 ? 'The change' : `Change ${i + 1} of ${items.length}`;
			return { ok: false, message: `${where} ${problem}. ${SHAPE_HINT}` };
		}
	}
	return { ok: true, changes: items as Change[] };
}

export function compareChangeVersions(a: string, b: string): number {
	if (a.length !== b.length) return a.length - b.length;
	return a < b ? -1 : a > b ? 1 : 0;
}

/** A new array in `changeVersion` order; equal versions keep their delivery order (stable sort). */
export function sortByChangeVersion(changes: readonly Change[]): Change[] {
	return [...changes].sort((x, y) => compareChangeVersions(x.data.changeVersion, y.data.changeVersion));
}

export type EventFilter = 'insertOrUpdate' | 'delete';

/** Whether a change is one the user asked for; other change types are acknowledged but not emitted. */
export function isWantedChange(change: Change, events: readonly EventFilter[]): boolean {
	if (change.changeType === 'InsertOrUpdate') return events.includes('insertOrUpdate');
	if (change.changeType === 'Delete') return events.includes('delete');
	return false;
}

/**
 * The last `changeVersion` seen per record id, kept in the node's static data (so it must stay JSON).
 * Keys are prefixed so JavaScript keeps insertion order (integer-like keys would be sorted), which makes
 * the object an LRU list: the oldest entries are dropped beyond `max` (in batches, see `dropStaleChanges`).
 */
export interface VersionStore {
	scope: string;
	seen: Record<string, string>;
	count: number;
}

export const DEFAULT_VERSION_STORE_SIZE = 3000;

export function emptyVersionStore(scope: string): VersionStore {
	return { scope, seen: {}, count: 0 };
}

/** The store for `scope` (e.g. the collection), starting afresh when the scope changed or the shape is wrong. */
export function loadVersionStore(raw: unknown, scope: string): VersionStore {
	if (isObject(raw) && raw.scope === scope && isObject(raw.seen) && typeof raw.count === 'number') {
		return raw as unknown as VersionStore;
	}
	return emptyVersionStore(scope);
}

/**
 * Splits ordered changes into fresh ones and stale-or-duplicate ones (a version not newer than the last
 * one seen for the same id), recording every fresh version in `store` (mutated in place).
 */
export function dropStaleChanges(
	ordered: readonly Change[],
	store: VersionStore,
	max = DEFAULT_VERSION_STORE_SIZE,
): { fresh: Change[]; dropped: number } {
	const fresh: Change[] = [];
	let dropped = 0;
	const seen = store.seen;
	for (const change of ordered) {
		const key = `#${String(change.data.id)}`;
		const previous = seen[key];
		if (previous !== undefined && compareChangeVersions(change.data.changeVersion, previous) <= 0) {
			dropped++;
			continue;
		}
		if (previous !== undefined) delete seen[key];
		else store.count++;
		seen[key] = change.data.changeVersion;
		fresh.push(change);
	}
	// Evicting walks the object's keys, which costs about as much for one key as for many once deletions have
	// turned it into a dictionary. So when the store goes over `max` it drops the oldest entries down to
	// `max - max/10` in one pass, and the next ~max/10 new ids need no eviction. The store never holds more
	// than `max` ids (as before) and always remembers at least the newest `max - max/10`.
	if (store.count > max) {
		const keep = max - Math.floor(max / 10);
		let excess = store.count - keep;
		for (const key in seen) {
			if (excess-- <= 0) break;
			delete seen[key];
		}
		store.count = keep;
	}
	return { fresh, dropped };
}
